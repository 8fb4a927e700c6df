// Flash-attention forward pass on the vector units: O = softmax(Q K^T / sqrt(D)) V, tiled, with
// an online softmax, never materialising the N x N scores in device memory.
//
// Prepended by chipbench (src/bench/attention/flash.rs): `enable f16;` for f16 inputs, then
// `alias IN = f32|f16;` (element type of Q, K, V and O), `alias SM = f32|f16;` (element type of
// the Q, K and V tiles in workgroup memory: f16 inputs are widened there or on every read),
// `const D: u32` (head dim, 64 or 128),
// `const BQ: u32` (query rows per workgroup, 32 or 64), `const BKV: u32` (keys per tile, 16,
// 32 or 64) and `const CAUSAL: bool`. Blocks between `//#unroll X N` and `//#end X` are
// repeated by chipbench, each copy with its own constant `let X`: register arrays are indexed
// only by constants.
//
// Layout: Q, K, V and O are [batch * heads][seq][D], row-major. One workgroup owns BQ query rows
// of one (batch, head); its (BQ / 4) * 16 invocations form a grid of 16 columns: invocation
// (ty, tx) holds rows ty*4 ..+4 of the tile. The Q tile stays in workgroup memory; each K tile is
// staged there, the scores of the invocation's rows against keys tx + 16*j come from it, the
// row maxima are combined through workgroup memory, P = exp2(S - max) is written there, the V
// tile replaces the K tile, and O (rows ty*4..+4, dims (tx + 16*c)*4 ..+4) accumulates in
// registers, rescaled per row as the running maximum grows. Softmax and accumulation are f32.

// The uniform `dims`, the bindings q, k, v and `kv_at` come from attention_io.wgsl.
@group(0) @binding(3) var<storage, read_write> o: array<vec4<IN>>;

const WG: u32 = (BQ / 4u) * 16u;
// vec4s per row of Q, K, V and O, and the padded row stride in workgroup memory.
const D4: u32 = D / 4u;
const DS4: u32 = D4 + 1u;
// Scores per invocation and row, and O vec4s per invocation and row.
const SC: u32 = BKV / 16u;
const OC: u32 = D4 / 16u;
// Row stride of P, in vec4s.
const PS4: u32 = BKV / 4u + 1u;
// Start value of the running maximum: finite, so exp2(m_old - m_new) is 0 and never NaN.
const FLOOR: f32 = -1.0e30;

var<workgroup> qs: array<vec4<SM>, BQ * DS4>;
var<workgroup> kv: array<vec4<SM>, BKV * DS4>;
var<workgroup> ps: array<vec4<f32>, BQ * PS4>;
var<workgroup> pm: array<f32, BQ * 16u>;

// Stages keys (or values) key0 ..+BKV of head `head` into kv; rows past the end are zeros.
fn stage(head: u32, key0: u32, tid: u32, values: bool) {
    for (var e = tid; e < BKV * D4; e += WG) {
        let row = e / D4;
        let c = e % D4;
        kv[row * DS4 + c] = vec4<SM>(kv_at(head, key0 + row, c, values));
    }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let ty = tid / 16u;
    let tx = tid % 16u;
    let head = wid.y;
    let q0 = wid.x * BQ;
    let n = dims.n;

    for (var e = tid; e < BQ * D4; e += WG) {
        let row = q0 + e / D4;
        var x = vec4<IN>(0.0);
        if (row < n) {
            x = q[(head * n + row) * D4 + e % D4];
        }
        qs[(e / D4) * DS4 + e % D4] = vec4<SM>(x);
    }

    var m: array<f32, 4>;
    var l: array<f32, 4>;
    var acc: array<array<vec4<f32>, OC>, 4>;
    //#unroll i 4
    m[i] = FLOOR;
    l[i] = 0.0;
    //#unroll c OC
    acc[i][c] = vec4<f32>(0.0);
    //#end c
    //#end i

    // Keys past the last query row of the tile are masked for every row when causal.
    var keys = n;
    if (CAUSAL) {
        keys = min(n, q0 + BQ);
    }
    let tiles = (keys + BKV - 1u) / BKV;
    for (var t = 0u; t < tiles; t++) {
        let key0 = t * BKV;
        stage(head, key0, tid, false);
        workgroupBarrier();

        var s: array<array<f32, SC>, 4>;
        //#unroll i 4
        //#unroll j SC
        s[i][j] = 0.0;
        //#end j
        //#end i
        for (var d = 0u; d < D4; d++) {
            var kj: array<vec4<f32>, SC>;
            //#unroll j SC
            kj[j] = vec4<f32>(kv[(tx + 16u * j) * DS4 + d]);
            //#end j
            //#unroll i 4
            let qi = vec4<f32>(qs[(ty * 4u + i) * DS4 + d]);
            //#unroll j SC
            s[i][j] += dot(qi, kj[j]);
            //#end j
            //#end i
        }
        //#unroll i 4
        let row = q0 + ty * 4u + i;
        var mx = FLOOR;
        //#unroll j SC
        let key = key0 + tx + 16u * j;
        var x = s[i][j] * dims.scale;
        if (key >= n || (CAUSAL && key > row)) {
            x = -1.0e38;
        }
        s[i][j] = x;
        mx = max(mx, x);
        //#end j
        pm[(ty * 4u + i) * 16u + tx] = mx;
        //#end i
        workgroupBarrier();

        // Every invocation is done with K: V takes its place while the maxima are combined.
        stage(head, key0, tid, true);
        //#unroll i 4
        let r = ty * 4u + i;
        var mt = FLOOR;
        for (var x = 0u; x < 16u; x++) {
            mt = max(mt, pm[r * 16u + x]);
        }
        let mnew = max(m[i], mt);
        let alpha = exp2(m[i] - mnew);
        m[i] = mnew;
        l[i] *= alpha;
        //#unroll c OC
        acc[i][c] *= alpha;
        //#end c
        //#unroll j SC
        let col = tx + 16u * j;
        ps[r * PS4 + col / 4u][col % 4u] = exp2(s[i][j] - mnew);
        //#end j
        //#end i
        workgroupBarrier();

        for (var k4 = 0u; k4 < BKV / 4u; k4++) {
            var p: array<vec4<f32>, 4>;
            //#unroll i 4
            p[i] = ps[(ty * 4u + i) * PS4 + k4];
            l[i] += p[i].x + p[i].y + p[i].z + p[i].w;
            //#end i
            //#unroll kk 4
            let row = (k4 * 4u + kk) * DS4;
            //#unroll c OC
            let vv = vec4<f32>(kv[row + tx + 16u * c]);
            //#unroll i 4
            acc[i][c] += p[i][kk] * vv;
            //#end i
            //#end c
            //#end kk
        }
        workgroupBarrier();
    }

    //#unroll i 4
    let row = q0 + ty * 4u + i;
    if (row < n) {
        let inv = 1.0 / l[i];
        //#unroll c OC
        o[(head * n + row) * D4 + tx + 16u * c] = vec4<IN>(acc[i][c] * inv);
        //#end c
    }
    //#end i
}
