//! `chipbench classify`: the ECCN 3A090 classification of a chip, a raw spec, or a result's
//! device beside what it measured.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;

use super::{Fatal, OutputFormat};
use chipbench::cost::Evidence;
use chipbench::dataset;
use chipbench::policy::measured::compare;
use chipbench::policy::view::{comparison_document, verdict_document};
use chipbench::policy::{
    DISCLAIMER, Database, Rule, Spec, Unit, classify, import_epoch, parse_peaks,
};
use chipbench::view::{Block, Format, render};

/// A rule vintage by name, for clap.
pub fn rule(name: &str) -> Result<Rule, String> {
    name.parse::<Rule>()
}

#[derive(clap::Args)]
pub struct ClassifyArgs {
    /// A chip id from `chipbench chips` (or from --epoch).
    #[arg(long, conflicts_with_all = ["peak", "result"])]
    chip: Option<String>,
    /// Also look chip ids up in Epoch AI's ML hardware CSV (ids `epoch:<name>`).
    #[arg(long, requires = "chip")]
    epoch: Option<PathBuf>,
    /// A dense peak, PREC=VALUE in TFLOP/s or TOPS (PREC: fp64 fp32 tf32 bf16 fp16 int16 fp8
    /// int8 int4 fp4); repeat for each precision.
    #[arg(long, conflicts_with = "result")]
    peak: Vec<String>,
    /// Logic die area in mm^2 (FinFET/GAA dies only).
    #[arg(long, requires = "peak")]
    die_area: Option<f64>,
    /// Designed or marketed for datacenters.
    #[arg(long, requires = "peak", conflicts_with = "not_datacenter")]
    datacenter: bool,
    /// Not designed or marketed for datacenters.
    #[arg(long, requires = "peak")]
    not_datacenter: bool,
    /// DRAM bandwidth in GB/s (the 2026-01 review test).
    #[arg(long, requires = "peak")]
    memory_bandwidth: Option<f64>,
    /// Aggregate bidirectional interconnect in GB/s (the 2022-10 rule).
    #[arg(long, requires = "peak")]
    interconnect: Option<f64>,
    /// Memory bandwidth density of the co-packaged HBM, GB/s/mm^2 (the 2024-12 rule).
    #[arg(long, requires = "peak")]
    hbm_density: Option<f64>,
    /// Commercially available in the US when the January 2026 rule was published (its
    /// licence-review condition).
    #[arg(long, requires = "peak", conflicts_with = "not_us_commercial")]
    us_commercial: bool,
    /// Not commercially available in the US then (a part made for China, for instance).
    #[arg(long, requires = "peak")]
    not_us_commercial: bool,
    /// A result file: its device's rated figures beside what it measured.
    #[arg(long)]
    result: Option<PathBuf>,
    /// Rule vintage: 2022-10, 2023-10 (default), 2024-12; or 2026-01, which classifies as
    /// 2024-12 and adds the January 2026 licence-review checklist for China and Macau.
    #[arg(long, default_value = "2023-10", value_parser = rule)]
    rule: Rule,
    /// Read a `--result` file even when its run is incomplete (interrupted).
    #[arg(long)]
    allow_incomplete: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Print JSON (the typed verdict) instead of text: the same as --format json.
    #[arg(long)]
    json: bool,
}

impl ClassifyArgs {
    fn format(&self) -> Result<Format, Fatal> {
        self.format.or_json(self.json, "classify")
    }
}

pub fn classify_cmd(a: &ClassifyArgs) -> Result<ExitCode, Fatal> {
    let format = a.format()?;
    // Checked whichever question is asked, so a bad figure is never silently ignored.
    Spec::check_figures(
        a.die_area,
        a.memory_bandwidth,
        a.interconnect,
        a.hbm_density,
    )
    .map_err(|e| anyhow!(e))?;
    let mut db = Database::load()?;
    if let Some(path) = &a.result {
        return result_cmd(a, &db, path, format);
    }
    if let Some(path) = &a.epoch {
        db.extend(import_epoch(path)?);
    }
    let (spec, label) = spec_of(a, &db)?;
    spec.validate().map_err(|e| anyhow!(e))?;
    let v = classify(&spec, a.rule);
    match format {
        Format::Json => {
            println!("{}", serde_json::to_string_pretty(&v)?);
            eprintln!("{DISCLAIMER}");
        }
        format => print!("{}", render(&verdict_document(&label, &v), format)),
    }
    Ok(ExitCode::SUCCESS)
}

