// Merges the per-chunk partial results of shaders/decode.wgsl into O = sum_c O_c 2^(m_c - M) /
// sum_c l_c 2^(m_c - M), M the largest chunk maximum. One workgroup of D invocations per head.
//
// Prepended by chipbench (src/bench/decode.rs): `const D: u32`.

struct Dims {
    chunks: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@group(0) @binding(2) var<uniform> dims: Dims;

const PSTR: u32 = D + 4u;

@compute @workgroup_size(D)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let head = wid.x;
    let base = head * dims.chunks * PSTR;
    var mx = -1.0e30;
    for (var c = 0u; c < dims.chunks; c++) {
        mx = max(mx, part[base + c * PSTR + D]);
    }
    var l = 0.0;
    var acc = 0.0;
    for (var c = 0u; c < dims.chunks; c++) {
        let at = base + c * PSTR;
        let w = exp2(part[at + D] - mx);
        l += part[at + D + 1u] * w;
        acc += part[at + tid] * w;
    }
    o[head * D + tid] = acc / l;
}
