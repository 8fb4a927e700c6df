//! The outcome of a correctness check against the CPU reference: a number exists only beside
//! a passed one from the same run.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// How `error` is defined.
    pub metric: String,
    pub error: f64,
    pub tolerance: f64,
    /// Elements compared, out of `total` written by the kernel.
    pub checked: u64,
    pub total: u64,
    /// Seed of the random inputs, to replay a failure.
    pub seed: u64,
    pub passed: bool,
}

impl Check {
    pub fn new(
        metric: &str,
        error: f64,
        tolerance: f64,
        checked: u64,
        total: u64,
        seed: u64,
    ) -> Self {
        Check {
            metric: metric.to_string(),
            passed: error.is_finite() && error <= tolerance,
            error,
            tolerance,
            checked,
            total,
            seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_passes_only_finite_errors_within_tolerance() {
        assert!(Check::new("m", 1e-7, 1e-6, 1, 1, 0).passed);
        assert!(!Check::new("m", 1e-5, 1e-6, 1, 1, 0).passed);
        assert!(!Check::new("m", f64::NAN, 1e-6, 1, 1, 0).passed);
        assert!(!Check::new("m", f64::INFINITY, 1e-6, 1, 1, 0).passed);
    }
}
