//! The two tables of the export as lists of columns: each a name (which names its unit where it
//! has one: `median_s`, `throughput_flop_per_s`), a type, and how a row reads its value. One
//! list per table, so every format writes the same columns in the same order.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::dataset::standing::Standing;
use crate::dataset::tree::in_parallel;
use crate::model::{RunResult, WorkloadRecord, read_regular};

/// A column's type in every format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Real,
    Bool,
}

/// One cell: raw numbers, text as it is, or nothing (an empty CSV cell, JSON null, a Parquet
/// null).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Text(Cow<'a, str>),
    Int(i64),
    Real(f64),
    Bool(bool),
    Null,
}

/// One row of the cases table: one record of one run, with what the dataset says of the run.
pub struct Row<'a> {
    pub run: &'a RunResult,
    /// The run's file, relative to the dataset root.
    pub file: &'a str,
    pub signer: Option<&'a str>,
    pub standing: Standing,
    pub index: usize,
    pub record: &'a WorkloadRecord,
}

type Read = for<'r, 'a> fn(&'r Row<'a>) -> Value<'r>;

/// How a column reads its value: a field of the row, or one shape dimension.
enum Get {
    Field(Read),
    Dim(String),
}

/// A column of a table.
pub struct Column {
    pub name: String,
    pub kind: Kind,
    get: Get,
}

impl Column {
    /// This column's value in `row`.
    pub fn of<'r>(&self, row: &'r Row) -> Value<'r> {
        match &self.get {
            Get::Field(read) => read(row),
            Get::Dim(key) => row
                .record
                .shape
                .get(key)
                .map_or(Value::Null, |&d| Value::Int(d as i64)),
        }
    }
}

fn text(s: &str) -> Value<'_> {
    Value::Text(Cow::Borrowed(s))
}

fn maybe(s: Option<&str>) -> Value<'_> {
    s.map_or(Value::Null, text)
}

/// A closed vocabulary's name as result files spell it (`ok`, `gpu-timestamp`).
fn named(v: &impl serde::Serialize) -> Value<'static> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Value::Text(Cow::Owned(s)),
        _ => Value::Null,
    }
}

fn real(x: Option<f64>) -> Value<'static> {
    x.map_or(Value::Null, Value::Real)
}

fn int(x: Option<u64>) -> Value<'static> {
    x.and_then(|x| i64::try_from(x).ok())
        .map_or(Value::Null, Value::Int)
}

/// The columns before the shape's: the run, then the case.
const BEFORE_SHAPE: &[(&str, Kind, Read)] = &[
    ("run_id", Kind::Text, |r| text(&r.run.id)),
    ("file", Kind::Text, |r| text(r.file)),
    ("created_at", Kind::Text, |r| text(&r.run.created_at)),
    ("contributor", Kind::Text, |r| {
        maybe(r.run.contributor.as_deref())
    }),
    ("signer", Kind::Text, |r| maybe(r.signer)),
    ("standing", Kind::Text, |r| text(r.standing.name())),
    ("source", Kind::Text, |r| text(r.run.source.name())),
    ("quick", Kind::Bool, |r| Value::Bool(r.run.settings.quick)),
    ("tool_version", Kind::Text, |r| text(&r.run.tool.version)),
    ("host_os", Kind::Text, |r| text(&r.run.host.os)),
    ("host_arch", Kind::Text, |r| text(&r.run.host.arch)),
    ("host_cpu", Kind::Text, |r| {
        maybe(r.run.host.cpu_model.as_deref())
    }),
    ("host_cores", Kind::Int, |r| {
        int(Some(r.run.host.cores as u64))
    }),
    ("host_memory_byte", Kind::Int, |r| {
        int(r.run.host.memory_bytes)
    }),
    ("device", Kind::Text, |r| text(&r.run.device.name)),
    ("device_type", Kind::Text, |r| {
        text(r.run.device.device_type.name())
    }),
    ("vendor_id", Kind::Int, |r| {
        int(Some(r.run.device.vendor_id.into()))
    }),
    ("device_id", Kind::Int, |r| {
        int(Some(r.run.device.device_id.into()))
    }),
    ("driver", Kind::Text, |r| text(&r.run.device.driver)),
    ("driver_info", Kind::Text, |r| {
        text(&r.run.device.driver_info)
    }),
    ("backend", Kind::Text, |r| text(&r.run.device.backend)),
    ("chip", Kind::Text, |r| maybe(r.run.device.chip.as_deref())),
    ("case_index", Kind::Int, |r| int(Some(r.index as u64))),
    ("workload", Kind::Text, |r| text(&r.record.workload)),
    ("variant", Kind::Text, |r| text(&r.record.variant)),
    ("input_precision", Kind::Text, |r| {
        text(r.record.precision.inputs.name())
    }),
    ("accumulate_precision", Kind::Text, |r| {
        text(r.record.precision.accumulate.name())
    }),
    ("execution_unit", Kind::Text, |r| {
        text(r.record.unit(r.run.source).name())
    }),
    ("kernel_family", Kind::Text, |r| {
        maybe(r.record.family.map(|f| f.name()))
    }),
    ("shape", Kind::Text, |r| {
        Value::Text(Cow::Owned(r.record.shape_label()))
    }),
];

