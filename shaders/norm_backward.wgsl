// Backward of normalisation by batch statistics (batch norm in training mode, instance
// norm): the statistics are recomputed from x, with PyTorch's formula
//   dx = gamma·invstd·(dy - (Σdy + xhat·Σdy·xhat)/COUNT),  xhat = (x-mean)·invstd,
//   dgamma[c] = Σ dy·xhat,  dbeta[c] = Σ dy  (over the channel's groups).
//
// A group is the set of elements one mean and variance describe, as in norm.wgsl: one
// (n,c) plane for instance norm, one channel across the N planes for batch norm. Group g
// covers PLANES planes of HW elements, the first at g·HW and the next PLANE_STRIDE further
// on; element i lies in plane i/HW, of group plane % G and channel plane % C.
//
// Constants (every launch defines all): G, HW, PLANE_STRIDE, COUNT (elements per group),
// INV_COUNT, C, EPS, AFFINE, N, GRID_X. Entry points use a prefix of the bindings.

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
// Per group: mean, invstd, Σdy, Σdy·xhat.
@group(0) @binding(2) var<storage, read_write> st: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>; // x again when not AFFINE
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbeta: array<f32>;

const WG = 64u;
//!include workgroup_reduce.wgsl

// The index of group g's i-th element.
fn group_member(g: u32, i: u32) -> u32 {
    let p = i / HW;
    return g * HW + p * PLANE_STRIDE + (i - p * HW);
}

// Writes st. One workgroup per group, two passes over x and dy as norm.wgsl's stats: Σx and
// Σdy, then, with d the deviation from the first mean m0, Σd, Σd² and Σdy·d, which stay
// accurate when |mean| ≫ std.
@compute @workgroup_size(64)
fn sums(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    let g = wid.x + wid.y * (GRID_X / WG);
    // Surplus workgroups of the last grid row compute group G-1 again and write nothing:
    // no early return, because the barriers below need every invocation.
    let gs = min(g, G - 1u);
    var s = vec2(0.0);
    for (var i = lid; i < COUNT; i = i + WG) {
        let k = group_member(gs, i);
        s = s + vec2(x[k], dy[k]);
    }
    let total = workgroup_sum2(lane, s);
    let m0 = total.x * INV_COUNT;
    var dev = vec3(0.0);
    for (var i = lid; i < COUNT; i = i + WG) {
        let k = group_member(gs, i);
        let d = x[k] - m0;
        dev = dev + vec3(d, d * d, dy[k] * d);
    }
    let devs = workgroup_sum4(lane, vec4(dev, 0.0)).xyz;
    // m0's rounding error is c = Σd/COUNT; it corrects the mean, the variance and Σdy·d.
    let c = devs.x * INV_COUNT;
    let variance = max(devs.y * INV_COUNT - c * c, 0.0);
    let invstd = 1.0 / sqrt(variance + EPS);
    if (lid == 0u && g < G) {
        st[gs] = vec4(m0 + c, invstd, total.y, (devs.z - c * total.y) * invstd);
    }
}

fn input_grad_at(i: u32) -> f32 {
    let plane = i / HW;
    let s = st[plane % G];
    let xhat = (x[i] - s.x) * s.y;
    var scale = s.y;
    if (AFFINE) {
        scale = scale * gamma[plane % C];
    }
    return scale * (dy[i] - (s.z + xhat * s.w) * INV_COUNT);
}

// dx from st, one invocation per element (bindings 0-4).
@compute @workgroup_size(64)
fn input_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    dx[i] = input_grad_at(i);
}

// As input_grad, and invocation c < C also writes dgamma[c] and dbeta[c]: the sums of
// channel c's G/C groups (bindings 0-6).
@compute @workgroup_size(64)
fn input_param_grads(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    dx[i] = input_grad_at(i);
    if (i < C) {
        var sum = vec2(0.0);
        for (var g = i; g < G; g = g + C) {
            sum = sum + st[g].zw;
        }
        dbeta[i] = sum.x;
        dgamma[i] = sum.y;
    }
}
