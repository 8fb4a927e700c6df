//! The shared dataset: adding files (stored, duplicate, rejected with reasons, nothing written
//! on rejection), plausibility against the chip database, hostile files, the whole-tree check,
//! the deterministic index, and a fuzz loop over the parser and validator.

mod common;

use common::{H200, H200_VENDOR, repo};

use std::fs;
use std::path::{Path, PathBuf};

use chipbench::bench::data::Rng;
use chipbench::dataset::{self, Added};
use chipbench::model::RunResult;
use chipbench::policy::Database;

fn scratch(name: &str) -> PathBuf {
    common::scratch_in("dataset", name)
}

/// The H200 result, changed by `edit` and sealed again, written to `dir/name`.
fn variant(dir: &Path, name: &str, edit: impl FnOnce(&mut RunResult)) -> PathBuf {
    let mut r = RunResult::read(&repo(H200)).unwrap();
    edit(&mut r);
    r.seal();
    let path = dir.join(name);
    r.write_atomic(&path).unwrap();
    path
}

/// Makes `w` claim `figure` (TFLOP/s, or GB/s for work without FLOPs) consistently: every
/// sample and statistic shrinks so that the throughput is the work over the median, as a
/// careful forger would make it.
fn claim(w: &mut chipbench::model::WorkloadRecord, figure: f64) {
    let factor = figure / headline(w);
    let t = w.timing.as_mut().unwrap();
    for s in &mut t.samples_ns {
        *s /= factor;
    }
    for v in [
        &mut t.median_ns,
        &mut t.min_ns,
        &mut t.max_ns,
        &mut t.mean_ns,
    ] {
        *v /= factor;
    }
    w.throughput = Some(chipbench::model::Throughput::at(
        w.flops_per_iter,
        w.bytes_per_iter,
        t.median_ns,
    ));
}

/// A record's figure as people read it: TFLOP/s, or GB/s for bandwidth-bound work.
fn headline(w: &chipbench::model::WorkloadRecord) -> f64 {
    let f = w.figure().unwrap();
    match f.unit {
        chipbench::quantity::Unit::FlopPerSecond => f.value / 1e12,
        _ => f.value / 1e9,
    }
}

fn tree(dir: &Path) -> Vec<PathBuf> {
    dataset::files(dir)
}

#[test]
fn add_stores_skips_duplicates_and_rejects_with_reasons() {
    let db = Database::load().unwrap();
    let root = scratch("root");
    let inbox = scratch("inbox");
    let good = repo(H200);
    let out = dataset::add(
        &db,
        &root,
        &[good.clone(), good.clone()],
        &Default::default(),
    );
    let expected = root
        .join("nvidia/nvidia-h200")
        .join(good.file_name().unwrap());
    assert_eq!(
        out[0].1,
        Added::Stored(expected.clone(), dataset::Verification::Unsigned)
    );
    assert_eq!(out[1].1, Added::Duplicate(expected.clone()));
    assert_eq!(
        fs::read(&expected).unwrap(),
        fs::read(&good).unwrap(),
        "stored byte for byte"
    );

    // Above the chip's datasheet: 2,000 TFLOP/s of f16 matmul and 9 TB/s of copy on an H200.
    let mut raised = 0;
    let fast = variant(&inbox, "fast.json", |r| {
        for w in &mut r.workloads {
            if w.workload == "matmul" && w.variant == "coop-f16-f32acc" {
                claim(w, 2000.0);
                raised += 1;
            }
            if w.workload == "copy" {
                claim(w, 9000.0);
                raised += 1;
            }
        }
    });
    let before = tree(&root);
    let out = dataset::add(&db, &root, std::slice::from_ref(&fast), &Default::default());
    let Added::Rejected(reasons) = &out[0].1 else {
        panic!("{out:?}")
    };
    assert!(
        reasons.iter().any(|r| r
            .contains("on the matrix units at f16 exceeds the H200 SXM matrix fp16 peak of 989.4")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("memory bandwidth of 4800 GB/s")),
        "{reasons:?}"
    );
    // The file has five coop-f16-f32acc shapes and two copy variants: one line for each, and
    // one more for each forged matmul whose required traffic would outrun the HBM too (the
    // small shapes, whose bytes per FLOP are highest).
    assert_eq!(raised, 7);
    let forged = RunResult::read(&fast).unwrap();
    let over_bandwidth = forged
        .workloads
        .iter()
        .filter(|w| w.workload == "matmul" && w.variant == "coop-f16-f32acc")
        .filter(|w| w.throughput.as_ref().unwrap().gbps > 4800.0 * 1.05)
        .count();
    assert_eq!(over_bandwidth, 2);
    assert_eq!(
        reasons.len(),
        raised + over_bandwidth,
        "one line per reason: {reasons:?}"
    );
    assert_eq!(tree(&root), before, "a rejected file changes nothing");
}

