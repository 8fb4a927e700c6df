//! The dataset export as researchers use it: `chipbench dataset export` run through the binary
//! on the committed results (plus copies of the H200 run measured again, and a fresh lavapipe
//! run where there is an adapter), then read back by a real client, DuckDB's Python package,
//! whose SQL answers must be the numbers the JSON files hold, to the last bit. Without
//! DuckDB the client tests show as ignored; the formats themselves are checked in Rust.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use chipbench::dataset;
use chipbench::model::{RunResult, Throughput, WorkloadRecord};
use chipbench::policy::Database;
use common::{H200, Need, Test, needs, plain, repo};
use serde_json::{Value, json};

const CHIP: &str = "nvidia-h200-sxm";

fn scratch(name: &str) -> PathBuf {
    common::scratch_in("export", name)
}

/// Makes `w` report `factor` times its figure, every sample and statistic consistent.
fn scale(w: &mut WorkloadRecord, factor: f64) {
    let Some(t) = w.timing.as_mut() else { return };
    for s in t.samples_ns.iter_mut().chain([
        &mut t.median_ns,
        &mut t.min_ns,
        &mut t.max_ns,
        &mut t.mean_ns,
    ]) {
        *s /= factor;
    }
    w.throughput = Some(Throughput::at(
        w.flops_per_iter,
        w.bytes_per_iter,
        t.median_ns,
    ));
}

/// A dataset: the committed results, two copies of the H200 run measured again (2% slower, 1%
/// faster, so the committed run is the median of three), and `more` files.
fn dataset_with(name: &str, more: &[PathBuf]) -> (PathBuf, Vec<RunResult>) {
    let db = Database::load().unwrap();
    let root = scratch(name);
    let inbox = scratch(&format!("{name}-inbox"));
    let mut files = vec![repo("results")];
    for (i, factor) in [0.98, 1.01].into_iter().enumerate() {
        let mut r = RunResult::read(&repo(H200)).unwrap();
        r.contributor = Some(format!("lab {i}"));
        r.workloads.iter_mut().for_each(|w| scale(w, factor));
        r.seal();
        let path = inbox.join(format!("{i}.json"));
        r.write_atomic(&path).unwrap();
        files.push(path);
    }
    for (path, outcome) in dataset::add(&db, &root, &files, &Default::default()) {
        assert!(
            matches!(outcome, dataset::Added::Stored(..)),
            "{path:?}: {outcome:?}"
        );
    }
    // Files `add` would refuse (a quick run) are exported all the same: copied in place.
    for f in more {
        let r = RunResult::read(f).unwrap();
        let at = dataset::place(&root, &r);
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        fs::copy(f, at).unwrap();
    }
    let runs = dataset::files(&root)
        .iter()
        .map(|p| dataset::read(&db, p).unwrap())
        .collect();
    (root, runs)
}

/// Runs `chipbench dataset export` of `root` as `format` into `dir`; returns the cases file.
fn export(root: &Path, format: &str, dir: &Path) -> PathBuf {
    let out = dir.join(format!("dataset.{format}"));
    common::succeeds(&[
        "dataset",
        "export",
        "--dataset",
        root.to_str().unwrap(),
        "--format",
        format,
        "--out",
        out.to_str().unwrap(),
    ]);
    out
}

/// What a researcher asks, in SQL through DuckDB (and pandas for the first question); the
/// answers as JSON. Arguments: the format, the cases and samples files, a run id.
const QUERIES: &str = r#"
import json, sys
import duckdb
fmt, cases, samples, run_id, chip = sys.argv[1:6]
read = "read_parquet(?)" if fmt == "parquet" else "read_csv(?)"
con = duckdb.connect()
def q(sql, *params):
    return con.execute(sql.replace("CASES", read).replace("SAMPLES", read), list(params)).fetchall()
out = {}
out["median"] = q("""SELECT chip, variant, median(throughput_flop_per_s), count(*) FROM CASES
    WHERE workload = 'matmul' AND variant LIKE 'coop%' AND status = 'ok'
      AND shape_m = 8192 AND shape_n = 8192 AND shape_k = 8192
    GROUP BY chip, variant ORDER BY chip, variant""", cases)
