//! The interval around a ratio of throughput, with both kinds of noise in it.
//!
//! Within a run, the timed passes of a case vary (clocks, launches); between runs of the same
//! binary on the same machine, whole cases move together (another process, a warmer GPU, a
//! different placement of buffers), and the passes of one run cannot show that. So with two
//! or more runs on each side the interval comes from a hierarchical bootstrap: resample the
//! runs, then each chosen run's passes, and take the median of the runs' figures. With one run
//! on a side, its within-run bootstrap interval is widened by the run-to-run spread chipbench
//! measured for that workload and kind of adapter ([`super::noise`]), and the output says so.

use serde::Serialize;

use crate::rng::Rng;

/// Bootstrap resamples per pair.
const RESAMPLES: usize = 2000;
/// Coverage of the interval.
const CONFIDENCE: f64 = 0.95;
/// Seed of the resampling; every pair starts from it, so a pair's interval does not depend on
/// which other pairs were compared.
const SEED: u64 = 0x6368_6970_6265_6e63;
/// The normal quantile of [`CONFIDENCE`], for widening by a run-to-run spread.
const Z: f64 = 1.959_964;

/// One run's measurement of a case: its per-iteration times and the work one iteration does.
/// Its passes are bounded by what a result file may hold (`MAX_SAMPLES_PER_CASE`), which
/// bounds the bootstrap's cost.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    pub samples: &'a [f64],
    pub work: f64,
}

/// How an interval was made.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "method")]
pub enum Method {
    /// Runs resampled, then each run's passes: both sides have two or more runs.
    Hierarchical,
    /// Passes resampled within each side's one run, widened by a run-to-run spread (log
    /// standard deviation of a run's figure) for each side with a single run.
    Widened { spread_a: f64, spread_b: f64 },
}

/// A ratio of throughput (B over A) with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub ratio: f64,
    pub low: f64,
    pub high: f64,
    pub method: Method,
}

impl Estimate {
    /// Whether the interval excludes 1: the only condition for a verdict.
    pub fn differs(&self) -> bool {
        self.low > 1.0 || self.high < 1.0
    }
}

/// The median of `xs`, reordering them; the mean of the middle two for an even count.
fn median_of(xs: &mut [f64]) -> f64 {
    let n = xs.len();
    if n == 0 {
        return f64::NAN;
    }
    let m = *xs.select_nth_unstable_by(n / 2, f64::total_cmp).1;
    if n % 2 == 1 {
        return m;
    }
    // Everything before the middle is at most `m`; the largest of it is the other middle.
    let lower_max = xs[..n / 2]
        .iter()
        .copied()
        .max_by(f64::total_cmp)
        .unwrap_or(m);
    (lower_max + m) / 2.0
}

/// A side's figure under one resample: the median over resampled runs (`hierarchical`) or
/// over its runs as they are, of each run's work over the median of its resampled passes.
struct Resampler<'a> {
    runs: Vec<(&'a [f64], f64)>,
    scratch: Vec<f64>,
    figures: Vec<f64>,
}

