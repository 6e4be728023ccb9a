// 2D max and average pooling over square windows, PyTorch MaxPool2d / AvgPool2d with
// ceil_mode=False, dilation 1 and (average) count_include_pad=True.
//
// Constants (u32 unless said): N (output elements), OH, OW; IH, IW, K, STRIDE, PAD (i32).
// The caller keeps PAD ≤ K/2, so every window holds at least one input pixel.
//
// x [BATCH, C, IH, IW], y [BATCH, C, OH, OW].

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

// Padding acts as -inf, so the maximum runs over the window clipped to the input.
@compute @workgroup_size(64)
fn max_pool2d(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let ox = i % OW;
    let oy = (i / OW) % OH;
    let base = (i / (OW * OH)) * u32(IH * IW);
    let hs = i32(oy) * STRIDE - PAD;
    let ws = i32(ox) * STRIDE - PAD;
    let y0 = max(hs, 0);
    let y1 = min(hs + K, IH);
    let x0 = max(ws, 0);
    let x1 = min(ws + K, IW);
    var m = x[base + u32(y0 * IW + x0)];
    for (var iy = y0; iy < y1; iy++) {
        for (var ix = x0; ix < x1; ix++) {
            m = max(m, x[base + u32(iy * IW + ix)]);
        }
    }
    y[i] = m;
}

// The divisor counts padded positions inside the padded input, as PyTorch does; with
// ceil_mode=False that is always K*K.
@compute @workgroup_size(64)
fn avg_pool2d(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let ox = i % OW;
    let oy = (i / OW) % OH;
    let base = (i / (OW * OH)) * u32(IH * IW);
    let hs = i32(oy) * STRIDE - PAD;
    let ws = i32(ox) * STRIDE - PAD;
    let count = (min(hs + K, IH + PAD) - hs) * (min(ws + K, IW + PAD) - ws);
    let y0 = max(hs, 0);
    let y1 = min(hs + K, IH);
    let x0 = max(ws, 0);
    let x1 = min(ws + K, IW);
    var sum = 0.0;
    for (var iy = y0; iy < y1; iy++) {
        for (var ix = x0; ix < x1; ix++) {
            sum += x[base + u32(iy * IW + ix)];
        }
    }
    y[i] = sum / f32(count);
}