out["runs"] = q("""SELECT run_id, case_index, source, variant, shape, median_s,
    throughput_flop_per_s, standing FROM CASES WHERE chip = ? AND workload = 'matmul'
    ORDER BY run_id, case_index""", cases, chip)
out["run"] = q("""SELECT case_index, workload, variant, quick, chip, device, median_s,
    throughput_byte_per_s, status FROM CASES WHERE run_id = ? ORDER BY case_index""",
    cases, run_id)
out["samples"] = q("""SELECT case_index, list(time_s ORDER BY sample_index) FROM SAMPLES
    WHERE run_id = ? GROUP BY case_index ORDER BY case_index""", samples, run_id)
df = con.execute("SELECT * FROM " + read, [cases]).df()
coop = df[(df.workload == "matmul") & df.variant.str.startswith("coop")
          & (df.shape_m == 8192) & (df.shape_n == 8192) & (df.shape_k == 8192)]
out["pandas"] = [[c, v, x] for (c, v), x in
                 coop.groupby(["chip", "variant"]).throughput_flop_per_s.median().items()]
print(json.dumps(out))
"#;

fn ask(format: &str, cases: &Path, run_id: &str) -> Value {
    let samples = dataset::export::samples_path(cases);
    let out = Command::new("python3")
        .args(["-c", QUERIES, format])
        .args([cases, &samples])
        .args([run_id, CHIP])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON answers")
}

fn seconds(ns: Option<f64>) -> Value {
    json!(ns.map(|ns| ns * 1e-9))
}

/// What the JSON files say the answers are.
fn expected(runs: &[RunResult], run_id: &str) -> Value {
    let on_chip: Vec<&RunResult> = runs
        .iter()
        .filter(|r| r.device.chip.as_deref() == Some(CHIP))
        .collect();
    let coop_8192 = |w: &WorkloadRecord| {
        w.workload == "matmul"
            && w.variant.starts_with("coop")
            && w.shape_label() == "m=8192 n=8192 k=8192"
    };
    // Three chipbench runs of each coop variant: the middle one is the committed run's.
    let committed = RunResult::read(&repo(H200)).unwrap();
    let mut median: Vec<Value> = committed
        .workloads
        .iter()
        .filter(|w| coop_8192(w))
        .map(|w| {
            let rate = w.throughput.as_ref().unwrap().tflops.unwrap() * 1e12;
            json!([CHIP, w.variant, rate, 3])
        })
        .collect();
    median.sort_by_key(|v| v[1].as_str().unwrap().to_string());
    let pandas: Vec<Value> = median.iter().map(|v| json!([v[0], v[1], v[2]])).collect();
    let mut matmul: Vec<Value> = Vec::new();
    let mut sorted = on_chip.clone();
    sorted.sort_by_key(|r| r.id.clone());
    for r in sorted {
        for (i, w) in r.workloads.iter().enumerate() {
            if w.workload == "matmul" {
                let rate = w
                    .throughput
                    .as_ref()
                    .and_then(|t| t.tflops)
                    .map(|x| x * 1e12);
                let median_ns = w.timing.as_ref().map(|t| t.median_ns);
                let row = (&r.id, i, r.source.name(), &w.variant, w.shape_label());
                matmul.push(json!([
                    row.0,
                    row.1,
                    row.2,
                    row.3,
                    row.4,
                    seconds(median_ns),
                    rate,
                    "unverified"
                ]));
            }
        }
    }
    let run = runs.iter().find(|r| r.id == run_id).unwrap();
    let cases: Vec<Value> = run
        .workloads
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let status = serde_json::to_value(w.status).unwrap();
            let median_ns = w.timing.as_ref().map(|t| t.median_ns);
            let rate = w.throughput.as_ref().map(|t| t.gbps * 1e9);
            let device = (run.settings.quick, &run.device.chip, &run.device.name);
            json!([
                i,
                w.workload,
                w.variant,
                device.0,
                device.1,
                device.2,
                seconds(median_ns),
                rate,
                status
            ])
        })
        .collect();
    let samples: Vec<Value> = run
        .workloads
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            let t = w.timing.as_ref()?;
            let s: Vec<f64> = t.samples_ns.iter().map(|ns| ns * 1e-9).collect();
            Some(json!([i, s]))
        })
        .collect();
    json!({"median": median, "runs": matmul, "run": cases, "samples": samples, "pandas": pandas})
}

