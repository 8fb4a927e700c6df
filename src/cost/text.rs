//! `chipbench cost` in sentences: every number with its unit and range, the evidence and
//! calibration named on one line, and the portable kernel's figure kept apart from the
//! estimate.

use super::Estimate;
use super::calibration::{Span, Validation};
use super::evidence::RateSource;

fn money(usd: f64) -> String {
    if usd >= 1e9 {
        format!("${:.2}B", usd / 1e9)
    } else if usd >= 1e6 {
        format!("${:.3}M", usd / 1e6)
    } else {
        format!("${usd:.0}")
    }
}

/// A rate with enough digits to be read, however slow the device.
fn rate(t: f64) -> String {
    if t >= 10.0 {
        format!("{t:.1} TFLOP/s")
    } else {
        format!("{t:.3e} TFLOP/s")
    }
}

fn hours(h: f64) -> String {
    if h >= 1e6 {
        format!("{:.3}M GPU-hours", h / 1e6)
    } else {
        format!("{h:.0} GPU-hours")
    }
}

/// A span as "central (low-high)", or the one value where there is no range.
fn span(s: Span, f: impl Fn(f64) -> String) -> String {
    if s.low == s.high {
        f(s.central)
    } else {
        format!("{} (range {} to {})", f(s.central), f(s.low), f(s.high))
    }
}

