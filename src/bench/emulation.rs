//! Runs cooperative-matrix kernels on adapters without cooperative matrices (lavapipe in CI),
//! for tests of the kernels' logic, never for a measurement, by rewriting their WGSL into plain WGSL with the documented semantics
//! (`coopLoadT`/`coopStoreT` row-major, `coopLoad` column-major, stride in elements). As on real
//! hardware, each 16x16 matrix is spread over the 32 invocations of a subgroup (here: 32
//! consecutive local invocation indices, as the kernels assume), 8 elements each; a
//! multiply-add exchanges the operands through workgroup memory.
//! Everything else in the kernel (tiling, workgroup memory, barriers, softmax, lane mapping)
//! runs as written, so its logic is checked against the CPU reference without a tensor core.
//! What it cannot show is the driver's cooperative-matrix code itself; the row-major loads and
//! stores it assumes are the ones the matmul kernel's check confirmed on an NVIDIA H200.

use super::Build;

/// One `coopLoad[T]<coop_mat16x16<T, R>>(&array[index], stride)` or
/// `coopStore[T](matrix, &array[index], stride)` call: where it is and what it names.
struct Call {
    start: usize,
    end: usize,
    row_major: bool,
    store: bool,
    /// Element type of a loaded matrix.
    elem: String,
    /// The stored matrix expression.
    matrix: String,
    array: String,
    index: String,
    stride: String,
}

/// The end of the argument list that opens at `open` (the index of its '(').
fn closing(src: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, c) in src[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return open + i;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses after byte {open}");
}

/// Splits `&array[index]` into its name and index.
fn pointer(arg: &str) -> (String, String) {
    let arg = arg.trim().strip_prefix('&').expect("a pointer argument");
    let open = arg.find('[').expect("an indexed array");
    let index = arg[open + 1..].strip_suffix(']').expect("an indexed array");
    (arg[..open].trim().to_string(), index.to_string())
}