/// Exports `root` as Parquet and as CSV and checks DuckDB's answers against the files.
fn duckdb_answers(root: &Path, runs: &[RunResult], run_id: &str) {
    let want = expected(runs, run_id);
    assert_eq!(want["median"].as_array().unwrap().len(), 2, "{want}");
    assert!(want["runs"].as_array().unwrap().len() >= 20, "{want}");
    let dir = scratch(&format!(
        "{}-out",
        root.file_name().unwrap().to_string_lossy()
    ));
    for format in ["parquet", "csv"] {
        let cases = export(root, format, &dir);
        let got = ask(format, &cases, run_id);
        for key in ["median", "runs", "run", "samples", "pandas"] {
            assert_eq!(got[key], want[key], "{format}: {key}");
        }
    }
}

/// The committed runs and two copies: DuckDB reads both exports and answers with the files'
/// numbers; the run asked about is the committed H200 run.
fn duckdb_reads_the_committed_runs() {
    let (root, runs) = dataset_with("committed", &[]);
    let id = RunResult::read(&repo(H200)).unwrap().id;
    duckdb_answers(&root, &runs, &id);
}

/// The same with a fresh quick run on the default adapter (lavapipe in CI) beside them: its
/// cases, its (absent) chip, its quick flag and every timing sample come back as written.
fn duckdb_reads_a_fresh_run_beside_them() {
    let fresh = scratch("fresh-run").join("fresh.json");
    common::quick_run("copy,matmul", &fresh);
    let (root, runs) = dataset_with("fresh", std::slice::from_ref(&fresh));
    let id = RunResult::read(&fresh).unwrap().id;
    let run = runs.iter().find(|r| r.id == id).unwrap();
    assert!(run.settings.quick && run.workloads.len() > 2);
    duckdb_answers(&root, &runs, &id);
}

/// Without any client: every format has one row per case and one per sample; CSV keeps
/// numbers raw and quotes text a spreadsheet would run; Parquet reads back; a file that is not
/// valid is left out and named; outputs replace only earlier exports.
fn exports_are_tidy_safe_and_replace_nothing_foreign() {
    let inbox = scratch("tidy-hostile");
    let mut formula = RunResult::read(&repo(H200)).unwrap();
    formula.device.name = "=HYPERLINK(\"http://x\")".into();
    formula.seal();
    let hostile = inbox.join("formula.json");
    formula.write_atomic(&hostile).unwrap();
    let (root, runs) = dataset_with("tidy", &[hostile]);
    fs::write(root.join("broken.json"), "{").unwrap();
    let cases: usize = runs.iter().map(|r| r.workloads.len()).sum();
    let samples: usize = runs
        .iter()
        .flat_map(|r| &r.workloads)
        .map(|w| w.timing.as_ref().map_or(0, |t| t.samples_ns.len()))
        .sum();
    let dir = scratch("tidy-out");
    let out = dir.join("dataset.csv");
    let args = [
        "dataset",
        "export",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let run = common::chipbench(&args);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(err.contains("left out 1 result file"), "{err}");
    // CSV: the formula is quoted, the numbers are not, and they are the file's.
    let mut csv = csv::Reader::from_path(&out).unwrap();
    let header = csv.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), cases);
    let hyper = rows
        .iter()
        .find(|r| r[col("device")].contains("HYPERLINK"))
        .unwrap();
    assert!(hyper[col("device")].starts_with("'="), "{hyper:?}");
    let first = &runs[0].workloads[0];
    let median: f64 = rows[0][col("median_s")].parse().unwrap();
    assert_eq!(median, first.timing.as_ref().unwrap().median_ns * 1e-9);
    assert_eq!(rows[0][col("run_id")], runs[0].id);
    for name in [
        "shape_m",
        "shape_head_dim",
        "throughput_byte_per_s",
        "check_tolerance",
    ] {
        assert!(header.iter().any(|h| h == name), "{name}: {header:?}");
    }
    let sampled = csv::Reader::from_path(dataset::export::samples_path(&out)).unwrap();
    assert_eq!(sampled.into_records().count(), samples);
    // JSON Lines: one object a row; Parquet: the same rows, read back by the parquet crate.
    let jsonl = export(&root, "jsonl", &dir);
    let lines = fs::read_to_string(&jsonl).unwrap();
    assert_eq!(lines.lines().count(), cases);
    let rows: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["run_id"], json!(runs[0].id));
    let h200 = RunResult::read(&repo(H200)).unwrap();
    assert_eq!(h200.device.chip, None, "the committed file stores no chip");
    let of_h200 = rows.iter().find(|r| r["run_id"] == json!(h200.id)).unwrap();
    assert_eq!(of_h200["chip"], json!(CHIP), "the chip as the name maps it");
    let parquet = export(&root, "parquet", &dir);
    assert_eq!(parquet_rows(&parquet), cases as i64);
    assert_eq!(
        parquet_rows(&dataset::export::samples_path(&parquet)),
        samples as i64
    );
    // An earlier export is replaced; anything else only with --force; a bad folder is one line.
    assert!(common::chipbench(&args).status.success());
    fs::write(&out, "my notes").unwrap();
    let err = common::one_line_error(&args);
    assert!(err.contains("not an export chipbench wrote"), "{err}");
    assert_eq!(fs::read_to_string(&out).unwrap(), "my notes");
    let forced = [&args[..], &["--force"]].concat();
    assert!(common::chipbench(&forced).status.success());
    common::one_line_error(&[
        "dataset",
        "export",
        "no/such/dir",
        "--out",
        out.to_str().unwrap(),
    ]);
}

