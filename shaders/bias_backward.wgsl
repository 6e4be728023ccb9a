// The gradient of a bias added per channel: dst [C] = Σ of src [BATCH, C, INNER] over the
// batch and INNER. One workgroup per channel, workgroup (x, y) taking channel
// x + y·GROUPS_X. Constants: BATCH, C, INNER, GROUPS_X (u32).

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn bias_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let c = wid.x + wid.y * GROUPS_X;
    let cc = min(c, C - 1u);
    var s = 0.0;
    for (var n = 0u; n < BATCH; n++) {
        let base = (n * C + cc) * INNER;
        var part = 0.0;
        for (var k = lid; k < INNER; k += 64u) {
            part += src[base + k];
        }
        s += part;
    }
    // One barrier, then one invocation adds the 64 partials (as reduce.wgsl).
    partial[lid] = s;
    workgroupBarrier();
    if (lid == 0u && c < C) {
        var total = 0.0;
        for (var k = 0u; k < 64u; k++) {
            total += partial[k];
        }
        dst[c] = total;
    }
}
