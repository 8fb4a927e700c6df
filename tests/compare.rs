//! `chipbench compare` end to end on the committed H200 results: chipbench against the vendor
//! libraries, a file against itself, device names looked up in a dataset, every format parsed
//! back, and one clear error line for bad input.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use chipbench::model::{RunResult, Status};
use common::{chipbench, one_line_error, plain};

const CHIPBENCH: &str = "results/nvidia/nvidia-h200/788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e.json";
const VENDOR: &str = "results/nvidia/nvidia-h200/35e780f66ae0c0b913f422b44ad175238d1c0a06e882f1395876026a408a024a.json";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chipbench-compare-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
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

fn json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&compare(&all).0).expect("compare --format json")
}

/// The pairs the comparison of `a` with `b` must list, computed here from the files: per case
/// (workload, shape, input precision), how many records of `a` times how many of `b` (the two
/// files share no variant name, so every variant meets every other).
/// The pairs of the committed H200 files, by hand: two copy variants against `torch-copy_`;
/// at each of four matmul shapes, `tiled-f32` against `cublas-f32`, and `tiled-f16-f32acc` and
/// `coop-f16-f32acc` against `cublas-f16` (f16 inputs, f32 accumulator). `coop-f16-f16acc`
/// accumulates in f16 and cuBLAS's bf16 and TF32 cases have no chipbench counterpart; the odd
/// 100x68x36 shape has no vendor run.
const H200_PAIRS: usize = 2 + 4 * 3;

fn the_h200_run_against_the_vendor_libraries() {
    let (table, stderr) = compare(&[CHIPBENCH, VENDOR]);
    let expected = H200_PAIRS;
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("matmul") || l.starts_with("copy"))
        .collect();
    assert_eq!(rows.len(), expected, "{table}");
    for row in &rows {
        // A ratio and its interval, "R  LO..HI", on every row.
        let cells: Vec<&str> = row.split_whitespace().collect();
        let interval = cells.iter().find(|c| c.contains("..")).expect(row);
        let (lo, hi) = interval.split_once("..").unwrap();
        let (lo, hi): (f64, f64) = (lo.parse().unwrap(), hi.parse().unwrap());
        assert!(lo <= hi, "{row}");
        assert!(row.contains("faster") || row.contains("slower") || row.contains("within noise"));
    }
    // f16 matmul at 8192^3: cuBLAS is about 4.2 times chipbench's tensor-core kernel.
    let big = rows
        .iter()
        .find(|l| {
            l.contains("m=8192 n=8192 k=8192")
                && l.contains("coop-f16-f32acc")
                && l.contains("cublas-f16")
        })
        .expect("matmul 8192^3 coop-f16-f32acc against cublas-f16");
    assert!(big.contains("B 4.2") && big.contains("x faster"), "{big}");

    let v = json(&[CHIPBENCH, VENDOR]);
    let c = &v["comparisons"][0];
    let pairs = c["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), expected);
    let p = pairs
        .iter()
        .find(|p| {
            p["shape"] == "m=8192 n=8192 k=8192"
                && p["variant_a"] == "coop-f16-f32acc"
                && p["variant_b"] == "cublas-f16"
        })
        .unwrap();
    let (r, lo, hi) = (
        p["ratio"].as_f64().unwrap(),
        p["ratio_low"].as_f64().unwrap(),
        p["ratio_high"].as_f64().unwrap(),
    );
    assert!(
        (4.1..4.3).contains(&r) && lo <= r && r <= hi && lo > 1.0,
        "{p}"
    );
    // The ratio is B's figure over A's where the work is the same.
    let figures = p["median_b"].as_f64().unwrap() / p["median_a"].as_f64().unwrap();
    assert!((figures / r - 1.0).abs() < 1e-3, "{figures} vs {r}");
    // fma, chipbench's odd shape in four variants and coop-f16-f16acc at the four other
    // shapes have no vendor counterpart; TF32, bf16 and attention have no chipbench one.
    assert_eq!(
        (c["unmatched_a"].as_u64(), c["unmatched_b"].as_u64()),
        (Some(2 + 4 + 4), Some(12))
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("10 of A and 12 of B"), "{stderr}");
}

fn a_file_against_itself_shows_no_difference() {
    let (table, _) = compare(&[CHIPBENCH, CHIPBENCH]);
    let a = read(CHIPBENCH);
    let ok = a
        .workloads
        .iter()
        .filter(|w| w.status == Status::Ok)
        .count();
    let rows: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("workload"))
        .skip(1)
        .collect();
    assert_eq!(rows.len(), ok, "every record against itself: {table}");
    for row in rows {
        assert!(
            row.contains("  1.00  ") && row.ends_with("within noise"),
            "{row}"
        );
        assert!(!row.contains("faster") && !row.contains("slower"), "{row}");
    }
    let v = json(&[CHIPBENCH, CHIPBENCH]);
    for p in v["comparisons"][0]["pairs"].as_array().unwrap() {
        assert_eq!(p["variant_a"], p["variant_b"]);
        assert_eq!(p["ratio"].as_f64(), Some(1.0));
        assert!(
            p["ratio_low"].as_f64().unwrap() <= 1.0 && p["ratio_high"].as_f64().unwrap() >= 1.0
        );
        assert!(p["verdict"].is_null() && p["within_noise"] == true, "{p}");
    }
}

