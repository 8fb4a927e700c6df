//! The result file: schema `chipbench/result`, version 1. One JSON document per run and device.
//!
//! The `id` is the SHA-256 of the canonical JSON (sorted keys, no whitespace) of everything
//! else, so a file cannot be edited without the change showing, and two identical submissions
//! are recognised. Files are written atomically: a temporary file beside the target, then a
//! rename, so a crash or Ctrl-C never leaves half a file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::canonical;
use super::io::{read_regular, write_file_atomic};
use super::{
    Budget, Check, Conditions, DeviceInfo, Host, KernelFamily, Numeric, Precision, Summary, Timing,
    Unit,
};

pub const SCHEMA: &str = "chipbench/result";
pub const VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: not a chipbench result ({message})")]
    Format { path: String, message: String },
    #[error("{path}: {problems} problem(s): {first}")]
    Invalid {
        path: String,
        problems: usize,
        first: String,
    },
    #[error("could not write {path}: {message}")]
    Write { path: String, message: String },
}

/// Which program produced the numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// chipbench's own WGSL kernels.
    Chipbench,
    /// A vendor library measured on the same machine, as a ceiling to compare against.
    VendorLibrary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
    pub git_commit: String,
    pub wgpu_version: String,
}

impl Tool {
    pub fn this() -> Self {
        Tool {
            name: "chipbench".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: env!("CHIPBENCH_GIT_COMMIT").to_string(),
            wgpu_version: env!("CHIPBENCH_WGPU_VERSION").to_string(),
        }
    }
}

/// How the kernels were built and timed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub quick: bool,
    pub budget: Budget,
    /// "trusted" when wgpu's runtime checks (bounds clamps, loop bounding) were off.
    pub shader_runtime_checks: String,
    pub workgroup_memory_zero_init: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Unsupported,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Throughput {
    /// TFLOP/s at the median time; absent for pure data movement.
    pub tflops: Option<f64>,
    /// GB/s (1e9 bytes) of required device-memory traffic at the median time.
    pub gbps: f64,
}

impl Throughput {
    pub fn at(flops: f64, bytes: f64, median_ns: f64) -> Self {
        Throughput {
            tflops: (flops > 0.0).then(|| flops / median_ns / 1e3),
            gbps: bytes / median_ns,
        }
    }
}

/// Below this many FLOPs per byte of required traffic a workload is bound by memory bandwidth
/// on any processor (GPU ridge points are 10 FLOP/byte or more, CPUs' about 5), so its figure
/// is GB/s: copies, decode attention, matrix-vector products.
pub const BANDWIDTH_BOUND_INTENSITY: f64 = 2.0;

/// Whether work of `flops` over `bytes` of traffic is measured in GB/s rather than TFLOP/s.
pub fn bandwidth_bound(flops: f64, bytes: f64) -> bool {
    flops < BANDWIDTH_BOUND_INTENSITY * bytes
}

/// The best copy bandwidth among `records`, in GB/s: the ceiling bandwidth-bound work is
/// compared with.
pub fn copy_bandwidth<'a>(records: impl IntoIterator<Item = &'a WorkloadRecord>) -> Option<f64> {
    records
        .into_iter()
        .filter(|r| r.workload == "copy" && r.status == Status::Ok)
        .filter_map(|r| r.headline().map(|(v, _)| v))
        .max_by(f64::total_cmp)
}

