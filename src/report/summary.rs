//! The headline of one device: what a first run should answer at a glance (how close each
//! execution unit comes to its datasheet peak, where the chip sits under 3A090, what a known
//! training run would take on it) and the commands that go deeper. `run` prints it after its
//! table; every report format opens each device with it.

use super::model::{DeviceReport, HEADLINE_UNITS, Row, best_compute, best_copy};
use crate::dataset::Standing;
use crate::model::Source;
use crate::model::noise::NOISY_CV;
use crate::quantity::{Quantity, Unit, plural, share};

/// "16.3% of matrix fp16 peak 989.4 TFLOP/s", where the row is rated.
pub fn of_peak(r: &Row) -> Option<String> {
    r.rating
        .as_ref()
        .map(|g| format!("{} of {} {}", share(g.share), g.label, g.peak.human()))
}

/// The export-control line: the chip's legal figures from its datasheet, and the best
/// measured effective bit-weighted throughput, which is not TPP.
fn export_controls(d: &DeviceReport) -> String {
    match (&d.chip, d.policy.as_ref().and_then(|p| p.rated.as_ref())) {
        (Some(chip), Some(v)) => {
            let best = d.policy.as_ref().and_then(|p| {
                p.measured
                    .iter()
                    .max_by(|a, b| {
                        a.effective_bit_weighted_throughput
                            .total_cmp(&b.effective_bit_weighted_throughput)
                    })
                    .map(|m| (p.source, m))
            });
            let measured = best.map_or("none measured".to_string(), |(source, m)| {
                format!(
                    "{} ({} {}, {}: {} x {} bits)",
                    Quantity::new(m.effective_bit_weighted_throughput, Unit::Tpp).human(),
                    m.workload,
                    m.variant,
                    source.phrase(),
                    Quantity::new(m.measured_tflops * 1e12, Unit::FlopPerSecond).human(),
                    m.bits
                )
            });
            format!(
                "Export controls ({} rule, datasheet): {}: TPP {}, performance density {}, {}. \
                 Best measured effective bit-weighted throughput (not TPP): {}.",
                v.rule,
                chip.name,
                Quantity::new(v.tpp, Unit::Tpp).human(),
                v.performance_density
                    .map_or("unknown".to_string(), |p| Quantity::new(p, Unit::TppPerMm2)
                        .human()),
                v.class_long(),
                measured,
            )
        }
        _ => "Export controls: no chip database entry for this device.".to_string(),
    }
}

/// How the device's runs stand among the runs of its chip.
fn standing(d: &DeviceReport) -> Option<String> {
    if d.standing.is_empty() {
        return None;
    }
    let counts: Vec<String> = d
        .standing
        .iter()
        .map(|(s, n)| format!("{n} {}", s.name()))
        .collect();
    let note = if d.standing.iter().all(|(s, _)| *s == Standing::Unverified) {
        " (unsigned, or signed by a key not in the dataset's allowed_signers: shown, but they confirm nothing)"
    } else if d.standing.iter().all(|(s, _)| *s != Standing::Confirmed) {
        " (no run of another signer agrees with them yet: one file cannot show a consistent forgery below the peak)"
    } else {
        ""
    };
    Some(format!(
        "Standing of its runs among the runs of this chip: {}{note}.",
        counts.join(", ")
    ))
}

/// The training-cost line: DeepSeek-V3 on this chip, with its evidence.
fn training(d: &DeviceReport) -> Option<String> {
    let t = match d.training.as_ref()? {
        Ok(t) => t,
        Err(why) => return Some(format!("Training cost: not estimated ({why}).")),
    };
    let mut line = format!("Training cost ({})", crate::cost::view::method(t));
    if let Some(h) = t.gpu_hours {
        line.push_str(&format!(
            ": DeepSeek-V3 would take {}",
            h.human(Unit::GpuHours)
        ));
    }
    if let (Some(c), Some(p)) = (t.cost_usd, &t.price) {
        line.push_str(&format!(
            ", {} at {} ({})",
            Quantity::new(c.central, Unit::Usd).human(),
            Quantity::new(p.usd_per_gpu_hour, Unit::UsdPerGpuHour).human(),
            p.source
        ));
    }
    if let Some(m) = &t.chips_to_match_deepseek_v3 {
        line.push_str(&format!(
            "; {} of these match DeepSeek-V3's 2,048 H800s in FLOP/s",
            Quantity::new(m.flop_equivalent_chips.round(), Unit::Count).human()
        ));
    }
    line.push('.');
    Some(line)
}

/// Sentences under a device's figures: the export-control view, the standing of its runs
/// and the training-cost line.
fn summary_lines(d: &DeviceReport) -> Vec<String> {
    let mut out = vec![export_controls(d)];
    out.extend(standing(d));
    out.extend(training(d));
    out
}

