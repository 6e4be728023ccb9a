// Reductions over a workgroup of 64 invocations, for kernels that include this file. A
// kernel's entry point takes `lane: Lane` for its local invocation index. On adapters
// with SIMD-group operations the GPU family includes a variant of this file instead
// (gpu's kernelSource says which), defining the same names with those operations. This
// file must not contain that feature's name, even in a comment: gogpu rejects a module
// whose text has it on a device without the feature. Call the functions from uniform
// control flow only, each at most once per kernel run: each has a workgroup array of its
// own, which a second call would overwrite while other invocations still read it.
//
// Here: one barrier, then every invocation reads all 64 partials itself. lavapipe
// compiles each barrier slowly; a tree of barriers would double the compile time.

struct Lane {
    @builtin(local_invocation_index) index: u32,
}

var<workgroup> reduce_sum: array<f32, 64>;
var<workgroup> reduce_sum2: array<vec2<f32>, 64>;
var<workgroup> reduce_sum4: array<vec4<f32>, 64>;
var<workgroup> reduce_max: array<f32, 64>;
var<workgroup> reduce_moments: array<vec3<f32>, 64>;

// Σ v over the workgroup, the same in every invocation (added in the same order in all).
fn workgroup_sum(lane: Lane, v: f32) -> f32 {
    reduce_sum[lane.index] = v;
    workgroupBarrier();
    var s = 0.0;
    for (var k = 0u; k < 64u; k = k + 1u) {
        s = s + reduce_sum[k];
    }
    return s;
}

// workgroup_sum for vec2.
fn workgroup_sum2(lane: Lane, v: vec2<f32>) -> vec2<f32> {
    reduce_sum2[lane.index] = v;
    workgroupBarrier();
    var s = vec2<f32>(0.0);
    for (var k = 0u; k < 64u; k = k + 1u) {
        s = s + reduce_sum2[k];
    }
    return s;
}

// workgroup_sum for vec4.
fn workgroup_sum4(lane: Lane, v: vec4<f32>) -> vec4<f32> {
    reduce_sum4[lane.index] = v;
    workgroupBarrier();
    var s = vec4<f32>(0.0);
    for (var k = 0u; k < 64u; k = k + 1u) {
        s = s + reduce_sum4[k];
    }
    return s;
}

// The maximum of v over the workgroup, the same in every invocation; lowest is what an
// empty share holds (the result when every v is lowest).
fn workgroup_max(lane: Lane, v: f32, lowest: f32) -> f32 {
    reduce_max[lane.index] = v;
    workgroupBarrier();
    var m = lowest;
    for (var k = 0u; k < 64u; k = k + 1u) {
        m = max(m, reduce_max[k]);
    }
    return m;
}

// Merges per-invocation moments p = (count, mean, M2: Σ squared deviations from that
// mean) exactly (Chan et al.) into the workgroup's (mean, M2), inv_count being 1 / Σ
// count. The result is valid in invocation 0 (here only there: on a CPU the other SIMD
// groups skip the loops).
fn workgroup_moments(lane: Lane, p: vec3<f32>, inv_count: f32) -> vec2<f32> {
    reduce_moments[lane.index] = p;
    workgroupBarrier();
    if (lane.index != 0u) {
        return vec2<f32>(0.0);
    }
    var sum = 0.0;
    for (var k = 0u; k < 64u; k = k + 1u) {
        sum = sum + reduce_moments[k].x * reduce_moments[k].y;
    }
    let mu = sum * inv_count;
    var dev = 0.0;
    for (var k = 0u; k < 64u; k = k + 1u) {
        let q = reduce_moments[k];
        let d = q.y - mu;
        dev = dev + q.z + q.x * d * d;
    }
    return vec2<f32>(mu, dev);
}