/// The measured ceiling of a compute-bound record, from `records` of the same run: for work on
/// the matrix units the matrix-peak loop at the same operand and accumulator formats, for work
/// on the vector units the FMA loop at the same input format; with its label ("matrix peak",
/// "FMA peak"). None for the ceilings themselves, for bandwidth-bound work, or without one.
pub fn measured_peak<'a>(
    records: impl IntoIterator<Item = &'a WorkloadRecord> + Clone,
    r: &WorkloadRecord,
    source: Source,
) -> Option<(f64, &'static str)> {
    if r.bandwidth_bound() || matches!(r.workload.as_str(), "fma" | "matrix-peak") {
        return None;
    }
    let (ceiling, label) = match r.unit(source) {
        Unit::Matrix => ("matrix-peak", "matrix peak"),
        Unit::Vector => ("fma", "FMA peak"),
    };
    let vector_format = r.precision.arithmetic(Unit::Vector);
    records
        .into_iter()
        .filter(|c| c.workload == ceiling && c.status == Status::Ok)
        .filter(|c| match ceiling {
            "fma" => c.precision.inputs == vector_format,
            _ => c.precision == r.precision,
        })
        .filter_map(|c| c.headline().map(|(v, _)| v))
        .max_by(f64::total_cmp)
        .map(|v| (v, label))
}

/// One variant of one workload at one shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadRecord {
    pub workload: String,
    pub variant: String,
    pub precision: Precision,
    /// The execution unit the kernel ran on. Absent in files written before it was recorded;
    /// [`WorkloadRecord::unit`] gives those their unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// The kind of kernel; absent in older files, as `unit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<KernelFamily>,
    pub shape: BTreeMap<String, u64>,
    pub config: String,
    pub flops_per_iter: f64,
    pub bytes_per_iter: f64,
    pub status: Status,
    /// Why a workload is unsupported or failed.
    pub reason: Option<String>,
    pub timing: Option<Timing>,
    pub throughput: Option<Throughput>,
    pub check: Option<Check>,
}

impl WorkloadRecord {
    /// Whether this record's figure is GB/s (see [`bandwidth_bound`]).
    pub fn bandwidth_bound(&self) -> bool {
        bandwidth_bound(self.flops_per_iter, self.bytes_per_iter)
    }

    /// The execution unit: as recorded, or for files from before it was recorded, the unit
    /// their kernels are known to use: chipbench's `coop-*` variants, and vendor matmul and
    /// attention on TF32 or narrower inputs, ran on the matrix units; everything else on the
    /// vector units (benches/vendor_reference.py writes the same rule).
    pub fn unit(&self, source: Source) -> Unit {
        self.unit.unwrap_or_else(|| self.known_unit(source))
    }

    /// The unit the rule in [`WorkloadRecord::unit`] gives, whatever the file records.
    fn known_unit(&self, source: Source) -> Unit {
        let matrix = match source {
            Source::Chipbench => self.variant.starts_with("coop"),
            Source::VendorLibrary => {
                let narrow = matches!(
                    self.precision.inputs,
                    Numeric::Tf32
                        | Numeric::Bf16
                        | Numeric::F16
                        | Numeric::Fp8
                        | Numeric::I8
                        | Numeric::I4
                );
                narrow && !matches!(self.workload.as_str(), "gemv" | "copy")
            }
        };
        if matrix { Unit::Matrix } else { Unit::Vector }
    }

