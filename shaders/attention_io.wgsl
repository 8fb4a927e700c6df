// What both attention kernels (attention.wgsl, attention_coop.wgsl) share: the uniform, the
// Q, K and V bindings, and the read of one vec4 of a K or V row. Prepended by chipbench before
// either kernel's body, after its header (`alias IN = f32|f16;`, `const D: u32`); each kernel
// declares its own output binding 3.

struct Dims {
    // Sequence length (queries and keys).
    n: u32,
    pad0: u32,
    // log2(e) / sqrt(D): scores are kept in base 2.
    scale: f32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read> q: array<vec4<IN>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<IN>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<IN>>;
@group(0) @binding(4) var<uniform> dims: Dims;

// The vec4 `c` of key (or, with `values`, value) row `key` of head `head`; zeros past the end
// of the sequence, so a ragged last tile adds nothing.
fn kv_at(head: u32, key: u32, c: u32, values: bool) -> vec4<IN> {
    if (key >= dims.n) {
        return vec4<IN>(0.0);
    }
    let at = (head * dims.n + key) * (D / 4u) + c;
    if (values) {
        return v[at];
    }
    return k[at];
}
