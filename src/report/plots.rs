//! The report's charts, drawn with plotters into SVG strings: a roofline per device, the chips
//! on the TPP x performance-density plane with the 3A090 regions, and training GPU-hours of the
//! reference runs at a device's measured rate. Text is escaped by the SVG backend.

use plotters::prelude::*;

use super::model::{DEPLOYMENT_MODEL, DeploymentPoint, DeviceReport, Row};
use crate::policy::{Database, Rule, classify};

/// Okabe and Ito's palette: distinguishable with the common colour-vision deficiencies and in
/// greyscale print, unlike red against green or cyan on white.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
];

const W: u32 = 720;
const H: u32 = 440;

/// An SVG document of `draw`'s chart, or why it could not be drawn.
fn svg(
    draw: impl FnOnce(DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), String>,
) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (W, H)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|_| draw(root.clone()))?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

fn logspace(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
    (0..n).map(move |i| lo * (hi / lo).powf(i as f64 / (n - 1) as f64))
}

/// A number with three significant digits or more, for legends that span a CPU adapter's
/// 0.0007 TFLOP/s and a GPU's 989.
fn figure(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3e}")
    }
}

/// A row's place on the roofline: (FLOP per byte, TFLOP/s achieved), whichever unit the row
/// reports in; none for pure data movement.
fn roofline_point(r: &Row) -> Option<(f64, f64)> {
    let ai = r.intensity?;
    let (x, y) = match r.unit {
        "TFLOP/s" => (ai, r.value),
        // GB/s x FLOP/byte = GFLOP/s.
        _ => (ai, r.value * ai / 1e3),
    };
    // Points outside what the axes can span are left out rather than stretching a log axis
    // over hundreds of decades (plotters then takes forever to place its key points).
    (X_RANGE.contains(&x) && Y_RANGE.contains(&y)).then_some((x, y))
}

/// The spans a roofline's axes may take: FLOP per byte, and TFLOP/s.
const X_RANGE: std::ops::RangeInclusive<f64> = 1e-3..=1e6;
const Y_RANGE: std::ops::RangeInclusive<f64> = 1e-9..=1e7;