    /// The shape as text: matrix dimensions read best as m, n, k; everything else
    /// alphabetically.
    pub fn shape_label(&self) -> String {
        let mut dims: Vec<(&String, &u64)> = self.shape.iter().collect();
        dims.sort_by_key(|(k, _)| (["m", "n", "k"].iter().position(|d| d == k).unwrap_or(3), *k));
        dims.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// This record's GB/s over `copy_gbps`, the copy bandwidth of the same run, for
    /// bandwidth-bound work other than the copy itself; none for the copy, for work measured
    /// in TFLOP/s, or without a copy.
    pub fn copy_share(&self, copy_gbps: Option<f64>) -> Option<f64> {
        match self.headline() {
            Some((gbps, "GB/s")) if self.workload != "copy" => copy_gbps.map(|copy| gbps / copy),
            _ => None,
        }
    }

    /// The figure that matters and its unit: GB/s for bandwidth-bound work, else TFLOP/s.
    /// Absent without a throughput (a case that did not run or did not pass).
    pub fn headline(&self) -> Option<(f64, &'static str)> {
        let t = self.throughput.as_ref()?;
        Some(match t.tflops {
            Some(tf) if !self.bandwidth_bound() => (tf, "TFLOP/s"),
            _ => (t.gbps, "GB/s"),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunResult {
    pub schema: String,
    pub version: u32,
    pub id: String,
    pub created_at: String,
    pub source: Source,
    /// False while the run is in progress, or when it was interrupted.
    pub complete: bool,
    pub tool: Tool,
    pub host: Host,
    /// The adapter, with `chip` set when it maps to the chip database.
    pub device: DeviceInfo,
    pub conditions: Conditions,
    pub settings: Settings,
    pub workloads: Vec<WorkloadRecord>,
    pub contributor: Option<String>,
}

impl RunResult {
    /// SHA-256 (hex) of the canonical JSON of everything but `id`.
    pub fn content_id(&self) -> String {
        canonical::id_of_serialize(self).expect("result serialises")
    }

    /// Recomputes the id; call after every change.
    pub fn seal(&mut self) {
        self.id = self.content_id();
    }

    /// Every way this result breaks the schema's rules; empty when it is valid.
    pub fn problems(&self) -> Vec<String> {
        self.problems_given(&self.content_id())
    }

    /// [`RunResult::problems`], with the content id already computed.
    fn problems_given(&self, content_id: &str) -> Vec<String> {
        let mut p = Vec::new();
        if self.schema != SCHEMA {
            p.push(format!("schema is {:?}, expected {SCHEMA:?}", self.schema));
        }
        if self.version != VERSION {
            p.push(format!("version {} is not {VERSION}", self.version));
        }
        if self.id != content_id {
            p.push("id is not the SHA-256 of the content (edited after it was written?)".into());
        }
        if chrono::DateTime::parse_from_rfc3339(&self.created_at).is_err() {
            p.push(format!(
                "created_at {:?} is not an RFC 3339 time",
                self.created_at
            ));
        }
        // Every text in the file, whatever its field: no control characters (newlines,
        // escapes) and no invisible format characters (zero-width spaces, direction marks),
        // which could forge output or make a device name map to no chip.
        let mut texts = Vec::new();
        strings(
            &serde_json::to_value(self).expect("result serialises"),
            "",
            &mut texts,
        );
        for (field, text) in texts {
            if text.chars().any(|c| c.is_control() || invisible(c)) {
                p.push(format!(
                    "{field} {:?} holds control or invisible characters, which could forge output",
                    text.chars().take(40).collect::<String>()
                ));
            }
        }
        if let Some(why) = settings_problem(&self.settings.budget) {
            p.push(why);
        }
        for (when, r) in [
            ("before", &self.conditions.before),
            ("after", &self.conditions.after),
        ] {
            if let Some(why) = r.as_ref().and_then(reading_problem) {
                p.push(format!("conditions.{when}: {why}"));
            }
        }
        for (i, w) in self.workloads.iter().enumerate() {
            let at = format!("workloads[{i}] ({} {})", w.workload, w.variant);
            workload_problems(w, &at, &mut p);
            let defined = super::tolerance::expected(self.source, w);
            if let (Some(c), Some(t), Status::Ok) = (&w.check, defined, w.status)
                && (c.tolerance - t).abs() > 1e-12 * t.max(1e-300)
            {
                p.push(format!(
                    "{at}: the check's tolerance {:e} is not the {t:e} this variant defines",
                    c.tolerance
                ));
            }
            // chipbench's kernels are known: a recorded unit must be the one they run on.
            if let Some(u) = w.unit.filter(|_| self.source == Source::Chipbench) {
                let known = w.known_unit(self.source);
                if u != known {
                    p.push(format!(
                        "{at}: recorded unit {u}, but this kernel runs on the {known} units"
                    ));
                }
            }
        }
        p
    }

    /// Writes the result to `path` atomically (temporary file, then rename).
    pub fn write_atomic(&self, path: &Path) -> Result<(), SchemaError> {
        let mut text = serde_json::to_string_pretty(self).expect("result serialises");
        text.push('\n');
        write_file_atomic(path, text.as_bytes()).map_err(|e| SchemaError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Reads and validates a result file; any problem is one clear error.
    pub fn read(path: &Path) -> Result<RunResult, SchemaError> {
        let result = Self::load(path)?;
        let problems = result.problems();
        if let Some(first) = problems.first() {
            return Err(SchemaError::Invalid {
                path: path.display().to_string(),
                problems: problems.len(),
                first: first.clone(),
            });
        }
        Ok(result)
    }

    /// Reads a result file and lists every way it breaks the content rules (empty when valid);
    /// errors are files that cannot be read or parsed at all.
    pub fn load_checked(path: &Path) -> Result<(RunResult, Vec<String>), SchemaError> {
        let (result, id) = Self::load_with_id(path)?;
        let problems = result.problems_given(&id);
        Ok((result, problems))
    }

    /// Reads and parses a result file (size cap, UTF-8, schema, version, fields) without
    /// checking its content rules; [`RunResult::problems`] lists those.
    pub fn load(path: &Path) -> Result<RunResult, SchemaError> {
        Self::load_with_id(path).map(|(r, _)| r)
    }

    fn load_with_id(path: &Path) -> Result<(RunResult, String), SchemaError> {
        let shown = path.display().to_string();
        let read_err = |message: String| SchemaError::Read {
            path: shown.clone(),
            message,
        };
        let bytes = read_regular(path).map_err(read_err)?;
        let text = String::from_utf8(bytes).map_err(|_| read_err("not UTF-8 text".into()))?;
        Self::parse_with_id(&text).map_err(|message| SchemaError::Format {
            path: shown,
            message,
        })
    }

    /// Parses JSON text, checking schema and version before the fields so that a file of
    /// another version gets a message about its version, not about a missing field.
    pub fn parse(text: &str) -> Result<RunResult, String> {
        Self::parse_with_id(text).map(|(r, _)| r)
    }

    /// Parses straight from text into the typed result (unknown fields are refused by serde)
    /// and computes its content id, building no JSON tree.
    fn parse_with_id(text: &str) -> Result<(RunResult, String), String> {
        let result: RunResult = serde_json::from_str(text).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => {
                header_problem(text).unwrap_or_else(|| format!("bad field: {e}"))
            }
            _ => format!("invalid JSON: {e}"),
        })?;
        if result.schema != SCHEMA || result.version != VERSION {
            return Err(header_problem(text).unwrap_or_else(|| "schema or version mismatch".into()));
        }
        // The file is stored byte for byte, so a key given twice would read one way here (serde
        // keeps the last) and another way in a reader that keeps the first.
        serde_json::from_str::<UniqueKeys>(text).map_err(|e| format!("invalid JSON: {e}"))?;
        let id = canonical::id_of_serialize(&result)?;
        Ok((result, id))
    }
}

/// A JSON value read only to refuse an object that names a key twice, at any depth.
struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = UniqueKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<UniqueKeys, A::Error> {
                let mut keys = std::collections::HashSet::new();
                while let Some(k) = m.next_key::<String>()? {
                    if !keys.insert(k.clone()) {
                        return Err(serde::de::Error::custom(format!("duplicate key {k:?}")));
                    }
                    m.next_value::<UniqueKeys>()?;
                }
                Ok(UniqueKeys)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> Result<UniqueKeys, A::Error> {
                while s.next_element::<UniqueKeys>()?.is_some() {}
                Ok(UniqueKeys)
            }
            fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys)
            }
            fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys)
            }
            fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys)
            }
            fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys)
            }
            fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys)
            }
            fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// What is wrong with a document's schema and version, if anything; read without the rest of