impl Estimate {
    /// The estimate in sentences and a table.
    pub fn to_text(&self) -> String {
        let mut out = vec![self.method.clone()];
        if let Some(n) = &self.calibration_note {
            out.push(format!("calibration: {n}"));
        }
        out.push(format!(
            "sustained rate: {} per GPU",
            span(self.sustained_tflops, rate)
        ));
        if let Some(k) = self
            .portable_kernel
            .as_ref()
            .filter(|_| self.rate_source != RateSource::ChipbenchKernel)
        {
            out.push(format!(
                "chipbench's portable kernel on this device: {} {} ({}) {}{}; the estimate does not rest on it",
                k.variant,
                k.precision,
                k.shape,
                rate(k.tflops),
                match (&k.vendor_ratio, &k.vendor_variant) {
                    (Some(r), Some(v)) => format!(", {r:.2}x the vendor library's {v} at that shape"),
                    _ => String::new(),
                }
            ));
        }
        if let (Some(f), Some(src), Some(h)) = (self.flops, &self.flops_source, self.gpu_hours) {
            out.push(format!("training compute: {f:.3e} FLOP ({src})"));
            let calibrated = !self.calibration_runs.is_empty();
            let what = match self.rate_source {
                RateSource::Given => "at the given rate",
                _ if !calibrated => "at the given utilisation",
                RateSource::ChipbenchKernel => {
                    "an upper bound at each utilisation of the range: the portable kernel is \
                     slower than the chip's vendor library"
                }
                _ => "calibrated on reported runs, so communication, stalls and restarts are in it",
            };
            out.push(format!("time: {} ({what})", span(h, hours)));
            if let Some(r) = &self.reported {
                out.push(format!(
                    "reported: {} for {} on {} ({})",
                    hours(r.reported_gpu_hours),
                    r.reported_phase,
                    r.reported_chip,
                    match (r.like_for_like, calibrated) {
                        (true, true) => format!(
                            "estimate {:+.1}%, calibrated without this run",
                            (h.central / r.reported_gpu_hours - 1.0) * 100.0
                        ),
                        (true, false) => format!(
                            "estimate {:+.1}%",
                            (h.central / r.reported_gpu_hours - 1.0) * 100.0
                        ),
                        (false, _) =>
                            "another or unknown chip: not comparable hour for hour".into(),
                    }
                ));
            }
            if let (Some(d), Some(g)) = (self.wall_days, self.gpus) {
                out.push(format!(
                    "wall clock: {} on {g} GPUs",
                    span(d, |v| format!("{v:.1} days"))
                ));
            }
            match (&self.cost_usd, &self.price) {
                (Some(c), Some(p)) => out.push(format!(
                    "rental cost: {} at ${:.2} per GPU-hour ({})",
                    span(*c, money),
                    p.usd_per_gpu_hour,
                    p.source
                )),
                _ => out.push(
                    "rental cost: no price for this chip in data/prices.toml; give --price".into(),
                ),
            }
            if let Some(a) = &self.amortized {
                out.push(format!(
                    "amortised cost (Epoch AI method): {} = hardware {} + interconnect {} + energy {} (${:.2} per GPU-hour)",
                    money(a.total_usd),
                    money(a.hardware_usd),
                    money(a.interconnect_usd),
                    money(a.energy_usd),
                    a.usd_per_gpu_hour
                ));
            }
            for t in &self.thresholds {
                out.push(format!(
                    "{} {:.0e} FLOP: {}; {}",
                    if t.crossed { "crosses" } else { "below" },
                    t.flop,
                    t.rule,
                    t.status
                ));
            }
        }
        if let Some(m) = &self.memory {
            let mut line = format!(
                "memory: {:.0}B parameters x {} bytes (bf16 weights and gradients, FP32 master weights and Adam moments; activations excluded) = {:.0} GB of training state: at least {:.0} chips of {} GB",
                m.params / 1e9,
                m.state_bytes_per_param,
                m.state_gb,
                m.min_gpus,
                m.chip_memory_gb
            );
            if let (Some(g), Some(h)) = (self.gpus, self.gpus_hold_training_state) {
                line += &format!(
                    "; {g} GPUs {}",
                    if h { "hold it" } else { "cannot hold it" }
                );
            }
            out.push(line);
        }
        if let Some(m) = &self.chips_to_match_deepseek_v3 {
            out.push(format!(
                "FLOP-equivalent of DeepSeek-V3's 2,048 H800s: {:.0} of these chips{}",
                m.flop_equivalent_chips,
                match m.holds_training_state {
                    Some(true) => ", which hold this model's training state",
                    Some(false) => ", too few to hold this model's training state",
                    None => "",
                }
            ));
        }
        if !self.comparisons.is_empty() {
            out.push("reference runs on this chip (each calibrated without itself):".to_string());
        }
        for c in &self.comparisons {
            out.push(format!(
                "  {:<18} {:>10.3e} FLOP  {:>20}  {:>10}   (reported: {} for {} on {}){}",
                c.model,
                c.flops,
                hours(c.gpu_hours.central),
                c.cost_usd.map(money).unwrap_or_default(),
                hours(c.reported_gpu_hours),
                c.reported_phase,
                c.reported_chip,
                if c.speculative { " [speculative]" } else { "" }
            ));
        }
        out.join("\n") + "\n"
    }
}

/// `cost --validate` as a table: each reference run predicted from the others.
pub fn validation_text(rows: &[Validation]) -> String {
    let mut out = vec![format!(
        "{:<16} {:<16} {:<15} {:>7} {:>9} {:>9}  {:>16} {:>28} {:>16} {:>7}",
        "run",
        "chip",
        "evidence",
        "util",
        "MFU bf16",
        "MFU prec",
        "predicted",
        "range",
        "reported",
        "error"
    )];
    for v in rows {
        let h = v.predicted.gpu_hours.unwrap_or(Span::exact(f64::NAN));
        out.push(format!(
            "{:<16} {:<16} {:<15} {:>7.3} {:>9} {:>9}  {:>16} {:>28} {:>16} {:>+6.1}%",
            v.model,
            v.chip,
            v.rate_source.name(),
            v.utilization,
            v.mfu_bf16.map(|m| format!("{m:.3}")).unwrap_or_default(),
            v.mfu_training_precision
                .map(|m| format!("{m:.3} {}", v.training_precision))
                .unwrap_or_default(),
            hours(h.central),
            format!("{} to {}", hours(h.low), hours(h.high)),
            hours(v.reported_gpu_hours),
            v.error * 100.0
        ));
    }
    out.join("\n") + "\n"
}
