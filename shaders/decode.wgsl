// Decode attention, split over the KV cache (flash-decoding): one query token per sequence and
// head against a long f16 KV cache. Each workgroup reads C keys and values of one head and
// writes that chunk's partial result (unnormalised O, running max, sum of weights); the combine
// kernel (shaders/decode_combine.wgsl) merges the chunks. Memory-bound: the figure that matters
// is KV bytes read per second.
//
// Prepended by chipbench (src/bench/decode.rs): `const D: u32` (head dim, a multiple of 8).
// Blocks between `//#unroll X N` and `//#end X` are repeated by chipbench, each copy with its
// own constant `let X`: the values in registers are indexed only by constants.
//
// Layout: q is [heads][D] f16, K and V are [heads][keys][D] f16 for the heads of this binding
// (a group of whole sequences: the cache may exceed one binding), all read as vec4<u32> of 8
// halves. part is [all heads][chunks][D + 4] f32: O, then max and sum. 256 invocations: for the
// scores, D/8 lanes share one key (each lane 8 dims) and the lanes' sums meet in workgroup
// memory; then one invocation per key for the softmax; then the same key-sharing layout for P V,
// on values loaded together with the keys.

struct Dims {
    keys: u32,
    chunks: u32,
    // The first head of this binding among all heads.
    head0: u32,
    // log2(e) / sqrt(D).
    scale: f32,
}

@group(0) @binding(0) var<storage, read> q: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;
@group(0) @binding(4) var<uniform> dims: Dims;

// Keys per workgroup: one per invocation in the softmax.
const C: u32 = 256u;
// Lanes per key, keys per round, rounds per chunk.
const LPK: u32 = D / 8u;
const KPR: u32 = 256u / LPK;
const ROUNDS: u32 = C / KPR;
const PSTR: u32 = D + 4u;

var<workgroup> sp: array<f32, C * (LPK + 1u)>;
var<workgroup> red: array<f32, 256>;
var<workgroup> pr: array<f32, C>;
var<workgroup> ro: array<f32, KPR * D>;

// The low and high four of eight packed halves, as f32.
fn lo(x: vec4<u32>) -> vec4<f32> {
    return vec4<f32>(unpack2x16float(x.x), unpack2x16float(x.y));
}

fn hi(x: vec4<u32>) -> vec4<f32> {
    return vec4<f32>(unpack2x16float(x.z), unpack2x16float(x.w));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let lane = tid % LPK;
    let kg = tid / LPK;
    let local = wid.y;
    let head = dims.head0 + local;
    let chunk = wid.x;
    let qv = q[head * LPK + lane];
    let q0 = lo(qv);
    let q1 = hi(qv);
    let base = (local * dims.keys + chunk * C) * LPK;

    // The V loads go out with the K loads (same keys, same lanes): every byte this invocation
    // reads is in flight at once, and the values wait in registers for the softmax.
    var vr: array<vec4<u32>, ROUNDS>;
    //#unroll r ROUNDS
    let at = base + (r * KPR + kg) * LPK + lane;
    let kx = k[at];
    vr[r] = v[at];
    sp[(r * KPR + kg) * (LPK + 1u) + lane] = dot(q0, lo(kx)) + dot(q1, hi(kx));
    //#end r
    workgroupBarrier();

    var s = 0.0;
    for (var i = 0u; i < LPK; i++) {
        s += sp[tid * (LPK + 1u) + i];
    }
    s *= dims.scale;
    red[tid] = s;
    workgroupBarrier();
    for (var w = 128u; w > 0u; w /= 2u) {
        if (tid < w) {
            red[tid] = max(red[tid], red[tid + w]);
        }
        workgroupBarrier();
    }
    let mx = red[0];
    workgroupBarrier();
    let p = exp2(s - mx);
    pr[tid] = p;
    red[tid] = p;
    workgroupBarrier();
    for (var w = 128u; w > 0u; w /= 2u) {
        if (tid < w) {
            red[tid] += red[tid + w];
        }
        workgroupBarrier();
    }
    let l = red[0];

    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    //#unroll r ROUNDS
    let w = pr[r * KPR + kg];
    a0 += w * lo(vr[r]);
    a1 += w * hi(vr[r]);
    //#end r
    let at = kg * D + lane * 8u;
    ro[at] = a0.x;
    ro[at + 1u] = a0.y;
    ro[at + 2u] = a0.z;
    ro[at + 3u] = a0.w;
    ro[at + 4u] = a1.x;
    ro[at + 5u] = a1.y;
    ro[at + 6u] = a1.z;
    ro[at + 7u] = a1.w;
    workgroupBarrier();

    let out = (head * dims.chunks + chunk) * PSTR;
    if (tid < D) {
        var o = 0.0;
        for (var g = 0u; g < KPR; g++) {
            o += ro[g * D + tid];
        }
        part[out + tid] = o;
    }
    if (tid == 0u) {
        part[out + D] = mx;
        part[out + D + 1u] = l;
    }
}
