//! `chipbench classify`: the ECCN 3A090 classification of a chip, a raw spec, or a result's
//! device beside what it measured.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;

use super::Fatal;
use chipbench::cost::Evidence;
use chipbench::dataset;
use chipbench::policy::measured::compare;
use chipbench::policy::{
    DISCLAIMER, Database, Rule, Spec, Unit, classify, import_epoch, parse_peaks,
};

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
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn classify_cmd(a: &ClassifyArgs) -> Result<ExitCode, Fatal> {
    let rule = a.rule;
    let mut db = Database::load()?;
    if let Some(path) = &a.result {
        let result = dataset::read(&db, path).map_err(|e| anyhow!(e))?;
        let c = compare(&db, &result, rule);
        let standing = standing_in_dataset(&db, &result)?;
        if a.json {
            let mut v = serde_json::to_value(&c)?;
            v["standing"] = serde_json::to_value(standing)?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            eprintln!("{DISCLAIMER}");
        } else {
            // The disclaimer stays the last line.
            let text = c.to_text();
            let body = text
                .strip_suffix(&format!("{DISCLAIMER}\n"))
                .unwrap_or(&text);
            print!("{body}");
            println!(
                "Standing of this run among the dataset's runs of its chip (results/): {}{}",
                standing.name(),
                match standing {
                    dataset::Standing::Confirmed => ": an independent run agrees within the noise",
                    dataset::Standing::Outlier => ": far from the other runs of this chip",
                    dataset::Standing::Single => ": no independent run agrees with it yet",
                }
            );
            if body.len() != text.len() {
                println!("{DISCLAIMER}");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (spec, label) = match &a.chip {
        Some(id) => {
            if let Some(path) = &a.epoch {
                db.extend(import_epoch(path)?);
            }
            let chip = db.get(id)?;
            (
                chip.spec(),
                format!("{} {} ({})", chip.vendor, chip.name, chip.id),
            )
        }
        None if !a.peak.is_empty() => {
            let peaks = parse_peaks(&a.peak).map_err(|e| anyhow!(e))?;
            // Peaks given on the command line are one unit's rates: TPP takes the fastest.
            let spec = Spec {
                units: vec![Unit {
                    name: "chip".to_string(),
                    vector: Default::default(),
                    matrix: peaks,
                    matrix_fp16_accumulate: Default::default(),
                }],
                die_area_mm2: a.die_area,
                datacenter: if a.datacenter {
                    Some(true)
                } else if a.not_datacenter {
                    Some(false)
                } else {
                    None
                },
                memory_bandwidth_gbps: a.memory_bandwidth,
                interconnect_gbps: a.interconnect,
                hbm_density: a.hbm_density,
                us_commercial: if a.us_commercial {
                    Some(true)
                } else if a.not_us_commercial {
                    Some(false)
                } else {
                    None
                },
                licence_letter: None,
            };
            (spec, "the given spec".to_string())
        }
        None => {
            return Err(anyhow!(
                "give --chip ID, --peak PREC=VALUE (repeatable), or --result FILE"
            )
            .into());
        }
    };
    spec.validate().map_err(|e| anyhow!(e))?;
    let v = classify(&spec, rule);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        eprintln!("{DISCLAIMER}");
    } else {
        println!("{label}:");
        print!("{}", v.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

/// Where `result` stands among the runs of its chip in the dataset under `results/` (itself
/// included once).
fn standing_in_dataset(
    db: &Database,
    result: &chipbench::model::RunResult,
) -> Result<dataset::Standing, Fatal> {
    let mut files = super::cost::evidence_files(db, None)?;
    files.retain(|(_, r)| r.id != result.id);
    files.push((String::new(), result.clone()));
    Ok(Evidence::with_standing(db, files)
        .pop()
        .map_or(dataset::Standing::Single, |e| e.standing))
}
