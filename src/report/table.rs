//! The terminal table: one row per workload case, every number with its unit, and a reason
//! instead of a number for anything that did not run or did not pass.

use crate::model::{Source, Status, WorkloadRecord, copy_bandwidth, measured_peak};

/// Formats nanoseconds with a unit that keeps three or four significant digits.
pub fn duration(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} us", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// A ratio as "0.25x", with two significant digits below 0.1 so a small one never reads 0.00x.
pub fn times(x: f64) -> String {
    if x >= 0.1 {
        format!("{x:.2}x")
    } else {
        format!("{x:.1e}x")
    }
}

/// A throughput in the unit that suits its size, so that no figure prints as 0.00: TFLOP/s
/// from 1 up, else GFLOP/s or MFLOP/s; GB/s from 1 up, else MB/s.
pub fn scaled(value: f64, unit: &str) -> String {
    match unit {
        "TFLOP/s" if value >= 1.0 => format!("{value:.2} TFLOP/s"),
        "TFLOP/s" if value >= 1e-3 => format!("{:.1} GFLOP/s", value * 1e3),
        "TFLOP/s" => format!("{:.1} MFLOP/s", value * 1e6),
        "GB/s" if value >= 1.0 => format!("{value:.1} GB/s"),
        "GB/s" => format!("{:.1} MB/s", value * 1e3),
        other => format!("{value:.3} {other}"),
    }
}

/// The record's figure with its unit; for bandwidth-bound work other than the copy itself,
/// also its share of `copy_gbps`, the device's measured copy bandwidth; for compute on either
/// unit, its share of that unit's measured peak (`peak`).
fn throughput(r: &WorkloadRecord, copy_gbps: Option<f64>, peak: Option<(f64, &str)>) -> String {
    let share = |tf: f64| {
        peak.map(|(p, label)| format!(" ({} {label})", times(tf / p)))
            .unwrap_or_default()
    };
    match r.headline() {
        Some((tf, "TFLOP/s")) => format!("{}{}", scaled(tf, "TFLOP/s"), share(tf)),
        Some((gbps, unit)) => match r.copy_share(copy_gbps) {
            Some(share) => format!("{} ({} copy)", scaled(gbps, unit), times(share)),
            None => scaled(gbps, unit),
        },
        None => "-".to_string(),
    }
}

/// Lays out `rows` under `header` in left-aligned columns two spaces apart.
pub fn aligned<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n") + "\n"
}

fn row(r: &WorkloadRecord, all: &[WorkloadRecord], copy_gbps: Option<f64>) -> [String; 7] {
    let shape = r.shape_label();
    let (median, spread) = match (&r.timing, r.status) {
        (Some(t), Status::Ok) => (
            duration(t.median_ns),
            format!(
                "cv {:.1}%, {}..{}",
                t.cv * 100.0,
                duration(t.min_ns),
                duration(t.max_ns)
            ),
        ),
        _ => ("-".to_string(), "-".to_string()),
    };
    let check = match (r.status, &r.check) {
        (Status::Ok, Some(c)) => format!("ok ({:.1e})", c.error),
        (Status::Ok, None) => "ok".to_string(),
        (Status::Failed, _) => "FAILED".to_string(),
        (Status::Unsupported, _) => "unsupported".to_string(),
    };
    [
        r.workload.clone(),
        r.variant.clone(),
        shape,
        median,
        spread,
        throughput(r, copy_gbps, measured_peak(all, r, Source::Chipbench)),
        check,
    ]
}