#[test]
fn rehashed_numbers_must_agree_with_each_other() {
    let inbox = scratch("semantic");
    type Edit = fn(&mut RunResult);
    let edits: [(&str, Edit, &str); 21] = [
        (
            "variant-tolerance",
            |r| r.workloads[0].check.as_mut().unwrap().tolerance = 1e-3,
            "is not the 1e-6 this variant defines",
        ),
        (
            "median",
            |r| r.workloads[0].timing.as_mut().unwrap().median_ns *= 0.5,
            "not the median of the samples",
        ),
        (
            "sample",
            |r| r.workloads[0].timing.as_mut().unwrap().samples_ns[0] = 1e12,
            "of the samples",
        ),
        (
            "flops",
            |r| {
                let w = &mut r.workloads[2];
                w.flops_per_iter = 3.0 * w.bytes_per_iter;
                w.throughput.as_mut().unwrap().tflops = None;
            },
            "throughput is not the work over the median time",
        ),
        (
            "tiny",
            |r| r.workloads[0].throughput.as_mut().unwrap().gbps = 5e-324,
            "throughput is not the work",
        ),
        (
            "tolerance",
            |r| r.workloads[0].check.as_mut().unwrap().tolerance = 1e300,
            "passed correctness check",
        ),
        (
            "error",
            |r| r.workloads[0].check.as_mut().unwrap().error = -1.0,
            "passed correctness check",
        ),
        (
            "checked",
            |r| {
                let c = r.workloads[0].check.as_mut().unwrap();
                c.checked = c.total + 1;
            },
            "passed correctness check",
        ),
        (
            "workload",
            |r| r.workloads[0].workload = "nvidia-b200".into(),
            "unknown workload",
        ),
        (
            "variant",
            |r| r.workloads[0].variant = "=HYPERLINK(x)".into(),
            "a variant name is lowercase",
        ),
        (
            "zero",
            |r| *r.workloads[0].shape.values_mut().next().unwrap() = 0,
            "shape dimensions must be 1 to 2^32",
        ),
        (
            "matmul-shape",
            |r| {
                let w = r
                    .workloads
                    .iter_mut()
                    .find(|w| w.workload == "matmul")
                    .unwrap();
                *w.shape.get_mut("n").unwrap() = 1;
            },
            "does 2mnk",
        ),
        (
            "attention-shape",
            |r| {
                let w = &mut r.workloads[0];
                w.workload = "attention".into();
                w.shape = [("batch", 1), ("heads", 2), ("seq", 8), ("head_dim", 8)]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
            },
            "attention of this shape",
        ),
        (
            "cv",
            |r| r.workloads[0].timing.as_mut().unwrap().cv = 1e300,
            "is not the cv of the samples",
        ),
        (
            "dispatches",
            |r| r.workloads[0].timing.as_mut().unwrap().dispatches_per_pass = 0,
            "at least one dispatch",
        ),
        (
            "loose",
            |r| r.workloads[0].check.as_mut().unwrap().tolerance = 0.5,
            "passed correctness check",
        ),
        (
            "reason",
            |r| r.workloads[0].reason = Some("all good".into()),
            "a reason belongs to a case that did not pass",
        ),
        (
            "hot",
            |r| r.conditions.after.as_mut().unwrap().temperature_c = Some(3.7e301),
            "out of range",
        ),
        (
            "budget",
            |r| r.settings.budget.target_pass_ms = 5e-324,
            "settings.budget",
        ),
        (
            "escape",
            |r| r.conditions.source = "\u{1b}[2Jok".into(),
            "conditions.source",
        ),
        (
            "invisible",
            |r| r.workloads[0].check.as_mut().unwrap().metric = "error\u{200b}".into(),
            "control or invisible characters",
        ),
    ];
    for (name, edit, want) in edits {
        let path = variant(&inbox, &format!("{name}.json"), edit);
        let (_, problems) = RunResult::load_checked(&path).unwrap();
        assert!(
            problems.iter().any(|p| p.contains(want)),
            "{name}: {problems:?}"
        );
    }
    // On a chip that lists no vector f16 peak (the H800), a vector f16 rate is bounded on its
    // own unit, not by the tensor cores.
    let db = Database::load().unwrap();
    let mut r = RunResult::read(&repo(H200)).unwrap();
    r.device.name = "NVIDIA H800".into();
    r.device.chip = None;
    let fma = r.workloads.iter().position(|w| w.variant == "f16").unwrap();
    claim(&mut r.workloads[fma], 900.0);
    let reasons = dataset::implausible(&db, &r);
    assert!(
        reasons
            .iter()
            .any(|p| p.contains("4x the vector fp32 peak")),
        "{reasons:?}"
    );
    // chipbench's FMA loop runs on the vector units whatever the file says.
    let mut r = RunResult::read(&repo(H200)).unwrap();
    r.workloads[fma].unit = Some(chipbench::model::Unit::Matrix);
    assert!(
        r.problems()
            .iter()
            .any(|p| p.contains("runs on the vector units"))
    );
    // A chip claimed against the adapter name is named (`add` refuses it); the name decides.
    let mut r = RunResult::read(&repo(H200)).unwrap();
    r.device.chip = Some("nvidia-b200".into());
    assert!(
        dataset::chip_claim(&db, &r)
            .unwrap()
            .contains("is not the chip the adapter name")
    );
    // A zero-width space does not hide the chip; an adapter no chip maps to is still bounded,
    // by the fastest chip in the database.
    assert_eq!(
        db.for_adapter("NVIDIA\u{200b} H200").unwrap().id,
        "nvidia-h200-sxm"
    );
    let mut r = RunResult::read(&repo(H200)).unwrap();
    r.device.name = "Example X9000".into();
    r.device.chip = None;
    claim(&mut r.workloads[1], 1e6);
    let reasons = dataset::implausible(&db, &r);
    assert!(
        reasons
            .iter()
            .any(|p| p.contains("fastest chip in the database")),
        "{reasons:?}"
    );
}

