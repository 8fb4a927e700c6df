//! The report's charts, drawn with the small SVG builder of `view::svg`: a roofline per device, the
//! chips on the TPP x performance-density plane with the 3A090 regions, serving capability
//! against TPP, and training GPU-hours of the published runs on a device's chip. Every mark
//! carries a hover title; labels never overlap (a mark that cannot take its name takes a number
//! and the key under the chart); legends sit below the plot; units follow the data.

use super::model::{Ceilings, DEPLOYMENT_MODEL, DeploymentPoint, DeviceReport, Row, best};
use crate::model::{Numeric, Source};
use crate::policy::rules::thresholds as th;
use crate::policy::{Database, Rule, classify};
use crate::quantity::{Quantity, Scale, Unit};
use crate::view::svg::{Axis, Chart, PALETTE, Shape};

/// The spans a roofline's axes may take: FLOP per byte, and FLOP/s.
const X_RANGE: std::ops::RangeInclusive<f64> = 1e-3..=1e6;
const Y_RANGE: std::ops::RangeInclusive<f64> = 1e3..=1e19;

/// A row's place on the roofline: (FLOP per byte, FLOP/s achieved), whichever unit the row
/// reports in; none for pure data movement or outside what the axes can span.
fn roofline_point(r: &Row) -> Option<(f64, f64)> {
    let ai = r.intensity?;
    let y = match r.figure.unit {
        Unit::FlopPerSecond => r.figure.value,
        // bytes/s x FLOP/byte = FLOP/s.
        _ => r.figure.value * ai,
    };
    (X_RANGE.contains(&ai) && Y_RANGE.contains(&y)).then_some((ai, y))
}

/// A figure in `scale`'s unit, for a legend.
fn at_scale(v: f64, unit: Unit, scale: Scale) -> String {
    Quantity::new(v, unit).human_at(scale)
}

/// Measured points under measured and datasheet ceilings, on log-log axes in the unit that
/// suits the device (GFLOP/s on a CPU adapter, TFLOP/s on a GPU).
pub fn roofline(d: &DeviceReport) -> Result<String, String> {
    let c = &d.ceilings;
    let points: Vec<(&Row, (f64, f64))> = d
        .rows
        .iter()
        .filter_map(|r| Some((r, roofline_point(r)?)))
        .collect();
    let values = c
        .datasheet_compute
        .iter()
        .chain(&c.measured_compute)
        .map(|(_, q)| q.value)
        .chain(points.iter().map(|(_, p)| p.1))
        .filter(|v| Y_RANGE.contains(v));
    let top = values.clone().fold(1.0, f64::max) * 2.0;
    let bottom = values.fold(top, f64::min) / 2.0;
    let scale = Scale::of(Unit::FlopPerSecond, top);
    let unit_name = scale.words().unwrap_or("FLOP/s");
    let per = |v: f64| v / scale.factor();
    let (x0, x1) = intensities(c, &points);
    let mut chart = Chart::new(
        format!("Roofline: {}", d.device),
        Axis::log(x0, x1, "arithmetic intensity (FLOP/byte)"),
        Axis::log(per(bottom), per(top), format!("throughput ({unit_name})")),
    );
    draw_ceilings(&mut chart, c, scale, (x0, x1));
    draw_points(&mut chart, &points, scale);
    Ok(chart.finish())
}

/// The intensities the roofline spans: whole decades around the points and the roofs' ridges
/// (where a bandwidth meets a peak), so that the data, not empty axis, fills the chart.
fn intensities(c: &Ceilings, points: &[(&Row, (f64, f64))]) -> (f64, f64) {
    let ridges = [
        (&c.datasheet_compute, c.datasheet_bandwidth),
        (&c.measured_compute, c.measured_bandwidth),
    ]
    .into_iter()
    .filter_map(|(peaks, bw)| {
        let bw = bw?.value;
        Some(peaks.iter().map(move |(_, p)| p.value / bw))
    })
    .flatten();
    let xs = points
        .iter()
        .map(|(_, p)| p.0)
        .chain(ridges)
        .filter(|x| X_RANGE.contains(x));
    let (lo, hi) = xs.fold((f64::INFINITY, 0.0_f64), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if !(lo.is_finite() && hi > 0.0) {
        return (0.01, 1e4);
    }
    let decade = |x: f64, round: fn(f64) -> f64| 10f64.powf(round(x.log10()));
    (decade(lo / 2.0, f64::floor), decade(hi * 2.0, f64::ceil))
}

/// The datasheet (dashed) and chipbench-measured (solid) roofs of every unit and precision,
/// over the intensities from x0 to x1, each in the legend with its peak and bandwidth.
fn draw_ceilings(chart: &mut Chart, c: &Ceilings, scale: Scale, (x0, x1): (f64, f64)) {
    let per = |v: f64| v / scale.factor();
    let roof = |flops: f64, bytes: f64| -> Vec<(f64, f64)> {
        (0..80)
            .map(|i| x0 * (x1 / x0).powf(i as f64 / 79.0))
            .map(|ai| (ai, per(flops.min(bytes * ai))))
            .collect()
    };
    for (dashed, ceilings, bandwidth, what) in [
        (
            true,
            &c.datasheet_compute,
            c.datasheet_bandwidth,
            "datasheet",
        ),
        (
            false,
            &c.measured_compute,
            c.measured_bandwidth,
            "chipbench's best",
        ),
    ] {
        let Some(bw) = bandwidth else { continue };
        for (i, (name, peak)) in ceilings.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let text = format!(
                "{what} {name}: {}, {}",
                at_scale(peak.value, Unit::FlopPerSecond, scale),
                bw.human()
            );
            chart.line(
                &roof(peak.value, bw.value),
                color,
                if dashed { 1.0 } else { 2.0 },
                dashed,
                &text,
            );
            chart.legend_line(dashed, color, text);
        }
    }
}