/// What a run's standing means, in a clause.
fn standing_means(s: dataset::Standing) -> &'static str {
    match s {
        dataset::Standing::Confirmed => "an independent run agrees within the noise",
        dataset::Standing::Outlier => "far from the other runs of this chip",
        dataset::Standing::Single => "no run of another signer agrees with it yet",
        dataset::Standing::Unverified => {
            "unsigned, or signed by a key not in results/allowed_signers"
        }
    }
}

/// `classify --result`: the device's rated figures beside what it measured, and the run's
/// standing among the dataset's runs of its chip.
fn result_cmd(
    a: &ClassifyArgs,
    db: &Database,
    path: &std::path::Path,
    format: Format,
) -> Result<ExitCode, Fatal> {
    let result = dataset::read_with(db, path, a.allow_incomplete).map_err(|e| anyhow!(e))?;
    let c = compare(db, &result, a.rule);
    let standing = standing_in_dataset(db, path, &result)?;
    if format == Format::Json {
        let mut v = serde_json::to_value(&c)?;
        v["standing"] = serde_json::to_value(standing)?;
        println!("{}", serde_json::to_string_pretty(&v)?);
        eprintln!("{DISCLAIMER}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut doc = comparison_document(&c);
    doc.paragraph(format!(
        "Standing of this run among the dataset's runs of its chip (results/): {}: {}",
        standing.name(),
        standing_means(standing)
    ));
    doc.push(Block::Note(DISCLAIMER.into()));
    print!("{}", render(&doc, format));
    Ok(ExitCode::SUCCESS)
}

/// The spec asked about and how to name it: a chip of the database (a unique part of its id
/// will do), or peaks given on the command line.
fn spec_of(a: &ClassifyArgs, db: &Database) -> Result<(Spec, String), Fatal> {
    if let Some(id) = &a.chip {
        let chip = db.resolve(id)?;
        return Ok((
            chip.spec(),
            format!("{} {} ({})", chip.vendor, chip.name, chip.id),
        ));
    }
    if a.peak.is_empty() {
        return Err(
            anyhow!("give --chip ID, --peak PREC=VALUE (repeatable), or --result FILE").into(),
        );
    }
    let flag = |yes: bool, no: bool| match (yes, no) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    // Peaks given on the command line are one unit's rates: TPP takes the fastest.
    let spec = Spec {
        units: vec![Unit {
            name: "chip".to_string(),
            vector: Default::default(),
            matrix: parse_peaks(&a.peak).map_err(|e| anyhow!("--peak {e}"))?,
            matrix_fp16_accumulate: Default::default(),
        }],
        die_area_mm2: a.die_area,
        datacenter: flag(a.datacenter, a.not_datacenter),
        memory_bandwidth_gbps: a.memory_bandwidth,
        interconnect_gbps: a.interconnect,
        hbm_density: a.hbm_density,
        us_commercial: flag(a.us_commercial, a.not_us_commercial),
        licence_letter: None,
    };
    Ok((spec, "the given spec".to_string()))
}

/// Where `result` stands among the runs of its chip in the dataset under `results/` (itself
/// included once).
fn standing_in_dataset(
    db: &Database,
    path: &std::path::Path,
    result: &chipbench::model::RunResult,
) -> Result<dataset::Standing, Fatal> {
    let mut files = super::cost::evidence_files(db, None)?;
    files.retain(|(_, r)| r.id != result.id);
    files.push((path.display().to_string(), result.clone()));
    Ok(Evidence::with_standing(db, &dataset::signers(None)?, files)
        .pop()
        .map_or(dataset::Standing::Unverified, |e| e.standing))
}
