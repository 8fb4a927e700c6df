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
    Unit, invisible,
};

pub(crate) const SCHEMA: &str = "chipbench/result";
pub(crate) const VERSION: u32 = 1;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// chipbench's own WGSL kernels.
    Chipbench,
    /// A vendor library measured on the same machine, as a ceiling to compare against.
    VendorLibrary,
}

impl Source {
    /// The name files and outputs use: `chipbench`, `vendor-library`.
    pub fn name(self) -> &'static str {
        match self {
            Source::Chipbench => "chipbench",
            Source::VendorLibrary => "vendor-library",
        }
    }

    /// The source in a sentence: "chipbench's portable kernel", "the vendor library".
    pub fn phrase(self) -> &'static str {
        match self {
            Source::Chipbench => "chipbench's portable kernel",
            Source::VendorLibrary => "the vendor library",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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
pub(crate) const BANDWIDTH_BOUND_INTENSITY: f64 = 2.0;

/// Whether work of `flops` over `bytes` of traffic is measured in GB/s rather than TFLOP/s.
pub fn bandwidth_bound(flops: f64, bytes: f64) -> bool {
    flops < BANDWIDTH_BOUND_INTENSITY * bytes
}

/// The best copy bandwidth among `records`: the ceiling bandwidth-bound work is compared
/// with.
pub(crate) fn copy_bandwidth<'a>(
    records: impl IntoIterator<Item = &'a WorkloadRecord>,
) -> Option<crate::quantity::Quantity> {
    records
        .into_iter()
        .filter(|r| r.workload == "copy" && r.status == Status::Ok)
        .filter_map(WorkloadRecord::figure)
        .max_by(|a, b| a.value.total_cmp(&b.value))
}

/// The ceiling a figure is set against in the run that measured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ceiling {
    /// The copy bandwidth, for bandwidth-bound work.
    Copy,
    /// The matrix-peak loop, for work on the matrix units.
    MatrixPeak,
    /// The FMA loop, for work on the vector units.
    FmaPeak,
}

impl Ceiling {
    pub fn name(self) -> &'static str {
        match self {
            Ceiling::Copy => "copy",
            Ceiling::MatrixPeak => "matrix peak",
            Ceiling::FmaPeak => "FMA peak",
        }
    }
}

