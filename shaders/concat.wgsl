// Concatenation: copies one input into its slice of the output. Seen as [OUTER, DIM, INNER],
// the input [OUTER, DIM_IN, INNER] goes to the output's [OUTER, DIM_OUT, INNER] at
// positions OFF..OFF+DIM_IN of the middle dimension. Constants: N (input elements),
// INNER, DIM_IN, DIM_OUT, OFF, GRID_X.

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn concat_copy(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let outer = i / (DIM_IN * INNER);
    let rest = i - outer * (DIM_IN * INNER);
    y[outer * (DIM_OUT * INNER) + OFF * INNER + rest] = x[i];
}
