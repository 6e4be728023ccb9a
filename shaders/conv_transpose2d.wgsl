// Transposed 2D convolution, PyTorch ConvTranspose2d with groups = 1 and dilation = 1, as a
// gather: one invocation per output element. Input pixel (iy, ix) through tap (ky, kx)
// lands on output (iy*STRIDE - PAD + ky, ...), so an output row oy takes the taps
// ky ≡ oy + PAD (mod STRIDE), each from input row (oy + PAD - ky) / STRIDE.
//
// Constants (u32 unless said): N (output elements), BATCH, CI, CO, KH, KW, OH, OW;
// IH, IW, STRIDE, PAD (i32); HAS_BIAS (bool).
//
// x [BATCH, CI, IH, IW], w [CI, CO, KH, KW], bias [CO] (any buffer when !HAS_BIAS),
// y [BATCH, CO, OH, OW].

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn conv_transpose2d(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let ox = i % OW;
    let oy = (i / OW) % OH;
    let co = (i / (OW * OH)) % CO;
    let n = i / (OW * OH * CO);
    let ty = i32(oy) + PAD;
    let tx = i32(ox) + PAD;
    let ky0 = ty % STRIDE;
    let kx0 = tx % STRIDE;
    // Each channel's taps sum apart before joining the total, which keeps the float32
    // rounding of long reductions small, as in conv2d.wgsl.
    var acc = 0.0;
    for (var c = 0u; c < CI; c++) {
        var part = 0.0;
        let xbase = (n * CI + c) * u32(IH * IW);
        let wbase = (c * CO + co) * KH * KW;
        for (var ky = ky0; ky < i32(KH); ky += STRIDE) {
            let iy = (ty - ky) / STRIDE;
            if (iy < 0) { break; }
            if (iy >= IH) { continue; }
            let xrow = xbase + u32(iy * IW);
            let wrow = wbase + u32(ky) * KW;
            for (var kx = kx0; kx < i32(KW); kx += STRIDE) {
                let ix = (tx - kx) / STRIDE;
                if (ix < 0) { break; }
                if (ix >= IW) { continue; }
                part = fma(x[xrow + u32(ix)], w[wrow + u32(kx)], part);
            }
        }
        acc += part;
    }
    if (HAS_BIAS) {
        acc += bias[co];
    }
    y[i] = acc;
}
