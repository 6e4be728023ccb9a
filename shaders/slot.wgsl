// Copies x into row slot of y [rows, N], the row read at run time from a uniform, so that
// a replayed batch can log every replay's values into a ring. Constants: N (elements of x),
// ROWS.

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<uniform> slot: vec4<f32>; // slot.x: the row
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn copy_to_slot(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let row = min(u32(max(slot.x, 0.0)), ROWS - 1u);
    y[row * N + i] = x[i];
}
