//! The terminal table: one row per workload case, every number with its unit, and a reason
//! instead of a number for anything that did not run or did not pass.

use crate::model::{Status, WorkloadRecord, copy_bandwidth};

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

/// The record's figure with its unit; for bandwidth-bound work other than the copy itself,
/// also its share of `copy_gbps`, the device's measured copy bandwidth.
fn throughput(r: &WorkloadRecord, copy_gbps: Option<f64>) -> String {
    match r.headline() {
        Some((tf, "TFLOP/s")) if tf >= 1.0 => format!("{tf:.2} TFLOP/s"),
        Some((tf, "TFLOP/s")) => format!("{:.1} GFLOP/s", tf * 1e3),
        Some((gbps, _)) => match r.copy_share(copy_gbps) {
            Some(share) => format!("{gbps:.1} GB/s ({share:.2}x copy)"),
            None => format!("{gbps:.1} GB/s"),
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

fn row(r: &WorkloadRecord, copy_gbps: Option<f64>) -> [String; 7] {
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
        throughput(r, copy_gbps),
        check,
    ]
}

/// Renders the records as an aligned table, followed by the reasons for anything not ok.
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
    let rows: Vec<[String; 7]> = records.iter().map(|r| row(r, copy)).collect();
    let mut out = aligned(header, &rows);
    for r in records.iter().filter(|r| r.status != Status::Ok) {
        out.push_str(&format!(
            "{} {}: {}\n",
            r.workload,
            r.variant,
            r.reason.as_deref().unwrap_or("no reason recorded")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Numeric, Precision, Throughput};

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
        assert_eq!(throughput(&copy, bw), "2000.0 GB/s");
        assert_eq!(throughput(&decode, bw), "1000.0 GB/s (0.50x copy)");
        assert_eq!(throughput(&decode, None), "1000.0 GB/s");
        assert_eq!(throughput(&matmul, bw), "100.00 TFLOP/s");
        assert_eq!(decode.copy_share(bw), Some(0.5));
        assert_eq!(copy.copy_share(bw), None);
        assert_eq!(matmul.copy_share(bw), None);
        assert_eq!(decode.headline(), Some((1000.0, "GB/s")));
        assert_eq!(matmul.headline(), Some((100.0, "TFLOP/s")));
    }

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(duration(850.0), "850 ns");
        assert_eq!(duration(12_340.0), "12.34 us");
        assert_eq!(duration(2_500_000.0), "2.500 ms");
        assert_eq!(duration(3.2e9), "3.200 s");
    }
}
