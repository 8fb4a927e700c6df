//! The table `run` prints: one row per case that ran or failed, every figure with its unit and
//! its share of the ceiling measured in the same run, then one line per reason for the
//! variants the adapter cannot run, and each failure with its reason.

use crate::model::{Source, Status, WorkloadRecord};
use crate::quantity::{Unit, plural};
use crate::view::{Cell, Table, text_table};

const COLUMNS: [(&str, &str); 10] = [
    ("workload", "workload"),
    ("variant", "variant"),
    ("shape", "shape"),
    ("median", "median"),
    ("cv", "cv"),
    ("min", "min"),
    ("max", "max"),
    ("throughput", "throughput"),
    ("of_ceiling", "of ceiling"),
    ("check", "check"),
];

fn row(r: &WorkloadRecord, all: &[WorkloadRecord]) -> Vec<Cell> {
    let timing = r.timing.as_ref().filter(|_| r.status == Status::Ok);
    let seconds =
        |f: fn(&crate::model::Timing) -> f64| Cell::opt(timing.map(|t| f(t) * 1e-9), Unit::Second);
    let ceiling = r.of_measured(all, Source::Chipbench);
    let check = match (r.status, &r.check) {
        (Status::Ok, Some(c)) => format!("ok ({:.1e})", c.error),
        (Status::Ok, None) => "ok".to_string(),
        (Status::Failed, _) => "FAILED".to_string(),
        (Status::Unsupported, _) => "unsupported".to_string(),
    };
    vec![
        Cell::text(&r.workload),
        Cell::text(&r.variant),
        Cell::text(r.case().shape.to_string()),
        seconds(|t| t.median_ns),
        Cell::opt(timing.map(|t| t.cv), Unit::Cv),
        seconds(|t| t.min_ns),
        seconds(|t| t.max_ns),
        r.figure().map_or(Cell::Empty, Cell::Num),
        ceiling.map_or(Cell::Empty, |(c, x)| {
            Cell::text(format!("{} {}", crate::quantity::ratio(x), c.name()))
        }),
        Cell::text(check),
    ]
}

/// The variants the adapter cannot run, one line per reason: "unsupported (the adapter has no
/// cooperative matrices): matmul coop-f16-f32acc (5 shapes), ...".
fn unsupported(records: &[WorkloadRecord]) -> Vec<String> {
    let mut by_reason: Vec<(String, Vec<(String, usize)>)> = Vec::new();
    for r in records.iter().filter(|r| r.status == Status::Unsupported) {
        let reason = r
            .reason
            .clone()
            .unwrap_or_else(|| "no reason recorded".into());
        let at = match by_reason.iter().position(|(why, _)| *why == reason) {
            Some(at) => at,
            None => {
                by_reason.push((reason, Vec::new()));
                by_reason.len() - 1
            }
        };
        let name = format!("{} {}", r.workload, r.variant);
        let variants = &mut by_reason[at].1;
        match variants.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 += 1,
            None => variants.push((name, 1)),
        }
    }
    by_reason
        .into_iter()
        .map(|(why, variants)| {
            let list: Vec<String> = variants
                .iter()
                .map(|(n, c)| format!("{n} ({})", plural(*c, "shape", "shapes")))
                .collect();
            format!("unsupported ({why}): {}", list.join(", "))
        })
        .collect()
}

