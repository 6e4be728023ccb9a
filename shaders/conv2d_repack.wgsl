// Repacks Conv2D weights [CO, CI, KH, KW] and bias [CO] into the windows the tiled conv
// kernels (conv2d_v2.wgsl, ...) read through a uniform binding, one window per group of
// 4·COV output channels, each GSF floats long (a multiple of 64, so every window starts at
// a 256-byte offset):
//   vec4 [((ci·KH + ky)·KW + kx)·COV + q]   weights of channels g·4·COV + 4q .. +3 at one tap
//   vec4 [WN + q]                           bias of the same channels (zero without bias)
//   vec4 [WN + COV]                         .x = g·4·COV, the group's first channel
// Channels past CO are zero, so kernels need no channel test in their inner loop.
//
// Constants: N (floats to write), CI, CO, KH, KW, COV, WN (= CI·KH·KW·COV), GSF, HAS_BIAS.

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> packed: array<f32>;

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
            val = w[co * CI * KH * KW + v / COV];
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