/// A run signed in place by a listed signer carries the signer and its standing (`single`: no
/// other signer measured the chip); every other run is unverified and unsigned.
fn signers_and_standings_are_columns() {
    use ssh_key::{LineEnding, PrivateKey, private::Ed25519Keypair};
    let (root, runs) = dataset_with("signed", &[]);
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&[7; 32]));
    let private = scratch("signed-key").join("lab.key");
    fs::write(&private, key.to_openssh(LineEnding::LF).unwrap().as_bytes()).unwrap();
    let public = key.public_key().to_openssh().unwrap();
    fs::write(
        root.join("allowed_signers"),
        format!("lab@example.org {public}\n"),
    )
    .unwrap();
    let h200 = RunResult::read(&repo(H200)).unwrap();
    let placed = dataset::place(&root, &h200);
    let signature = dataset::signature::sign(&private, &fs::read(&placed).unwrap()).unwrap();
    fs::write(placed.with_extension("json.sig"), signature).unwrap();
    let jsonl = export(&root, "jsonl", &scratch("signed-out"));
    let text = fs::read_to_string(jsonl).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rows.len(),
        runs.iter().map(|r| r.workloads.len()).sum::<usize>()
    );
    for row in &rows {
        let signed = row["run_id"] == json!(h200.id);
        let (signer, standing) = if signed {
            (json!("lab@example.org"), json!("single"))
        } else {
            (Value::Null, json!("unverified"))
        };
        assert_eq!(
            (&row["signer"], &row["standing"]),
            (&signer, &standing),
            "{row}"
        );
    }
}

/// Rows in a Parquet file, from its footer.
fn parquet_rows(path: &Path) -> i64 {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(fs::File::open(path).unwrap()).unwrap();
    reader.metadata().file_metadata().num_rows()
}

fn main() {
    let tests: Vec<Test> = vec![
        plain(
            "exports_are_tidy_safe_and_replace_nothing_foreign",
            exports_are_tidy_safe_and_replace_nothing_foreign,
        ),
        plain(
            "signers_and_standings_are_columns",
            signers_and_standings_are_columns,
        ),
        needs(
            "duckdb_reads_the_committed_runs",
            &[Need::DuckDb],
            duckdb_reads_the_committed_runs,
        ),
        needs(
            "duckdb_reads_a_fresh_run_beside_them",
            &[Need::Gpu, Need::DuckDb],
            duckdb_reads_a_fresh_run_beside_them,
        ),
    ];
    common::run(tests)
}
