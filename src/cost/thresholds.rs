//! The training-compute thresholds in law and regulation, with their status, and which a
//! run's compute crosses.

use serde::Serialize;

/// A training-compute threshold in law or regulation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    pub id: &'static str,
    pub rule: &'static str,
    pub flop: f64,
    pub status: &'static str,
    pub crossed: bool,
}

/// The compute thresholds, with whether `flops` crosses each (strictly above, as the rules say
/// "greater than"; the 4E091 rule says "10^26 or more").
pub fn thresholds(flops: f64) -> Vec<Threshold> {
    let t = |id, rule, flop: f64, status, inclusive: bool| Threshold {
        id,
        rule,
        flop,
        status,
        crossed: if inclusive {
            flops >= flop
        } else {
            flops > flop
        },
    };
    vec![
        t(
            "eu-ai-act-systemic-risk",
            "EU AI Act Art. 51(2): general-purpose model presumed to have systemic risk",
            1e25,
            "in force (GPAI obligations from August 2025)",
            false,
        ),
        t(
            "california-sb53-frontier",
            "California SB 53: frontier model",
            1e26,
            "in force (from 2026-01-01)",
            false,
        ),
        t(
            "us-eo14110-reporting",
            "US Executive Order 14110 s. 4.2(b): reporting of dual-use foundation models",
            1e26,
            "revoked 2025-01-20 (EO 14148)",
            false,
        ),
        t(
            "us-4e091-model-weights",
            "US AI Diffusion rule, ECCN 4E091: closed model weights",
            1e26,
            "not enforced since 2025-05-13",
            true,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_flag_what_is_crossed() {
        let crossed = |f: f64| -> Vec<&str> {
            thresholds(f)
                .into_iter()
                .filter(|t| t.crossed)
                .map(|t| t.id)
                .collect()
        };
        assert!(crossed(3.3e24).is_empty());
        assert_eq!(crossed(2.1e25), vec!["eu-ai-act-systemic-risk"]);
        assert_eq!(crossed(1e25), Vec::<&str>::new());
        assert_eq!(
            crossed(1e26),
            vec!["eu-ai-act-systemic-risk", "us-4e091-model-weights"]
        );
        assert_eq!(crossed(2e26).len(), 4);
    }
}