/// The columns after the shape's: the work, the timing, the figure, the check and the outcome.
const AFTER_SHAPE: &[(&str, Kind, Read)] = &[
    ("flops_per_iter", Kind::Real, |r| {
        Value::Real(r.record.flops_per_iter)
    }),
    ("bytes_per_iter", Kind::Real, |r| {
        Value::Real(r.record.bytes_per_iter)
    }),
    ("timing_method", Kind::Text, |r| {
        r.record
            .timing
            .as_ref()
            .map_or(Value::Null, |t| named(&t.method))
    }),
    ("samples", Kind::Int, |r| {
        int(r.record.timing.as_ref().map(|t| t.samples_ns.len() as u64))
    }),
    ("median_s", Kind::Real, |r| seconds(r, |t| t.median_ns)),
    ("min_s", Kind::Real, |r| seconds(r, |t| t.min_ns)),
    ("max_s", Kind::Real, |r| seconds(r, |t| t.max_ns)),
    ("mean_s", Kind::Real, |r| seconds(r, |t| t.mean_ns)),
    ("cv", Kind::Real, |r| {
        real(r.record.timing.as_ref().map(|t| t.cv))
    }),
    ("throughput_flop_per_s", Kind::Real, |r| {
        real(
            r.record
                .throughput
                .as_ref()
                .and_then(|t| t.tflops)
                .map(|x| x * 1e12),
        )
    }),
    ("throughput_byte_per_s", Kind::Real, |r| {
        real(r.record.throughput.as_ref().map(|t| t.gbps * 1e9))
    }),
    ("check_metric", Kind::Text, |r| {
        maybe(r.record.check.as_ref().map(|c| c.metric.as_str()))
    }),
    ("check_error", Kind::Real, |r| {
        real(r.record.check.as_ref().map(|c| c.error))
    }),
    ("check_tolerance", Kind::Real, |r| {
        real(r.record.check.as_ref().map(|c| c.tolerance))
    }),
    ("check_checked", Kind::Int, |r| {
        int(r.record.check.as_ref().map(|c| c.checked))
    }),
    ("check_total", Kind::Int, |r| {
        int(r.record.check.as_ref().map(|c| c.total))
    }),
    ("status", Kind::Text, |r| named(&r.record.status)),
    ("reason", Kind::Text, |r| maybe(r.record.reason.as_deref())),
];

/// A time statistic of the record's timing, in seconds.
fn seconds(r: &Row, pick: fn(&crate::model::Timing) -> f64) -> Value<'static> {
    real(r.record.timing.as_ref().map(|t| pick(t) * 1e-9))
}

/// The columns of the cases table, with a `shape_<key>` column (a count) for each of
/// `shape_keys`.
pub fn cases(shape_keys: &[String]) -> Vec<Column> {
    let fixed = |list: &[(&str, Kind, Read)]| -> Vec<Column> {
        list.iter()
            .map(|&(name, kind, read)| Column {
                name: name.to_string(),
                kind,
                get: Get::Field(read),
            })
            .collect()
    };
    let dims = shape_keys.iter().map(|k| Column {
        name: format!("shape_{k}"),
        kind: Kind::Int,
        get: Get::Dim(k.clone()),
    });
    let mut out = fixed(BEFORE_SHAPE);
    out.extend(dims);
    out.extend(fixed(AFTER_SHAPE));
    out
}

/// The columns of the samples table: one timing sample of one case of one run.
pub const SAMPLES: [(&str, Kind); 4] = [
    ("run_id", Kind::Text),
    ("case_index", Kind::Int),
    ("sample_index", Kind::Int),
    ("time_s", Kind::Real),
];

/// A shape key that becomes a column: a lowercase identifier of at most 32 characters, so that
/// no key makes a column name a format cannot hold (every key stays in the `shape` column).
fn column_worthy(key: &str) -> bool {
    key.len() <= 32
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// At most this many shape columns: a file naming thousands of dimensions cannot make the
/// table that wide.
pub const MAX_SHAPE_COLUMNS: usize = 64;

/// The shape keys the files under the export name, sorted: the union over every file that
/// parses (read a batch at a time on every core, each file's shapes only), the first [`MAX_SHAPE_COLUMNS`] of
/// those fit to be a column. Also returns how many keys were left out.
pub fn shape_keys(files: &[PathBuf]) -> (Vec<String>, usize) {
    #[derive(Deserialize)]
    struct Shapes {
        workloads: Vec<ShapeOnly>,
    }
    #[derive(Deserialize)]
    struct ShapeOnly {
        shape: std::collections::BTreeMap<String, IgnoredAny>,
    }
    let mut all: BTreeSet<String> = BTreeSet::new();
    for batch in files.chunks(1024) {
        let per_file: Vec<BTreeSet<String>> = in_parallel(batch, |p| {
            let bytes = read_regular(p).ok()?;
            let s: Shapes = serde_json::from_slice(&bytes).ok()?;
            Some(
                s.workloads
                    .into_iter()
                    .flat_map(|w| w.shape.into_keys())
                    .collect(),
            )
        });
        all.extend(per_file.into_iter().flatten());
    }
    let total = all.len();
    let kept: Vec<String> = all
        .into_iter()
        .filter(|k| column_worthy(k))
        .take(MAX_SHAPE_COLUMNS)
        .collect();
    let left_out = total - kept.len();
    (kept, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_identifiers_become_columns_and_names_are_unique() {
        assert!(column_worthy("head_dim") && column_worthy("m"));
        for bad in ["", "M", "1x", "a b", "a,b", "\"x\"", &"x".repeat(33)] {
            assert!(!column_worthy(bad), "{bad:?}");
        }
        let names: Vec<String> = cases(&["m".into(), "bytes".into()])
            .into_iter()
            .map(|c| c.name)
            .collect();
        let unique: BTreeSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert!(names.contains(&"shape_m".to_string()));
    }
}
