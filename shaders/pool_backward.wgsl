// Backward of 2D max and average pooling (pool.wgsl): one invocation per input element
// gathers the gradient of every window that holds it, so overlapping windows need no
// atomics.
//
// Constants (i32 unless said): N (input elements, u32), IH, IW, OH, OW, K, STRIDE, PAD.
// dy [BATCH, C, OH, OW], dx and x [BATCH, C, IH, IW]. avg_pool2d_backward binds dy, dx.

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

// The windows that hold input row iy are lo..hi (inclusive, maybe empty):
// oy·STRIDE - PAD ≤ iy < oy·STRIDE - PAD + K.
fn window_range(iy: i32, n: i32) -> vec2<i32> {
    let a = iy + PAD - K + 1;
    let lo = select(0, (a + STRIDE - 1) / STRIDE, a > 0);
    let hi = min((iy + PAD) / STRIDE, n - 1);
    return vec2(lo, hi);
}

// The in-plane index of window (oy, ox)'s maximum over the input it covers (padding is
// -inf), the first in scan order on ties, as PyTorch picks it.
fn argmax(base: u32, oy: i32, ox: i32) -> i32 {
    let hs = oy * STRIDE - PAD;
    let ws = ox * STRIDE - PAD;
    let y0 = max(hs, 0);
    let y1 = min(hs + K, IH);
    let x0 = max(ws, 0);
    let x1 = min(ws + K, IW);
    var best = y0 * IW + x0;
    var m = x[base + u32(best)];
    for (var iy = y0; iy < y1; iy++) {
        for (var ix = x0; ix < x1; ix++) {
            let v = x[base + u32(iy * IW + ix)];
            if (v > m) {
                m = v;
                best = iy * IW + ix;
            }
        }
    }
    return best;
}

@compute @workgroup_size(64)
fn max_pool2d_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let plane = i / u32(IH * IW);
    let here = i32(i - plane * u32(IH * IW));
    let iy = here / IW;
    let ix = here - iy * IW;
    let base = plane * u32(IH * IW);
    let ob = plane * u32(OH * OW);
    let ry = window_range(iy, OH);
    let rx = window_range(ix, OW);
    var g = 0.0;
    for (var oy = ry.x; oy <= ry.y; oy++) {
        for (var ox = rx.x; ox <= rx.y; ox++) {
            if (argmax(base, oy, ox) == here) {
                g += dy[ob + u32(oy * OW + ox)];
            }
        }
    }
    dx[i] = g;
}

// A window's divisor counts its positions inside the zero-padded input, as avg_pool2d.
@compute @workgroup_size(64)
fn avg_pool2d_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let plane = i / u32(IH * IW);
    let here = i32(i - plane * u32(IH * IW));
    let iy = here / IW;
    let ix = here - iy * IW;
    let ob = plane * u32(OH * OW);
    let ry = window_range(iy, OH);
    let rx = window_range(ix, OW);
    var g = 0.0;
    for (var oy = ry.x; oy <= ry.y; oy++) {
        let hs = oy * STRIDE - PAD;
        let h = min(hs + K, IH + PAD) - hs;
        for (var ox = rx.x; ox <= rx.y; ox++) {
            let ws = ox * STRIDE - PAD;
            let count = h * (min(ws + K, IW + PAD) - ws);
            g += dy[ob + u32(oy * OW + ox)] / f32(count);
        }
    }
    dx[i] = g;
}
