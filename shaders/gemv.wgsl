// y = A x, matrix-vector product: the decode step's MLP and projections, bound by reading A.
//
// Prepended by chipbench (src/bench/gemv.rs): `alias AV = vec4<u32>|vec4<f32>;` (one
// 16-byte load: eight packed halves or four f32), `fn dotv(a: AV, x: AV) -> f32` (its dot
// product in f32) and `const ROWS: u32` (rows of A per workgroup). Blocks between
// `//#unroll X N` and `//#end X` are repeated by chipbench, each copy with its own constant
// `let X`.
//
// Layout: A is M x K row-major, x has K elements, both of the same precision; y is f32. 256
// invocations stride over K for ROWS rows at once (consecutive invocations read consecutive 16
// bytes of a row) and the sums meet in a tree in workgroup memory.

struct Dims {
    rows: u32,
    // Row length in 16-byte loads.
    cols: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read> a: array<AV>;
@group(0) @binding(1) var<storage, read> x: array<AV>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

const WG: u32 = 256u;

var<workgroup> red: array<f32, ROWS * WG>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) tid: u32,
) {
    let row0 = (wid.y * groups.x + wid.x) * ROWS;
    var acc: array<f32, ROWS>;
    // Rows past the end read the last row again; their sums are not stored.
    var base: array<u32, ROWS>;
    //#unroll r ROWS
    acc[r] = 0.0;
    base[r] = min(row0 + r, dims.rows - 1u) * dims.cols;
    //#end r
    for (var i = tid; i < dims.cols; i += WG) {
        let xv = x[i];
        //#unroll r ROWS
        acc[r] += dotv(a[base[r] + i], xv);
        //#end r
    }
    //#unroll r ROWS
    red[r * WG + tid] = acc[r];
    //#end r
    workgroupBarrier();
    for (var w = WG / 2u; w > 0u; w /= 2u) {
        if (tid < w) {
            for (var r = 0u; r < ROWS; r++) {
                red[r * WG + tid] += red[r * WG + tid + w];
            }
        }
        workgroupBarrier();
    }
    if (tid < ROWS && row0 + tid < dims.rows) {
        y[row0 + tid] = red[tid * WG];
    }
}
