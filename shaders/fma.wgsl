// Peak FMA throughput: eight independent vec4 FMA chains per invocation.
//
// Prepended by chipbench (src/bench/fma.rs): `enable f16;` for the f16 variant, then
// `alias T = f32|f16;`, `const ITERS: u32`, `const WG: u32`.
//
// Every chain starts from a value read from a buffer and its multiplier and addend come from a
// uniform, so the driver cannot fold the loop; every chain feeds the written result, so it
// cannot drop one. The host replays the same chains on the CPU to check the output.

struct Params {
    a: vec4<f32>,
    b: vec4<f32>,
    step: vec4<f32>,
}

@group(0) @binding(0) var<storage, read> seeds: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> result: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let a = vec4<T>(p.a);
    let b = vec4<T>(p.b);
    let d = vec4<T>(p.step);
    var v0 = vec4<T>(seeds[i]);
    var v1 = v0 + d;
    var v2 = v1 + d;
    var v3 = v2 + d;
    var v4 = v3 + d;
    var v5 = v4 + d;
    var v6 = v5 + d;
    var v7 = v6 + d;
    for (var it = 0u; it < ITERS; it++) {
        v0 = fma(v0, a, b);
        v1 = fma(v1, a, b);
        v2 = fma(v2, a, b);
        v3 = fma(v3, a, b);
        v4 = fma(v4, a, b);
        v5 = fma(v5, a, b);
        v6 = fma(v6, a, b);
        v7 = fma(v7, a, b);
    }
    result[i] = vec4<f32>(v0) + vec4<f32>(v1) + vec4<f32>(v2) + vec4<f32>(v3)
        + vec4<f32>(v4) + vec4<f32>(v5) + vec4<f32>(v6) + vec4<f32>(v7);
}