/// Each measured case that has an intensity, coloured by workload (dots chipbench's kernels,
/// triangles the vendor library's), with a hover title.
fn draw_points(chart: &mut Chart, points: &[(&Row, (f64, f64))], scale: Scale) {
    let per = |v: f64| v / scale.factor();
    let mut workloads: Vec<&str> = points
        .iter()
        .map(|(r, _)| r.key.case.workload.as_str())
        .collect();
    workloads.sort_unstable();
    workloads.dedup();
    for (i, w) in workloads.iter().enumerate() {
        let color = PALETTE[(i + 3) % PALETTE.len()];
        for (r, (ai, v)) in points.iter().filter(|(r, _)| r.key.case.workload == *w) {
            let shape = if r.is_ours() {
                Shape::Dot
            } else {
                Shape::Triangle
            };
            let title = format!(
                "{} {} {} {}: {} at {:.3} FLOP/byte",
                r.key.source,
                w,
                r.key.variant,
                r.key.case.shape,
                r.figure.human(),
                ai
            );
            chart.mark(*ai, per(*v), shape, color, &title);
        }
        chart.legend_mark(Shape::Dot, color, w.to_string());
    }
    if points.iter().any(|(r, _)| !r.is_ours()) {
        chart.legend_mark(Shape::Dot, "#555", "chipbench (dots)");
        chart.legend_mark(Shape::Triangle, "#555", "vendor library (triangles)");
    }
}

/// Chips sharing a place on a chart: one mark, its label the first name and how many more,
/// its hover title all of them.
struct Group {
    x: f64,
    y: f64,
    names: Vec<String>,
}

impl Group {
    fn label(&self) -> String {
        match self.names.len() {
            1 => self.names[0].clone(),
            n => format!("{} +{}", self.names[0], n - 1),
        }
    }

    fn title(&self, what: &str) -> String {
        format!("{}: {what}", self.names.join(", "))
    }
}

/// Draws every group's mark, then names them: marks first, so that no name is drawn where a
/// later mark would cover it.
fn marks_then_names(chart: &mut Chart, marks: Vec<(Group, Shape, &str, String)>) {
    let placed: Vec<((f64, f64), String, &str)> = marks
        .iter()
        .filter_map(|(g, shape, color, title)| {
            Some((
                chart.mark(g.x, g.y, *shape, color, title)?,
                g.label(),
                *color,
            ))
        })
        .collect();
    for (at, label, color) in placed {
        chart.name(at, &label, if color == "#000" { "#333" } else { color });
    }
}

/// `points` (x, y, name) grouped where they share a place to three figures.
fn groups(points: impl Iterator<Item = (f64, f64, String)>) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    let key = |v: f64| format!("{v:.3e}");
    for (x, y, name) in points {
        match out
            .iter_mut()
            .find(|g| key(g.x) == key(x) && key(g.y) == key(y))
        {
            Some(g) => g.names.push(name),
            None => out.push(Group {
                x,
                y,
                names: vec![name],
            }),
        }
    }
    out
}

/// The fastest vendor-library dense 16-bit GEMM a device measured, FLOP/s.
fn vendor_gemm(d: &DeviceReport) -> Option<&Row> {
    best(&d.rows, Source::VendorLibrary, |r| {
        r.key.case.workload == "matmul"
            && matches!(r.key.case.precision.inputs, Numeric::Bf16 | Numeric::F16)
            && r.key.case.precision.accumulate == Numeric::F32
    })
}