/// its fields, so that a file of another version gets a message about its version.
fn header_problem(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Header {
        schema: Option<Value>,
        version: Option<Value>,
    }
    let h: Header = serde_json::from_str(text).ok()?;
    let schema = h.schema.as_ref().and_then(Value::as_str);
    if schema != Some(SCHEMA) {
        return Some(format!("schema is {schema:?}, expected {SCHEMA:?}"));
    }
    match h.version.as_ref().and_then(Value::as_u64) {
        Some(v) if v == u64::from(VERSION) => None,
        Some(v) => Some(format!(
            "schema version {v} is not supported (this chipbench reads version {VERSION})"
        )),
        None => Some("no schema version".into()),
    }
}

/// Every string in `v` with its path.
fn strings(v: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) => out.push((path.to_string(), s.clone())),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                strings(x, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                strings(x, &sub, out);
            }
        }
        _ => {}
    }
}

/// Unicode format characters that render as nothing: zero-width spaces and joiners,
/// direction marks and overrides, word joiners, the byte-order mark.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{00ad}')
}

/// A timing budget no run could have used.
fn settings_problem(b: &super::timing::Budget) -> Option<String> {
    let sane = |x: f64| x.is_finite() && (0.0..=3.6e6).contains(&x);
    (!(sane(b.warmup_ms)
        && sane(b.per_case_ms)
        && sane(b.target_pass_ms)
        && b.target_pass_ms >= 0.01))
        .then(|| "settings.budget: times must be between 0.01 ms and an hour".to_string())
}

