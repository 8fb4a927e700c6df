//! The buyer's best chip beside the best chip on sale, and what the difference costs: for a
//! training run the fewest GPU-hours, for a serving load the most output tokens/s per GPU. The
//! ratios are of central estimates; each side's range stands beside it.

use serde::Serialize;

use super::access::{Access, Status};
use super::workload::{Serving, ServingSet, Training, TrainingSet};

/// The best chip this buyer can get and the best on sale at the date, whatever the rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome<T, P> {
    pub workload: String,
    pub available: T,
    pub overall: T,
    pub penalty: P,
}

/// What training on the buyer's best chip costs over the best chip on sale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainingPenalty {
    /// GPU-hours over the best chip's: also wall-clock days at the same cluster size, and the
    /// chips needed for the same FLOP/s.
    pub time: f64,
    /// The buyer's cluster that finishes in the best chip's time at its size.
    pub chips_to_match: f64,
    /// Dollars at table prices over the best chip's, where both have a price.
    pub cost: Option<f64>,
}

/// What serving on the buyer's best chip costs over the best chip on sale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ServingPenalty {
    /// The best chip's output tokens/s per GPU over the buyer's: the chips needed for the same
    /// throughput.
    pub chips: f64,
    /// Dollars per million output tokens over the best chip's, where both have a price.
    pub cost: Option<f64>,
}

/// The index of the best of the chips of `per_chip` that `eligible` admits: the largest
/// `key`, equal keys broken by the larger `tie` (the cheaper chip), then database order.
fn best<T>(
    per_chip: &[Result<T, String>],
    eligible: impl Fn(usize) -> bool,
    key: impl Fn(&T) -> (f64, f64),
) -> Option<usize> {
    per_chip
        .iter()
        .enumerate()
        .filter(|(i, _)| eligible(*i))
        .filter_map(|(i, r)| r.as_ref().ok().map(|t| (i, key(t))))
        .fold(None, |acc: Option<(usize, (f64, f64))>, (i, k)| match acc {
            Some((_, b)) if b.0 > k.0 || (b.0 == k.0 && b.1 >= k.1) => acc,
            _ => Some((i, k)),
        })
        .map(|(i, _)| i)
}

/// A cost to break ties with: lower is better, no price worst.
fn cheaper(cost: Option<crate::quantity::Span>) -> f64 {
    cost.map_or(f64::NEG_INFINITY, |c| -c.central)
}

/// The buyer's best chip and the best on sale for `set`, by `key`; none when the buyer can
/// get no chip that runs it.
fn pick<'a, T>(
    per_chip: &'a [Result<T, String>],
    access: &[Access],
    key: impl Fn(&T) -> (f64, f64) + Copy,
) -> Option<(&'a T, &'a T)> {
    let on_sale = |i: usize| access[i].status != Status::NotOnSale;
    let mine = best(per_chip, |i| access[i].available(), key)?;
    let all = best(per_chip, on_sale, key)?;
    Some((per_chip[mine].as_ref().ok()?, per_chip[all].as_ref().ok()?))
}

/// The training outcome; none when the buyer can get no chip that trains it.
pub fn training(
    set: &TrainingSet,
    access: &[Access],
) -> Option<Outcome<Training, TrainingPenalty>> {
    let (mine, all) = pick(&set.per_chip, access, |t: &Training| {
        (-t.gpu_hours.central, cheaper(t.cost_usd))
    })?;
    let time = mine.gpu_hours.central / all.gpu_hours.central;
    Some(Outcome {
        workload: set.label.clone(),
        penalty: TrainingPenalty {
            time,
            chips_to_match: (set.gpus as f64 * time).ceil(),
            cost: mine
                .cost_usd
                .zip(all.cost_usd)
                .map(|(a, b)| a.central / b.central),
        },
        available: mine.clone(),
        overall: all.clone(),
    })
}

/// The serving outcome; none when the buyer can get no chip that serves it.
pub fn serving(set: &ServingSet, access: &[Access]) -> Option<Outcome<Serving, ServingPenalty>> {
    let (mine, all) = pick(&set.per_chip, access, |s: &Serving| {
        (s.tokens_per_s_per_gpu.central, cheaper(s.usd_per_m_output))
    })?;
    Some(Outcome {
        workload: set.label.clone(),
        penalty: ServingPenalty {
            chips: all.tokens_per_s_per_gpu.central / mine.tokens_per_s_per_gpu.central,
            cost: mine
                .usd_per_m_output
                .zip(all.usd_per_m_output)
                .map(|(a, b)| a.central / b.central),
        },
        available: mine.clone(),
        overall: all.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_breaks_ties_by_cost_then_order_among_the_eligible() {
        let figures: Vec<Result<(f64, f64), String>> = vec![
            Ok((1.0, 0.0)),
            Err("no peak".into()),
            Ok((3.0, -5.0)),
            Ok((3.0, -2.0)),
            Ok((3.0, -2.0)),
            Ok((9.0, 0.0)),
        ];
        assert_eq!(best(&figures, |i| i != 5, |v| *v), Some(3));
        assert_eq!(best(&figures, |i| i == 1, |v| *v), None);
        assert_eq!(best(&figures, |_| true, |v| (-v.0, v.1)), Some(0));
        assert_eq!(cheaper(None), f64::NEG_INFINITY);
    }
}
