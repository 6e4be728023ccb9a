// Nearest-neighbour upsampling by an integer factor, PyTorch nn.Upsample(mode='nearest'):
// output pixel (oy, ox) copies input pixel (oy / SCALE, ox / SCALE).
//
// Constants (u32): N (output elements), IH, IW, OH, OW, SCALE.
//
// x [BATCH, C, IH, IW], y [BATCH, C, OH, OW] with OH = IH*SCALE, OW = IW*SCALE.

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn upsample_nearest(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let ox = i % OW;
    let oy = (i / OW) % OH;
    let plane = i / (OW * OH);
    y[i] = x[plane * IH * IW + (oy / SCALE) * IW + ox / SCALE];
}

// The gradient of upsample_nearest: dx [BATCH, C, IH, IW] from dy [BATCH, C, OH, OW], each
// input pixel the sum of its SCALE×SCALE block. Binds dy as x and dx as y; N counts dx.
@compute @workgroup_size(64)
fn upsample_nearest_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let ix = i % IW;
    let iy = (i / IW) % IH;
    let plane = i / (IW * IH);
    let base = (plane * OH + iy * SCALE) * OW + ix * SCALE;
    var acc = 0.0;
    for (var a = 0u; a < SCALE; a++) {
        for (var b = 0u; b < SCALE; b++) {
            acc += x[base + a * OW + b];
        }
    }
    y[i] = acc;
}
