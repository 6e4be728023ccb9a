// Prepended to every kernel. The launcher defines the constants GRID_X (invocations per
// row of the dispatch grid) and the kernel's own shape constants before this text.

// Flat invocation index over a 2D dispatch grid (one dimension is limited to 65535 groups).
fn flat_id(gid: vec3<u32>) -> u32 {
    return gid.x + gid.y * GRID_X;
}