/// "153.9 TFLOP/s (matmul coop-f16-f32acc, median of 2 runs)".
fn figure_of(r: &Row) -> String {
    let runs = if r.runs > 1 {
        format!(", median of {}", plural(r.runs, "run", "runs"))
    } else {
        String::new()
    };
    format!(
        "{} ({} {}{runs})",
        r.figure.human(),
        r.key.case.workload,
        r.key.variant
    )
}

/// The best measured figure of each unit people ask about: vector f32, vector f16, matrix
/// f16 (the vendor library's GEMM where one was measured, chipbench's portable kernel beside
/// it), and memory bandwidth (the copy).
fn best_per_unit(d: &DeviceReport) -> Vec<String> {
    let rated = |r: &Row| match of_peak(r) {
        Some(s) if !d.cpu => format!(", {s}"),
        _ => String::new(),
    };
    let mut out = Vec::new();
    for (unit, n) in HEADLINE_UNITS {
        let ours = best_compute(&d.rows, Source::Chipbench, unit, n);
        let vendor = best_compute(&d.rows, Source::VendorLibrary, unit, n);
        match (vendor, ours) {
            (Some(v), _) if unit == crate::model::Unit::Matrix => {
                out.push(format!(
                    "Best {unit} {n}: {} from the vendor library{}{}.",
                    figure_of(v),
                    rated(v),
                    ours.map_or(String::new(), |o| format!(
                        "; chipbench's portable WGSL kernel reached {}{}",
                        figure_of(o),
                        rated(o)
                    ))
                ));
            }
            (_, Some(o)) if unit == crate::model::Unit::Matrix => out.push(format!(
                "Best {unit} {n} by chipbench's portable WGSL kernel (no vendor-library run of \
                 this device given): {}{}.",
                figure_of(o),
                rated(o)
            )),
            (_, Some(o)) => out.push(format!("Best {unit} {n}: {}{}.", figure_of(o), rated(o))),
            _ => {}
        }
    }
    if let Some(r) = best_copy(&d.rows) {
        out.push(format!("Best memory: {}{}.", figure_of(r), rated(r)));
    }
    out
}

/// The headline lines for `d`. For a CPU adapter (lavapipe) the numbers describe the host CPU,
/// and the chip lines are left out.
pub fn headline(d: &DeviceReport) -> Vec<String> {
    let mut out = vec![if d.cpu {
        format!(
            "{} is a CPU implementation of Vulkan: these numbers describe this machine's CPU, \
             not a GPU, and no chip's datasheet applies.",
            d.device
        )
    } else {
        match &d.chip {
            Some(c) => format!("{} is chip {} ({}).", d.device, c.id, c.name),
            None => format!(
                "{} has no entry in the chip database: measured figures only.",
                d.device
            ),
        }
    }];
    if d.quick {
        out.push(
            "These are --quick runs: small sizes and a short time budget, for a first look; \
             their figures are not what the device delivers and carry no export-control or \
             training-cost lines."
                .to_string(),
        );
    }
    out.extend(best_per_unit(d));
    out.extend(noise(d));
    if !d.cpu && !d.quick {
        out.extend(summary_lines(d));
    }
    out
}

/// How many of the device's figures come from passes that spread widely.
fn noise(d: &DeviceReport) -> Option<String> {
    let noisy: Vec<&Row> = d.rows.iter().filter(|r| r.cv > NOISY_CV).collect();
    let worst = noisy.iter().max_by(|a, b| a.cv.total_cmp(&b.cv))?;
    Some(format!(
        "Noise: {} of {} spread by more than {:.0}% between passes (worst: {} {} {}, cv {}); \
         compare such figures only with `chipbench compare`, which counts run-to-run noise.",
        noisy.len(),
        plural(d.rows.len(), "figure", "figures"),
        NOISY_CV * 100.0,
        worst.key.case.workload,
        worst.key.variant,
        worst.key.case.shape,
        share(worst.cv)
    ))
}

/// The commands that go deeper into the result file at `file`: the report and `compare`, and
/// for a full run on a GPU the chip's legal figures and training cost.
pub fn next_steps(file: &str, on_a_chip: bool) -> Vec<String> {
    let mut out = vec![format!(
        "chipbench report {file} --format html --out report.html"
    )];
    if on_a_chip {
        out.push(format!("chipbench classify --result {file}"));
        out.push(format!(
            "chipbench cost --model deepseek-v3 --result {file}"
        ));
    }
    out.push(format!(
        "chipbench compare {file} <another result file or device>"
    ));
    out
}
