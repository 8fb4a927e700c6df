// Device-memory bandwidth: each invocation copies PER 16-byte vec4<u32> elements, strided by
// the whole grid so that every load and store instruction of a subgroup is coalesced. All loads
// are issued before the stores, to keep several requests in flight per invocation.
//
// Prepended by chipbench (src/bench/copy.rs): `const WG: u32`, `const PER: u32`. The grid
// is two-dimensional because one dimension holds at most 65535 workgroups.

@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<u32>>;

@compute @workgroup_size(WG)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let threads = groups.x * groups.y * WG;
    let t = (wid.y * groups.x + wid.x) * WG + lid;
    let n = arrayLength(&dst);
    var v: array<vec4<u32>, PER>;
    for (var j = 0u; j < PER; j++) {
        let i = t + j * threads;
        if (i < n) {
            v[j] = src[i];
        }
    }
    for (var j = 0u; j < PER; j++) {
        let i = t + j * threads;
        if (i < n) {
            dst[i] = v[j];
        }
    }
}