/// Every chip with a known die area on the TPP x PD plane with the 3A090 regions (2023-10
/// rule) shaded; beside its rated point, each reported device's vendor-library GEMM as an
/// effective bit-weighted throughput (never chipbench's portable kernel: it does not place a
/// chip).
pub(crate) fn tpp_plane(db: &Database, devices: &[DeviceReport]) -> Result<String, String> {
    let (x0, x1, y0, y1) = (100.0, 1e5, 0.1, 100.0);
    let mut chart = Chart::new(
        "Chips on the TPP x performance-density plane (3A090, 2023-10 rule)",
        Axis::log(
            x0,
            x1,
            "TPP (datasheet); measured points: effective bit-weighted, not TPP",
        ),
        Axis::log(y0, y1, "TPP per mm^2 of logic die"),
    );
    let (a, b) = ("#f7d4d4", "#fde5c0");
    chart.region(
        (th::TPP_A, y0),
        (x1, y1),
        a,
        &format!("3A090.a.1: TPP at least {}", th::TPP_A),
    );
    chart.region((th::TPP_FLOOR, th::PD_A), (th::TPP_A, y1), a, "3A090.a.2");
    chart.region(
        (th::TPP_B1, th::PD_B1),
        (th::TPP_A, th::PD_A),
        b,
        "3A090.b.1",
    );
    chart.region(
        (th::TPP_FLOOR, th::PD_B2),
        (th::TPP_A, th::PD_A),
        b,
        "3A090.b.2",
    );
    chart.legend_area(a, "3A090.a");
    chart.legend_area(b, "3A090.b");
    let rated = groups(db.chips.iter().filter_map(|c| {
        let v = classify(&c.spec(), Rule::Oct2023);
        Some((v.tpp, v.performance_density?, c.name.clone()))
    }));
    let mut marks: Vec<(Group, Shape, &str, String)> = rated
        .into_iter()
        .map(|g| {
            let title = g.title(&format!("TPP {:.0}, PD {:.2}", g.x, g.y));
            (g, Shape::Dot, "#000", title)
        })
        .collect();
    chart.legend_mark(Shape::Dot, "#000", "rated (datasheet)");
    for d in devices {
        let (Some(chip), Some(row)) = (&d.chip, vendor_gemm(d)) else {
            continue;
        };
        let Some(die) = db.get(&chip.id).ok().and_then(|c| c.die_area_mm2) else {
            continue;
        };
        let eff = row.figure.value / 1e12 * 16.0;
        let label = format!("{} (vendor library, measured)", d.device);
        let title = format!(
            "{label}: {} x 16 bits = {eff:.0}, not TPP",
            row.figure.human()
        );
        let g = Group {
            x: eff,
            y: eff / die,
            names: vec![label],
        };
        marks.push((g, Shape::Triangle, PALETTE[0], title));
        chart.legend_mark(
            Shape::Triangle,
            PALETTE[0],
            "measured: vendor-library 16-bit GEMM x 16",
        );
    }
    marks_then_names(&mut chart, marks);
    Ok(chart.finish())
}

/// Serving capability against TPP: decode tokens/s per GPU of the deployment model at batch 1
/// (bandwidth-bound) for every chip on its datasheet, reported devices on their measured
/// bandwidth, and the TPP lines of 3A090 and of the January 2026 review policy.
pub(crate) fn deployment_chart(
    points: &Result<Vec<DeploymentPoint>, String>,
) -> Result<String, String> {
    let points = points.as_ref().map_err(Clone::clone)?;
    if points.is_empty() {
        return Err("no chip has the figures the deployment chart needs".into());
    }
    let ys = points
        .iter()
        .map(|p| p.decode_tokens_per_s_per_gpu)
        .filter(|v| v.is_finite() && *v > 0.0);
    let y1 = ys.clone().fold(1.0, f64::max).min(1e6) * 2.0;
    let y0 = ys.fold(y1, f64::min).max(y1 / 1e4) / 2.0;
    let mut chart = Chart::new(
        format!("Serving {DEPLOYMENT_MODEL} (fp8, one sequence of 4096 tokens) against TPP"),
        Axis::log(100.0, 1e5, "TPP (datasheet)"),
        Axis::log(y0, y1, "decode tokens/s per GPU (calibrated)"),
    );
    for (tpp, what) in [
        (th::TPP_FLOOR, ""),
        (th::TPP_B1, ""),
        (th::TPP_A, ": 3A090.a"),
        (th::REVIEW_TPP, ": 2026-01 review"),
    ] {
        chart.vline(tpp, "#c44", &format!("{tpp}{what}"));
    }
    let mut marks = Vec::new();
    for (measured, shape, color, legend) in [
        (false, Shape::Dot, "#000", "datasheet bandwidth"),
        (true, Shape::Triangle, PALETTE[0], "measured bandwidth"),
    ] {
        let of = groups(
            points
                .iter()
                .filter(|p| p.measured == measured)
                .map(|p| (p.tpp, p.decode_tokens_per_s_per_gpu, p.label.clone())),
        );
        if !of.is_empty() {
            chart.legend_mark(shape, color, legend);
        }
        marks.extend(of.into_iter().map(|g| {
            let title = g.title(&format!("TPP {:.0}, {:.1} tokens/s per GPU", g.x, g.y));
            (g, shape, color, title)
        }));
    }
    marks_then_names(&mut chart, marks);
    Ok(chart.finish())
}