#[test]
fn forged_text_and_borrowed_ids_are_refused() {
    let db = Database::load().unwrap();
    let inbox = scratch("forged-inbox");
    // A key given twice: readers that keep the first and the last would disagree.
    let text = fs::read_to_string(repo(H200)).unwrap();
    // (serde already refuses a struct field given twice; a map such as `shape` it would not.)
    let twice = text.replacen("\"iters\": 1024,", "\"iters\": 1, \"iters\": 1024,", 1);
    assert_ne!(twice, text);
    let e = RunResult::parse(&twice).unwrap_err();
    assert!(e.contains("duplicate key \"iters\""), "{e}");
    // Control characters in a name could forge terminal lines.
    let esc = variant(&inbox, "esc.json", |r| {
        r.workloads[0].variant = "x\nrejected nothing: all good\u{1b}[2K".into()
    });
    let (_, problems) = RunResult::load_checked(&esc).unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("control or invisible characters")),
        "{problems:?}"
    );
    // An invalid file carrying a valid file's id does not make the real one a duplicate.
    let root = scratch("forged-root");
    let dir = root.join("nvidia/nvidia-h200");
    fs::create_dir_all(&dir).unwrap();
    let h200_id = RunResult::read(&repo(H200)).unwrap().id;
    fs::write(
        dir.join(format!("{h200_id}.json")),
        text.replacen("\"complete\": true", "\"complete\": false", 1),
    )
    .unwrap();
    let out = dataset::add(&db, &root, &[repo(H200)], &Default::default());
    assert!(matches!(out[0].1, Added::Stored(..)), "{out:?}");
    // A device name that is a spreadsheet formula is quoted in index.csv.
    let formula = variant(&inbox, "formula.json", |r| {
        r.device.name = "=HYPERLINK(\"http://x\")".into()
    });
    let root = scratch("formula-root");
    dataset::add(&db, &root, &[formula], &Default::default());
    dataset::write_index(&db, &root).unwrap();
    let csv = fs::read_to_string(root.join("index.csv")).unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    // The project's own root is not a dataset: its README is left alone.
    let before = fs::read(repo("README.md")).unwrap();
    let err = common::one_line_error(&["dataset", "index", "."]);
    assert!(err.contains("not a dataset root"), "{err}");
    assert_eq!(fs::read(repo("README.md")).unwrap(), before);
}

#[test]
fn links_neither_loop_the_walk_nor_carry_writes_outside() {
    use std::os::unix::fs::symlink;
    let db = Database::load().unwrap();
    let root = scratch("links");
    let outside = scratch("links-outside");
    // Two links back to the root: a walk that followed them would never end.
    symlink(&root, root.join("a")).unwrap();
    symlink(&root, root.join("b")).unwrap();
    // A result file that is a link to /dev/zero is named, not read forever.
    symlink("/dev/zero", root.join("evil.json")).unwrap();
    let bad = dataset::check(&db, &root);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].1[0].contains("not a regular file"), "{bad:?}");
    // The device folder is a link to somewhere else: adding refuses to write through it.
    fs::create_dir_all(root.join("nvidia")).unwrap();
    symlink(&outside, root.join("nvidia/nvidia-h200")).unwrap();
    let out = dataset::add(&db, &root, &[repo(H200)], &Default::default());
    let Added::Rejected(reasons) = &out[0].1 else {
        panic!("{out:?}")
    };
    assert!(reasons[0].contains("symbolic link"), "{reasons:?}");
    assert!(
        fs::read_dir(&outside).unwrap().next().is_none(),
        "nothing written outside"
    );
}

