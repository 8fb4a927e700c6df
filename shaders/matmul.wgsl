// C = A * B with f32 accumulation: register-tiled, workgroup-memory staged, double-buffered.
//
// Prepended by chipbench (src/bench/matmul/tiled.rs): `enable f16;` for f16 inputs, then
// `alias IN = f32|f16;`, `const BK: u32` (8 or 16: the K depth of one staged slice),
// `const BN: u32` (128 or 64: the workgroup tile's width; 64 needs BK = 16) and `const APAD: u32`
// (padding of the transposed A slice against bank conflicts, a multiple of 4). The block between
// `//#unroll kk BK` and `//#end kk` is repeated BK times, each copy with its own `let kk`.
//
// Layout: A is M x K, B is K x N, C is M x N, all row-major; K and N are multiples of 4 so rows
// are whole vec4s. 256 invocations own a BM x BN tile of C, 8 x 8 values each, held in 16 vec4
// accumulators: rows ty*4..+4 and 64+ty*4..+4, columns tx*4..+4 and 64+tx*4..+4 (with BN = 64,
// 8 x 4 values in 8 accumulators, the first column block only). Each K step
// stages a BM x BK slice of A (transposed, padded against bank conflicts) and a BK x BN slice of
// B in workgroup memory; the next slice is fetched into registers while the current one is used.

// The invocation layout below is written for this tile; src/bench/matmul/tiled.rs sizes the grid
// with the same numbers.
const BM: u32 = 128u;
// Whether each invocation owns a second block of four columns.
const WIDE: bool = BN == 128u;
// vec4 loads of A and of B per invocation and slice.
const LOADS_A: u32 = BK / 8u;
const LOADS_B: u32 = BK * BN / 1024u;

struct Dims {
    m: u32,
    n: u32,
    k: u32,
    pad: u32,
}

@group(0) @binding(0) var<storage, read> a: array<vec4<IN>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<IN>>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> dims: Dims;

// A^T slice: BK rows of BM (+APAD) values, as vec4s.
const AS4: u32 = (BM + APAD) / 4u;
const A_STAGE: u32 = BK * AS4;
// B slice: BK rows of BN values, as vec4s.
const BS4: u32 = BN / 4u;
const B_STAGE: u32 = BK * BS4;

var<workgroup> at: array<vec4<f32>, 2u * A_STAGE>;
var<workgroup> bt: array<vec4<f32>, 2u * B_STAGE>;

fn load_a(row: u32, col: u32) -> vec4<f32> {
    if (row < dims.m && col < dims.k) {
        return vec4<f32>(a[(row * dims.k + col) / 4u]);
    }
    return vec4<f32>(0.0);
}

fn load_b(row: u32, col: u32) -> vec4<f32> {
    if (row < dims.k && col < dims.n) {
        return vec4<f32>(b[(row * dims.n + col) / 4u]);
    }
    return vec4<f32>(0.0);
}

// Stores A element `l` of a slice (tile row l / (BK/4), K columns (l % (BK/4)) * 4 ..+4)
// transposed into stage `buf`.
fn stage_a(buf: u32, l: u32, v: vec4<f32>) {
    let row = l / (BK / 4u);
    let k = (l % (BK / 4u)) * 4u;
    let base = buf * A_STAGE + row / 4u;
    let lane = row % 4u;
    at[base + (k + 0u) * AS4][lane] = v.x;
    at[base + (k + 1u) * AS4][lane] = v.y;
    at[base + (k + 2u) * AS4][lane] = v.z;
    at[base + (k + 3u) * AS4][lane] = v.w;
}

fn fetch_a(row0: u32, k0: u32, l: u32) -> vec4<f32> {
    return load_a(row0 + l / (BK / 4u), k0 + (l % (BK / 4u)) * 4u);
}

// B element `l` of a slice is row l / BS4, vec4 column l % BS4: stored as is.
fn fetch_b(col0: u32, k0: u32, l: u32) -> vec4<f32> {
    return load_b(k0 + l / BS4, col0 + (l % BS4) * 4u);
}

