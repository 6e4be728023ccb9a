// Generic 2D convolution, PyTorch Conv2d with groups = 1 and dilation = 1: one invocation
// per output element, looping over input channels and kernel taps. It is the correct
// fallback for every shape; tuned kernels take over the shapes they support.
//
// Constants (u32 unless said): N (output elements), BATCH, CI, CO, KH, KW, OH, OW;
// IH, IW, STRIDE, PAD (i32, for index math that can go negative); PAD_MODE (0 zeros,
// 1 reflect); HAS_BIAS (bool).
//
// x [BATCH, CI, IH, IW], w [CO, CI, KH, KW], bias [CO] (any buffer when !HAS_BIAS),
// y [BATCH, CO, OH, OW].

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

//!include conv_common.wgsl

@compute @workgroup_size(64)
fn conv2d(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let ox = i % OW;
    let oy = (i / OW) % OH;
    let co = (i / (OW * OH)) % CO;
    let n = i / (OW * OH * CO);
    let iy0 = i32(oy) * STRIDE - PAD;
    let ix0 = i32(ox) * STRIDE - PAD;
    // Each channel's taps sum apart before joining the total: with long reductions
    // (9×9 taps × 32 channels) it cut the worst float32 error against float64 fourfold.
    var acc = 0.0;
    for (var c = 0u; c < CI; c++) {
        var part = 0.0;
        let xbase = (n * CI + c) * u32(IH * IW);
        let wbase = (co * CI + c) * KH * KW;
        for (var ky = 0u; ky < KH; ky++) {
            var iy = iy0 + i32(ky);
            if (PAD_MODE == 1u) {
                iy = src_index(iy, IH);
            } else if (iy < 0 || iy >= IH) {
                continue;
            }
            let xrow = xbase + u32(iy * IW);
            let wrow = wbase + ky * KW;
            for (var kx = 0u; kx < KW; kx++) {
                var ix = ix0 + i32(kx);
                if (PAD_MODE == 1u) {
                    ix = src_index(ix, IW);
                } else if (ix < 0 || ix >= IW) {
                    continue;
                }
                part = fma(x[xrow + u32(ix)], w[wrow + kx], part);
            }
        }
        acc += part;
    }
    if (HAS_BIAS) {
        acc += bias[co];
    }
    y[i] = acc;
}
