//! When a run's numbers may not be the chip's alone: cases whose passes spread widely, or a
//! machine or GPU already busy when the run began. `run` warns (as hyperfine does) and records
//! the sentences in the result for whoever reads the file; programs judge noise from the
//! recorded cv, load and process count, never from these sentences.

use super::result::{RunResult, Status};

/// Coefficient of variation of a case's passes above which it is called noisy. GPU kernels
/// timed with timestamps on an idle machine stay well under it: 40 of the 45 timed cases of
/// the committed H200 runs are under 2%, 43 under 5%.
pub const NOISY_CV: f64 = 0.05;

/// One-minute load average per core above which the host counts as busy.
pub const BUSY_LOAD_PER_CORE: f64 = 0.5;

/// The warnings a run earns, worst first: a busy host or GPU, then the noisy cases (counted,
/// with the worst named).
pub fn warnings(r: &RunResult) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(load) = r.conditions.host_load.filter(|l| *l > BUSY_LOAD_PER_CORE) {
        out.push(format!(
            "the host was busy as the run began (load average {load:.2} per core, above \
             {BUSY_LOAD_PER_CORE}): other programs may have slowed some cases"
        ));
    }
    if let Some(n) = r.conditions.gpu_processes.filter(|n| *n > 0) {
        out.push(format!(
            "{n} other process{} held the GPU as the run began",
            if n == 1 { "" } else { "es" }
        ));
    }
    let noisy: Vec<(f64, String)> = r
        .workloads
        .iter()
        .filter(|w| w.status == Status::Ok)
        .filter_map(|w| {
            let cv = w.timing.as_ref()?.cv;
            (cv > NOISY_CV).then(|| {
                (
                    cv,
                    format!("{} {} {}", w.workload, w.variant, w.shape_label()),
                )
            })
        })
        .collect();
    if let Some((cv, case)) = noisy.iter().max_by(|a, b| a.0.total_cmp(&b.0)) {
        out.push(format!(
            "{} of {} cases spread by more than {:.0}% between passes (worst: {case}, cv {:.1}%): \
             close other programs, or rerun and compare the runs",
            noisy.len(),
            r.workloads
                .iter()
                .filter(|w| w.status == Status::Ok)
                .count(),
            NOISY_CV * 100.0,
            cv * 100.0
        ));
    }
    out
}