/// Splits top-level comma-separated arguments.
fn arguments(s: &str) -> Vec<String> {
    let (mut out, mut depth, mut cur) = (Vec::new(), 0, String::new());
    for c in s.chars() {
        match c {
            '(' | '[' | '<' => depth += 1,
            ')' | ']' | '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

fn next_call(src: &str, from: usize) -> Option<Call> {
    let start = from + src[from..].find("coop")?;
    let rest = &src[start..];
    let (store, row_major, name_len) = if rest.starts_with("coopLoadT<") {
        (false, true, "coopLoadT".len())
    } else if rest.starts_with("coopLoad<") {
        (false, false, "coopLoad".len())
    } else if rest.starts_with("coopStoreT(") {
        (true, true, "coopStoreT".len())
    } else if rest.starts_with("coopStore(") {
        (true, false, "coopStore".len())
    } else {
        return next_call(src, start + 4);
    };
    let mut elem = String::new();
    let mut open = start + name_len;
    if !store {
        // <coop_mat16x16<T, R>>
        let close = start + rest.find(">>").expect("a matrix type") + 2;
        let ty = &src[open..close];
        elem = ty["<coop_mat16x16<".len()..]
            .split(',')
            .next()
            .expect("an element type")
            .trim()
            .to_string();
        open = close;
    }
    let end = closing(src, open);
    let args = arguments(&src[open + 1..end]);
    let (matrix, ptr, stride) = if store {
        (args[0].trim().to_string(), &args[1], &args[2])
    } else {
        (String::new(), &args[0], &args[1])
    };
    let (array, index) = pointer(ptr);
    Some(Call {
        start,
        end: end + 1,
        row_major,
        store,
        elem,
        matrix,
        array,
        index,
        stride: stride.trim().to_string(),
    })
}

/// Replaces every `coop_mat16x16<T, R>` type with `array<T, 8>`, one invocation's share.
fn plain_types(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(at) = rest.find("coop_mat16x16<") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "coop_mat16x16<".len()..];
        let close = after.find('>').expect("a closing '>'");
        let elem = after[..close].split(',').next().expect("a type").trim();
        out.push_str(&format!("array<{elem}, 8>"));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Subgroups of 32 in the kernel's workgroup, from its `@workgroup_size(N)`.
fn subgroups(src: &str) -> u64 {
    let at = src.find("@workgroup_size(").expect("a workgroup size") + "@workgroup_size(".len();
    let n: u64 = src[at..at + src[at..].find(')').expect("a closing ')'")]
        .trim()
        .parse()
        .expect("a literal workgroup size");
    assert!(n.is_multiple_of(32), "workgroup size {n}");
    n / 32
}

/// Workgroup memory an emulated build adds to a kernel with `subgroups` subgroups, in bytes
/// (none when `build` does not emulate).
pub(crate) fn extra_bytes(build: Build, subgroups: u64) -> u64 {
    if build.emulate_coop {
        subgroups * 2 * 256 * 2
    } else {
        0
    }
}

/// The emulated form of a cooperative-matrix kernel whose entry point names its local
/// invocation index `tid`.
pub fn emulate(src: &str) -> String {
    let src = src.replace("enable wgpu_cooperative_matrix;\n", "");
    // The accumulator type: the element type of the first C-role matrix. (It is written into
    // the helpers: naga 30 mis-types an alias declared after its first use.)
    let acc = src
        .split("coop_mat16x16<")
        .skip(1)
        .find_map(|t| {
            let ty = &t[..t.find('>')?];
            let mut parts = ty.split(',');
            let elem = parts.next()?.trim();
            (parts.next()?.trim() == "C").then(|| elem.to_string())
        })
        .expect("an accumulator matrix");
    let groups = subgroups(&src);
    // Element e of this invocation's share is element (i, j) = (idx / 16, idx % 16) of the
    // matrix, idx = lane * 8 + e; it lives at base + i * stride + j (row-major) or
    // base + j * stride + i (column-major).
    let share = "let idx = emu_lane * 8u + e;\n        let i = idx / 16u;\n        \
                 let j = idx % 16u;";
    let mut out = String::new();
    let mut helpers: Vec<String> = Vec::new();
    let mut at = 0;
    while let Some(call) = next_call(&src, at) {
        out.push_str(&src[at..call.start]);
        let layout = if call.row_major { "t" } else { "n" };
        let place = if call.row_major {
            "base + i * stride + j"
        } else {
            "base + j * stride + i"
        };
        if call.store {
            let name = format!("emu_store{layout}_{}", call.array);
            helpers.push(format!(
                "fn {name}(m: array<{acc}, 8>, base: u32, stride: u32) {{\n    \
                 for (var e = 0u; e < 8u; e++) {{\n        {share}\n        \
                 {}[{place}] = m[e];\n    }}\n}}\n",
                call.array
            ));
            out.push_str(&format!(
                "{name}({}, {}, {})",
                call.matrix, call.index, call.stride
            ));
        } else {
            let name = format!("emu_load{layout}_{}_{}", call.array, call.elem);
            helpers.push(format!(
                "fn {name}(base: u32, stride: u32) -> array<{elem}, 8> {{\n    \
                 var m: array<{elem}, 8>;\n    \
                 for (var e = 0u; e < 8u; e++) {{\n        {share}\n        \
                 m[e] = {array}[{place}];\n    }}\n    return m;\n}}\n",
                elem = call.elem,
                array = call.array
            ));
            out.push_str(&format!("{name}({}, {})", call.index, call.stride));
        }
        at = call.end;
    }
    out.push_str(&src[at..]);
    let entry = "@builtin(local_invocation_index) tid: u32) {\n";
    assert!(
        out.contains(entry),
        "the entry point must name its local index `tid`"
    );
    let out = plain_types(&out)
        .replace("coopMultiplyAdd(", "emu_mma(")
        .replacen(
            entry,
            &format!("{entry}    emu_lane = tid % 32u;\n    emu_sg = tid / 32u;\n"),
            1,
        );
    helpers.sort();
    helpers.dedup();
    let mut lib = format!(
        "var<private> emu_lane: u32;\nvar<private> emu_sg: u32;\n\
         var<workgroup> emu_a: array<f16, {n}>;\nvar<workgroup> emu_b: array<f16, {n}>;\n\
         fn emu_mma(a: array<f16, 8>, b: array<f16, 8>, c: array<{acc}, 8>) -> array<{acc}, 8> {{\n    \
         let s = emu_sg * 256u;\n    \
         for (var e = 0u; e < 8u; e++) {{\n        \
         emu_a[s + emu_lane * 8u + e] = a[e];\n        emu_b[s + emu_lane * 8u + e] = b[e];\n    }}\n    \
         workgroupBarrier();\n    var m = c;\n    \
         for (var e = 0u; e < 8u; e++) {{\n        {share}\n        \
         var sum = f32(m[e]);\n        \
         for (var k = 0u; k < 16u; k++) {{\n            \
         sum += f32(emu_a[s + i * 16u + k]) * f32(emu_b[s + k * 16u + j]);\n        }}\n        \
         m[e] = {acc}(sum);\n    }}\n    workgroupBarrier();\n    return m;\n}}\n",
        n = groups * 256
    );
    for body in helpers {
        lib.push_str(&body);
    }
    format!("{out}\n{lib}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_loads_stores_types_and_products() {
        let src = "enable f16;\nenable wgpu_cooperative_matrix;\nalias ACC = f32;\n\
                   var<workgroup> w: array<f16, 512>;\n\
                   fn f(a: u32, b: u32) -> u32 {\n  return a + b;\n}\n\
                   @group(0) @binding(0) var<storage, read_write> c: array<ACC>;\n\
                   @compute @workgroup_size(64)\n\
                   fn main(@builtin(local_invocation_index) tid: u32) {\n  \
                   var acc = coop_mat16x16<ACC, C>();\n  \
                   let a = coopLoadT<coop_mat16x16<f16, A>>(&w[f(1u, 2u) * 16u], 16u + 8u);\n  \
                   let b = coopLoad<coop_mat16x16<f16, B>>(&w[0u], 16u);\n  \
                   acc = coopMultiplyAdd(a, b, acc);\n  let r = acc;\n  \
                   coopStoreT(r, &c[3u], 16u);\n}\n";
        let out = emulate(src);
        for want in [
            "var acc = array<ACC, 8>();",
            "emu_lane = tid % 32u;",
            "var<workgroup> emu_a: array<f16, 512>;",
            "emu_loadt_w_f16(f(1u, 2u) * 16u, 16u + 8u)",
            "emu_loadn_w_f16(0u, 16u)",
            "acc = emu_mma(a, b, acc);",
            "emu_storet_c(r, 3u, 16u);",
            "c: array<ACC, 8>) -> array<ACC, 8>",
            "m[e] = w[base + j * stride + i];",
            "c[base + i * stride + j] = m[e];",
        ] {
            assert!(out.contains(want), "{want} missing from:\n{out}");
        }
        assert!(!out.contains("coop") && !out.contains("wgpu_cooperative_matrix"));
        let module = naga::front::wgsl::parse_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::all(),
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("{e:?}\n{out}"));
    }
}
