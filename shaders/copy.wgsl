// Device-memory bandwidth: each invocation copies one 16-byte vec4<u32>.
//
// Prepended by chipbench (src/workloads/copy.rs): `const WG: u32`. The grid is two-dimensional
// because one dimension holds at most 65535 workgroups.

@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<u32>>;

@compute @workgroup_size(WG)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * groups.x + wid.x) * WG + lid;
    if (i < arrayLength(&dst)) {
        dst[i] = src[i];
    }
}