#[test]
fn a_vector_rate_above_the_vector_peak_is_refused() {
    // 200 TFLOP/s of vector FMA at f16 on an H200: under the 989.4 tensor-core peak, but 1.5x
    // what the vector units can do (133.8), so a forgery the matrix peak would let through.
    let inbox = scratch("vector-inbox");
    let forged = variant(&inbox, "fma.json", |r| {
        for w in &mut r.workloads {
            if w.workload == "fma" && w.variant == "f16" {
                claim(w, 200.0);
            }
        }
    });
    let root = scratch("vector-root");
    for f in tree(&repo("results")) {
        let rel = f.strip_prefix(repo("results")).unwrap();
        fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
        fs::copy(&f, root.join(rel)).unwrap();
    }
    let before: Vec<Vec<u8>> = tree(&root).iter().map(|p| fs::read(p).unwrap()).collect();
    let out = common::chipbench(&[
        "dataset",
        "add",
        forged.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("on the vector units at f16 exceeds the H200 SXM vector fp16 peak of 133.8"),
        "{err}"
    );
    let after: Vec<Vec<u8>> = tree(&root).iter().map(|p| fs::read(p).unwrap()).collect();
    assert_eq!(before, after, "the dataset is unchanged");
}

#[test]
fn hostile_files_are_rejected_and_nothing_escapes_the_root() {
    let db = Database::load().unwrap();
    let root = scratch("hostile-root");
    let inbox = scratch("hostile-inbox");
    let big = inbox.join("big.json");
    fs::File::create(&big).unwrap().set_len(65 << 20).unwrap();
    let nested = inbox.join("nested.json");
    fs::write(&nested, "[".repeat(100_000) + &"]".repeat(100_000)).unwrap();
    let binary = inbox.join("binary.json");
    fs::write(&binary, [0xc3u8, 0x28, 0xff, 0x00]).unwrap();
    let mut extra: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(repo(H200)).unwrap()).unwrap();
    extra["workloads"][0]["note"] = serde_json::json!("trust me");
    let unknown = inbox.join("unknown.json");
    fs::write(&unknown, extra.to_string()).unwrap();
    let cases = [
        (big, "limit for a result file"),
        (nested, "not a chipbench result"),
        (binary, "not UTF-8"),
        (unknown, "unknown field `note`"),
    ];
    for (path, why) in &cases {
        let out = dataset::add(&db, &root, std::slice::from_ref(path), &Default::default());
        let Added::Rejected(reasons) = &out[0].1 else {
            panic!("{path:?}: {out:?}")
        };
        assert!(
            reasons.iter().any(|r| r.contains(why)),
            "{path:?}: {reasons:?}"
        );
    }
    assert!(tree(&root).is_empty());

    // A device named like a path lands inside the root, under a harmless name.
    let sneaky = variant(&inbox, "sneaky.json", |r| {
        r.device.name = "../../etc/passwd".into()
    });
    let out = dataset::add(&db, &root, &[sneaky], &Default::default());
    let Added::Stored(at, _) = &out[0].1 else {
        panic!("{out:?}")
    };
    assert!(
        at.starts_with(&root) && at.parent().unwrap().ends_with("nvidia/etc-passwd"),
        "{at:?}"
    );
}

#[test]
fn check_names_bad_files_and_duplicates() {
    let db = Database::load().unwrap();
    let root = scratch("check");
    let home = root.join("nvidia/nvidia-h200");
    fs::create_dir_all(root.join("a")).unwrap();
    fs::create_dir_all(&home).unwrap();
    let name = repo(H200).file_name().unwrap().to_owned();
    fs::copy(repo(H200), home.join(&name)).unwrap();
    fs::copy(repo(H200), root.join("a/two.json")).unwrap();
    fs::write(root.join("a/broken.json"), "{").unwrap();
    // An interrupted run's file, in its place under its time-stamped name.
    let mut r = RunResult::read(&repo(H200)).unwrap();
    r.complete = false;
    r.seal();
    r.write_atomic(&home.join("20261203T120000Z.json")).unwrap();
    // A temporary file a killed write left behind, just now: its process number is above any
    // pid_max, so no process owns it.
    let tmp = home.join(".x.json.4194305.tmp");
    fs::write(&tmp, "partial").unwrap();
    let bad = dataset::check(&db, &root);
    let names: Vec<String> = bad
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into())
        .collect();
    assert_eq!(
        names,
        [
            "broken.json",
            "two.json",
            "20261203T120000Z.json",
            ".x.json.4194305.tmp"
        ],
        "{bad:?}"
    );
    assert!(
        bad[1].1[0].starts_with("misplaced: it belongs at"),
        "{bad:?}"
    );
    assert!(bad[1].1[1].starts_with("duplicate of"), "{bad:?}");
    assert!(bad[2].1[0].contains("incomplete"), "{bad:?}");
    assert!(bad[3].1[0].contains("interrupted write"), "{bad:?}");
    // Adding removes the stale temporary file and refuses the incomplete run.
    let out = dataset::add(
        &db,
        &root,
        &[home.join("20261203T120000Z.json")],
        &Default::default(),
    );
    assert!(matches!(&out[0].1, Added::Rejected(r) if r[0].contains("incomplete")));
    assert!(!tmp.exists());
    assert!(
        dataset::check(&db, &repo("results")).is_empty(),
        "the committed dataset is valid"
    );
}