/// Renders the records as an aligned table: a row for every case that ran or failed, the
/// reason for each failure below it, and one line per reason for the unsupported variants.
pub fn render(records: &[WorkloadRecord]) -> String {
    let mut t = Table::new(&COLUMNS);
    for r in records.iter().filter(|r| r.status != Status::Unsupported) {
        t.push(row(r, records));
    }
    let mut out = text_table(&t);
    for r in records.iter().filter(|r| r.status == Status::Failed) {
        out.push_str(&format!(
            "FAILED {} {} {}: {}\n",
            r.workload,
            r.variant,
            r.case().shape,
            r.reason.as_deref().unwrap_or("no reason recorded")
        ));
    }
    for line in unsupported(records) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Method, Numeric, Precision, Summary, Throughput, Timing, Unit as Exec};

    fn timing(ns: f64) -> Timing {
        let s = Summary::of(&[ns; 3]).unwrap();
        Timing {
            method: Method::GpuTimestamp,
            warmup_passes: 1,
            dispatches_per_pass: 1,
            passes: 3,
            samples_ns: vec![ns; 3],
            median_ns: s.median_ns,
            min_ns: s.min_ns,
            max_ns: s.max_ns,
            mean_ns: s.mean_ns,
            cv: s.cv,
        }
    }

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
            timing: Some(timing(median_ns)),
            throughput: Some(Throughput::at(flops, bytes, median_ns)),
            check: None,
        }
    }

    fn line<'a>(out: &'a str, start: &str) -> &'a str {
        out.lines().find(|l| l.starts_with(start)).unwrap()
    }

    #[test]
    fn bandwidth_bound_work_shows_its_share_of_the_copy() {
        // 1e9 bytes per ms is 1000 GB/s; decode does 1 FLOP per byte, matmul 100.
        let records = [
            record("copy", 0.0, 2e9, 1e6),
            record("decode", 1e9, 1e9, 1e6),
            record("matmul", 1e11, 1e9, 1e6),
        ];
        let out = render(&records);
        assert!(line(&out, "copy").contains("2000 GB/s"), "{out}");
        assert!(line(&out, "decode").contains("1000 GB/s"), "{out}");
        assert!(line(&out, "decode").contains("0.50x copy"), "{out}");
        assert!(line(&out, "matmul").contains("100.0 TFLOP/s"), "{out}");
        assert!(!line(&out, "copy").contains("x copy"), "{out}");
    }

    #[test]
    fn compute_shows_its_share_of_its_units_measured_peak() {
        let unit = |mut r: WorkloadRecord, u| {
            r.unit = Some(u);
            r
        };
        let mut fma = unit(record("fma", 2e11, 2e9, 1e6), Exec::Vector);
        // f16 inputs widened to f32 are f32 multiply-adds: the f32 FMA loop is their ceiling.
        fma.precision = Precision::new(Numeric::F32, Numeric::F32);
        let mut tiled = unit(record("tiled", 5e10, 5e8, 1e6), Exec::Vector);
        tiled.workload = "matmul".into();
        tiled.variant = "tiled".into();
        let records = [
            unit(record("matrix-peak", 4e11, 4e9, 1e6), Exec::Matrix),
            unit(record("matmul", 1e11, 1e9, 1e6), Exec::Matrix),
            fma,
            tiled,
        ];
        let out = render(&records);
        let row = |variant: &str| {
            out.lines()
                .find(|l| l.starts_with("matmul") && l.split_whitespace().nth(1) == Some(variant))
                .unwrap()
        };
        assert!(row("v").contains("0.25x matrix peak"), "{out}");
        assert!(row("tiled").contains("0.25x FMA peak"), "{out}");
        assert!(
            !line(&out, "matrix-peak").contains("x matrix peak"),
            "{out}"
        );
    }

    #[test]
    fn unsupported_variants_sharing_a_reason_take_one_line_and_failures_stay_loud() {
        let no = |variant: &str, shape: u64| {
            let mut r = record("matmul", 1e11, 1e9, 1e6);
            r.variant = variant.to_string();
            r.shape.insert("m".into(), shape);
            r.status = Status::Unsupported;
            r.throughput = None;
            r.timing = None;
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
        assert_eq!(out.matches("no cooperative matrices").count(), 1, "{out}");
        assert!(
            out.contains(
                "unsupported (the adapter has no cooperative matrices): matmul coop-f16-f32acc \
                 (2 shapes), matmul coop-f16-f16acc (1 shape)"
            ),
            "{out}"
        );
        assert!(out.contains("FAILED gemv v : check failed"), "{out}");
        assert_eq!(out.lines().filter(|l| l.starts_with("matmul")).count(), 0);
        assert!(line(&out, "gemv").contains("FAILED"), "{out}");
    }
}
