//! A small autotuner: times each candidate kernel configuration briefly on the case's own data,
//! checks its output, and keeps the fastest that passes. The search and its outcome go into the
//! result (the case's `config`), so a number always says which kernel produced it.

use std::fmt::Display;

use super::{CaseError, Prepared, Scale};
use crate::device::{Context, GpuError, Grid, Kernel, PassTimer};
use crate::model::{Budget, Check};

/// A short budget for comparing candidates: a few short passes each, after a warm-up that is
/// long for the first candidate (the GPU idled while the host made the inputs, and its clocks
/// ramp up over a few hundred milliseconds) and brief for the others.
pub fn budget(first: bool, scale: Scale) -> Budget {
    Budget {
        warmup_ms: if first && scale == Scale::Gpu {
            400.0
        } else {
            20.0
        },
        target_pass_ms: 5.0,
        per_case_ms: 0.0,
        min_passes: 3,
        max_passes: 3,
        max_dispatches: 16,
    }
}

/// What a candidate's trial gave: its median time in ns, or why it was rejected.
pub type Trial = Result<f64, String>;

/// Tries every candidate with `trial` (told whether it is the first) and returns the fastest
/// that passed, with a one-line account of the search. With a single candidate nothing is tried.
pub fn pick<C: Clone + Display>(
    candidates: &[C],
    mut trial: impl FnMut(&C, bool) -> Result<Trial, CaseError>,
) -> Result<(C, String), CaseError> {
    match candidates {
        [] => Err(CaseError::Unsupported(
            "no kernel configuration fits this adapter's limits".to_string(),
        )),
        [only] => Ok((only.clone(), format!("{only}"))),
        _ => {
            let mut best: Option<(C, f64)> = None;
            let mut notes = Vec::new();
            for (i, c) in candidates.iter().enumerate() {
                match trial(c, i == 0)? {
                    Ok(ns) => {
                        notes.push(format!("{c}: {:.3} ms", ns / 1e6));
                        if best.as_ref().is_none_or(|(_, b)| ns < *b) {
                            best = Some((c.clone(), ns));
                        }
                    }
                    Err(why) => notes.push(format!("{c}: rejected ({why})")),
                }
            }
            match best {
                Some((c, _)) => Ok((c.clone(), format!("{c}; tuned over {}", notes.join(", ")))),
                None => Err(CaseError::failed(format!(
                    "every kernel configuration failed: {}",
                    notes.join(", ")
                ))),
            }
        }
    }
}

/// A probe's verdict: passed, or rejected with its error.
pub fn within(error: f64, tolerance: f64) -> Result<(), String> {
    if error <= tolerance {
        Ok(())
    } else {
        Err(format!("error {error:.1e}"))
    }
}

/// The `configs` whose workgroup memory (`bytes`) fits the adapter.
pub(crate) fn fitting<C: Copy>(ctx: &Context, configs: &[C], bytes: impl Fn(&C) -> u64) -> Vec<C> {
    let limit = u64::from(ctx.info.limits.max_compute_workgroup_storage_size);
    configs
        .iter()
        .copied()
        .filter(|c| bytes(c) <= limit)
        .collect()
}

/// The winner of [`search`], ready to time: its kernel and grid, the account of the search,
/// and whether any trial ran (then the GPU is warm and its clocks are up).
pub(crate) struct TunedKernel {
    kernel: Kernel,
    groups: Grid,
    account: String,
    warm: bool,
}

/// Reads a tuned case's output back and compares it with the CPU reference.
pub(crate) trait Verify {
    fn verify(&mut self, ctx: &Context) -> Result<Check, CaseError>;
}

/// A case whose kernel came from the tuner, with the check of its output.
pub(crate) struct TunedCase<V> {
    pub kernel: TunedKernel,
    pub check: V,
}

impl<V: Verify> Prepared for TunedCase<V> {
    fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.kernel.kernel.dispatch(pass, self.kernel.groups);
    }

    fn verify(&mut self, ctx: &Context) -> Result<Check, CaseError> {
        self.check.verify(ctx)
    }

    fn tuned(&self) -> Option<String> {
        Some(self.kernel.account.clone())
    }

    fn warm(&self) -> bool {
        self.kernel.warm
    }
}

/// Tunes a kernel over `configs` on the case's own data: `build` makes a candidate's kernel
/// and grid and poisons the output, and `probe` checks a small part of its output after the
/// timed passes (`Err` with the reason rejects it). The winner comes back built, never built
/// twice; with a single config nothing is timed.
pub(crate) fn search<C: Copy + Display>(
    ctx: &Context,
    scale: Scale,
    configs: &[C],
    build: impl Fn(C) -> Result<(Kernel, Grid), GpuError>,
    mut probe: impl FnMut() -> Result<Result<(), String>, CaseError>,
) -> Result<TunedKernel, CaseError> {
    let timer = PassTimer::new(ctx)?;
    let mut built: Vec<(String, (Kernel, Grid))> = Vec::new();
    let (cfg, account) = pick(configs, |&cfg, first| {
        let (kernel, groups) = build(cfg)?;
        let t = timer.measure(&|pass| kernel.dispatch(pass, groups), &budget(first, scale))?;
        let verdict = probe()?;
        built.push((cfg.to_string(), (kernel, groups)));
        Ok(verdict.map(|()| t.median_ns))
    })?;
    let warm = !built.is_empty();
    let name = cfg.to_string();
    let (kernel, groups) = match built.into_iter().find(|(n, _)| *n == name) {
        Some((_, k)) => k,
        None => build(cfg)?,
    };
    Ok(TunedKernel {
        kernel,
        groups,
        account,
        warm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_fastest_passing_candidate() {
        let (c, note) = pick(&[1, 2, 3], |&c, _| {
            Ok(match c {
                1 => Ok(5.0e6),
                2 => Err("check failed".to_string()),
                _ => Ok(3.0e6),
            })
        })
        .unwrap();
        assert_eq!(c, 3);
        assert!(
            note.contains("2: rejected (check failed)") && note.contains("3: 3.000 ms"),
            "{note}"
        );
    }

    #[test]
    fn within_rejects_errors_above_the_tolerance_and_nan() {
        assert_eq!(within(1e-5, 1e-4), Ok(()));
        assert_eq!(within(2e-4, 1e-4), Err("error 2.0e-4".to_string()));
        assert!(within(f64::NAN, 1e-4).is_err());
    }

    #[test]
    fn single_candidate_is_not_tried_and_none_passing_fails() {
        let (c, _) = pick(&[7], |_, _| -> Result<Trial, CaseError> {
            panic!("not tried")
        })
        .unwrap();
        assert_eq!(c, 7);
        assert!(matches!(
            pick(&[1, 2], |_, _| Ok(Err("bad".to_string()))),
            Err(CaseError::Failed { .. })
        ));
        assert!(matches!(
            pick::<u32>(&[], |_, _| Ok(Ok(1.0))),
            Err(CaseError::Unsupported(_))
        ));
    }
}