/// Readings outside what any device reports.
fn reading_problem(r: &super::conditions::Reading) -> Option<String> {
    let within = |x: Option<f64>, lo: f64, hi: f64| {
        x.is_none_or(|v| v.is_finite() && (lo..=hi).contains(&v))
    };
    let ok = within(r.sm_clock_mhz, 0.0, 1e4)
        && within(r.memory_clock_mhz, 0.0, 1e5)
        && within(r.max_sm_clock_mhz, 0.0, 1e4)
        && within(r.power_w, 0.0, 1e4)
        && within(r.power_limit_w, 0.0, 1e4)
        && within(r.temperature_c, -60.0, 150.0);
    (!ok).then(|| {
        "clocks (0-10,000 MHz), power (0-10,000 W) or temperature (-60-150 C) out of range".into()
    })
}

fn workload_problems(w: &WorkloadRecord, at: &str, p: &mut Vec<String>) {
    let positive = |x: f64| x.is_normal() && x > 0.0;
    if !WORKLOADS.contains(&w.workload.as_str()) {
        p.push(format!(
            "{at}: unknown workload {:?} (known: {})",
            w.workload,
            WORKLOADS.join(", ")
        ));
    }
    if w.variant.is_empty()
        || !w
            .variant
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
    {
        p.push(format!(
            "{at}: a variant name is lowercase letters, digits and - _ . only"
        ));
    }
    // `causal` is a flag (0 or 1); every other entry is a dimension.
    let bad_dim = |(k, &d): (&String, &u64)| match k.as_str() {
        "causal" => d > 1,
        _ => d == 0 || d > MAX_DIMENSION,
    };
    if w.shape.iter().any(bad_dim) {
        p.push(format!(
            "{at}: shape dimensions must be 1 to 2^32 (and `causal` 0 or 1)"
        ));
    }
    let dim = |k: &str| w.shape.get(k).map(|&d| d as f64);
    if let (true, Some(b), Some(h), Some(d), Some(s)) = (
        w.workload == "attention",
        dim("batch"),
        dim("heads"),
        dim("head_dim"),
        dim("seq"),
    ) {
        // 4·b·h·s²·d, half of it when causal (the flash-attention convention); where the
        // shape does not say whether it was causal, either.
        let full = 4.0 * b * h * s * s * d;
        let near = |x: f64| (w.flops_per_iter - x).abs() <= 1e-9 * x;
        let fits = match w.shape.get("causal") {
            Some(1) => near(full / 2.0),
            Some(_) => near(full),
            None => near(full) || near(full / 2.0),
        };
        if !fits {
            p.push(format!(
                "{at}: attention of this shape does {full:e} FLOP (half if causal), not {:e}",
                w.flops_per_iter
            ));
        }
    }
    if let (Some(&m), Some(&n), Some(&k)) = (w.shape.get("m"), w.shape.get("n"), w.shape.get("k")) {
        let want = 2.0 * m as f64 * n as f64 * k as f64;
        if w.workload == "matmul" && (w.flops_per_iter - want).abs() > 1e-9 * want {
            p.push(format!(
                "{at}: a matmul of m={m} n={n} k={k} does 2mnk = {want:e} FLOP, not {:e}",
                w.flops_per_iter
            ));
        }
    }
    // Equal up to rounding: figures derived from the samples must be those of the samples.
    let same = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs());
    if !(w.flops_per_iter == 0.0 || positive(w.flops_per_iter)) || !positive(w.bytes_per_iter) {
        p.push(format!(
            "{at}: flop and byte counts must be finite and positive"
        ));
    }
    match w.status {
        Status::Ok => {
            match &w.timing {
                None => p.push(format!("{at}: ok without timing")),
                Some(t) => {
                    if t.samples_ns.is_empty() || !t.samples_ns.iter().all(|&s| positive(s)) {
                        p.push(format!(
                            "{at}: samples must be present, finite and positive"
                        ));
                    } else if let Some(s) = Summary::of(&t.samples_ns) {
                        let stats = [
                            ("median", t.median_ns, s.median_ns, " ns"),
                            ("min", t.min_ns, s.min_ns, " ns"),
                            ("max", t.max_ns, s.max_ns, " ns"),
                            ("mean", t.mean_ns, s.mean_ns, " ns"),
                            ("cv", t.cv, s.cv, ""),
                        ];
                        for (name, stated, actual, unit) in stats {
                            // A cv of identical samples is 0 or rounding noise either way.
                            let near_zero = name == "cv" && stated.abs().max(actual.abs()) < 1e-12;
                            if !same(stated, actual) && !near_zero {
                                p.push(format!(
                                    "{at}: {name} {stated:.6e}{unit} is not the {name} of the samples ({actual:.6e}{unit})"
                                ));
                            }
                        }
                        if t.dispatches_per_pass == 0 || t.warmup_passes > 1_000_000 {
                            p.push(format!(
                                "{at}: a pass has at least one dispatch, and warm-up at most a million passes"
                            ));
                        }
                        if t.passes != t.samples_ns.len() {
                            p.push(format!(
                                "{at}: {} passes but {} samples",
                                t.passes,
                                t.samples_ns.len()
                            ));
                        }
                    }
                    match &w.throughput {
                        Some(th) => {
                            let want =
                                Throughput::at(w.flops_per_iter, w.bytes_per_iter, t.median_ns);
                            let flops_ok = match (th.tflops, want.tflops) {
                                (Some(a), Some(b)) => same(a, b),
                                (None, None) => true,
                                _ => false,
                            };
                            let sane = positive(th.gbps) && th.tflops.is_none_or(positive);
                            if !(flops_ok && same(th.gbps, want.gbps) && sane) {
                                p.push(format!(
                                    "{at}: throughput is not the work over the median time"
                                ));
                            }
                        }
                        None => p.push(format!("{at}: ok without a throughput")),
                    }
                }
            }
            match &w.check {
                Some(c)
                    if c.passed
                        && c.error.is_finite()
                        && c.error >= 0.0
                        && c.tolerance.is_finite()
                        && (0.0..=MAX_TOLERANCE).contains(&c.tolerance)
                        && c.error <= c.tolerance
                        && c.checked > 0
                        && c.checked <= c.total
                        && c.total <= MAX_CHECKED => {}
                _ => p.push(format!(
                    "{at}: ok without a passed correctness check (error within a tolerance of \
                     at most {MAX_TOLERANCE}, at least one and at most all elements checked)"
                )),
            }
            if w.reason.is_some() {
                p.push(format!(
                    "{at}: a reason belongs to a case that did not pass"
                ));
            }
        }
        Status::Unsupported | Status::Failed => {
            if w.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                p.push(format!("{at}: {:?} without a reason", w.status));
            }
            if w.throughput.is_some() {
                p.push(format!(
                    "{at}: a throughput for a workload that did not pass"
                ));
            }
        }
    }
}

