// Peak throughput of the matrix units: chains of cooperative-matrix multiply-adds on registers,
// with no memory traffic inside the loop.
//
// Prepended by chipbench (src/bench/matrix_peak.rs): `enable f16;`,
// `enable wgpu_cooperative_matrix;`, `const N: u32` (8 or 16). It also writes the types in:
// `coop_matNxN` becomes the matrix type of that size, `AB` the operands' (f16 or f32) and `CR`
// the accumulators' (f16 or f32).
//
// The driver cannot fold the chains: A, B and B' come from a buffer, each chain starts from its
// own accumulator tile read from a buffer, and the trip count comes from a uniform. Every
// accumulator is written. Each iteration adds A B and then A B' (B' = D - B from the host), so
// the accumulators grow by A D per iteration and stay exact in f16: the host computes the same
// chain exactly and a dropped multiply-add changes the result.

struct Params {
    iters: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

// A, B and B', N x N each, row-major.
@group(0) @binding(0) var<storage, read> ops: array<AB>;
// The starting accumulator of each of the 4 chains, N x N each.
@group(0) @binding(1) var<storage, read> init: array<CR>;
// Per subgroup, its 4 accumulators.
@group(0) @binding(2) var<storage, read_write> out: array<CR>;
@group(0) @binding(3) var<uniform> p: Params;

// 4 subgroups of 32 per workgroup.
@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let sg = tid / 32u;
    let a = coopLoadT<coop_matNxN<AB, A>>(&ops[0u], N);
    let b = coopLoadT<coop_matNxN<AB, B>>(&ops[N * N], N);
    let b2 = coopLoadT<coop_matNxN<AB, B>>(&ops[2u * N * N], N);
    var c0 = coopLoadT<coop_matNxN<CR, C>>(&init[0u], N);
    var c1 = coopLoadT<coop_matNxN<CR, C>>(&init[N * N], N);
    var c2 = coopLoadT<coop_matNxN<CR, C>>(&init[2u * N * N], N);
    var c3 = coopLoadT<coop_matNxN<CR, C>>(&init[3u * N * N], N);
    for (var i = 0u; i < p.iters; i++) {
        c0 = coopMultiplyAdd(a, b, c0);
        c1 = coopMultiplyAdd(a, b, c1);
        c2 = coopMultiplyAdd(a, b, c2);
        c3 = coopMultiplyAdd(a, b, c3);
        c0 = coopMultiplyAdd(a, b2, c0);
        c1 = coopMultiplyAdd(a, b2, c1);
        c2 = coopMultiplyAdd(a, b2, c2);
        c3 = coopMultiplyAdd(a, b2, c3);
    }
    let base = (wid.x * 4u + sg) * 4u * N * N;
    coopStoreT(c0, &out[base], N);
    coopStoreT(c1, &out[base + N * N], N);
    coopStoreT(c2, &out[base + 2u * N * N], N);
    coopStoreT(c3, &out[base + 3u * N * N], N);
}
