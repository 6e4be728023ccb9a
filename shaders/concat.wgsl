// Concatenation and slicing. concat_copy copies one input into its slice of the output:
// seen as [OUTER, DIM, INNER], the input [OUTER, DIM_IN, INNER] goes to the output's
// [OUTER, DIM_OUT, INNER] at positions OFF..OFF+DIM_IN of the middle dimension.
// Constants: N (input elements), INNER, DIM_IN, DIM_OUT, OFF, GRID_X.

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

// Slicing, Concat's backward: the output [OUTER, DIM_OUT, INNER] is positions
// OFF..OFF+DIM_OUT of the middle dimension of the input [OUTER, DIM_IN, INNER].
// Constants: N (output elements), INNER, DIM_IN, DIM_OUT, OFF, GRID_X.
@compute @workgroup_size(64)
fn slice_copy(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let outer = i / (DIM_OUT * INNER);
    let rest = i - outer * (DIM_OUT * INNER);
    y[i] = x[outer * (DIM_IN * INNER) + OFF * INNER + rest];
}
