//! How a case was timed, as a result records it: the time budget, the method, every sample
//! and the statistics over them. The device layer's pass timer produces these.
//!
//! A sample is the time of one pass divided by its dispatch count, so it is the cost of one
//! iteration of the workload with launch overhead amortised over N.

use serde::{Deserialize, Serialize};

/// How long to spend measuring one case, and how to split that time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Calibrated passes run and discarded before the timed ones: a GPU that idled while the
    /// host prepared data runs slowly for a few hundred milliseconds (clocks ramping up).
    pub warmup_ms: f64,
    /// Each timed pass runs at least this long (launch cost becomes noise), unless that would
    /// take more than `max_dispatches` dispatches.
    pub target_pass_ms: f64,
    /// Time to spend on the timed passes of one case, beyond the minimum pass count.
    pub per_case_ms: f64,
    pub min_passes: usize,
    pub max_passes: usize,
    pub max_dispatches: u32,
}

impl Budget {
    /// Seconds in all: for CI and a first look.
    pub fn quick() -> Self {
        Budget {
            warmup_ms: 20.0,
            target_pass_ms: 5.0,
            per_case_ms: 100.0,
            min_passes: 10,
            max_passes: 30,
            max_dispatches: 64,
        }
    }

    /// The default: long passes, enough of them for a stable median.
    pub fn full() -> Self {
        Budget {
            warmup_ms: 400.0,
            target_pass_ms: 25.0,
            per_case_ms: 600.0,
            min_passes: 10,
            max_passes: 100,
            max_dispatches: 1000,
        }
    }
}

/// How the samples were taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Timestamp queries at the start and end of the compute pass, on the GPU.
    GpuTimestamp,
    /// Host clock around submit and wait: includes submission and synchronisation cost.
    Wall,
    /// CUDA events around the calls (vendor-library reference results).
    CudaEvent,
}

/// Statistics of a set of samples, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Summary {
    pub median_ns: f64,
    pub min_ns: f64,
    pub max_ns: f64,
    pub mean_ns: f64,
    /// Standard deviation over mean.
    pub cv: f64,
}

/// The median of `xs`; NaN when empty.
pub fn median(xs: &[f64]) -> f64 {
    Summary::of(xs).map_or(f64::NAN, |s| s.median_ns)
}

impl Summary {
    /// Summarises `samples`; `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let var = sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        Some(Summary {
            median_ns: median,
            min_ns: sorted[0],
            max_ns: sorted[n - 1],
            mean_ns: mean,
            cv: if mean > 0.0 { var.sqrt() / mean } else { 0.0 },
        })
    }
}

/// The measured samples of one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timing {
    pub method: Method,
    pub warmup_passes: usize,
    pub dispatches_per_pass: u32,
    pub passes: usize,
    /// Time of one iteration, one per pass, in the order they ran.
    pub samples_ns: Vec<f64>,
    pub median_ns: f64,
    pub min_ns: f64,
    pub max_ns: f64,
    pub mean_ns: f64,
    /// Standard deviation over mean.
    pub cv: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_odd_and_even_counts() {
        let s = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median_ns, s.min_ns, s.max_ns), (2.0, 1.0, 3.0));
        assert!((s.mean_ns - 2.0).abs() < 1e-12);
        let e = Summary::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(e.median_ns, 2.5);
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn cv_is_zero_for_constant_samples_and_grows_with_spread() {
        assert_eq!(Summary::of(&[5.0; 10]).unwrap().cv, 0.0);
        let s = Summary::of(&[1.0, 3.0]).unwrap();
        assert!((s.cv - 0.5).abs() < 1e-12);
    }

    #[test]
    fn quick_budget_is_shorter_than_full() {
        let (q, f) = (Budget::quick(), Budget::full());
        assert!(q.per_case_ms < f.per_case_ms && q.target_pass_ms < f.target_pass_ms);
        assert!(q.min_passes >= 10 && f.min_passes >= 10);
    }
}
