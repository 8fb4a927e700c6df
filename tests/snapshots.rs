//! Every command's output in every format, on the committed result files and fixed inputs,
//! against the files in tests/snapshots/: a change of wording, rounding or layout shows as a
//! reviewed diff. `CHIPBENCH_UPDATE_SNAPSHOTS=1 cargo test --test snapshots` rewrites them.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use chipbench::cost::Tables;
use chipbench::model::RunResult;
use chipbench::policy::Database;
use chipbench::report::{model, summary, table};
use common::{H200, H200_VENDOR};

/// The formats every view renders, and the file extension each snapshot takes.
const FORMATS: [(&str, &str); 4] = [
    ("table", "txt"),
    ("markdown", "md"),
    ("csv", "csv"),
    ("json", "json"),
];

/// Each command (without `--format`) and the name its snapshots take.
fn commands() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("chips", vec!["chips", "--rule", "2026-01"]),
        (
            "classify-chip",
            vec!["classify", "--chip", "nvidia-h20", "--rule", "2026-01"],
        ),
        (
            "classify-spec",
            vec![
                "classify",
                "--peak",
                "bf16=148",
                "--peak",
                "fp8=296",
                "--die-area",
                "814",
                "--datacenter",
            ],
        ),
        ("classify-result", vec!["classify", "--result", H200]),
        (
            "cost-deepseek-h800",
            vec![
                "cost",
                "--model",
                "deepseek-v3",
                "--chip",
                "nvidia-h800",
                "--gpus",
                "2048",
            ],
        ),
        (
            "cost-h200-result",
            vec!["cost", "--model", "deepseek-v3", "--result", H200],
        ),
        (
            "cost-params-4090",
            vec![
                "cost",
                "--params",
                "70B",
                "--tokens",
                "2T",
                "--chip",
                "nvidia-rtx-4090",
                "--gpus",
                "100",
            ],
        ),
        ("cost-validate", vec!["cost", "--validate"]),
        (
            "inference-h100",
            vec![
                "inference",
                "--model",
                "llama-3.1-70b",
                "--chip",
                "nvidia-h100-sxm",
                "--weights",
                "fp8",
                "--kv",
                "fp8",
            ],
        ),
        (
            "inference-h200-result",
            vec![
                "inference",
                "--model",
                "deepseek-r1",
                "--result",
                H200,
                "--weights",
                "fp8",
                "--gpus",
                "8",
                "--fill",
            ],
        ),
        (
            "inference-compare",
            vec![
                "inference",
                "--model",
                "llama-3.1-70b",
                "--weights",
                "fp8",
                "--kv",
                "fp8",
                "--compare",
                "--chips",
                "nvidia-h100-sxm,nvidia-h20,nvidia-h200-sxm,amd-mi300x,nvidia-b200",
            ],
        ),
        ("inference-validate", vec!["inference", "--validate"]),
        ("compare-h200-vendor", vec!["compare", H200, H200_VENDOR]),
        ("report", vec!["report"]),
        (
            "scenario-2023",
            vec![
                "scenario",
                "--rule",
                "2023-10",
                "--as-of",
                "2024-06",
                "--restricted",
                "--train",
                "deepseek-v3",
                "--serve",
                "deepseek-v3",
            ],
        ),
        (
            "scenario-sweep",
            vec![
                "scenario",
                "--rule",
                "2024-12",
                "--restricted",
                "--serve",
                "llama-3.1-70b",
                "--sweep",
                "dram_bandwidth_gbps=1000..8000",
            ],
        ),
    ]
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> String {
    String::from_utf8(common::succeeds(args).stdout).expect("UTF-8 output")
}

/// Compares `text` with the snapshot `name`, or writes it when asked; a mismatch is returned.
fn check(name: &str, text: &str) -> Option<String> {
    let path: PathBuf = root().join("tests/snapshots").join(name);
    if std::env::var_os("CHIPBENCH_UPDATE_SNAPSHOTS").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        return None;
    }
    let want = fs::read_to_string(&path).unwrap_or_default();
    if want == text {
        return None;
    }
    let line = want
        .lines()
        .zip(text.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(want.lines().count().min(text.lines().count()));
    Some(format!(
        "{name}: differs from line {}\n  snapshot: {}\n  now:      {}",
        line + 1,
        want.lines().nth(line).unwrap_or("(end)"),
        text.lines().nth(line).unwrap_or("(end)")
    ))
}

#[test]
fn every_command_in_every_format_matches_its_snapshot() {
    let mut failures = Vec::new();
    for (name, args) in commands() {
        for (format, ext) in FORMATS {
            let mut all = args.clone();
            all.extend(["--format", format]);
            failures.extend(check(&format!("{name}.{ext}"), &run(&all)));
        }
    }
    // The HTML pages, charts and all: the report and a scenario sweep.
    failures.extend(check("report.html", &run(&["report", "--format", "html"])));
    let mut sweep = commands()
        .into_iter()
        .find(|(name, _)| *name == "scenario-sweep")
        .map(|(_, args)| args)
        .expect("the sweep is among the commands");
    sweep.extend(["--format", "html"]);
    failures.extend(check("scenario-sweep.html", &run(&sweep)));
    assert!(
        failures.is_empty(),
        "{} snapshot(s) changed (CHIPBENCH_UPDATE_SNAPSHOTS=1 rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_run_table_and_summary_match_their_snapshot() {
    let db = Database::load().unwrap();
    let tables = Tables::load(&db).unwrap();
    let r = RunResult::read(&root().join(H200)).unwrap();
    let mut text = table::render(&r.workloads);
    let report = model::build(
        &db,
        &tables,
        &Default::default(),
        &[(r.id.clone(), r.clone())],
        Vec::new(),
        false,
    );
    text.push_str("\nsummary:\n");
    for line in summary::headline(&report.devices[0]) {
        text.push_str(&format!("  {line}\n"));
    }
    if let Some(failure) = check("run-table.txt", &text) {
        panic!("{failure}");
    }
}

#[test]
fn the_dataset_commands_match_their_snapshots() {
    let mut failures = Vec::new();
    failures.extend(check(
        "dataset-check.txt",
        &run(&["dataset", "check", "results"]),
    ));
    // The export's tidy table of the committed runs, as CSV and as JSON lines.
    let dir = common::scratch_in("snapshots", "export");
    for (format, ext) in [("csv", "csv"), ("jsonl", "jsonl")] {
        let out = dir.join(format!("cases.{ext}"));
        run(&[
            "dataset",
            "export",
            "results",
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ]);
        let text = fs::read_to_string(&out).expect("the export was written");
        failures.extend(check(&format!("dataset-export.{ext}"), &text));
    }
    assert!(
        failures.is_empty(),
        "{} snapshot(s) changed (CHIPBENCH_UPDATE_SNAPSHOTS=1 rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