#[test]
fn index_is_deterministic_and_committed_up_to_date() {
    let db = Database::load().unwrap();
    let signers = dataset::AllowedSigners::load(&repo("results")).unwrap();
    let rows = dataset::index(&db, &repo("results"), &signers);
    assert_eq!(
        dataset::index_markdown(&rows),
        dataset::index_markdown(&dataset::index(&db, &repo("results"), &signers))
    );
    assert_eq!(
        fs::read_to_string(repo("results/README.md")).unwrap(),
        dataset::index_markdown(&rows),
        "results/README.md is stale: run `chipbench dataset index`"
    );
    assert_eq!(
        fs::read_to_string(repo("results/index.csv")).unwrap(),
        dataset::index_csv(&rows)
    );
    let coop = rows
        .iter()
        .find(|r| r.variant == "coop-f16-f32acc" && r.shape == "m=8192 n=8192 k=8192")
        .unwrap();
    assert_eq!(
        (coop.runs, coop.median.unit, coop.chip.as_str()),
        (
            1,
            chipbench::quantity::Unit::FlopPerSecond,
            "nvidia-h200-sxm"
        )
    );
    // Full precision in base units: the file's TFLOP/s times 10^12, to the last bit.
    let h200 = RunResult::read(&repo(H200)).unwrap();
    let w = h200
        .workloads
        .iter()
        .find(|w| w.variant == "coop-f16-f32acc" && w.shape_label() == "m=8192 n=8192 k=8192")
        .unwrap();
    let tflops = w.throughput.as_ref().unwrap().tflops.unwrap();
    assert_eq!(coop.median.value, tflops * 1e12);
    let csv = dataset::index_csv(&rows);
    assert!(csv.contains(&format!(",{},,", tflops * 1e12)), "{csv}");
    // Device names with Markdown and HTML in them stay inert.
    assert_eq!(
        chipbench::text::md_cell("a|b<script>"),
        "a\\|b&lt;script&gt;"
    );
}

#[test]
fn the_index_shows_the_median_run_never_the_best() {
    let db = Database::load().unwrap();
    let root = scratch("median-index");
    // The fastest run is within 5% of the datasheet peaks, so all three are admitted.
    let runs: Vec<RunResult> = [0.9, 1.0, 1.02].map(rerun).into();
    let dir = scratch("median-inbox");
    let mut inbox = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let path = dir.join(format!("{i}.json"));
        r.write_atomic(&path).unwrap();
        inbox.push(path);
    }
    let added = dataset::add(&db, &root, &inbox, &Default::default());
    assert!(
        added.iter().all(|(_, a)| matches!(a, Added::Stored(..))),
        "{added:?}"
    );
    let rows = dataset::index(&db, &root, &Default::default());
    let coop = rows
        .iter()
        .find(|r| r.variant == "coop-f16-f32acc" && r.shape == "m=8192 n=8192 k=8192")
        .unwrap();
    let middle = &runs[1];
    let w = middle
        .workloads
        .iter()
        .find(|w| w.variant == "coop-f16-f32acc" && w.shape_label() == "m=8192 n=8192 k=8192")
        .unwrap();
    assert_eq!(coop.runs, 3);
    assert_eq!(coop.median, w.figure().unwrap());
    assert_eq!(coop.median_s, w.timing.as_ref().unwrap().median_ns * 1e-9);
    assert!(
        coop.file.ends_with(&format!("{}.json", middle.id)),
        "{coop:?}"
    );
}