impl<'a> Resampler<'a> {
    fn new(runs: &[Run<'a>]) -> Self {
        Resampler {
            runs: runs.iter().map(|r| (r.samples, r.work)).collect(),
            scratch: Vec::new(),
            figures: Vec::with_capacity(runs.len()),
        }
    }

    fn draw(&mut self, rng: &mut Rng, hierarchical: bool) -> f64 {
        self.figures.clear();
        for i in 0..self.runs.len() {
            let pick = if hierarchical {
                rng.below(self.runs.len() as u64) as usize
            } else {
                i
            };
            let (samples, work) = &self.runs[pick];
            self.scratch.clear();
            self.scratch.extend(
                (0..samples.len()).map(|_| samples[rng.below(samples.len() as u64) as usize]),
            );
            let m = median_of(&mut self.scratch);
            self.figures.push(work / m);
        }
        median_of(&mut self.figures)
    }

    /// The side's figure with nothing resampled.
    fn point(&self) -> f64 {
        let mut figures: Vec<f64> = self
            .runs
            .iter()
            .map(|(s, w)| w / median_of(&mut s.to_vec()))
            .collect();
        median_of(&mut figures)
    }
}

/// The `q` quantile of sorted `xs`, interpolated linearly between order statistics.
fn quantile(xs: &[f64], q: f64) -> f64 {
    let at = q * (xs.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    xs[lo] + (xs[hi] - xs[lo]) * (at - lo as f64)
}

/// B's throughput over A's for the runs of one case on each side, with its interval.
/// `spread_a` and `spread_b` are the run-to-run spreads (log standard deviation) that widen a
/// side with one run; a side with more runs carries its own.
pub fn estimate(a: &[Run], b: &[Run], spread_a: f64, spread_b: f64) -> Estimate {
    let hierarchical = a.len() >= 2 && b.len() >= 2;
    let (mut ra, mut rb) = (Resampler::new(a), Resampler::new(b));
    let ratio = rb.point() / ra.point();
    let mut rng = Rng::new(SEED);
    let mut logs: Vec<f64> = (0..RESAMPLES)
        .map(|_| (rb.draw(&mut rng, hierarchical) / ra.draw(&mut rng, hierarchical)).ln())
        .collect();
    logs.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE) / 2.0;
    let (lo, hi) = (quantile(&logs, tail), quantile(&logs, 1.0 - tail));
    if hierarchical {
        return Estimate {
            ratio,
            low: lo.exp(),
            high: hi.exp(),
            method: Method::Hierarchical,
        };
    }
    // One run on a side: its run-to-run spread adds to the within-run one, in log space.
    let (sa, sb) = (
        if a.len() >= 2 { 0.0 } else { spread_a },
        if b.len() >= 2 { 0.0 } else { spread_b },
    );
    let centre = ratio.ln();
    let widen = Z * (sa * sa + sb * sb).sqrt();
    let below = ((centre - lo).powi(2) + widen * widen).sqrt();
    let above = ((hi - centre).powi(2) + widen * widen).sqrt();
    Estimate {
        ratio,
        low: (centre - below).exp(),
        high: (centre + above).exp(),
        method: Method::Widened {
            spread_a: sa,
            spread_b: sb,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic samples around `center` with a spread of +-`spread`.
    pub(crate) fn noisy(center: f64, spread: f64, n: usize) -> Vec<f64> {
        let mut rng = Rng::new(n as u64 + center.to_bits());
        (0..n)
            .map(|_| center + spread * f64::from(rng.next_f32()))
            .collect()
    }

    fn run(samples: &[f64], work: f64) -> Run<'_> {
        Run { samples, work }
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median_of(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_of(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median_of(&mut []).is_nan());
    }

    #[test]
    fn identical_runs_give_one_inside_the_interval() {
        let s = noisy(1e6, 5e4, 23);
        let e = estimate(&[run(&s, 1e9)], &[run(&s, 1e9)], 0.0, 0.0);
        assert_eq!(e.ratio, 1.0);
        assert!(e.low < 1.0 && e.high > 1.0, "{e:?}");
        assert!(!e.differs());
    }

    #[test]
    fn twice_as_fast_differs_and_work_scales_the_ratio() {
        let (a, b) = (noisy(2e6, 2e4, 20), noisy(1e6, 1e4, 20));
        let e = estimate(&[run(&a, 1e9)], &[run(&b, 1e9)], 0.0, 0.0);
        assert!(
            (e.ratio - 2.0).abs() < 0.05 && e.low > 1.9 && e.high < 2.1,
            "{e:?}"
        );
        assert!(e.differs());
        let t = noisy(1e6, 1e3, 20);
        let e = estimate(&[run(&t, 1e12)], &[run(&t, 2e12)], 0.0, 0.0);
        assert!((e.ratio - 2.0).abs() < 1e-12, "{e:?}");
    }

    #[test]
    fn a_run_to_run_spread_widens_a_single_run() {
        let (a, b) = (noisy(1.1e6, 1e3, 30), noisy(1e6, 1e3, 30));
        let tight = estimate(&[run(&a, 1.0)], &[run(&b, 1.0)], 0.0, 0.0);
        assert!(tight.differs(), "{tight:?}");
        // A 10% spread per run swallows a 10% difference.
        let wide = estimate(&[run(&a, 1.0)], &[run(&b, 1.0)], 0.1, 0.1);
        assert!(!wide.differs(), "{wide:?}");
        assert_eq!(
            wide.method,
            Method::Widened {
                spread_a: 0.1,
                spread_b: 0.1
            }
        );
    }

    #[test]
    fn several_runs_resample_runs_and_see_the_variation_between_them() {
        // Each side's runs agree within a run but differ by 20% between runs: the passes of
        // any one run are tight, the runs are not.
        let a: Vec<Vec<f64>> = [1.0e6, 1.2e6, 0.9e6]
            .iter()
            .map(|c| noisy(*c, 1e3, 20))
            .collect();
        let b: Vec<Vec<f64>> = [1.1e6, 0.95e6, 1.15e6]
            .iter()
            .map(|c| noisy(*c, 1e3, 20))
            .collect();
        let ra: Vec<Run> = a.iter().map(|s| run(s, 1.0)).collect();
        let rb: Vec<Run> = b.iter().map(|s| run(s, 1.0)).collect();
        let e = estimate(&ra, &rb, 0.0, 0.0);
        assert_eq!(e.method, Method::Hierarchical);
        assert!(!e.differs(), "{e:?}");
        // The within-run view alone would call it: the first run of each is 10% apart.
        let first = estimate(&ra[..1], &rb[..1], 0.0, 0.0);
        assert!(first.differs(), "{first:?}");
    }

    #[test]
    fn the_largest_runs_repeat() {
        let big = noisy(1e6, 1e5, 20_000);
        let x = estimate(&[run(&big, 1.0)], &[run(&big, 1.0)], 0.01, 0.01);
        assert_eq!(
            x,
            estimate(&[run(&big, 1.0)], &[run(&big, 1.0)], 0.01, 0.01)
        );
    }
}
