// Flash-attention forward pass with S = Q K^T and P V on the matrix units (cooperative matrices
// 16x16x16, f16 inputs, f32 accumulators); softmax and O in f32.
//
// Prepended by chipbench (src/bench/attention/coop.rs): `enable f16;`,
// `enable wgpu_cooperative_matrix;`, `alias IN = f16;`, `const D: u32` (head dim, 64 or 128), `const BKV: u32` (keys
// per tile, 32 or 64) and `const CAUSAL: bool`. Blocks between `//#unroll X N` and `//#end X` are
// repeated by chipbench, each copy with its own constant `let X`.
//
// Layout: Q, K, V and O are [batch * heads][seq][D] f16, row-major. One workgroup of 4 subgroups
// of 32 owns BQ = 32 query rows of one (batch, head). Per K/V tile:
// 1. the K tile is staged in workgroup memory and each subgroup computes BKV/32 16x16 blocks of
//    S from Q (kept in workgroup memory) and K, stored as f32;
// 2. four invocations per row mask and scale their share of the row, combine the row maximum
//    through workgroup memory, write P = exp2(S - max) as f16 and the row's rescale factor,
//    while the V tile replaces the K tile;
// 3. each subgroup multiplies P by V into fresh accumulators for its D/32 blocks of O, stores
//    them to its own scratch, and its lanes fold them into O, which they hold in registers
//    (8 values per block and lane) and rescale per row: cooperative matrices only offer +, -
//    and scalar *, so a per-row rescale cannot happen inside them.

// The uniform `dims`, the bindings q, k, v (IN = f16) and `kv_at` come from attention_io.wgsl.
@group(0) @binding(3) var<storage, read_write> o: array<f16>;

const BQ: u32 = 32u;
const WG: u32 = 128u;
const D4: u32 = D / 4u;
// Row strides in workgroup memory, padded against bank conflicts: Q and K/V (f16), S (f32), P (f16).
const QS: u32 = D + 8u;
const SS: u32 = BKV + 4u;
const PS: u32 = BKV + 8u;
// 16x16 blocks of S and of O per subgroup.
const SF: u32 = BKV / 32u;
const OF: u32 = D / 32u;
// S as f32, reused after the softmax as each subgroup's scratch for its OF blocks of P V.
const SCRATCH: u32 = max(BQ * SS, 4u * OF * 256u);
const FLOOR: f32 = -1.0e30;

var<workgroup> qs: array<f16, BQ * QS>;
var<workgroup> kv: array<f16, BKV * QS>;
var<workgroup> ss: array<f32, SCRATCH>;
var<workgroup> ps: array<f16, BQ * PS>;
var<workgroup> pm: array<f32, BQ * 4u>;
var<workgroup> al: array<f32, BQ>;

fn put(base: u32, x: vec4<f16>) {
    kv[base] = x.x;
    kv[base + 1u] = x.y;
    kv[base + 2u] = x.z;
    kv[base + 3u] = x.w;
}

