//! GPU timing: timestamp queries at the boundaries of one compute pass of N dispatches,
//! warm-up, calibration of N to a time budget. Pass-boundary timestamps need only
//! `TIMESTAMP_QUERY`; the wall clock is used only when the adapter has none, and the result
//! says so.

use std::time::{Duration, Instant};

use super::{Context, GpuError};
use crate::model::{Budget, Method, Summary, Timing};

/// Records one iteration of a workload (usually one dispatch) into a compute pass.
pub(crate) type Iteration<'a> = dyn Fn(&mut wgpu::ComputePass<'_>) + 'a;

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