/// The workloads a result may hold (chipbench's registry, `bench::ALL`, and the vendor
/// reference script name theirs the same).
pub const WORKLOADS: [&str; 7] = [
    "fma",
    "copy",
    "matrix-peak",
    "matmul",
    "attention",
    "decode",
    "gemv",
];
/// The widest tolerance any variant's check defines (f16-accumulated matmul at K = 8192 is
/// about 0.06); a larger one would pass wrong results.
const MAX_TOLERANCE: f64 = 0.1;
/// The largest dimension a shape may name.
const MAX_DIMENSION: u64 = 1 << 32;
/// The most elements an output may have (2^48, far beyond any GPU's memory).
const MAX_CHECKED: u64 = 1 << 48;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names_the_version_problem_first() {
        let e = RunResult::parse(r#"{"schema":"chipbench/result","version":2}"#).unwrap_err();
        assert!(e.contains("version 2"), "{e}");
        let e = RunResult::parse(r#"{"schema":"other"}"#).unwrap_err();
        assert!(e.contains("expected"), "{e}");
        assert!(
            RunResult::parse("{not json")
                .unwrap_err()
                .contains("invalid JSON")
        );
    }

    #[test]
    fn a_key_given_twice_is_refused() {
        let dup = r#"{"a": 1, "b": {"c": 2, "c": 3}}"#;
        let e = serde_json::from_str::<UniqueKeys>(dup)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("duplicate key \"c\""), "{e}");
        assert!(serde_json::from_str::<UniqueKeys>(r#"{"a": [1, {"b": null}], "c": "x"}"#).is_ok());
    }

    #[test]
    fn a_cv_of_identical_samples_may_be_written_as_zero() {
        // Python's pstdev gives exactly 0 for equal samples, Rust about 2e-16.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/results/nvidia/nvidia-h200/35e780f66ae0c0b913f422b44ad175238d1c0a06e882f1395876026a408a024a.json"
        );
        let mut r = RunResult::read(Path::new(path)).unwrap();
        let w = &mut r.workloads[1];
        let t = w.timing.as_mut().unwrap();
        let n = t.samples_ns.len();
        t.samples_ns = vec![1234567.1; n];
        let s = Summary::of(&t.samples_ns).unwrap();
        (t.median_ns, t.min_ns, t.max_ns, t.mean_ns, t.cv) =
            (s.median_ns, s.min_ns, s.max_ns, s.mean_ns, 0.0);
        w.throughput = Some(Throughput::at(
            w.flops_per_iter,
            w.bytes_per_iter,
            s.median_ns,
        ));
        r.seal();
        assert!(r.problems().is_empty(), "{:?}", r.problems());
    }

    #[test]
    fn throughput_units() {
        // 2e12 FLOP in 1e9 ns (1 s) is 2 TFLOP/s; 4e9 bytes in 1 s is 4 GB/s.
        let t = Throughput::at(2e12, 4e9, 1e9);
        assert_eq!(t.tflops, Some(2.0));
        assert_eq!(t.gbps, 4.0);
        assert_eq!(Throughput::at(0.0, 1.0, 1.0).tflops, None);
    }
}