fn store_row(row: u32, col4: u32, v0: vec4<f32>, v1: vec4<f32>) {
    if (row < dims.m) {
        let n4 = dims.n / 4u;
        if (col4 < n4) {
            c[row * n4 + col4] = v0;
        }
        if (WIDE && col4 + 16u < n4) {
            c[row * n4 + col4 + 16u] = v1;
        }
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let row0 = wid.y * BM;
    let col0 = wid.x * BN;
    // Compute roles.
    let ty = tid / 16u;
    let tx = tid % 16u;

    var c00 = vec4<f32>(0.0); var c01 = vec4<f32>(0.0);
    var c10 = vec4<f32>(0.0); var c11 = vec4<f32>(0.0);
    var c20 = vec4<f32>(0.0); var c21 = vec4<f32>(0.0);
    var c30 = vec4<f32>(0.0); var c31 = vec4<f32>(0.0);
    var c40 = vec4<f32>(0.0); var c41 = vec4<f32>(0.0);
    var c50 = vec4<f32>(0.0); var c51 = vec4<f32>(0.0);
    var c60 = vec4<f32>(0.0); var c61 = vec4<f32>(0.0);
    var c70 = vec4<f32>(0.0); var c71 = vec4<f32>(0.0);

    let tiles = (dims.k + BK - 1u) / BK;
    // The next slice, in registers: at most two vec4s of A and two of B per invocation.
    var va0 = vec4<f32>(0.0); var va1 = vec4<f32>(0.0);
    var vb0 = vec4<f32>(0.0); var vb1 = vec4<f32>(0.0);
    va0 = fetch_a(row0, 0u, tid);
    if (LOADS_A > 1u) { va1 = fetch_a(row0, 0u, tid + 256u); }
    vb0 = fetch_b(col0, 0u, tid);
    if (LOADS_B > 1u) { vb1 = fetch_b(col0, 0u, tid + 256u); }
    stage_a(0u, tid, va0);
    if (LOADS_A > 1u) { stage_a(0u, tid + 256u, va1); }
    bt[tid] = vb0;
    if (LOADS_B > 1u) { bt[tid + 256u] = vb1; }
    workgroupBarrier();

    for (var t = 0u; t < tiles; t++) {
        let cur = t % 2u;
        let more = t + 1u < tiles;
        if (more) {
            let k0 = (t + 1u) * BK;
            va0 = fetch_a(row0, k0, tid);
            if (LOADS_A > 1u) { va1 = fetch_a(row0, k0, tid + 256u); }
            vb0 = fetch_b(col0, k0, tid);
            if (LOADS_B > 1u) { vb1 = fetch_b(col0, k0, tid + 256u); }
        }
        let abase = cur * A_STAGE;
        let bbase = cur * B_STAGE;
        // The BK steps of the slice, unrolled by chipbench: each copy gets a constant kk.
        //#unroll kk BK
        {
            let a0 = at[abase + kk * AS4 + ty];
            let a1 = at[abase + kk * AS4 + 16u + ty];
            let b0 = bt[bbase + kk * BS4 + tx];
            c00 = fma(vec4<f32>(a0.x), b0, c00);
            c10 = fma(vec4<f32>(a0.y), b0, c10);
            c20 = fma(vec4<f32>(a0.z), b0, c20);
            c30 = fma(vec4<f32>(a0.w), b0, c30);
            c40 = fma(vec4<f32>(a1.x), b0, c40);
            c50 = fma(vec4<f32>(a1.y), b0, c50);
            c60 = fma(vec4<f32>(a1.z), b0, c60);
            c70 = fma(vec4<f32>(a1.w), b0, c70);
            if (WIDE) {
                let b1 = bt[bbase + kk * BS4 + 16u + tx];
                c01 = fma(vec4<f32>(a0.x), b1, c01);
                c11 = fma(vec4<f32>(a0.y), b1, c11);
                c21 = fma(vec4<f32>(a0.z), b1, c21);
                c31 = fma(vec4<f32>(a0.w), b1, c31);
                c41 = fma(vec4<f32>(a1.x), b1, c41);
                c51 = fma(vec4<f32>(a1.y), b1, c51);
                c61 = fma(vec4<f32>(a1.z), b1, c61);
                c71 = fma(vec4<f32>(a1.w), b1, c71);
            }
        }
        //#end kk
        if (more) {
            let nxt = 1u - cur;
            stage_a(nxt, tid, va0);
            if (LOADS_A > 1u) { stage_a(nxt, tid + 256u, va1); }
            bt[nxt * B_STAGE + tid] = vb0;
            if (LOADS_B > 1u) { bt[nxt * B_STAGE + tid + 256u] = vb1; }
        }
        workgroupBarrier();
    }

    let r = row0 + ty * 4u;
    let q = col0 / 4u + tx;
    store_row(r + 0u, q, c00, c01);
    store_row(r + 1u, q, c10, c11);
    store_row(r + 2u, q, c20, c21);
    store_row(r + 3u, q, c30, c31);
    store_row(r + 64u, q, c40, c41);
    store_row(r + 65u, q, c50, c51);
    store_row(r + 66u, q, c60, c61);
    store_row(r + 67u, q, c70, c71);
}