/// The measured ceiling of a compute-bound record, from `records` of the same run: for work on
/// the matrix units the matrix-peak loop at the same operand and accumulator formats, for work
/// on the vector units the FMA loop at the same input format. None for the ceilings
/// themselves, for bandwidth-bound work, or without one.
fn measured_peak<'a>(
    records: impl IntoIterator<Item = &'a WorkloadRecord> + Clone,
    r: &WorkloadRecord,
    source: Source,
) -> Option<(crate::quantity::Quantity, Ceiling)> {
    if r.bandwidth_bound() || matches!(r.workload.as_str(), "fma" | "matrix-peak") {
        return None;
    }
    let ceiling = match r.unit(source) {
        Unit::Matrix => Ceiling::MatrixPeak,
        Unit::Vector => Ceiling::FmaPeak,
    };
    let vector_format = r.precision.arithmetic(Unit::Vector);
    records
        .into_iter()
        .filter(|c| c.status == Status::Ok)
        .filter(|c| match ceiling {
            Ceiling::FmaPeak => c.workload == "fma" && c.precision.inputs == vector_format,
            _ => c.workload == "matrix-peak" && c.precision == r.precision,
        })
        .filter_map(WorkloadRecord::figure)
        .max_by(|a, b| a.value.total_cmp(&b.value))
        .map(|v| (v, ceiling))
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
    /// The number of timing samples the record carries.
    fn sample_count(&self) -> usize {
        self.timing.as_ref().map_or(0, |t| t.samples_ns.len())
    }

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

    /// The shape as text, as [`Shape`] writes it: m, n, k, then the rest alphabetically.
    pub fn shape_label(&self) -> String {
        super::Shape(self.shape.clone()).to_string()
    }

    /// This record's figure over the ceiling its own run measured for it (`run`: that run's
    /// records, measured by `source`): the copy bandwidth for bandwidth-bound work, else the
    /// measured peak of its unit and format ([`measured_peak`]); none without one.
    pub(crate) fn of_measured(
        &self,
        run: &[WorkloadRecord],
        source: Source,
    ) -> Option<(Ceiling, f64)> {
        if let Some(x) = self.copy_share(copy_bandwidth(run)) {
            return Some((Ceiling::Copy, x));
        }
        let (peak, ceiling) = measured_peak(run, self, source)?;
        Some((ceiling, self.figure()?.value / peak.value))
    }

    /// This record's bandwidth over `copy`, the copy bandwidth of the same run, for
    /// bandwidth-bound work other than the copy itself; none for the copy, for work measured
    /// in TFLOP/s, or without a copy.
    fn copy_share(&self, copy: Option<crate::quantity::Quantity>) -> Option<f64> {
        let f = self.figure()?;
        (f.unit == crate::quantity::Unit::BytePerSecond && self.workload != "copy")
            .then_some(copy.map(|c| f.value / c.value))?
    }

    /// The figure that matters, with its unit: bytes/s for bandwidth-bound work, else FLOP/s.
    /// Absent without a throughput (a case that did not run or did not pass).
    pub fn figure(&self) -> Option<crate::quantity::Quantity> {
        use crate::quantity::{Quantity, Unit};
        let t = self.throughput.as_ref()?;
        Some(match t.tflops {
            Some(tf) if !self.bandwidth_bound() => Quantity::new(tf * 1e12, Unit::FlopPerSecond),
            _ => Quantity::new(t.gbps * 1e9, Unit::BytePerSecond),
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
    /// What the run warned about as it ended (see [`super::noise`]); absent in files written
    /// before warnings were recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl RunResult {
    /// SHA-256 (hex) of the canonical JSON of everything but `id`.
    fn content_id(&self) -> String {
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

    /// What no run produces: a time before chipbench or in the future, impossible host
    /// figures, records that contradict the source, no records or too many, too many samples.
    fn run_problems(&self) -> Vec<String> {
        let mut p: Vec<String> = [
            time_problem(&self.created_at),
            host_problem(&self.host),
            source_problem(self),
        ]
        .into_iter()
        .flatten()
        .collect();
        if self.workloads.is_empty() || self.workloads.len() > MAX_RECORDS {
            p.push(format!(
                "a result holds 1 to {MAX_RECORDS} workload records, not {}",
                self.workloads.len()
            ));
        }
        let samples: usize = self
            .workloads
            .iter()
            .map(WorkloadRecord::sample_count)
            .sum();
        if self.warnings.len() > MAX_WARNINGS {
            p.push(format!(
                "{} warnings; a run records at most {MAX_WARNINGS}",
                self.warnings.len()
            ));
        }
        if samples > MAX_SAMPLES_PER_FILE {
            p.push(format!(
                "{samples} timing samples in all; a run produces at most {MAX_SAMPLES_PER_FILE}"
            ));
        }
        p
    }

    /// Every text in the file, whatever its field: no control characters (newlines, escapes)
    /// and no invisible format characters (zero-width spaces, direction marks), which could
    /// forge output or make a device name map to no chip; none longer than [`MAX_TEXT_BYTES`].
    fn text_problems(&self) -> Vec<String> {
        // The samples hold no text, and are most of a file: walk a copy without them.
        let mut light = self.clone();
        for t in light.workloads.iter_mut().filter_map(|w| w.timing.as_mut()) {
            t.samples_ns = Vec::new();
        }
        let mut p = Vec::new();
        let value = serde_json::to_value(&light).expect("result serialises");
        texts(&value, &mut Vec::new(), &mut |at, text| {
            if text.chars().any(|c| c.is_control() || invisible(c)) {
                p.push(format!(
                    "{} {:?} holds control or invisible characters, which could forge output",
                    field_name(at),
                    text.chars().take(40).collect::<String>()
                ));
            }
            if text.len() > MAX_TEXT_BYTES {
                p.push(format!(
                    "{} is {} bytes long; no text in a result may exceed {MAX_TEXT_BYTES}",
                    field_name(at),
                    text.len()
                ));
            }
        });
        p
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
        p.extend(self.run_problems());
        p.extend(self.text_problems());
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
        let c = &self.conditions;
        if c.host_load
            .is_some_and(|l| !(l.is_finite() && (0.0..=1e3).contains(&l)))
            || c.gpu_processes.is_some_and(|n| n > 100_000)
        {
            p.push(
                "conditions: a host load of 0 to 1,000 per core, at most 100,000 GPU processes"
                    .into(),
            );
        }
        // A run measures each case of each variant once: a repeat would weigh it twice.
        let mut seen = std::collections::BTreeSet::new();
        for (i, w) in self.workloads.iter().enumerate() {
            let at = format!("workloads[{i}] ({} {})", w.workload, w.variant);
            if !seen.insert(w.key(self.source)) {
                p.push(format!("{at}: the same case of this variant appears twice"));
            }
            workload_problems(w, &at, &mut p);
            self.record_problems(w, &at, &mut p);
        }
        p
    }

    /// What one record gets wrong against the rest of its run: a check tolerance other than
    /// the one its variant defines (or none defined), more samples than the run's budget
    /// allows, a unit other than the one chipbench's kernel runs on.
    fn record_problems(&self, w: &WorkloadRecord, at: &str, p: &mut Vec<String>) {
        let defined = super::tolerance::expected(self.source, w);
        match (&w.check, defined, w.status) {
            (Some(c), Some(t), Status::Ok) if (c.tolerance - t).abs() > 1e-12 * t.max(1e-300) => p
                .push(format!(
                    "{at}: the check's tolerance {:e} is not the {t:e} this variant defines",
                    c.tolerance
                )),
            (_, None, Status::Ok) => p.push(format!(
                "{at}: no {} variant {:?} of {} with {} inputs defines a tolerance, so its \
                 check cannot be judged",
                self.source.name(),
                w.variant,
                w.workload,
                w.precision.inputs
            )),
            _ => {}
        }
        if let Some(t) = &w.timing
            && (t.samples_ns.len() > MAX_SAMPLES_PER_CASE
                || t.samples_ns.len() > self.settings.budget.max_passes)
        {
            p.push(format!(
                "{at}: {} samples, more than the {} passes its budget allows (at most \
                 {MAX_SAMPLES_PER_CASE})",
                t.samples_ns.len(),
                self.settings.budget.max_passes
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

    /// [`RunResult::load_checked`] over bytes already read, so that what is checked is what a
    /// caller then stores or verifies; `shown` names them in errors.
    pub(crate) fn checked_from(
        bytes: Vec<u8>,
        shown: &str,
    ) -> Result<(RunResult, Vec<String>), SchemaError> {
        let (result, id) = Self::parse_bytes(bytes, shown)?;
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
        Self::parse_bytes(bytes, &shown)
    }

    fn parse_bytes(bytes: Vec<u8>, shown: &str) -> Result<(RunResult, String), SchemaError> {
        let text = String::from_utf8(bytes).map_err(|_| SchemaError::Read {
            path: shown.to_string(),
            message: "not UTF-8 text".into(),
        })?;
        Self::parse_with_id(&text).map_err(|message| SchemaError::Format {
            path: shown.to_string(),
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
                    if keys.contains(&k) {
                        return Err(serde::de::Error::custom(format!("duplicate key {k:?}")));
                    }
                    keys.insert(k);
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

/// One step of the way to a value in a JSON document: an object key or an array index.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Calls `found` with every text in `v` and the way to it; the way is spelt out only by
/// [`field_name`], for the texts that turn out to be wrong.
fn texts<'a>(v: &'a Value, at: &mut Vec<Step<'a>>, found: &mut impl FnMut(&[Step], &str)) {
    match v {
        Value::String(s) => found(at, s),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(Step::Index(i));
                texts(x, at, found);
                at.pop();
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                at.push(Step::Key(k));
                texts(x, at, found);
                at.pop();
            }
        }
        _ => {}
    }
}

/// A field's name as errors print it: `workloads[3].reason`.
fn field_name(at: &[Step]) -> String {
    let mut name = String::new();
    for step in at {
        match step {
            Step::Key(k) if name.is_empty() => name.push_str(k),
            Step::Key(k) => {
                name.push('.');
                name.push_str(k);
            }
            Step::Index(i) => name.push_str(&format!("[{i}]")),
        }
    }
    name
}

/// A timing budget no run could have used.
fn settings_problem(b: &super::timing::Budget) -> Option<String> {
    let sane = |x: f64| x.is_finite() && (0.0..=3.6e6).contains(&x);
    if !(sane(b.warmup_ms)
        && sane(b.per_case_ms)
        && sane(b.target_pass_ms)
        && b.target_pass_ms >= 0.01)
    {
        return Some("settings.budget: times must be between 0.01 ms and an hour".to_string());
    }
    (b.min_passes == 0 || b.min_passes > b.max_passes || b.max_passes > MAX_SAMPLES_PER_CASE)
        .then(|| {
            format!(
                "settings.budget: passes must be 1 <= min_passes <= max_passes <= {MAX_SAMPLES_PER_CASE}"
            )
        })
}

/// A `created_at` that is not an RFC 3339 time, or one no run can have: before chipbench
/// existed, or more than a day ahead of this machine's clock (time zones and skew allowed for).
fn time_problem(created_at: &str) -> Option<String> {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(created_at) else {
        return Some(format!("created_at {created_at:?} is not an RFC 3339 time"));
    };
    let earliest = chrono::DateTime::parse_from_rfc3339(EARLIEST).expect("a valid time");
    let latest = chrono::Utc::now() + chrono::Duration::days(1);
    (t < earliest || t > latest).then(|| {
        format!("created_at {created_at} is before chipbench existed ({EARLIEST}) or in the future")
    })
}

/// Host figures no machine has: no cores or more than any server, memory below what can run
/// a GPU driver or above any machine's, an empty OS or architecture.
fn host_problem(h: &super::Host) -> Option<String> {
    let memory_ok = h
        .memory_bytes
        .is_none_or(|m| (MIN_HOST_MEMORY..=MAX_HOST_MEMORY).contains(&m));
    (!(1..=MAX_CORES).contains(&h.cores) || !memory_ok || h.os.is_empty() || h.arch.is_empty())
        .then(|| {
            format!(
                "host: 1 to {MAX_CORES} cores, {MIN_HOST_MEMORY} to {MAX_HOST_MEMORY} bytes of \
                 memory, and a named OS and architecture"
            )
        })
}

/// A file whose records contradict its `source`: chipbench's kernels in a vendor-library file
/// or the other way round (a relabelled file would be bounded as the other kind), or a tool
/// that did not write that kind of file.
fn source_problem(r: &RunResult) -> Option<String> {
    let vendor_family = |w: &WorkloadRecord| w.family == Some(KernelFamily::VendorLibrary);
    let (tool_ok, records_ok) = match r.source {
        Source::Chipbench => (
            r.tool.name == "chipbench",
            !r.workloads.iter().any(vendor_family),
        ),
        Source::VendorLibrary => (
            r.tool.name != "chipbench",
            r.workloads
                .iter()
                .all(|w| w.family.is_none() || vendor_family(w)),
        ),
    };
    (!(tool_ok && records_ok)).then(|| {
        format!(
            "source {} contradicts its tool ({:?}) or the kernel family of its records",
            r.source.name(),
            r.tool.name
        )
    })
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

/// Everything wrong with one record, phase by phase: what it names, the work it claims, then
/// what its status requires (timing, throughput and a passed check, or a reason).
fn workload_problems(w: &WorkloadRecord, at: &str, p: &mut Vec<String>) {
    let mut found = naming_problems(w);
    found.extend(work_problems(w));
    match w.status {
        Status::Ok => found.extend(passed_problems(w)),
        Status::Unsupported | Status::Failed => {
            if w.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                found.push(format!("{:?} without a reason", w.status));
            }
            if w.throughput.is_some() {
                found.push("a throughput for a workload that did not pass".into());
            }
        }
    }
    p.extend(found.into_iter().map(|why| format!("{at}: {why}")));
}

fn positive(x: f64) -> bool {
    x.is_normal() && x > 0.0
}

/// Equal up to rounding: figures derived from the samples must be those of the samples.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// The workload, variant and shape a record names.
fn naming_problems(w: &WorkloadRecord) -> Vec<String> {
    let mut p = Vec::new();
    if !WORKLOADS.contains(&w.workload.as_str()) {
        p.push(format!(
            "unknown workload {:?} (known: {})",
            w.workload,
            WORKLOADS.join(", ")
        ));
    }
    let variant_ok = !w.variant.is_empty()
        && w.variant
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if !variant_ok {
        p.push("a variant name is lowercase letters, digits and - _ . only".into());
    }
    // `causal` is a flag (0 or 1); every other entry is a dimension.
    let bad_dim = |(k, &d): (&String, &u64)| match k.as_str() {
        "causal" => d > 1,
        _ => d == 0 || d > MAX_DIMENSION,
    };
    if w.shape.iter().any(bad_dim) {
        p.push("shape dimensions must be 1 to 2^32 (and `causal` 0 or 1)".into());
    }
    p
}

/// The FLOP and byte counts: positive, and for matmul and attention those the shape gives.
fn work_problems(w: &WorkloadRecord) -> Vec<String> {
    let mut p = Vec::new();
    let dim = |k: &str| w.shape.get(k).map(|&d| d as f64);
    let near = |x: f64| (w.flops_per_iter - x).abs() <= 1e-9 * x;
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
        let fits = match w.shape.get("causal") {
            Some(1) => near(full / 2.0),
            Some(_) => near(full),
            None => near(full) || near(full / 2.0),
        };
        if !fits {
            p.push(format!(
                "attention of this shape does {full:e} FLOP (half if causal), not {:e}",
                w.flops_per_iter
            ));
        }
    }
    if let (true, Some(m), Some(n), Some(k)) =
        (w.workload == "matmul", dim("m"), dim("n"), dim("k"))
    {
        let want = 2.0 * m * n * k;
        if !near(want) {
            p.push(format!(
                "a matmul of m={m} n={n} k={k} does 2mnk = {want:e} FLOP, not {:e}",
                w.flops_per_iter
            ));
        }
    }
    if !(w.flops_per_iter == 0.0 || positive(w.flops_per_iter)) || !positive(w.bytes_per_iter) {
        p.push("flop and byte counts must be finite and positive".into());
    }
    p
}

/// What a passed case must carry: timing that is its samples' own, the throughput of the
/// work over the median, a passed check covering enough of the output, and no reason.
fn passed_problems(w: &WorkloadRecord) -> Vec<String> {
    let mut p = Vec::new();
    match &w.timing {
        None => p.push("ok without timing".into()),
        Some(t) => {
            p.extend(timing_problems(t));
            match &w.throughput {
                Some(th) if !throughput_matches(w, th, t.median_ns) => {
                    p.push("throughput is not the work over the median time".into())
                }
                Some(_) => {}
                None => p.push("ok without a throughput".into()),
            }
        }
    }
    if let Some(why) = w.check.as_ref().and_then(|c| coverage_problem(w, c)) {
        p.push(why);
    }
    if !w.check.as_ref().is_some_and(check_holds) {
        p.push(format!(
            "ok without a passed correctness check (error within a tolerance of at most \
             {MAX_TOLERANCE}, at least one and at most all elements checked)"
        ));
    }
    if w.reason.is_some() {
        p.push("a reason belongs to a case that did not pass".into());
    }
    p
}

/// Statistics that are not those of the samples, or pass counts that do not add up.
fn timing_problems(t: &Timing) -> Vec<String> {
    if t.samples_ns.is_empty() || !t.samples_ns.iter().all(|&s| positive(s)) {
        return vec!["samples must be present, finite and positive".into()];
    }
    let Some(s) = Summary::of(&t.samples_ns) else {
        return Vec::new();
    };
    let stats = [
        ("median", t.median_ns, s.median_ns, " ns"),
        ("min", t.min_ns, s.min_ns, " ns"),
        ("max", t.max_ns, s.max_ns, " ns"),
        ("mean", t.mean_ns, s.mean_ns, " ns"),
        ("cv", t.cv, s.cv, ""),
    ];
    let mut p = Vec::new();
    for (name, stated, actual, unit) in stats {
        // A cv of identical samples is 0 or rounding noise either way.
        let near_zero = name == "cv" && stated.abs().max(actual.abs()) < 1e-12;
        if !same(stated, actual) && !near_zero {
            p.push(format!(
                "{name} {stated:.6e}{unit} is not the {name} of the samples ({actual:.6e}{unit})"
            ));
        }
    }
    if t.dispatches_per_pass == 0 || t.warmup_passes > 1_000_000 {
        p.push("a pass has at least one dispatch, and warm-up at most a million passes".into());
    }
    if t.passes != t.samples_ns.len() {
        p.push(format!(
            "{} passes but {} samples",
            t.passes,
            t.samples_ns.len()
        ));
    }
    p
}

fn throughput_matches(w: &WorkloadRecord, th: &Throughput, median_ns: f64) -> bool {
    let want = Throughput::at(w.flops_per_iter, w.bytes_per_iter, median_ns);
    let flops_ok = match (th.tflops, want.tflops) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    };
    flops_ok && same(th.gbps, want.gbps) && positive(th.gbps) && th.tflops.is_none_or(positive)
}

fn check_holds(c: &Check) -> bool {
    c.passed
        && c.error.is_finite()
        && c.error >= 0.0
        && c.tolerance.is_finite()
        && (0.0..=MAX_TOLERANCE).contains(&c.tolerance)
        && c.error <= c.tolerance
        && c.checked > 0
        && c.checked <= c.total
        && c.total <= MAX_CHECKED
}

/// What is wrong with how much of the output a check covered: a total that is not the output
/// the shape gives, or a sample too small to stand for it.
fn coverage_problem(w: &WorkloadRecord, c: &super::Check) -> Option<String> {
    let dim = |k: &str| w.shape.get(k).copied();
    let product = |keys: &[&str]| {
        keys.iter()
            .try_fold(1u64, |acc, k| acc.checked_mul(dim(k)?))
    };
    let outputs: Vec<u64> = match w.workload.as_str() {
        "matmul" => product(&["m", "n"]).into_iter().collect(),
        "attention" => product(&["batch", "heads", "seq", "head_dim"])
            .into_iter()
            .collect(),
        "decode" => product(&["batch", "heads", "head_dim"])
            .into_iter()
            .collect(),
        "gemv" => dim("m").into_iter().collect(),
        // 16-byte elements (chipbench) or 4-byte words (the vendor script).
        "copy" => dim("bytes")
            .map(|b| vec![b / 16, b / 4])
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    if !outputs.is_empty() && !outputs.contains(&c.total) {
        return Some(format!(
            "the check names {} output elements; this shape has {}",
            c.total, outputs[0]
        ));
    }
    (c.checked < c.total.min(MIN_CHECKED)).then(|| {
        format!(
            "a check of {} of {} elements; at least {MIN_CHECKED} (or all) must be compared",
            c.checked, c.total
        )
    })
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
/// The fewest elements a check may compare (unless the output has fewer): every chipbench
/// workload compares at least 2,048 and the vendor script's decode 384 (three heads of 128).
const MIN_CHECKED: u64 = 256;
/// Timed passes, and so samples, of one case. `run` takes at most `max_passes` of its budget
/// (100 in the full budget, 30 in the quick one), and the vendor script the same; ten times the
/// full budget leaves room for a longer one and still bounds what a reader does with the
/// samples (compare resamples every one of them 2,000 times).
pub(crate) const MAX_SAMPLES_PER_CASE: usize = 1_000;
/// Samples in one file: a full run of every workload on a GPU is under 100 cases of at most
/// 100 passes (a test in the run layer holds it to this bound), so 20,000 is twice that.
pub(crate) const MAX_SAMPLES_PER_FILE: usize = 20_000;
/// Workload records in one file: a run plans under 100 cases.
pub(crate) const MAX_RECORDS: usize = 1_000;
/// A run warns about the host, the GPU and its noisy cases: three sentences at most.
const MAX_WARNINGS: usize = 3;
/// Any text in a file: names, configs and reasons are far shorter (the longest tuned matmul
/// config is under 300 bytes); a longer one is padding or an attack on whoever prints it.
pub(crate) const MAX_TEXT_BYTES: usize = 4_096;
/// The first chipbench result files were written in 2025.
const EARLIEST: &str = "2025-01-01T00:00:00Z";
/// Cores and memory of the largest machines a GPU sits in, with room to spare.
const MAX_CORES: usize = 65_536;
const MIN_HOST_MEMORY: u64 = 64 << 20;
const MAX_HOST_MEMORY: u64 = 1 << 50;

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