#[test]
fn folders_are_added_whole_and_quick_runs_refused() {
    let db = Database::load().unwrap();
    let root = scratch("folders");
    let dir = root.to_str().unwrap();
    // A folder of results: every file under it, one line each.
    let out = common::succeeds(&[
        "dataset",
        "add",
        "--dataset",
        dir,
        repo("results").to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("added ")).count(),
        2,
        "{text}"
    );
    // Adding what is already in place says so and succeeds, for a file or a folder.
    let placed = dataset::files(&root);
    let out = common::chipbench(&[
        "dataset",
        "add",
        "--dataset",
        dir,
        placed[0].to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{} is already in the dataset\n", placed[0].display())
    );
    let out = common::chipbench(&["dataset", "add", "--dataset", dir, dir]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert_eq!(
        text.matches("is already in the dataset").count(),
        2,
        "{text}"
    );
    // A quick run is refused with one line; the good file beside it is added all the same.
    let inbox = scratch("folders-inbox");
    let quick = variant(&inbox, "quick.json", |r| r.settings.quick = true);
    let other = variant(&inbox, "other.json", |r| r.contributor = Some("lab".into()));
    let out = common::chipbench(&["dataset", "add", "--root", dir, inbox.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("rejected {}: a quick run", quick.display())),
        "{err}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with(&format!("added {}", other.display()))
    );
    // A quick run found in the tree fails `check`.
    assert!(dataset::check(&db, &root).is_empty());
    let r = RunResult::read(&quick).unwrap();
    r.write_atomic(&dataset::place(&root, &r)).unwrap();
    let bad = dataset::check(&db, &root);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].1[0].starts_with("a quick run"), "{bad:?}");
    // An empty folder adds nothing, and says so.
    let empty = scratch("folders-empty");
    let out = common::chipbench(&["dataset", "add", "--dataset", dir, empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no result files under it"));
}

#[test]
fn chips_are_mapped_as_read_and_a_stored_one_that_disagrees_is_a_warning() {
    let db = Database::load().unwrap();
    // The committed H200 files predate the mapping: no chip stored, the mapped one as read,
    // the id and the bytes unchanged.
    let before = fs::read(repo(H200)).unwrap();
    let stored = RunResult::read(&repo(H200)).unwrap();
    assert_eq!(stored.device.chip, None);
    let read = dataset::read(&db, &repo(H200)).unwrap();
    assert_eq!(read.device.chip.as_deref(), Some("nvidia-h200-sxm"));
    assert_eq!(read.id, stored.id);
    assert_eq!(fs::read(repo(H200)).unwrap(), before, "never written back");
    // A stored chip the mapping does not give: `add` refuses it, `check` warns of one in the
    // tree (the database moved under it) without failing, and readers take the mapped chip.
    let root = scratch("chip-claim");
    let inbox = scratch("chip-claim-inbox");
    let claimed = variant(&inbox, "claimed.json", |r| {
        r.device.chip = Some("nvidia-h100-sxm".into())
    });
    let out = dataset::add(
        &db,
        &root,
        std::slice::from_ref(&claimed),
        &Default::default(),
    );
    assert!(
        matches!(&out[0].1, Added::Rejected(r) if r[0].contains("is not the chip")),
        "{out:?}"
    );
    let r = RunResult::read(&claimed).unwrap();
    let home = dataset::place(&root, &r);
    r.write_atomic(&home).unwrap();
    let audit = dataset::audit(&db, &root);
    assert!(audit.problems.is_empty(), "{:?}", audit.problems);
    assert_eq!(audit.warnings.len(), 1);
    assert!(
        audit.warnings[0]
            .1
            .contains("\"nvidia-h100-sxm\" is not the chip")
    );
    assert_eq!(
        dataset::read(&db, &home).unwrap().device.chip.as_deref(),
        Some("nvidia-h200-sxm")
    );
    let out = common::chipbench(&["dataset", "check", "--dataset", root.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.starts_with("warning: ") && err.contains("readers take the mapped chip"),
        "{err}"
    );
}

#[test]
fn cli_add_and_check() {
    let root = scratch("cli");
    let good = repo(H200);
    let out = common::succeeds(&[
        "dataset",
        "add",
        good.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("added "));
    let bad = root.join("bad.json");
    fs::write(&bad, "{}").unwrap();
    let out = common::chipbench(&[
        "dataset",
        "add",
        bad.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("rejected ") && !err.contains("panicked"),
        "{err}"
    );
    let out = common::chipbench(&["dataset", "check", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "bad.json sits in the tree");
    common::one_line_error(&["dataset", "check", "no/such/dir"]);
}

#[test]
fn fuzzed_files_never_panic_the_parser_or_validator() {
    let db = Database::load().unwrap();
    let text = fs::read_to_string(repo(H200)).unwrap();
    let original = RunResult::parse(&text).unwrap();
    let bytes = text.as_bytes();
    let mut rng = Rng::new(7);
    let mut next = || rng.next_u64() as usize;
    let tokens: [&[u8]; 8] = [
        b"null",
        b"-1e999",
        b"NaN",
        b"\"\\u0000\"",
        b"[",
        b"}",
        b"1.5e308",
        b"\"../..\"",
    ];
    let (mut parsed, mut accepted) = (0, 0);
    for _ in 0..400 {
        let mut m = bytes.to_vec();
        for _ in 0..1 + next() % 4 {
            let at = next() % m.len();
            match next() % 4 {
                0 => m[at] = (next() % 256) as u8,
                1 => m.truncate(at.max(1)),
                2 => {
                    let t = tokens[next() % tokens.len()];
                    m.splice(at..at, t.iter().copied());
                }
                _ => {
                    m.remove(at);
                }
            }
        }
        let Ok(s) = std::str::from_utf8(&m) else {
            continue;
        };
        if let Ok(r) = RunResult::parse(s) {
            parsed += 1;
            let _ = dataset::implausible(&db, &r);
            if r.problems().is_empty() {
                // The id still matches only if the content did not change (white space did).
                assert_eq!(r, original, "a changed file passed validation");
                accepted += 1;
            }
        }
    }
    // The loop exercised the validator, not only the JSON parser.
    assert!(
        parsed > 0 && parsed > accepted,
        "{parsed} parsed, {accepted} accepted"
    );
}

/// Every leaf of a JSON value, as a path of keys and indices.
fn leaves(
    v: &serde_json::Value,
    path: &mut Vec<serde_json::Value>,
    out: &mut Vec<Vec<serde_json::Value>>,
) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone().into());
                leaves(x, path, out);
                path.pop();
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(i.into());
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn at<'a>(v: &'a mut serde_json::Value, path: &[serde_json::Value]) -> &'a mut serde_json::Value {
    path.iter().fold(v, |v, k| match k {
        serde_json::Value::String(s) => &mut v[s.as_str()],
        k => &mut v[k.as_u64().unwrap() as usize],
    })
}

/// `n` mutants of the committed files, each with one to three fields replaced by a hostile
/// value and the id recomputed (so that only semantic validation can refuse it), through the
/// parser, the validator, plausibility, the report (every format, the HTML with its charts for
/// one mutant in 25) and the cost estimate. Returns (parsed, accepted by validation and
/// plausibility).
fn field_mutants(n: usize) -> (usize, usize) {
    use chipbench::cost::{self, Compute, Context, Evidence, Request, Tables};
    use chipbench::report::{model, view};
    use chipbench::view::{Format, html, render};
    let db = Database::load().unwrap();
    let tables = Tables::load(&db).unwrap();
    let originals: Vec<serde_json::Value> = [H200, H200_VENDOR]
        .iter()
        .map(|p| serde_json::from_str(&fs::read_to_string(repo(p)).unwrap()).unwrap())
        .collect();
    let paths: Vec<Vec<Vec<serde_json::Value>>> = originals
        .iter()
        .map(|v| {
            let mut out = Vec::new();
            leaves(v, &mut Vec::new(), &mut out);
            out
        })
        .collect();
    let hostile: Vec<serde_json::Value> = serde_json::from_str(
        r#"[null, 0, -1, 1, -0.0, 5e-324, 1e-300, 1e300, 1.7976931348623157e308, 4294967296,
            18446744073709551615, true, "", "fp16", "F16", "half", "bf16", "nvidia-b200",
            "NVIDIA\u200bH200", "NVIDIA  H200", "\u001b[2Jok", "=HYPERLINK(\"x\")", "a\nb",
            "../../etc", "vendor-library", "matrix", "coop-f16-f32acc", "ok", "failed", [], {},
            [1e12], {"tflops": 1e6}]"#,
    )
    .unwrap();
    let numbers: Vec<serde_json::Value> =
        hostile.iter().filter(|h| h.is_number()).cloned().collect();
    let strings: Vec<serde_json::Value> =
        hostile.iter().filter(|h| h.is_string()).cloned().collect();
    let mut rng = Rng::new(11);
    let (mut parsed, mut accepted) = (0, 0);
    for i in 0..n {
        let which = rng.next_u64() as usize % originals.len();
        let mut v = originals[which].clone();
        for _ in 0..1 + rng.next_u64() % 3 {
            let p = &paths[which][rng.next_u64() as usize % paths[which].len()];
            let pick = |rng: &mut Rng, of: &[serde_json::Value]| {
                of[rng.next_u64() as usize % of.len()].clone()
            };
            let old = at(&mut v, p).clone();
            // Mostly type-preserving (so the mutant reaches the validator), sometimes anything.
            let value = match (rng.next_u64() % 5, &old) {
                (0, _) => pick(&mut rng, &hostile),
                (1 | 2, serde_json::Value::Number(x)) => {
                    let f = [1e6, 1e-6, -1.0, 3.0, 0.0, 1e300][rng.next_u64() as usize % 6];
                    serde_json::json!(x.as_f64().unwrap_or(1.0) * f)
                }
                (_, serde_json::Value::Number(_)) => pick(&mut rng, &numbers),
                (_, serde_json::Value::String(_)) => pick(&mut rng, &strings),
                (_, serde_json::Value::Bool(b)) => serde_json::json!(!b),
                _ => pick(&mut rng, &hostile),
            };
            *at(&mut v, p) = value;
        }
        let Ok(mut r) = RunResult::parse(&v.to_string()) else {
            continue;
        };
        parsed += 1;
        r.seal();
        let valid = r.problems().is_empty() && dataset::implausible(&db, &r).is_empty();
        accepted += usize::from(valid);
        if valid && std::env::var_os("CHIPBENCH_FUZZ_SHOW").is_some() {
            let orig: serde_json::Value = originals[which].clone();
            for p in &paths[which] {
                let (a, b) = (
                    at(&mut orig.clone(), p).clone(),
                    at(&mut v.clone(), p).clone(),
                );
                if a != b && !p.iter().any(|k| k == "id") {
                    eprintln!("accepted: {p:?}: {a} -> {b}");
                }
            }
        }
        let report = model::build(
            &db,
            &tables,
            &Default::default(),
            &[(r.id.clone(), r.clone())],
            Vec::new(),
            i % 25 == 0,
        );
        let doc = view::document(&db, &report);
        let _ = [Format::Table, Format::Csv, Format::Json].map(|f| render(&doc, f));
        if i % 25 == 0 {
            let _ = html(&doc, "chipbench report");
        }
        let files = Evidence::with_standing(&db, &Default::default(), vec![("mutant".into(), r)]);
        let req = Request {
            compute: Some(Compute::Model("deepseek-v3".into())),
            result: files.first(),
            ..Request::default()
        };
        let _ = cost::estimate(&Context::new(&db, &tables, &files), &req);
    }
    (parsed, accepted)
}

#[test]
fn field_mutations_never_panic_or_hang_the_readers() {
    let (parsed, accepted) = field_mutants(1_500);
    // Both paths ran: mutants refused by semantic validation, and mutants it cannot judge.
    assert!(
        parsed > 500 && accepted > 0 && accepted < parsed,
        "{parsed} parsed, {accepted} accepted"
    );
}

/// The long run, by hand: `cargo test --release --test dataset -- --ignored`.
#[test]
#[ignore = "long: 100,000 mutants; run by hand with --ignored"]
fn field_mutations_at_100k() {
    let (parsed, accepted) = field_mutants(100_000);
    eprintln!("100000 mutants: {parsed} parsed, {accepted} accepted");
    assert!(parsed > 30_000 && accepted < parsed);
}

/// The committed H200 run measured again, every figure scaled by `factor` consistently.
fn rerun(factor: f64) -> RunResult {
    let mut r = RunResult::read(&repo(H200)).unwrap();
    for w in r
        .workloads
        .iter_mut()
        .filter(|w| w.status == chipbench::model::Status::Ok)
    {
        let value = headline(w);
        claim(w, value * factor);
    }
    r.seal();
    r
}

#[test]
fn signed_runs_within_the_noise_confirm_each_other_and_a_far_one_stands_out() {
    let db = Database::load().unwrap();
    // The committed runs are unsigned: every index row is `unverified`.
    let signers = dataset::AllowedSigners::load(&repo("results")).unwrap();
    let committed = dataset::index(&db, &repo("results"), &signers);
    assert!(!committed.is_empty());
    assert!(
        committed
            .iter()
            .all(|r| r.standing == dataset::Standing::Unverified)
    );
    let original = RunResult::read(&repo(H200)).unwrap();
    // Another signer's run, 1% slower: within the noise, so both runs are confirmed.
    let near = rerun(0.99);
    let far = rerun(0.5);
    fn runs<'a>(list: &[(&'a RunResult, &str)]) -> Vec<dataset::Candidate<'a>> {
        list.iter()
            .map(|(r, s)| (r.id.clone(), *r, Some(s.to_string())))
            .collect()
    }
    let s = dataset::standings(&db, &runs(&[(&original, "a"), (&near, "b")]));
    assert_eq!(s[&original.id].standing, dataset::Standing::Confirmed);
    assert_eq!(s[&near.id].confirmed_by, ["a"]);
    // A third signer reporting half the figures lies far from the other two.
    let s = dataset::standings(&db, &runs(&[(&original, "a"), (&near, "b"), (&far, "c")]));
    assert_eq!(s[&far.id].standing, dataset::Standing::Outlier, "{s:?}");
    assert_eq!(s[&original.id].standing, dataset::Standing::Confirmed);
}
