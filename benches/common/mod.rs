//! Shared by the dataset benches: a synthetic dataset of valid result files, written once to a
//! scratch directory and reused across runs and benches.
//!
//! The files are copies of the committed H200 result, each with its own contributor text and
//! so its own id: valid, complete and plausible, as `dataset add` would store them.

use std::path::{Path, PathBuf};

use chipbench::dataset;
use chipbench::model::RunResult;

pub const H200: &str = "results/nvidia/nvidia-h200/788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e.json";

/// A dataset of `n` result files under the system's temporary directory (the dataset and
/// export benches use it; the calibration bench, which shares this module, does not).
#[allow(dead_code)]
pub fn corpus(n: usize) -> PathBuf {
    let name = match n {
        10_000 => "chipbench-bench-dataset".to_string(),
        n => format!("chipbench-bench-dataset-{n}"),
    };
    let dir = std::env::temp_dir().join(name);
    if dataset::files(&dir).len() == n {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let template =
        RunResult::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(H200)).expect("H200 result");
    for i in 0..n {
        let mut r = template.clone();
        r.contributor = Some(format!("bench copy {i}"));
        r.seal();
        r.write_atomic(&dataset::place(&dir, &r))
            .expect("write corpus");
    }
    dir
}
