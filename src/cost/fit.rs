//! The utilisation model, fitted on the published training runs.
//!
//! A run's utilisation is its model FLOP/s per accelerator (6 · N_active · D over its
//! accelerator-hours) over its chip's datasheet dense 16-bit peak, Epoch AI's convention. Across
//! labs, two things predict it: the chip's generation (a newer generation's peak grows faster
//! than what a training step can keep fed) and the model's size (larger models run larger
//! GEMMs and spend a larger share of a step in them). So
//!
//!   ln u = a[generation] + b · ln(N_active / 10B),
//!
//! fitted by weighted least squares (a tier-2 run, which needed an assumption, weighs half as
//! much as a tier-1 one). No lab or run has a term of its own. Active parameters size the
//! model: a mixture of experts runs the GEMMs of its active part. A generation with no run in
//! the table takes the mean of the generations' intercepts, and its range widens by their
//! spread.
//!
//! Ranges are 80% prediction intervals from leave-one-out residuals: each run is predicted by
//! the model fitted without it, and the 10th and 90th percentiles of ln(predicted / reported)
//! over the runs bound the hours. `validate` measures their coverage honestly by leaving each
//! run out of the residuals its own interval is built from too.

use serde::Serialize;

/// The size every run's is taken relative to, so intercepts read as a 10B model's.
const SIZE_REFERENCE: f64 = 10e9;
/// The quantiles of the leave-one-out residuals that bound an 80% interval, and the normal
/// quantile that widens it by the spread between generations.
const LOWER: f64 = 0.1;
const UPPER: f64 = 0.9;
const Z80: f64 = 1.281_552;

/// One calibrating run, as the fit sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub run: String,
    pub chip: String,
    pub generation: String,
    pub active_params: f64,
    /// ln(u): u over the datasheet dense 16-bit peak.
    pub log_u: f64,
    pub weight: f64,
}

impl Point {
    fn size(&self) -> f64 {
        size(self.active_params)
    }
}

fn size(active_params: f64) -> f64 {
    (active_params / SIZE_REFERENCE).ln()
}

/// A fitted model: an intercept per generation (with its run count) and one slope in log size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    pub intercepts: Vec<(String, f64, usize)>,
    pub slope: f64,
}

/// Solves `a x = b` for a small dense system by Gaussian elimination with partial pivoting;
/// none when it is singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for (i, row) in lower.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[col + 1 + i] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

impl Fit {
    /// The weighted least-squares fit of `points`; none without at least two distinct sizes.
    pub fn of(points: &[&Point]) -> Option<Fit> {
        let mut gens: Vec<(String, usize)> = Vec::new();
        for p in points {
            match gens.iter_mut().find(|(g, _)| *g == p.generation) {
                Some(g) => g.1 += 1,
                None => gens.push((p.generation.clone(), 1)),
            }
        }
        let k = gens.len() + 1;
        let mut a = vec![vec![0.0; k]; k];
        let mut b = vec![0.0; k];
        for p in points {
            let g = gens.iter().position(|(name, _)| *name == p.generation)?;
            let mut x = vec![0.0; k];
            x[g] = 1.0;
            x[k - 1] = p.size();
            for i in 0..k {
                b[i] += p.weight * x[i] * p.log_u;
                for j in 0..k {
                    a[i][j] += p.weight * x[i] * x[j];
                }
            }
        }
        let beta = solve(a, b)?;
        Some(Fit {
            intercepts: gens
                .into_iter()
                .zip(&beta)
                .map(|((g, n), a)| (g, *a, n))
                .collect(),
            slope: beta[k - 1],
        })
    }

    /// The intercept of `generation`, if the fit has runs of it.
    fn intercept(&self, generation: &str) -> Option<f64> {
        self.intercepts
            .iter()
            .find(|(g, ..)| g == generation)
            .map(|(_, a, _)| *a)
    }

    /// The mean of the generations' intercepts: what a generation outside the table takes.
    pub(crate) fn pooled(&self) -> f64 {
        self.intercepts.iter().map(|(_, a, _)| a).sum::<f64>() / self.intercepts.len() as f64
    }

