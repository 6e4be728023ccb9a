// The weight gradient of the depthwise convolution, the GPU kernel family's (gpu/family.go)
// kernel; depthwise_conv2d_backward_weight.wgsl is the CPU family's.
// dw[c, 0, ky, kx] = Σ over n, oy, ox of dy[n, c, oy, ox]·x[n, c, oy·STRIDE - PAD + ky,
// ox·STRIDE - PAD + kx]: per channel and tap a sum over the PIXELS = N·OH·OW output pixels.
//
// A workgroup of 64 invocations sums four taps (a quad: taps 4q .. 4q+3 in dw's order) of
// one channel over one split of the pixels, [z·PPS, min((z+1)·PPS, PIXELS)): neighbouring
// invocations take neighbouring pixels, so their reads of a row of dy are adjacent, each
// loads dy once per pixel for the four taps, and the workgroup adds its 64 partial sums
// with workgroup_sum4. Workgroup g = wid.x + wid.y·(GRID_X / 64) is split z = g % SPLITS
// of quad q = (g / SPLITS) % QUADS of channel g / (SPLITS·QUADS). Its sums go to
// part[z·PART_Z + tap·PART_TAP + c·PART_C]: dw itself when SPLITS is 1, else parts
// [SPLITS, KH·KW, C] that sum_weight_grad (conv2d_backward.wgsl) adds into dw.
//
// Constants: baked KH, KW (u32); runtime u32 GRID_X (invocations per grid row), GROUPS,
// SPLITS, PPS, PIXELS, C, OH, OW, PART_Z, PART_TAP, PART_C and i32 IH, IW, STRIDE, PAD.
//
// x [N, C, IH, IW], dy [N, C, OH, OW].

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;

//!include workgroup_reduce.wgsl

const TAPS = KH * KW;
const QUADS = (TAPS + 3u) / 4u;

@compute @workgroup_size(64)
fn depthwise_weight_grad(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let g = wid.x + wid.y * (GRID_X / 64u);
    if (g >= GROUPS) { return; } // the same in the whole workgroup
    let z = g % SPLITS;
    let q = (g / SPLITS) % QUADS;
    let c = g / (SPLITS * QUADS);
    // The quad's taps as offsets from a window's corner; a tap past the last reads nothing.
    var ty = vec4<i32>(0);
    var tx = vec4<i32>(0);
    var live = vec4<bool>(false);
    for (var j = 0u; j < 4u; j++) {
        let tap = 4u * q + j;
        ty[j] = i32(tap / KW);
        tx[j] = i32(tap % KW);
        live[j] = tap < TAPS;
    }
    let p1 = min((z + 1u) * PPS, PIXELS);
    var acc = vec4<f32>(0.0);
    for (var p = z * PPS + lane.index; p < p1; p += 64u) {
        let r = p / OW; // n·OH + oy
        let ox = p - r * OW;
        let n = r / OH;
        let oy = r - n * OH;
        let plane = n * C + c;
        let gv = dy[(plane * OH + oy) * OW + ox];
        let base = plane * u32(IH) * u32(IW);
        let iy0 = i32(oy) * STRIDE - PAD;
        let ix0 = i32(ox) * STRIDE - PAD;
        var xv = vec4<f32>(0.0);
        for (var j = 0u; j < 4u; j++) {
            let iy = iy0 + ty[j];
            let ix = ix0 + tx[j];
            if (live[j] && iy >= 0 && iy < IH && ix >= 0 && ix < IW) {
                xv[j] = x[base + u32(iy) * u32(IW) + u32(ix)];
            }
        }
        acc = fma(xv, vec4<f32>(gv), acc);
    }
    let s = workgroup_sum4(lane, acc);
    if (lane.index == 0u) {
        for (var j = 0u; j < 4u; j++) {
            if (live[j]) {
                part[z * PART_Z + (4u * q + j) * PART_TAP + c * PART_C] = s[j];
            }
        }
    }
}
