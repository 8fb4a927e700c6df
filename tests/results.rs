//! Every file in the shared dataset (results/) reads and validates: schema and version, the
//! content id, samples and a passed check behind every number.

use std::path::{Path, PathBuf};

use chipbench::model::{RunResult, Status, Unit};

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_result_in_the_dataset_validates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    let mut files = Vec::new();
    json_files(&root, &mut files);
    assert!(!files.is_empty(), "results/ holds no result files");
    for path in files {
        let r = RunResult::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.complete, "{}: incomplete run", path.display());
        for w in &r.workloads {
            if w.status == Status::Ok {
                let t = w.timing.as_ref().unwrap();
                assert!(
                    t.samples_ns.len() >= 10,
                    "{}: {} {}",
                    path.display(),
                    w.workload,
                    w.variant
                );
            }
        }
    }
}

#[test]
fn committed_files_keep_their_ids_and_get_their_units() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/nvidia/nvidia-h200");
    let mut seen = 0;
    for name in [
        "788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e",
        "35e780f66ae0c0b913f422b44ad175238d1c0a06e882f1395876026a408a024a",
    ] {
        let r = RunResult::read(&dir.join(format!("{name}.json"))).unwrap();
        // Written before the typed fields existed: the id is unchanged by reading them typed.
        assert_eq!(r.id, name);
        for w in &r.workloads {
            assert!(
                w.unit.is_none() && w.family.is_none(),
                "older files lack them"
            );
            let matrix = matches!(
                w.variant.as_str(),
                "coop-f16-f32acc"
                    | "coop-f16-f16acc"
                    | "cublas-tf32"
                    | "cublas-f16"
                    | "cublas-bf16"
                    | "torch-sdpa-f16"
            );
            let want = if matrix { Unit::Matrix } else { Unit::Vector };
            assert_eq!(w.unit(r.source), want, "{} {}", w.workload, w.variant);
            seen += 1;
        }
    }
    assert!(seen > 30, "{seen} records");
}
