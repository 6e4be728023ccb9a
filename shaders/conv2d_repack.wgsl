// Repacks Conv2D weights [CO, CI, KH, KW] and bias [CO] into the windows the tiled conv
// kernels (conv2d_3x3_c16x4x8.wgsl, ...) read through a uniform binding, one window per
// group of 4·COV output channels, each GSF floats long (a multiple of 64, so every window
// starts at a 256-byte offset):
//   vec4 [(ci·TAPS + tap)·COV + q]   weights of channels g·4·COV + 4q .. +3 at one tap of
//                                    input channel CI0 + ci
//   vec4 [WN + q]                    bias of the same channels (zero without bias)
//   vec4 [WN + COV]                  .x = g·4·COV, the group's first channel
// Channels past CO are zero, so kernels need no channel test in their inner loop.
// The taps per input channel depend on TAP_MODE:
//   0: the KH·KW taps ky·KW + kx of w [CO, CI, KH, KW];
//   1: the 16 taps of a 3×3 convolution of the input upsampled ×2
//      (conv2d_up2_c8x8x8.wgsl), from w [CO, CI, 3, 3]: 4·phase + tap, phase 2a+b for
//      output row parity a and column parity b, tap 2t+u for the upper or lower (t) and
//      left or right (u) input pixel, each the sum of the 3×3 taps that read that pixel;
//   2: the same 16 taps of a 4×4 transposed convolution of stride 2 and padding 1 (its
//      four output phases are 2×2 convolutions of the input), from w [CI, CO, 4, 4]:
//      phase a, side t reads kernel row 3 - a - 2t (the input row above the output pixel
//      reaches it through row 3 or 2, the one below through 1 or 0), columns alike.
//
// A window may hold the taps of a chunk of the input channels only, CIN of them from CI0
// (a kernel then accumulates over several dispatches).
//
// Constants: N (floats to write), CI, CI0, CIN, CO, KH, KW, TAPS, TAP_MODE, COV,
// WN (= CIN·TAPS·COV), GSF, HAS_BIAS.

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> packed: array<f32>;

// Weight of output channel co at packed tap t = ci·16 + 4·phase + tap for TAP_MODE 1. Along one
// axis, phase a and side t read 3×3 rows ky in [select(1+a, 0, t = 0), select(2, a, t = 0)]:
// a = 0 reads row 0 above and rows 1-2 at the pixel, a = 1 rows 0-1 at it and row 2 below.
fn up2_weight(co: u32, t: u32) -> f32 {
    let ci = CI0 + t / 16u;
    let phase = (t % 16u) / 4u;
    let tap = t % 4u;
    let a = phase / 2u;
    let b = phase % 2u;
    let ty = tap / 2u;
    let tx = tap % 2u;
    let y0 = select(1u + a, 0u, ty == 0u);
    let y1 = select(2u, a, ty == 0u);
    let x0 = select(1u + b, 0u, tx == 0u);
    let x1 = select(2u, b, tx == 0u);
    var s = 0.0;
    for (var ky = y0; ky <= y1; ky++) {
        for (var kx = x0; kx <= x1; kx++) {
            s = s + w[((co * CI + ci) * 3u + ky) * 3u + kx];
        }
    }
    return s;
}

// Weight of output channel co at packed tap t = ci·16 + 4·phase + tap for TAP_MODE 2.
fn tconv_weight(co: u32, t: u32) -> f32 {
    let ci = CI0 + t / 16u;
    let phase = (t % 16u) / 4u;
    let tap = t % 4u;
    let ky = 3u - phase / 2u - 2u * (tap / 2u);
    let kx = 3u - phase % 2u - 2u * (tap % 2u);
    return w[((ci * CO + co) * 4u + ky) * 4u + kx];
}

@compute @workgroup_size(64)
fn repack(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let g = i / GSF;
    let v = (i % GSF) / 4u;
    let comp = i % 4u;
    let first = g * 4u * COV;
    var val = 0.0;
    if (v < WN) {
        let co = first + (v % COV) * 4u + comp;
        if (co < CO) {
            if (TAP_MODE == 1u) {
                val = up2_weight(co, v / COV);
            } else if (TAP_MODE == 2u) {
                val = tconv_weight(co, v / COV);
            } else {
                val = w[(co * CI + CI0) * KH * KW + v / COV];
            }
        }
    } else if (v < WN + COV) {
        let co = first + (v - WN) * 4u + comp;
        if (HAS_BIAS && co < CO) {
            val = bias[co];
        }
    } else if (v == WN + COV && comp == 0u) {
        val = f32(first);
    }
    packed[i] = val;
}