    /// The spread of the generations' intercepts (their standard deviation).
    fn between_generations(&self) -> f64 {
        let n = self.intercepts.len() as f64;
        if n < 2.0 {
            return 0.0;
        }
        let m = self.pooled();
        (self
            .intercepts
            .iter()
            .map(|(_, a, _)| (a - m).powi(2))
            .sum::<f64>()
            / (n - 1.0))
            .sqrt()
    }

    /// ln(u) for a model of `active_params` on a chip of `generation`, and whether the
    /// generation is in the fit.
    pub(crate) fn log_u(&self, generation: Option<&str>, active_params: f64) -> (f64, bool) {
        let known = generation.and_then(|g| self.intercept(g));
        (
            known.unwrap_or_else(|| self.pooled()) + self.slope * size(active_params),
            known.is_some(),
        )
    }
}

/// The `q` quantile of `xs` (sorted here), interpolated between order statistics.
pub(crate) fn quantile(xs: &[f64], q: f64) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let at = q * (s.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (at - lo as f64)
}

/// A model fitted on some runs, with the leave-one-out residuals of those runs: what an
/// estimate's central figure and 80% range come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub fit: Fit,
    /// The runs it rests on.
    pub runs: Vec<String>,
    /// ln(predicted / reported hours) of each of those runs, predicted without itself.
    pub residuals: Vec<f64>,
    /// The 10th and 90th percentiles of the residuals.
    pub lower: f64,
    pub upper: f64,
    /// The smallest and largest active parameter counts calibrated on.
    pub sizes: (f64, f64),
}

/// What the model predicts for one run or model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Predicted {
    /// Utilisation: central, and its 80% range.
    pub log_u: f64,
    pub log_u_low: f64,
    pub log_u_high: f64,
    pub known_generation: bool,
}

impl Calibration {
    /// The fit of `points` (less any run of `leave_out`) and their leave-one-out residuals;
    /// none with fewer than three runs or no spread in size.
    pub fn of(points: &[Point], leave_out: Option<&str>) -> Option<Calibration> {
        let used: Vec<&Point> = points
            .iter()
            .filter(|p| Some(p.run.as_str()) != leave_out)
            .collect();
        if used.len() < 3 {
            return None;
        }
        let fit = Fit::of(&used)?;
        let residuals: Vec<f64> = (0..used.len())
            .filter_map(|i| {
                let others: Vec<&Point> = used
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, p)| *p)
                    .collect();
                let f = Fit::of(&others)?;
                let p = used[i];
                Some(p.log_u - f.log_u(Some(&p.generation), p.active_params).0)
            })
            .collect();
        let sizes = used.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), p| {
            (lo.min(p.active_params), hi.max(p.active_params))
        });
        Some(Calibration {
            lower: quantile(&residuals, LOWER),
            upper: quantile(&residuals, UPPER),
            runs: used.iter().map(|p| p.run.clone()).collect(),
            fit,
            residuals,
            sizes,
        })
    }

    /// The utilisation of a model of `active_params` on a chip of `generation`, with its 80%
    /// range (wider for a generation outside the table).
    pub fn predict(&self, generation: Option<&str>, active_params: f64) -> Predicted {
        let (log_u, known) = self.fit.log_u(generation, active_params);
        let widen = if known {
            0.0
        } else {
            Z80 * self.fit.between_generations()
        };
        let spread = |r: f64| r.signum() * (r * r + widen * widen).sqrt();
        Predicted {
            log_u,
            log_u_low: log_u + spread(self.lower.min(0.0)).min(-widen),
            log_u_high: log_u + spread(self.upper.max(0.0)).max(widen),
            known_generation: known,
        }
    }

    /// The runs of `generation` it rests on.
    pub fn count(&self, generation: &str) -> usize {
        self.fit
            .intercepts
            .iter()
            .find(|(g, ..)| g == generation)
            .map_or(0, |(.., n)| *n)
    }
}

/// How far held-out predictions fell from what was published, as factors: the validation
/// summary of training runs and of serving figures alike.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Errors {
    /// exp(median |ln(predicted / published)|): the typical factor off.
    pub median_error: f64,
    pub p90_error: f64,
    /// exp(median ln(predicted / published)): above 1, predicted too high.
    pub median_bias: f64,
    /// Share whose published figure falls inside its 80% range.
    pub coverage: f64,
}

