//! `chipbench compare` end to end on the committed H200 results: chipbench against the vendor
//! libraries, a file against itself, device names looked up in a dataset, two real runs of one
//! binary on lavapipe, every format parsed back, and one clear error line for bad input.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use chipbench::model::{RunResult, Status};
use common::{H200, H200_VENDOR, Need, chipbench, needs, one_line_error, plain};

fn scratch(name: &str) -> PathBuf {
    common::scratch_in("compare", name)
}

fn read(path: &str) -> RunResult {
    RunResult::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// Runs `chipbench compare ARGS`, expecting success; its stdout and stderr.
fn compare(args: &[&str]) -> (String, String) {
    let mut all = vec!["compare"];
    all.extend(args);
    let out = chipbench(&all);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{args:?}: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// The pairs as JSON rows (one object per pair, raw numbers).
fn pairs(args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&compare(&all).0).expect("compare --format json");
    v.as_array().unwrap().clone()
}

fn number(p: &serde_json::Value, key: &str) -> f64 {
    p[key].as_f64().unwrap_or_else(|| panic!("{key}: {p}"))
}

/// The pairs of the committed H200 files, by hand: two copy variants against `torch-copy_`;
/// at each of four matmul shapes, `tiled-f32` against `cublas-f32`, and `tiled-f16-f32acc` and
/// `coop-f16-f32acc` against `cublas-f16` (f16 inputs, f32 accumulator). `coop-f16-f16acc`
/// accumulates in f16 and cuBLAS's bf16 and TF32 cases have no chipbench counterpart; the odd
/// 100x68x36 shape has no vendor run.
const H200_PAIRS: usize = 2 + 4 * 3;

fn the_h200_run_against_the_vendor_libraries() {
    let (table, stderr) = compare(&[H200, H200_VENDOR]);
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("matmul") || l.starts_with("copy"))
        .collect();
    assert_eq!(rows.len(), H200_PAIRS, "{table}");
    let p = pairs(&[H200, H200_VENDOR]);
    assert_eq!(p.len(), H200_PAIRS);
    let big = p
        .iter()
        .find(|p| {
            p["shape"] == "m=8192 n=8192 k=8192"
                && p["variant_a"] == "coop-f16-f32acc"
                && p["variant_b"] == "cublas-f16"
        })
        .unwrap();
    let (r, lo, hi) = (
        number(big, "ratio"),
        number(big, "ratio_low"),
        number(big, "ratio_high"),
    );
    // cuBLAS is about 4.2 times chipbench's tensor-core kernel, well beyond the noise of one
    // run each (widened by the GPU's run-to-run spread).
    assert!(
        (4.1..4.3).contains(&r) && lo <= r && r <= hi && lo > 1.0,
        "{big}"
    );
    assert_eq!(big["verdict"], "B faster");
    assert_eq!(number(big, "run_to_run_cv"), (2.0f64 * 0.02 * 0.02).sqrt());
    // The ratio is B's figure over A's where the work is the same.
    let figures = number(big, "median_b_flop_per_s") / number(big, "median_a_flop_per_s");
    assert!((figures / r - 1.0).abs() < 1e-3, "{figures} vs {r}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("10 of A and 12 of B"), "{stderr}");
}

fn a_file_against_itself_shows_no_difference() {
    let a = read(H200);
    let ok = a
        .workloads
        .iter()
        .filter(|w| w.status == Status::Ok)
        .count();
    let p = pairs(&[H200, H200]);
    assert_eq!(p.len(), ok, "every record against itself");
    for x in &p {
        assert_eq!(x["variant_a"], x["variant_b"]);
        assert_eq!(number(x, "ratio"), 1.0);
        assert!(number(x, "ratio_low") <= 1.0 && number(x, "ratio_high") >= 1.0);
        assert_eq!(x["verdict"], "within noise", "{x}");
    }
}

fn every_format_parses() {
    // CSV: a header and one record per pair, numbers that parse, one unit per column.
    let (text, _) = compare(&[H200, H200_VENDOR, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), H200_PAIRS);
    for r in &records {
        let (ratio, lo, hi): (f64, f64, f64) = (
            r[col("ratio")].parse().unwrap(),
            r[col("ratio_low")].parse().unwrap(),
            r[col("ratio_high")].parse().unwrap(),
        );
        assert!(lo <= ratio && ratio <= hi, "{r:?}");
        assert_eq!(&r[col("b")], H200_VENDOR);
        let copy = &r[col("workload")] == "copy";
        let (rate, bytes) = (
            &r[col("median_a_flop_per_s")],
            &r[col("median_a_byte_per_s")],
        );
        assert!(if copy {
            rate.is_empty() && bytes.parse::<f64>().is_ok()
        } else {
            rate.parse::<f64>().is_ok() && bytes.is_empty()
        });
    }
    // Markdown: a table row per pair under the side's heading.
    let (md, _) = compare(&[H200, H200_VENDOR, "--format", "markdown"]);
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.contains("---"))
        .collect();
    assert_eq!(rows.len(), H200_PAIRS + 1, "header and pairs: {md}");
    assert!(md.contains("## B: "), "{md}");
    // Table: a header naming the columns.
    let (table, _) = compare(&[H200, H200_VENDOR, "--format", "table"]);
    assert!(
        table.contains("B/A (95% interval)") && table.contains("run-to-run"),
        "{table}"
    );
}

