// workgroup_reduce.wgsl's functions with subgroup operations, for the GPU family on
// adapters with the subgroups feature (kernelSource puts `enable subgroups;` first). Each
// subgroup adds its values in registers; its elected invocation writes the subgroup's
// total to its own slot of 64 (the others write the identity), and after one barrier
// every subgroup adds up all 64 slots, 64 / subgroup size reads per invocation. No
// assumption on which invocations form a subgroup or on the subgroup size (a power of
// two, 4 to 128: a subgroup larger than the workgroup has 64 active invocations whose
// ids cover the slots). Same contract as there; results are valid in every invocation.

struct Lane {
    @builtin(local_invocation_index) index: u32,
    @builtin(subgroup_invocation_id) sub: u32,
    @builtin(subgroup_size) size: u32,
}

var<workgroup> reduce_sum: array<f32, 64>;
var<workgroup> reduce_sum2: array<vec2<f32>, 64>;
var<workgroup> reduce_sum4: array<vec4<f32>, 64>;
var<workgroup> reduce_max: array<f32, 64>;
var<workgroup> reduce_moments: array<f32, 64>;

fn workgroup_sum(lane: Lane, v: f32) -> f32 {
    let s = subgroupAdd(v);
    reduce_sum[lane.index] = select(0.0, s, subgroupElect());
    workgroupBarrier();
    var t = 0.0;
    for (var k = lane.sub; k < 64u; k = k + lane.size) {
        t = t + reduce_sum[k];
    }
    return subgroupAdd(t);
}

fn workgroup_sum2(lane: Lane, v: vec2<f32>) -> vec2<f32> {
    let s = subgroupAdd(v);
    reduce_sum2[lane.index] = select(vec2<f32>(0.0), s, subgroupElect());
    workgroupBarrier();
    var t = vec2<f32>(0.0);
    for (var k = lane.sub; k < 64u; k = k + lane.size) {
        t = t + reduce_sum2[k];
    }
    return subgroupAdd(t);
}

fn workgroup_sum4(lane: Lane, v: vec4<f32>) -> vec4<f32> {
    let s = subgroupAdd(v);
    reduce_sum4[lane.index] = select(vec4<f32>(0.0), s, subgroupElect());
    workgroupBarrier();
    var t = vec4<f32>(0.0);
    for (var k = lane.sub; k < 64u; k = k + lane.size) {
        t = t + reduce_sum4[k];
    }
    return subgroupAdd(t);
}

fn workgroup_max(lane: Lane, v: f32, lowest: f32) -> f32 {
    let s = subgroupMax(v);
    reduce_max[lane.index] = select(lowest, s, subgroupElect());
    workgroupBarrier();
    var t = lowest;
    for (var k = lane.sub; k < 64u; k = k + lane.size) {
        t = max(t, reduce_max[k]);
    }
    return subgroupMax(t);
}

// Two sums: Σ count·mean gives the mean mu, then Σ (M2 + count·(mean - mu)²) the M2.
// It uses workgroup_sum's array too: a kernel calls one or the other.
fn workgroup_moments(lane: Lane, p: vec3<f32>, inv_count: f32) -> vec2<f32> {
    let mu = workgroup_sum(lane, p.x * p.y) * inv_count;
    let d = p.y - mu;
    let s = subgroupAdd(p.z + p.x * d * d);
    reduce_moments[lane.index] = select(0.0, s, subgroupElect());
    workgroupBarrier();
    var t = 0.0;
    for (var k = lane.sub; k < 64u; k = k + lane.size) {
        t = t + reduce_moments[k];
    }
    return vec2<f32>(mu, subgroupAdd(t));
}