fn every_format_parses() {
    let expected = H200_PAIRS;
    // JSON: every field, the interval bounds and the verdict or null.
    let v = json(&[CHIPBENCH, VENDOR]);
    assert_eq!(v["a"]["argument"], CHIPBENCH);
    assert_eq!(v["a"]["sources"][0], "chipbench");
    assert_eq!(v["comparisons"][0]["b"]["sources"][0], "vendor-library");
    assert_eq!(v["bootstrap"]["resamples"], 2000);
    for p in v["comparisons"][0]["pairs"].as_array().unwrap() {
        for field in [
            "workload",
            "shape",
            "precision",
            "variant_a",
            "variant_b",
            "unit_a",
            "unit_b",
        ] {
            assert!(p[field].is_string(), "{field}: {p}");
        }
        for field in ["median_a", "median_b", "ratio", "ratio_low", "ratio_high"] {
            assert!(p[field].as_f64().is_some_and(|x| x > 0.0), "{field}: {p}");
        }
        assert!(p["verdict"].is_string() || p["verdict"].is_null(), "{p}");
        assert_eq!(p["verdict"].is_null(), p["within_noise"] == true);
    }

    // CSV: a header and one record per pair, numbers that parse.
    let (text, _) = compare(&[CHIPBENCH, VENDOR, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), expected);
    for r in &records {
        let (ratio, lo, hi): (f64, f64, f64) = (
            r[col("ratio")].parse().unwrap(),
            r[col("ratio_low")].parse().unwrap(),
            r[col("ratio_high")].parse().unwrap(),
        );
        assert!(lo <= ratio && ratio <= hi, "{r:?}");
        assert_eq!(&r[col("b")], VENDOR);
        assert!(r[col("median_a")].parse::<f64>().is_ok());
    }

    // Markdown: a table row per pair, ten cells each.
    let (md, _) = compare(&[CHIPBENCH, VENDOR, "--format", "markdown"]);
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| --- |"))
        .collect();
    assert_eq!(rows.len(), expected + 1, "header and pairs: {md}");
    assert!(md.contains("| --- |"));
    for row in rows {
        assert_eq!(row.matches(" | ").count(), 9, "{row}");
    }

    // Table: a header naming the columns.
    let (table, _) = compare(&[CHIPBENCH, VENDOR, "--format", "table"]);
    assert!(
        table.contains("95% interval") && table.contains("B/A"),
        "{table}"
    );
}

fn device_names_stand_for_their_files() {
    // "h200" (any case) is both H200 files of results/: the vendor one on both sides pairs
    // with itself.
    let v = json(&["H200", VENDOR]);
    assert_eq!(v["a"]["files"].as_array().unwrap().len(), 2);
    let pairs = v["comparisons"][0]["pairs"].as_array().unwrap();
    assert!(!pairs.is_empty());
    assert!(pairs.iter().all(|p| p["variant_a"] == p["variant_b"]));

    // In another dataset (--root) with a hostile device name: cells cannot break Markdown,
    // and a typed name cannot become a spreadsheet formula.
    let root = scratch("root");
    let mut r = read(CHIPBENCH);
    r.device.name = "=Evil|<b>GPU</b>".to_string();
    r.seal();
    r.write_atomic(&root.join("evil").join("r.json")).unwrap();
    let root_arg = root.to_str().unwrap();
    let (md, _) = compare(&["=evil", VENDOR, "--root", root_arg, "--format", "markdown"]);
    assert!(md.contains("=Evil\\|&lt;b&gt;GPU&lt;/b&gt;"), "{md}");
    assert!(!md.contains("<b>"), "{md}");
    let (text, _) = compare(&["=evil", VENDOR, "--root", root_arg, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[0], "'=evil");
    // A name no file of that dataset has.
    let err = one_line_error(&["compare", "h200", VENDOR, "--root", root_arg]);
    assert!(err.contains("h200") && err.contains("=Evil"), "{err}");
}

fn bad_input_gets_one_error_line_and_exit_2() {
    let dir = scratch("bad");
    let broken = dir.join("broken.json");
    fs::write(&broken, "{ not json").unwrap();
    let edited = dir.join("edited.json");
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(CHIPBENCH)).unwrap();
    fs::write(
        &edited,
        text.replacen("\"contributor\": null", "\"contributor\": \"x\"", 1),
    )
    .unwrap();
    let (broken, edited) = (broken.to_str().unwrap(), edited.to_str().unwrap());
    let cases: [(&[&str], &str); 9] = [
        (&["compare", "missing.json", VENDOR], "missing.json"),
        (
            &["compare", CHIPBENCH, "no/such/file.json"],
            "no/such/file.json",
        ),
        (&["compare", broken, VENDOR], "invalid JSON"),
        (&["compare", CHIPBENCH, edited], "id is not the SHA-256"),
        (&["compare", "no-such-gpu", VENDOR], "no-such-gpu"),
        (&["compare", "results", VENDOR], "is a directory"),
        (&["compare", CHIPBENCH], "at least two"),
        (&["compare"], "at least two"),
        (&["compare", CHIPBENCH, VENDOR, "--format", "xml"], "xml"),
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
        plain(
            "bad_input_gets_one_error_line_and_exit_2",
            bad_input_gets_one_error_line_and_exit_2,
        ),
    ]);
}