/// GPU-hours of each published run on the device's chip (each calibrated without itself), the
/// bar at the central estimate and the line across its 80% range.
pub(crate) fn cost_chart(d: &DeviceReport) -> Result<String, String> {
    let t = match &d.training {
        Some(Ok(t)) => t,
        Some(Err(why)) => return Err(why.clone()),
        None => return Err("no training estimate for a CPU adapter".into()),
    };
    let runs = &t.comparisons;
    let n = runs.len().max(1) as f64;
    let hours = runs
        .iter()
        .flat_map(|c| [c.gpu_hours.low, c.gpu_hours.high])
        .filter(|h| h.is_finite() && *h > 0.0);
    let lo = hours.clone().fold(f64::INFINITY, f64::min).max(1.0) / 3.0;
    // Room right of the longest range for its label.
    let hi = hours.fold(1.0, f64::max).min(1e15) * 40.0;
    let names: Vec<(f64, String)> = runs
        .iter()
        .enumerate()
        .map(|(i, c)| (i as f64, c.name.clone()))
        .collect();
    let widest = names
        .iter()
        .map(|(_, s)| s.chars().count())
        .max()
        .unwrap_or(10);
    let mut chart = Chart::new(
        format!(
            "GPU-hours of published runs on {} ({} evidence)",
            d.device,
            t.rate_source.name()
        ),
        Axis::log(lo, hi, "GPU-hours (bar: central estimate; line: 80% range)"),
        Axis::rows(n),
    )
    .with_left(widest);
    chart.row_labels(&names);
    for (i, c) in runs.iter().enumerate() {
        let y = i as f64;
        let h = c.gpu_hours;
        let text = match c.cost_usd {
            Some(usd) => format!(
                "{}, {}",
                Quantity::new(h.central, Unit::GpuHours).human(),
                Quantity::new(usd, Unit::Usd).human()
            ),
            None => Quantity::new(h.central, Unit::GpuHours).human(),
        };
        chart.bar(h.central, y, 0.3, "#7fb2d9", &format!("{}: {text}", c.name));
        chart.line(
            &[(h.low.max(lo), y), (h.high.min(hi), y)],
            "#000",
            2.0,
            false,
            &h.human(Unit::GpuHours),
        );
        if let Some(at) = chart.at(h.high.min(hi), y) {
            chart.label(at, &text, "#000");
        }
    }
    Ok(chart.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Case, CaseKey, Precision, Shape as Dims};
    use crate::quantity::Quantity;

    fn row(unit: Unit, value: f64, intensity: Option<f64>) -> Row {
        Row {
            key: CaseKey {
                source: Source::Chipbench,
                variant: "v".into(),
                case: Case {
                    workload: "w".into(),
                    shape: Dims(Default::default()),
                    precision: Precision::new(Numeric::F16, Numeric::F32),
                },
            },
            execution_unit: crate::model::Unit::Vector,
            runs: 1,
            median_s: 1.0,
            min_s: 1.0,
            max_s: 1.0,
            cv: 0.0,
            figure: Quantity::new(value, unit),
            intensity,
            rating: None,
            vendor: None,
            of_measured: None,
        }
    }

    #[test]
    fn bandwidth_rows_sit_at_their_flop_rate() {
        assert_eq!(
            roofline_point(&row(Unit::FlopPerSecond, 150e12, Some(400.0))),
            Some((400.0, 150e12))
        );
        // 4000 GB/s at 1 FLOP/byte is 4 TFLOP/s; a copy has no FLOPs and no point.
        assert_eq!(
            roofline_point(&row(Unit::BytePerSecond, 4000e9, Some(1.0))),
            Some((1.0, 4e12))
        );
        assert_eq!(
            roofline_point(&row(Unit::BytePerSecond, 4000e9, None)),
            None
        );
        // Figures no axis can span are left out.
        assert_eq!(
            roofline_point(&row(Unit::FlopPerSecond, 1e300, Some(10.0))),
            None
        );
        assert_eq!(
            roofline_point(&row(Unit::FlopPerSecond, 1e12, Some(1e-300))),
            None
        );
    }

    #[test]
    fn chips_on_one_spot_share_one_mark() {
        let g = groups(
            [
                (1.0, 2.0, "a".to_string()),
                (1.0, 2.0, "b".into()),
                (3.0, 2.0, "c".into()),
            ]
            .into_iter(),
        );
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].label(), "a +1");
        assert_eq!(g[0].title("x"), "a, b: x");
    }
}
