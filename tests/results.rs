//! Every file in the shared dataset (results/) reads and validates: schema and version, the
//! content id, samples and a passed check behind every number.

use std::path::{Path, PathBuf};

use chipbench::schema::{RunResult, Status};

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