/// Measured points under measured and datasheet ceilings, on log-log axes.
pub fn roofline(d: &DeviceReport) -> Result<String, String> {
    svg(|root| {
        let c = &d.ceilings;
        let top = c
            .datasheet_compute
            .iter()
            .chain(&c.measured_compute)
            .map(|(_, v)| *v)
            .chain(d.rows.iter().filter_map(roofline_point).map(|(_, v)| v))
            .filter(|v| Y_RANGE.contains(v))
            .fold(1.0, f64::max)
            * 2.0;
        // Down to the slowest point (a CPU adapter's are far below a GPU's 0.01 TFLOP/s).
        let bottom = d
            .rows
            .iter()
            .filter_map(roofline_point)
            .map(|(_, v)| v / 2.0)
            .filter(|v| *v > 0.0)
            .fold(0.01, f64::min);
        let (x0, x1) = (0.01, 1e4);
        let mut chart = log_axes(
            &root,
            &format!("Roofline: {}", d.device),
            ("arithmetic intensity (FLOP/byte)", "TFLOP/s"),
            &|v| format!("{v}"),
            (x0, x1, bottom, top),
        )?;
        let roof = |tflops: f64, gbps: f64| {
            logspace(x0, x1, 80).map(move |ai| (ai, tflops.min(gbps * ai / 1e3)))
        };
        let palette = PALETTE;
        for (i, (name, tflops)) in c.datasheet_compute.iter().enumerate() {
            if let Some(bw) = c.datasheet_bandwidth_gbps {
                let color = palette[i % palette.len()].mix(0.6);
                chart
                    .draw_series(LineSeries::new(roof(*tflops, bw), color.stroke_width(1)))
                    .map_err(|e| e.to_string())?
                    .label(format!(
                        "datasheet {name}: {} TFLOP/s, {} GB/s",
                        figure(*tflops),
                        figure(bw)
                    ))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            }
        }
        for (i, (name, tflops)) in c.measured_compute.iter().enumerate() {
            if let Some(bw) = c.measured_bandwidth_gbps {
                let color = palette[i % palette.len()];
                chart
                    .draw_series(LineSeries::new(roof(*tflops, bw), color.stroke_width(2)))
                    .map_err(|e| e.to_string())?
                    .label(format!(
                        "measured {name}: {} TFLOP/s, {} GB/s",
                        figure(*tflops),
                        figure(bw)
                    ))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                    });
            }
        }
        // Points keyed by workload (colour, in the legend) and source (a filled circle for
        // chipbench, a hollow triangle for the vendor library).
        let mut workloads: Vec<&str> = d.rows.iter().map(|r| r.workload.as_str()).collect();
        workloads.sort_unstable();
        workloads.dedup();
        for (i, w) in workloads.iter().enumerate() {
            let color = PALETTE[(i + 1) % PALETTE.len()];
            let points: Vec<(f64, f64, bool)> = d
                .rows
                .iter()
                .filter(|r| r.workload == *w)
                .filter_map(|r| roofline_point(r).map(|(ai, v)| (ai, v, r.source == "chipbench")))
                .collect();
            if points.is_empty() {
                continue;
            }
            chart
                .draw_series(points.iter().map(|&(ai, v, ours)| {
                    let style = if ours {
                        color.filled()
                    } else {
                        color.stroke_width(2)
                    };
                    EmptyElement::at((ai, v))
                        + Circle::new((0, 0), if ours { 3 } else { 0 }, style)
                        + TriangleMarker::new((0, 0), if ours { 0 } else { 5 }, style)
                }))
                .map_err(|e| e.to_string())?
                .label(format!(
                    "{w} (filled: chipbench, triangles: vendor library)"
                ))
                .legend(move |(x, y)| Circle::new((x + 8, y), 3, color.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// The key of a log-log chart's labelled series, boxed at `position`.
fn legend<'a, 'b: 'a>(
    chart: &mut LogLog<'a, 'b>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

/// Log-log axes: the frame the roofline and both TPP charts draw on.
type LogLog<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<
        plotters::coord::combinators::LogCoord<f64>,
        plotters::coord::combinators::LogCoord<f64>,
    >,
>;

fn log_axes<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    caption: &str,
    (x_desc, y_desc): (&str, &str),
    x_label: &dyn Fn(&f64) -> String,
    (x0, x1, y0, y1): (f64, f64, f64, f64),
) -> Result<LogLog<'a, 'b>, String> {
    let mut chart = ChartBuilder::on(root)
        .caption(caption, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_label_formatter(x_label)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

/// Every chip with a known die area on the TPP x PD plane, the 3A090 regions (2023-10 rule)
/// shaded, and each reported device's best measured effective bit-weighted throughput beside
/// its rated point.
pub fn tpp_plane(db: &Database, devices: &[DeviceReport]) -> Result<String, String> {
    svg(|root| {
        let (x0, x1, y0, y1) = (100.0, 1e5, 0.1, 100.0);
        let mut chart = log_axes(
            &root,
            "Chips on the TPP x performance-density plane (3A090, 2023-10 rule)",
            (
                "TPP (datasheet; measured points: effective, not TPP)",
                "TPP per mm^2 of logic die",
            ),
            &|v| format!("{v:.0}"),
            (x0, x1, y0, y1),
        )?;
        let a = RED.mix(0.15).filled();
        let b = RGBColor(255, 165, 0).mix(0.25).filled();
        let regions = [
            ([(4800.0, y0), (x1, y1)], a, "3A090.a"),
            ([(1600.0, 5.92), (4800.0, y1)], a, ""),
            ([(2400.0, 1.6), (4800.0, 5.92)], b, "3A090.b"),
            ([(1600.0, 3.2), (4800.0, 5.92)], b, ""),
        ];
        for (rect, style, label) in regions {
            let s = chart
                .draw_series(std::iter::once(Rectangle::new(rect, style)))
                .map_err(|e| e.to_string())?;
            if !label.is_empty() {
                s.label(label)
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], style));
            }
        }
        let rated: Vec<(f64, f64, String)> = db
            .chips
            .iter()
            .filter_map(|c| {
                let v = classify(&c.spec(), Rule::Oct2023);
                Some((v.tpp, v.performance_density?, c.name.clone()))
            })
            .collect();
        chart
            .draw_series(
                rated
                    .iter()
                    .map(|(t, p, _)| Circle::new((*t, *p), 3, BLACK.filled())),
            )
            .map_err(|e| e.to_string())?
            .label("rated (datasheet)")
            .legend(|(x, y)| Circle::new((x + 8, y), 3, BLACK.filled()));
        chart
            .draw_series(
                rated.iter().map(|(t, p, n)| {
                    Text::new(n.clone(), (*t * 1.05, *p * 1.03), ("sans-serif", 9))
                }),
            )
            .map_err(|e| e.to_string())?;
        for d in devices {
            let (Some(policy), Some(id)) = (&d.policy, &d.chip) else {
                continue;
            };
            let Some(die) = db.get(id).ok().and_then(|c| c.die_area_mm2) else {
                continue;
            };
            let eff = policy
                .measured
                .iter()
                .map(|m| m.effective_bit_weighted_throughput)
                .fold(0.0, f64::max);
            if eff <= 0.0 {
                continue;
            }
            let at = (eff.clamp(x0, x1), (eff / die).clamp(y0, y1));
            chart
                .draw_series(std::iter::once(TriangleMarker::new(at, 6, BLUE.filled())))
                .map_err(|e| e.to_string())?
                .label(format!("measured: {}", d.device))
                .legend(|(x, y)| TriangleMarker::new((x + 8, y), 5, BLUE.filled()));
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{} (measured)", d.device),
                    (at.0 * 1.05, at.1 * 0.85),
                    ("sans-serif", 10),
                )))
                .map_err(|e| e.to_string())?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// Serving capability against TPP: decode tokens/s per GPU of the deployment model at batch 1
/// (bandwidth-bound) for every chip on its datasheet, reported devices on their measured
/// bandwidth, and the TPP lines of 3A090 (1,600, 2,400 and 4,800) and of the January 2026
/// review policy (21,000).
pub fn deployment_chart(points: &[DeploymentPoint]) -> Result<String, String> {
    if points.is_empty() {
        return Err("no chip has the figures the deployment chart needs".into());
    }
    svg(|root| {
        let (x0, x1) = (100.0, 1e5);
        let y1 = points
            .iter()
            .map(|p| p.decode_tokens_per_s_per_gpu)
            .filter(|v| v.is_finite())
            .fold(1.0, f64::max)
            .min(1e6)
            * 2.0;
        let y0 = points
            .iter()
            .map(|p| p.decode_tokens_per_s_per_gpu)
            .filter(|v| v.is_finite() && *v > 0.0)
            .fold(y1, f64::min)
            .max(y1 / 1e4)
            / 2.0;
        let mut chart = log_axes(
            &root,
            &format!("Serving {DEPLOYMENT_MODEL} (fp8, one sequence of 4,096 tokens) against TPP"),
            ("TPP (datasheet)", "decode tokens/s per GPU (calibrated)"),
            &|v| format!("{v:.0}"),
            (x0, x1, y0, y1),
        )?;
        for (tpp, label) in [
            (1600.0, "1,600"),
            (2400.0, "2,400"),
            (4800.0, "4,800 (3A090.a)"),
            (21000.0, "21,000 (2026-01 review)"),
        ] {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(tpp, y0), (tpp, y1)],
                    RED.mix(0.5).stroke_width(1),
                )))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label,
                    (tpp * 1.04, y1 / 1.6),
                    ("sans-serif", 9),
                )))
                .map_err(|e| e.to_string())?;
        }
        let at = |p: &DeploymentPoint| {
            (
                p.tpp.clamp(x0, x1),
                p.decode_tokens_per_s_per_gpu.clamp(y0, y1),
            )
        };
        let (measured, rated): (Vec<&DeploymentPoint>, Vec<&DeploymentPoint>) =
            points.iter().partition(|p| p.measured);
        chart
            .draw_series(rated.iter().map(|p| Circle::new(at(p), 3, BLACK.filled())))
            .map_err(|e| e.to_string())?
            .label("datasheet bandwidth")
            .legend(|(x, y)| Circle::new((x + 8, y), 3, BLACK.filled()));
        chart
            .draw_series(
                measured
                    .iter()
                    .map(|p| TriangleMarker::new(at(p), 6, BLUE.filled())),
            )
            .map_err(|e| e.to_string())?
            .label("measured bandwidth")
            .legend(|(x, y)| TriangleMarker::new((x + 8, y), 5, BLUE.filled()));
        chart
            .draw_series(points.iter().map(|p| {
                let (x, y) = at(p);
                Text::new(p.label.clone(), (x * 1.05, y * 1.03), ("sans-serif", 9))
            }))
            .map_err(|e| e.to_string())?;
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// GPU-hours of each reference training run on the device's chip (each calibrated without
/// itself), with the range of its calibration.
pub fn cost_chart(d: &DeviceReport) -> Result<String, String> {
    let Some(t) = &d.training else {
        return Err("no training estimate for this device".into());
    };
    let runs = &t.comparisons;
    svg(|root| {
        let n = runs.len().max(1);
        // A span any real run fits in; an absurd rate cannot stretch the axis without end.
        let hi = runs
            .iter()
            .map(|c| c.gpu_hours.high)
            .filter(|h| h.is_finite())
            .fold(1e4, f64::max)
            .min(1e15)
            * 4.0;
        let names: Vec<String> = runs.iter().map(|c| c.model.clone()).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "GPU-hours to train reference models on {} ({} evidence)",
                    d.device,
                    t.rate_source.name()
                ),
                ("sans-serif", 15),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(150)
            .build_cartesian_2d((1e3..hi).log_scale(), -0.5..(n as f64 - 0.5))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|y| {
                let i = y.round();
                if (y - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_label_formatter(&|v| format!("{v:.0e}"))
            .x_desc("GPU-hours (bar: central estimate; line: calibration range)")
            .draw()
            .map_err(|e| e.to_string())?;
        let clamp = |h: f64| h.clamp(1e3, hi);
        chart
            .draw_series(runs.iter().enumerate().map(|(i, c)| {
                let y = i as f64;
                Rectangle::new(
                    [(1e3, y - 0.35), (clamp(c.gpu_hours.central), y + 0.35)],
                    BLUE.mix(0.6).filled(),
                )
            }))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(runs.iter().enumerate().map(|(i, c)| {
                PathElement::new(
                    vec![
                        (clamp(c.gpu_hours.low), i as f64),
                        (clamp(c.gpu_hours.high), i as f64),
                    ],
                    BLACK.stroke_width(2),
                )
            }))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(runs.iter().enumerate().map(|(i, c)| {
                Text::new(
                    match c.cost_usd {
                        Some(usd) => {
                            format!("{:.2}M h, ${:.1}M", c.gpu_hours.central / 1e6, usd / 1e6)
                        }
                        None => format!("{:.2}M h", c.gpu_hours.central / 1e6),
                    },
                    (clamp(c.gpu_hours.high) * 1.1, i as f64 - 0.1),
                    ("sans-serif", 11),
                )
            }))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(unit: &'static str, value: f64, intensity: Option<f64>) -> Row {
        Row {
            source: "chipbench".into(),
            workload: "w".into(),
            variant: "v".into(),
            precision: "f16".into(),
            accumulate: "f32".into(),
            shape: String::new(),
            median_ns: 1.0,
            min_ns: 1.0,
            max_ns: 1.0,
            cv: 0.0,
            value,
            unit,
            intensity,
            execution_unit: crate::model::Unit::Vector,
            utilization: None,
            rated_against: None,
            vendor_variant: None,
            vendor_ratio: None,
            copy_fraction: None,
            peak_fraction: None,
            peak_label: None,
        }
    }

    #[test]
    fn legend_figures_keep_small_values_readable() {
        assert_eq!(figure(989.0), "989");
        assert_eq!(figure(63.67), "63.7");
        assert_eq!(figure(0.000712), "7.120e-4");
    }

    #[test]
    fn bandwidth_rows_sit_at_their_flop_rate() {
        assert_eq!(
            roofline_point(&row("TFLOP/s", 150.0, Some(400.0))),
            Some((400.0, 150.0))
        );
        // 4000 GB/s at 1 FLOP/byte is 4 TFLOP/s; a copy has no FLOPs and no point.
        assert_eq!(
            roofline_point(&row("GB/s", 4000.0, Some(1.0))),
            Some((1.0, 4.0))
        );
        assert_eq!(roofline_point(&row("GB/s", 4000.0, None)), None);
        // Figures no axis can span are left out (they once made the chart take forever).
        assert_eq!(roofline_point(&row("TFLOP/s", 1e300, Some(10.0))), None);
        assert_eq!(roofline_point(&row("TFLOP/s", 1.0, Some(1e-300))), None);
    }
}