// Stages keys (or values) key0 ..+BKV of head `head` into kv; rows past the end are zeros.
fn stage(head: u32, key0: u32, tid: u32, values: bool) {
    for (var e = tid; e < BKV * D4; e += WG) {
        let row = e / D4;
        let c = e % D4;
        put(row * QS + c * 4u, kv_at(head, key0 + row, c, values));
    }
}

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let sg = tid / 32u;
    let lane = tid % 32u;
    let head = wid.y;
    let q0 = wid.x * BQ;
    let n = dims.n;

    for (var e = tid; e < BQ * D4; e += WG) {
        let row = q0 + e / D4;
        var x = vec4<f16>(0.0);
        if (row < n) {
            x = q[(head * n + row) * D4 + e % D4];
        }
        let base = (e / D4) * QS + (e % D4) * 4u;
        qs[base] = x.x;
        qs[base + 1u] = x.y;
        qs[base + 2u] = x.z;
        qs[base + 3u] = x.w;
    }

    // Softmax duty: row `sr` of the tile, columns sq * BKV/4 ..+BKV/4.
    let sr = tid / 4u;
    let sq = tid % 4u;
    var m = FLOOR;
    var l = 0.0;
    // O duty: lane holds elements lane*8 ..+8 (row lane/2, columns (lane%2)*8 ..+8) of the
    // subgroup's blocks sg + 4u for u < OF.
    var acc: array<array<f32, 8>, OF>;
    //#unroll u OF
    //#unroll e 8
    acc[u][e] = 0.0;
    //#end e
    //#end u

    var keys = n;
    if (CAUSAL) {
        keys = min(n, q0 + BQ);
    }
    let tiles = (keys + BKV - 1u) / BKV;
    for (var t = 0u; t < tiles; t++) {
        let key0 = t * BKV;
        stage(head, key0, tid, false);
        workgroupBarrier();

        // 1. S blocks sg + 4u: block row f / (BKV/16), block column f % (BKV/16).
        //#unroll us SF
        {
            let f = sg + 4u * us;
            let fr = f / (BKV / 16u);
            let fc = f % (BKV / 16u);
            var s = coop_mat16x16<f32, C>();
            for (var dk = 0u; dk < D / 16u; dk++) {
                let a = coopLoadT<coop_mat16x16<f16, A>>(&qs[fr * 16u * QS + dk * 16u], QS);
                let b = coopLoad<coop_mat16x16<f16, B>>(&kv[fc * 16u * QS + dk * 16u], QS);
                s = coopMultiplyAdd(a, b, s);
            }
            let r = s;
            let off = fr * 16u * SS + fc * 16u;
            let ld = SS;
            coopStoreT(r, &ss[off], ld);
        }
        //#end us
        workgroupBarrier();

        // 2. Mask, scale and the partial maximum of this invocation's share of its row.
        let row = q0 + sr;
        var x: array<f32, BKV / 4u>;
        var mx = FLOOR;
        //#unroll j BKV/4
        let col = sq * (BKV / 4u) + j;
        let key = key0 + col;
        var y = ss[sr * SS + col] * dims.scale;
        if (key >= n || (CAUSAL && key > row)) {
            y = -1.0e38;
        }
        x[j] = y;
        mx = max(mx, y);
        //#end j
        pm[sr * 4u + sq] = mx;
        workgroupBarrier();

        stage(head, key0, tid, true);
        let mt = max(max(pm[sr * 4u], pm[sr * 4u + 1u]), max(pm[sr * 4u + 2u], pm[sr * 4u + 3u]));
        let mnew = max(m, mt);
        let alpha = exp2(m - mnew);
        m = mnew;
        l *= alpha;
        //#unroll j BKV/4
        let p = f16(exp2(x[j] - mnew));
        ps[sr * PS + sq * (BKV / 4u) + j] = p;
        l += f32(p);
        //#end j
        if (sq == 0u) {
            al[sr] = alpha;
        }
        workgroupBarrier();

        // 3. P V into fresh accumulators, one block of O at a time, to this subgroup's scratch.
        //#unroll uo OF
        {
            let g = sg + 4u * uo;
            let gr = g / (D / 16u);
            let gc = g % (D / 16u);
            var pv = coop_mat16x16<f32, C>();
            for (var kk = 0u; kk < BKV / 16u; kk++) {
                let a = coopLoadT<coop_mat16x16<f16, A>>(&ps[gr * 16u * PS + kk * 16u], PS);
                let b = coopLoadT<coop_mat16x16<f16, B>>(&kv[kk * 16u * QS + gc * 16u], QS);
                pv = coopMultiplyAdd(a, b, pv);
            }
            let r = pv;
            let off = (sg * OF + uo) * 256u;
            let ld = 16u;
            coopStoreT(r, &ss[off], ld);
        }
        //#end uo
        workgroupBarrier();

        //#unroll u OF
        let g = sg + 4u * u;
        let a = al[(g / (D / 16u)) * 16u + lane / 2u];
        let base = (sg * OF + u) * 256u + lane * 8u;
        //#unroll e 8
        acc[u][e] = acc[u][e] * a + ss[base + e];
        //#end e
        //#end u
        workgroupBarrier();
    }

    // Row sums: the four partial sums of each row through workgroup memory.
    pm[sr * 4u + sq] = l;
    workgroupBarrier();
    //#unroll u OF
    let g = sg + 4u * u;
    let r = (g / (D / 16u)) * 16u + lane / 2u;
    let row = q0 + r;
    if (row < n) {
        let total = pm[r * 4u] + pm[r * 4u + 1u] + pm[r * 4u + 2u] + pm[r * 4u + 3u];
        let inv = 1.0 / total;
        let col = (g % (D / 16u)) * 16u + (lane % 2u) * 8u;
        let base = (head * n + row) * D + col;
        //#unroll e 8
        o[base + e] = f16(acc[u][e] * inv);
        //#end e
    }
    //#end u
}
