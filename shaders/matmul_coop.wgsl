// C = A * B on the matrix units through cooperative matrices (16x16x16, f16 inputs).
//
// Prepended by chipbench (src/bench/matmul/coop.rs): `enable f16;`,
// `enable wgpu_cooperative_matrix;`, `alias ACC = f32|f16;` (accumulator and C element type) and
// the tile: `const BM, BN, BK: u32` (workgroup tile and K slice) and `const FM, FN: u32` (16x16
// fragments per subgroup along M and N). Blocks between `//#unroll X N` and `//#end X` are
// repeated by chipbench, each copy with its own constant `let X`.
//
// Layout: A (M x K), B (K x N) and C (M x N) are row-major and padded by the host to whole tiles
// (zeros in A and B), so no edge path is needed. 256 invocations form 8 subgroups of 32; each
// owns an (FM*16) x (FN*16) block of C in FM*FN accumulators. Each K slice of A and B is staged
// in workgroup memory (rows padded by 8 halves against bank conflicts, double-buffered, the next
// slice fetched into registers as 16-byte loads while the current one is multiplied), and the
// fragments are loaded from there.

struct Dims {
    // Padded sizes.
    m: u32,
    n: u32,
    k: u32,
    pad: u32,
}

// 16-byte elements of 8 halves (mat2x4<f16>: halves 0..3 in column 0, 4..7 in column 1).
@group(0) @binding(0) var<storage, read> a: array<mat2x4<f16>>;
@group(0) @binding(1) var<storage, read> b: array<mat2x4<f16>>;
@group(0) @binding(2) var<storage, read_write> c: array<ACC>;
@group(0) @binding(3) var<uniform> dims: Dims;

const ASTR: u32 = BK + 8u;
const BSTR: u32 = BN + 8u;
const A_STAGE: u32 = BM * ASTR;
const B_STAGE: u32 = BK * BSTR;
// Subgroups across N.
const WN: u32 = BN / (16u * FN);

var<workgroup> as_: array<f16, 2u * A_STAGE>;
var<workgroup> bs: array<f16, 2u * B_STAGE>;

// 16-byte element e of an A slice: tile row e / (BK/8), columns (e % (BK/8)) * 8 ..+8.
fn fetch_a(row0: u32, k0: u32, e: u32) -> mat2x4<f16> {
    let row = row0 + e / (BK / 8u);
    let col = k0 + (e % (BK / 8u)) * 8u;
    return a[(row * dims.k + col) / 8u];
}

// 16-byte element e of a B slice: slice row e / (BN/8), columns (e % (BN/8)) * 8 ..+8.
fn fetch_b(col0: u32, k0: u32, e: u32) -> mat2x4<f16> {
    let row = k0 + e / (BN / 8u);
    let col = col0 + (e % (BN / 8u)) * 8u;
    return b[(row * dims.n + col) / 8u];
}

fn stage_a(buf: u32, e: u32, v: mat2x4<f16>) {
    let base = buf * A_STAGE + (e / (BK / 8u)) * ASTR + (e % (BK / 8u)) * 8u;
    let lo = v[0];
    let hi = v[1];
    as_[base + 0u] = lo.x; as_[base + 1u] = lo.y; as_[base + 2u] = lo.z; as_[base + 3u] = lo.w;
    as_[base + 4u] = hi.x; as_[base + 5u] = hi.y; as_[base + 6u] = hi.z; as_[base + 7u] = hi.w;
}

fn stage_b(buf: u32, e: u32, v: mat2x4<f16>) {
    let base = buf * B_STAGE + (e / (BN / 8u)) * BSTR + (e % (BN / 8u)) * 8u;
    let lo = v[0];
    let hi = v[1];
    bs[base + 0u] = lo.x; bs[base + 1u] = lo.y; bs[base + 2u] = lo.z; bs[base + 3u] = lo.w;
    bs[base + 4u] = hi.x; bs[base + 5u] = hi.y; bs[base + 6u] = hi.z; bs[base + 7u] = hi.w;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let sg = tid / 32u;
    let wm = sg / WN;
    let wn = sg % WN;
    let row0 = wid.y * BM;
    let col0 = wid.x * BN;

    var acc: array<coop_mat16x16<ACC, C>, FM * FN>;
    //#unroll z FM*FN
    acc[z] = coop_mat16x16<ACC, C>();
    //#end z
    var af: array<coop_mat16x16<f16, A>, FM>;
    var bf: array<coop_mat16x16<f16, B>, FN>;
    // The next slice in registers: BM*BK/8 and BK*BN/8 16-byte elements over 256 invocations.
    var ra: array<mat2x4<f16>, BM * BK / 2048u>;
    var rb: array<mat2x4<f16>, BK * BN / 2048u>;

    //#unroll la LA
    ra[la] = fetch_a(row0, 0u, tid + 256u * la);
    //#end la
    //#unroll lb LB
    rb[lb] = fetch_b(col0, 0u, tid + 256u * lb);
    //#end lb
    //#unroll la LA
    stage_a(0u, tid + 256u * la, ra[la]);
    //#end la
    //#unroll lb LB
    stage_b(0u, tid + 256u * lb, rb[lb]);
    //#end lb
    workgroupBarrier();

    let tiles = dims.k / BK;
    for (var t = 0u; t < tiles; t++) {
        let cur = t % 2u;
        let more = t + 1u < tiles;
        if (more) {
            let k0 = (t + 1u) * BK;
            //#unroll la LA
            ra[la] = fetch_a(row0, k0, tid + 256u * la);
            //#end la
            //#unroll lb LB
            rb[lb] = fetch_b(col0, k0, tid + 256u * lb);
            //#end lb
        }
        let abase = cur * A_STAGE + wm * FM * 16u * ASTR;
        let bbase = cur * B_STAGE + wn * FN * 16u;
        //#unroll ks BK/16
        //#unroll i FM
        af[i] = coopLoadT<coop_mat16x16<f16, A>>(&as_[abase + i * 16u * ASTR + ks * 16u], ASTR);
        //#end i
        //#unroll j FN
        bf[j] = coopLoadT<coop_mat16x16<f16, B>>(&bs[bbase + ks * 16u * BSTR + j * 16u], BSTR);
        //#end j
        //#unroll i FM
        //#unroll j FN
        acc[i * FN + j] = coopMultiplyAdd(af[i], bf[j], acc[i * FN + j]);
        //#end j
        //#end i
        //#end ks
        if (more) {
            let nxt = 1u - cur;
            //#unroll la LA
            stage_a(nxt, tid + 256u * la, ra[la]);
            //#end la
            //#unroll lb LB
            stage_b(nxt, tid + 256u * lb, rb[lb]);
            //#end lb
        }
        workgroupBarrier();
    }

    // naga 30 needs the stored matrix, the pointer's index and the stride bound to `let`s.
    //#unroll i FM
    //#unroll j FN
    let r = acc[i * FN + j];
    let off = (row0 + (wm * FM + i) * 16u) * dims.n + col0 + (wn * FN + j) * 16u;
    let ld = dims.n;
    coopStoreT(r, &c[off], ld);
    //#end j
    //#end i
}
