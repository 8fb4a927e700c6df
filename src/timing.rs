//! GPU timing: timestamp queries around one compute pass of N dispatches, warm-up, calibration
//! of N to a time budget, and the statistics every result carries.
//!
//! A sample is the time of one pass divided by its dispatch count, so it is the cost of one
//! iteration of the workload with launch overhead amortised over N. The wall clock is used only
//! when the adapter has no timestamp queries, and the result says so.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::gpu::{Context, GpuError};

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
pub struct Summary {
    pub median_ns: f64,
    pub min_ns: f64,
    pub max_ns: f64,
    pub mean_ns: f64,
    /// Standard deviation over mean.
    pub cv: f64,
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

/// Records one iteration of a workload (usually one dispatch) into a compute pass.
pub type Iteration<'a> = dyn Fn(&mut wgpu::ComputePass<'_>) + 'a;

/// Times passes of repeated iterations on one context.
pub struct PassTimer<'c> {
    ctx: &'c Context,
    queries: Option<(wgpu::QuerySet, wgpu::Buffer)>,
}

impl<'c> PassTimer<'c> {
    pub fn new(ctx: &'c Context) -> Result<Self, GpuError> {
        let queries = if ctx.timestamps {
            let set = ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("pass timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            });
            let resolve = ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("timestamp resolve"),
                size: 16,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            Some((set, resolve))
        } else {
            None
        };
        Ok(PassTimer { ctx, queries })
    }

    pub fn method(&self) -> Method {
        if self.queries.is_some() {
            Method::GpuTimestamp
        } else {
            Method::Wall
        }
    }

    /// Runs one pass of `dispatches` iterations and returns its duration.
    pub fn pass(&self, iteration: &Iteration<'_>, dispatches: u32) -> Result<Duration, GpuError> {
        let mut enc = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("timed"),
            });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("timed pass"),
                timestamp_writes: self.queries.as_ref().map(|(set, _)| {
                    wgpu::ComputePassTimestampWrites {
                        query_set: set,
                        beginning_of_pass_write_index: Some(0),
                        end_of_pass_write_index: Some(1),
                    }
                }),
            });
            for _ in 0..dispatches {
                iteration(&mut pass);
            }
        }
        if let Some((set, resolve)) = &self.queries {
            enc.resolve_query_set(set, 0..2, resolve, 0);
        }
        let start = Instant::now();
        self.ctx.submit_and_wait(Some(enc.finish()))?;
        let wall = start.elapsed();
        match &self.queries {
            None => Ok(wall),
            Some((_, resolve)) => {
                let raw = self.ctx.read(resolve, 16)?;
                let ticks: &[u64] = bytemuck::cast_slice(&raw);
                let delta = ticks[1].wrapping_sub(ticks[0]);
                let ns = delta as f64 * f64::from(self.ctx.queue.get_timestamp_period());
                // A zero or wrapped-around delta is a known driver fault, not a fast kernel.
                if delta == 0 || !ns.is_finite() || ns > 1e12 {
                    return Err(GpuError::Invalid(format!(
                        "implausible timestamp delta of {delta} ticks"
                    )));
                }
                Ok(Duration::from_nanos(ns as u64))
            }
        }
    }

    /// Calibrates the dispatch count to `budget`, warms up with calibrated passes, then takes
    /// the timed passes.
    pub fn measure(&self, iteration: &Iteration<'_>, budget: &Budget) -> Result<Timing, GpuError> {
        // Warm-up: the first pass pays for pipeline compilation and lazy buffer clears.
        self.pass(iteration, 1)?;
        let one = self.pass(iteration, 1)?.as_secs_f64() * 1e3;
        let dispatches = ((budget.target_pass_ms / one.max(1e-6)).ceil() as u32)
            .clamp(1, budget.max_dispatches.max(1));
        let mut warmup_passes = 0;
        let mut warmed_ms = 0.0;
        while warmup_passes == 0 || warmed_ms < budget.warmup_ms {
            warmed_ms += self.pass(iteration, dispatches)?.as_secs_f64() * 1e3;
            warmup_passes += 1;
        }
        let pass_ms = one * f64::from(dispatches);
        let passes = ((budget.per_case_ms / pass_ms.max(1e-6)) as usize).clamp(
            budget.min_passes.max(1),
            budget.max_passes.max(budget.min_passes.max(1)),
        );
        let mut samples_ns = Vec::with_capacity(passes);
        for _ in 0..passes {
            let t = self.pass(iteration, dispatches)?;
            samples_ns.push(t.as_nanos() as f64 / f64::from(dispatches));
        }
        let s = Summary::of(&samples_ns).expect("at least one pass");
        Ok(Timing {
            method: self.method(),
            warmup_passes,
            dispatches_per_pass: dispatches,
            passes,
            samples_ns,
            median_ns: s.median_ns,
            min_ns: s.min_ns,
            max_ns: s.max_ns,
            mean_ns: s.mean_ns,
            cv: s.cv,
        })
    }
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