/// Renders the records as an aligned table: a row for every case that ran or failed, the
/// reason for each failure below it, and one line per unsupported variant with its reason
/// once, however many shapes it covers.
pub fn render(records: &[WorkloadRecord]) -> String {
    let header = [
        "workload",
        "variant",
        "shape",
        "median",
        "spread",
        "throughput",
        "check",
    ];
    let copy = copy_bandwidth(records);
    let rows: Vec<[String; 7]> = records
        .iter()
        .filter(|r| r.status != Status::Unsupported)
        .map(|r| row(r, records, copy))
        .collect();
    let mut out = aligned(header, &rows);
    let reason = |r: &WorkloadRecord| {
        r.reason
            .clone()
            .unwrap_or_else(|| "no reason recorded".into())
    };
    for r in records.iter().filter(|r| r.status == Status::Failed) {
        out.push_str(&format!(
            "FAILED {} {} {}: {}\n",
            r.workload,
            r.variant,
            r.shape_label(),
            reason(r)
        ));
    }
    // Unsupported variants, in run order, each once with its distinct reasons.
    let mut unsupported: Vec<((&str, &str), usize, Vec<String>)> = Vec::new();
    for r in records.iter().filter(|r| r.status == Status::Unsupported) {
        let key = (r.workload.as_str(), r.variant.as_str());
        let at = match unsupported.iter().position(|(k, ..)| *k == key) {
            Some(at) => at,
            None => {
                unsupported.push((key, 0, Vec::new()));
                unsupported.len() - 1
            }
        };
        let entry = &mut unsupported[at];
        entry.1 += 1;
        if !entry.2.contains(&reason(r)) {
            entry.2.push(reason(r));
        }
    }
    for ((workload, variant), cases, reasons) in unsupported {
        let shapes = if cases == 1 { "shape" } else { "shapes" };
        out.push_str(&format!(
            "unsupported {workload} {variant} ({cases} {shapes}): {}\n",
            reasons.join("; ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Numeric, Precision, Throughput, Unit};

    fn record(workload: &str, flops: f64, bytes: f64, median_ns: f64) -> WorkloadRecord {
        WorkloadRecord {
            workload: workload.to_string(),
            variant: "v".to_string(),
            precision: Precision::new(Numeric::F16, Numeric::F32),
            unit: None,
            family: None,
            shape: Default::default(),
            config: String::new(),
            flops_per_iter: flops,
            bytes_per_iter: bytes,
            status: Status::Ok,
            reason: None,
            timing: None,
            throughput: Some(Throughput::at(flops, bytes, median_ns)),
            check: None,
        }
    }

    #[test]
    fn bandwidth_bound_work_shows_gb_per_s_beside_the_copy() {
        // 1e9 bytes per ms is 1000 GB/s; decode does 1 FLOP per byte, matmul 100.
        let copy = record("copy", 0.0, 2e9, 1e6);
        let decode = record("decode", 1e9, 1e9, 1e6);
        let matmul = record("matmul", 1e11, 1e9, 1e6);
        let all = [copy.clone(), decode.clone(), matmul.clone()];
        let bw = copy_bandwidth(&all);
        assert_eq!(bw, Some(2000.0));
        assert_eq!(throughput(&copy, bw, None), "2000.0 GB/s");
        assert_eq!(throughput(&decode, bw, None), "1000.0 GB/s (0.50x copy)");
        assert_eq!(throughput(&decode, None, None), "1000.0 GB/s");
        assert_eq!(throughput(&matmul, bw, None), "100.00 TFLOP/s");
        assert_eq!(decode.copy_share(bw), Some(0.5));
        assert_eq!(copy.copy_share(bw), None);
        assert_eq!(matmul.copy_share(bw), None);
        assert_eq!(decode.headline(), Some((1000.0, "GB/s")));
        assert_eq!(matmul.headline(), Some((100.0, "TFLOP/s")));
    }

    #[test]
    fn compute_shows_its_share_of_its_units_measured_peak() {
        // Every record here is f16 inputs with f32 accumulation, 100 FLOP/byte.
        let unit = |mut r: WorkloadRecord, u| {
            r.unit = Some(u);
            r
        };
        let peak = unit(record("matrix-peak", 4e11, 4e9, 1e6), Unit::Matrix);
        let coop = unit(record("matmul", 1e11, 1e9, 1e6), Unit::Matrix);
        let mut fma = unit(record("fma", 2e11, 2e9, 1e6), Unit::Vector);
        // f16 inputs widened to f32 are f32 multiply-adds: the f32 FMA loop is their ceiling.
        fma.precision = Precision::new(Numeric::F32, Numeric::F32);
        let tiled = unit(record("matmul", 5e10, 5e8, 1e6), Unit::Vector);
        let all = [peak.clone(), coop.clone(), fma.clone(), tiled.clone()];
        let render =
            |r: &WorkloadRecord| throughput(r, None, measured_peak(&all, r, Source::Chipbench));
        assert_eq!(render(&coop), "100.00 TFLOP/s (0.25x matrix peak)");
        assert_eq!(render(&tiled), "50.00 TFLOP/s (0.25x FMA peak)");
        // The ceilings themselves carry no share.
        assert_eq!(render(&peak), "400.00 TFLOP/s");
        assert_eq!(render(&fma), "200.00 TFLOP/s");
        // Another accumulator is another ceiling: none measured, no share.
        let mut f16acc = coop.clone();
        f16acc.precision.accumulate = Numeric::F16;
        assert_eq!(measured_peak(&all, &f16acc, Source::Chipbench), None);
    }

    #[test]
    fn unsupported_variants_take_one_line_and_failures_stay_loud() {
        let no = |variant: &str, shape: u64| {
            let mut r = record("matmul", 1e11, 1e9, 1e6);
            r.variant = variant.to_string();
            r.shape.insert("m".into(), shape);
            r.status = Status::Unsupported;
            r.throughput = None;
            r.reason = Some("the adapter has no cooperative matrices".into());
            r
        };
        let mut failed = record("gemv", 1e9, 1e9, 1e6);
        failed.status = Status::Failed;
        failed.throughput = None;
        failed.reason = Some("check failed: error 1e-1".into());
        let records = [
            no("coop-f16-f32acc", 1),
            no("coop-f16-f32acc", 2),
            no("coop-f16-f16acc", 1),
            record("fma", 2e11, 2e9, 1e6),
            failed,
        ];
        let out = render(&records);
        assert_eq!(out.matches("no cooperative matrices").count(), 2, "{out}");
        assert!(out.contains("unsupported matmul coop-f16-f32acc (2 shapes): the adapter"));
        assert!(out.contains("FAILED gemv v : check failed"), "{out}");
        // Rows: the header, fma and the failed gemv; no row for an unsupported case.
        assert_eq!(out.lines().filter(|l| l.starts_with("matmul")).count(), 0);
        assert!(
            out.lines()
                .any(|l| l.starts_with("gemv") && l.contains("FAILED"))
        );
    }

    #[test]
    fn small_figures_change_unit_rather_than_print_zero() {
        assert_eq!(scaled(153.894, "TFLOP/s"), "153.89 TFLOP/s");
        assert_eq!(scaled(0.0712, "TFLOP/s"), "71.2 GFLOP/s");
        assert_eq!(scaled(0.000_09, "TFLOP/s"), "90.0 MFLOP/s");
        assert_eq!(scaled(4245.3, "GB/s"), "4245.3 GB/s");
        assert_eq!(scaled(0.25, "GB/s"), "250.0 MB/s");
    }

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(duration(850.0), "850 ns");
        assert_eq!(duration(12_340.0), "12.34 us");
        assert_eq!(duration(2_500_000.0), "2.500 ms");
        assert_eq!(duration(3.2e9), "3.200 s");
    }
}
