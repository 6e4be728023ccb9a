// The weight gradient of the depthwise convolution (depthwise_conv2d.wgsl):
// dw[c, 0, ky, kx] = Σ over n, oy, ox of dy[n, c, oy, ox]·x[n, c, oy·STRIDE - PAD + ky,
// ox·STRIDE - PAD + kx]. One workgroup per channel, workgroup (x, y) taking channel
// x + y·GROUPS_X. Each invocation sums every tap in registers over strips of TX output
// pixels (one input row segment per kernel row, as the forward), then the workgroup adds
// its 64 partial sums, KCH taps at a time.
//
// Constants (u32 unless said): BATCH, C, KH, KW, OH, OW, IH, IW, TX, SX (strips per output
// row), SEG = (TX-1)·STRIDE + KW, KCH (taps per reduction round, at most KH·KW), GROUPS_X;
// STRIDE, PAD (i32).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;

var<workgroup> partial: array<f32, 64 * KCH>;

@compute @workgroup_size(64)
fn depthwise_conv2d_backward_weight(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let c = wid.x + wid.y * GROUPS_X;
    let cc = min(c, C - 1u);
    var acc = array<f32, KH * KW>();
    for (var item = lid; item < BATCH * OH * SX; item += 64u) {
        let sx = item % SX;
        let oy = (item / SX) % OH;
        let n = item / (SX * OH);
        let plane = n * C + cc;
        let ox0 = sx * TX;
        var g: array<f32, TX>;
        let grow = (plane * OH + oy) * OW;
        for (var t = 0u; t < TX; t++) {
            g[t] = select(0.0, dy[grow + min(ox0 + t, OW - 1u)], ox0 + t < OW);
        }
        let iy0 = i32(oy) * STRIDE - PAD;
        let ix0 = i32(ox0) * STRIDE - PAD;
        for (var ky = 0u; ky < KH; ky++) {
            let iy = iy0 + i32(ky);
            if (iy < 0 || iy >= i32(IH)) { continue; }
            var seg: array<f32, SEG>;
            let base = (plane * IH + u32(iy)) * IW;
            for (var j = 0u; j < SEG; j++) {
                let ix = ix0 + i32(j);
                let v = x[base + u32(clamp(ix, 0, i32(IW) - 1))];
                seg[j] = select(0.0, v, ix >= 0 && ix < i32(IW));
            }
            for (var kx = 0u; kx < KW; kx++) {
                var s = 0.0;
                for (var t = 0u; t < TX; t++) {
                    s = fma(seg[t * u32(STRIDE) + kx], g[t], s);
                }
                acc[ky * KW + kx] += s;
            }
        }
    }
    for (var k0 = 0u; k0 < KH * KW; k0 += KCH) {
        for (var j = 0u; j < KCH; j++) {
            partial[lid * KCH + j] = acc[min(k0 + j, KH * KW - 1u)];
        }
        workgroupBarrier();
        if (lid < KCH && k0 + lid < KH * KW && c < C) {
            var total = 0.0;
            for (var m = 0u; m < 64u; m++) {
                total += partial[m * KCH + lid];
            }
            dw[c * KH * KW + k0 + lid] = total;
        }
        workgroupBarrier();
    }
}