fn device_names_stand_for_their_files() {
    // "h200" (any case) is both H200 files of results/: the vendor one on both sides pairs
    // with itself.
    let p = pairs(&["H200", H200_VENDOR]);
    assert!(!p.is_empty());
    assert!(p.iter().all(|p| p["variant_a"] == p["variant_b"]));
    // In another dataset (--root) with a hostile device name: cells cannot break Markdown,
    // and a typed name cannot become a spreadsheet formula.
    let root = scratch("root");
    let mut r = read(H200);
    r.device.name = "=Evil|<b>GPU</b>".to_string();
    r.seal();
    r.write_atomic(&root.join("evil").join("r.json")).unwrap();
    let root_arg = root.to_str().unwrap();
    let (md, _) = compare(&[
        "=evil",
        H200_VENDOR,
        "--root",
        root_arg,
        "--format",
        "markdown",
    ]);
    assert!(md.contains("=Evil\\|&lt;b&gt;GPU&lt;/b&gt;"), "{md}");
    assert!(!md.contains("<b>"), "{md}");
    let (text, _) = compare(&["=evil", H200_VENDOR, "--root", root_arg, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[0], "'=evil");
    let err = one_line_error(&["compare", "h200", H200_VENDOR, "--root", root_arg]);
    assert!(err.contains("h200") && err.contains("=Evil"), "{err}");
}

fn two_back_to_back_runs_are_within_noise() {
    let dir = scratch("runs");
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    for path in [&a, &b] {
        common::succeeds(&["run", "--quiet", "--out", path.to_str().unwrap()]);
    }
    let p = pairs(&[a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(p.len() > 20, "{}", p.len());
    for x in &p {
        assert_eq!(x["verdict"], "within noise", "{x}");
    }
    // A real difference still shows: the same run against itself with a tenth of the work.
    let mut slow = RunResult::read(&b).unwrap();
    for w in &mut slow.workloads {
        if let Some(t) = w.timing.as_mut() {
            t.samples_ns.iter_mut().for_each(|s| *s *= 10.0);
        }
    }
    assert!(
        chipbench::compare::compare(&[
            chipbench::compare::Side {
                argument: "a".into(),
                results: vec![RunResult::read(&a).unwrap()]
            },
            chipbench::compare::Side {
                argument: "slow".into(),
                results: vec![slow]
            },
        ])
        .comparisons[0]
            .pairs
            .iter()
            .all(|p| p.verdict == chipbench::compare::Verdict::Slower)
    );
}

fn bad_input_gets_one_error_line_and_exit_2() {
    let dir = scratch("bad");
    let broken = dir.join("broken.json");
    fs::write(&broken, "{ not json").unwrap();
    let edited = dir.join("edited.json");
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(H200)).unwrap();
    fs::write(
        &edited,
        text.replacen("\"contributor\": null", "\"contributor\": \"x\"", 1),
    )
    .unwrap();
    let (broken, edited) = (broken.to_str().unwrap(), edited.to_str().unwrap());
    let cases: [(&[&str], &str); 10] = [
        (&["compare", "missing.json", H200_VENDOR], "missing.json"),
        (&["compare", H200, "no/such/file.json"], "no/such/file.json"),
        (&["compare", broken, H200_VENDOR], "invalid JSON"),
        (&["compare", H200, edited], "id is not the SHA-256"),
        (&["compare", "no-such-gpu", H200_VENDOR], "no-such-gpu"),
        (&["compare", "results", H200_VENDOR], "is a directory"),
        (&["compare", H200], "at least two"),
        (&["compare"], "at least two"),
        (&["compare", H200, H200_VENDOR, "--format", "xml"], "xml"),
        (
            &["compare", H200, H200_VENDOR, "--format", "html"],
            "--format html",
        ),
    ];
    for (args, expect) in cases {
        let err = one_line_error(args);
        assert!(err.contains(expect), "{args:?}: {err}");
    }
}

fn main() {
    common::run(vec![
        plain(
            "the_h200_run_against_the_vendor_libraries",
            the_h200_run_against_the_vendor_libraries,
        ),
        plain(
            "a_file_against_itself_shows_no_difference",
            a_file_against_itself_shows_no_difference,
        ),
        plain("every_format_parses", every_format_parses),
        plain(
            "device_names_stand_for_their_files",
            device_names_stand_for_their_files,
        ),
        needs(
            "two_back_to_back_runs_are_within_noise",
            &[Need::Gpu],
            two_back_to_back_runs_are_within_noise,
        ),
        plain(
            "bad_input_gets_one_error_line_and_exit_2",
            bad_input_gets_one_error_line_and_exit_2,
        ),
    ]);
}