impl Errors {
    /// Of held-out log errors ln(predicted / published), each with whether it fell inside its
    /// range; none for no errors.
    pub fn of(items: impl Iterator<Item = (f64, bool)>) -> Option<Errors> {
        let (logs, inside): (Vec<f64>, Vec<bool>) = items.unzip();
        if logs.is_empty() {
            return None;
        }
        let errs: Vec<f64> = logs.iter().map(|e| e.abs()).collect();
        Some(Errors {
            median_error: quantile(&errs, 0.5).exp(),
            p90_error: quantile(&errs, 0.9).exp(),
            median_bias: quantile(&logs, 0.5).exp(),
            coverage: inside.iter().filter(|&&x| x).count() as f64 / logs.len() as f64,
        })
    }

    /// Its cells, in the order of [`ERROR_COLUMNS`].
    pub(crate) fn cells(&self) -> [crate::view::Cell; 4] {
        use crate::quantity::Unit;
        use crate::view::Cell;
        [
            Cell::num(self.median_error, Unit::Ratio),
            Cell::num(self.p90_error, Unit::Ratio),
            Cell::num(self.median_bias, Unit::Ratio),
            Cell::num(self.coverage, Unit::Share),
        ]
    }
}

/// The columns of [`Errors::cells`]: key and label ("predicted/published" names the bias).
pub(crate) const ERROR_COLUMNS: [(&str, &str); 4] = [
    ("median_error", "median error"),
    ("p90_error", "90th percentile"),
    ("median_bias", "median predicted/published"),
    ("coverage", "inside the 80% range"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn point(run: &str, generation: &str, active: f64, u: f64) -> Point {
        Point {
            run: run.into(),
            chip: "c".into(),
            generation: generation.into(),
            active_params: active,
            log_u: u.ln(),
            weight: 1.0,
        }
    }

    #[test]
    fn an_exact_two_term_law_is_recovered() {
        // u = 0.4 (g1) or 0.2 (g2) times (N / 10B)^0.1.
        let u = |a: f64, n: f64| a * (n / 10e9_f64).powf(0.1);
        let pts: Vec<Point> = [1e9, 1e10, 1e11]
            .iter()
            .flat_map(|&n| {
                [
                    point(&format!("a{n}"), "g1", n, u(0.4, n)),
                    point(&format!("b{n}"), "g2", n, u(0.2, n)),
                ]
            })
            .collect();
        let refs: Vec<&Point> = pts.iter().collect();
        let f = Fit::of(&refs).unwrap();
        assert!((f.slope - 0.1).abs() < 1e-9, "{f:?}");
        assert!((f.log_u(Some("g1"), 10e9).0 - 0.4f64.ln()).abs() < 1e-9);
        // An unknown generation takes the mean intercept.
        let (pooled, known) = f.log_u(Some("g9"), 10e9);
        assert!(!known && (pooled - (0.4f64.ln() + 0.2f64.ln()) / 2.0).abs() < 1e-9);
        // Exact data: every leave-one-out residual is zero, and so is the range.
        let c = Calibration::of(&pts, None).unwrap();
        assert!(c.residuals.iter().all(|r| r.abs() < 1e-9));
        let p = c.predict(Some("g2"), 1e10);
        assert!((p.log_u_high - p.log_u_low).abs() < 1e-9);
        // Off the table the range widens by the spread between generations.
        let q = c.predict(None, 1e10);
        assert!(q.log_u_high - q.log_u_low > 0.5, "{q:?}");
    }

    #[test]
    fn leave_out_drops_the_run_and_quantiles_interpolate() {
        let pts = vec![
            point("x", "g", 1e9, 0.3),
            point("y", "g", 1e10, 0.35),
            point("z", "g", 1e11, 0.45),
            point("w", "g", 3e10, 0.38),
        ];
        let c = Calibration::of(&pts, Some("z")).unwrap();
        assert_eq!(c.runs, ["x", "y", "w"]);
        assert_eq!(quantile(&[3.0, 1.0, 2.0, 4.0], 0.5), 2.5);
        assert!(Calibration::of(&pts[..2], None).is_none());
    }

    #[test]
    fn small_systems_solve() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
        assert!(solve(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 2.0]).is_none());
    }
}
