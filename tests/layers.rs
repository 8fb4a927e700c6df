//! The data flows one way: the layers of `src/` import only the layers below them, and only
//! the device and bench layers touch wgpu. Read from the source, so a stray import fails here
//! rather than in a review.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Each top-level module and the modules it may import.
const ALLOWED: [(&str, &[&str]); 17] = [
    ("text", &[]),
    ("input", &[]),
    ("rng", &[]),
    ("quantity", &[]),
    ("view", &["quantity", "text"]),
    ("model", &["input", "quantity"]),
    ("device", &["model"]),
    ("bench", &["device", "model", "input", "rng"]),
    ("policy", &["model", "input", "quantity", "view"]),
    ("dataset", &["model", "policy", "text", "quantity"]),
    (
        "cost",
        &["model", "input", "policy", "dataset", "quantity", "view"],
    ),
    (
        "serve",
        &[
            "model", "input", "policy", "dataset", "cost", "quantity", "view",
        ],
    ),
    (
        "report",
        &[
            "model", "policy", "dataset", "cost", "serve", "text", "quantity", "view",
        ],
    ),
    (
        "compare",
        &[
            "model", "dataset", "policy", "report", "text", "rng", "quantity", "view",
        ],
    ),
    ("run", &["bench", "device", "model", "policy"]),
    (
        "scenario",
        &[
            "model", "input", "policy", "cost", "serve", "quantity", "view", "text",
        ],
    ),
    ("lib", &[]),
];

/// Modules that may name wgpu.
const WGPU: [&str; 2] = ["device", "bench"];

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`cli` and `main` are the binary).
fn layer(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Top-level modules a file names as `crate::X` or `crate::{X, Y::Z}` (over several lines
/// too), outside comments.
fn imports(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The first segment of each item of the group, at its top level.
            let (mut depth, mut item) = (0, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.insert(ident(&item));
        } else {
            out.insert(ident(rest));
        }
    }
    out.remove("");
    out
}

#[test]
fn layers_import_only_what_is_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.into_iter().collect();
    let mut checked = 0;
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let layer = layer(rel);
        if layer == "main" || layer == "cli" {
            continue;
        }
        let may = allowed
            .get(layer.as_str())
            .unwrap_or_else(|| panic!("{}: layer {layer} is not in ALLOWED", rel.display()));
        let text = fs::read_to_string(f).unwrap();
        for m in imports(&text) {
            assert!(
                m == layer || may.contains(&m.as_str()),
                "{} ({layer}) imports crate::{m}",
                rel.display()
            );
        }
        // `super::super` from a layer's file would reach the crate root and around the rules.
        assert!(
            !text.contains("super::super"),
            "{}: reach other layers through crate::, not super::super",
            rel.display()
        );
        if !WGPU.contains(&layer.as_str()) {
            assert!(
                !text.contains("wgpu::") && !text.contains("use wgpu"),
                "{} ({layer}) names wgpu",
                rel.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} files read");
}

#[test]
fn the_reader_sees_imports() {
    let got =
        imports("use crate::model::{A, B};\n// crate::device in a comment\nx(crate::policy::y)");
    assert_eq!(
        got,
        BTreeSet::from(["model".to_string(), "policy".to_string()])
    );
    let grouped = imports("use crate::{\n    bench::Case,\n    device::{Context, GpuError},\n};");
    assert_eq!(
        grouped,
        BTreeSet::from(["bench".to_string(), "device".to_string()])
    );
}
