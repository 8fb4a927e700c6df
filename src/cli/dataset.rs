//! `chipbench dataset`: add files to the shared dataset, check the tree, write the index,
//! export the tables researchers read. Every subcommand takes the dataset folder the same
//! way: `--dataset DIR` (default `results`); `check`, `index` and `export` also take it as
//! their one positional argument, and `add` still takes the older `--root`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use anyhow::{Context as _, anyhow};
use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Fatal;
use chipbench::dataset::export::{self, Format};
use chipbench::dataset::{self, Added, Admission, AllowedSigners, Verification};
use chipbench::policy::Database;

#[derive(Subcommand)]
pub enum DatasetCommand {
    /// Validate result files and store the valid ones as <DIR>/<vendor>/<device>/<id>.json,
    /// each with its signature (<id>.json.sig) where it has one. A folder stands for every
    /// result file under it. Quick runs are refused.
    Add {
        /// Result files, or folders of them.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The dataset folder (default: results).
        #[arg(long = "dataset", alias = "root", value_name = "DIR")]
        dataset: Option<PathBuf>,
        /// Sign each file with this OpenSSH Ed25519 private key (namespace `chipbench`).
        /// Without it, a FILE.sig beside a file (from `ssh-keygen -Y sign -n chipbench`) is
        /// taken along.
        #[arg(long, value_name = "KEY")]
        sign: Option<PathBuf>,
    },
    /// Validate every result file of the dataset.
    Check(Folder),
    /// Write <DIR>/index.csv and <DIR>/README.md.
    Index(Folder),
    /// The dataset as two tidy tables: one row per case per run, and one row per timing
    /// sample (written beside it as <stem>-samples.<ext>).
    Export {
        #[command(flatten)]
        folder: Folder,
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// The cases table (default: chipbench-dataset.<format>).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Replace output files that are not an earlier export.
        #[arg(long)]
        force: bool,
    },
}

/// The dataset folder, as `--dataset DIR` or as the one positional argument.
#[derive(clap::Args)]
pub struct Folder {
    /// The dataset folder (default: results); the same as --dataset.
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The dataset folder (default: results).
    #[arg(long = "dataset", value_name = "DIR")]
    dataset: Option<PathBuf>,
}

impl Folder {
    /// The folder given (once), which must be a directory.
    fn existing(self) -> Result<PathBuf, Fatal> {
        let dir = match (self.dir, self.dataset) {
            (Some(a), Some(b)) if a != b => {
                return Err(anyhow!(
                    "the dataset folder is given twice ({} and --dataset {})",
                    a.display(),
                    b.display()
                )
                .into());
            }
            (a, b) => a.or(b).unwrap_or_else(|| PathBuf::from("results")),
        };
        if !dir.is_dir() {
            return Err(anyhow!("{} is not a directory", dir.display()).into());
        }
        Ok(dir)
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Parquet,
    Jsonl,
}

pub fn dataset_cmd(cmd: DatasetCommand) -> Result<ExitCode, Fatal> {
    let db = Database::load()?;
    match cmd {
        DatasetCommand::Add {
            files,
            dataset,
            sign,
        } => add(
            &db,
            &files,
            dataset.unwrap_or_else(|| PathBuf::from("results")),
            sign,
        ),
        DatasetCommand::Check(folder) => check(&db, &folder.existing()?),
        DatasetCommand::Index(folder) => {
            let dir = folder.existing()?;
            let rows = dataset::write_index(&db, &dir)
                .with_context(|| format!("writing the index in {}", dir.display()))?;
            println!(
                "wrote {} and {} ({rows} rows)",
                dir.join("index.csv").display(),
                dir.join("README.md").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        DatasetCommand::Export {
            folder,
            format,
            out,
            force,
        } => export_cmd(&db, &folder.existing()?, format, out, force),
    }
}

/// `dataset check`: problems fail it (exit status 2), warnings do not.
fn check(db: &Database, dir: &Path) -> Result<ExitCode, Fatal> {
    // The list of signers must parse: a broken one would leave every run unverified.
    AllowedSigners::load(dir)?;
    let total = dataset::files(dir).len();
    let audit = dataset::audit(db, dir);
    for (path, reasons) in &audit.problems {
        for r in reasons {
            eprintln!("{}: {r}", path.display());
        }
    }
    for (path, warning) in &audit.warnings {
        eprintln!(
            "warning: {}: {warning}; readers take the mapped chip",
            path.display()
        );
    }
    println!(
        "{total} result files checked, {} with problems",
        audit.problems.len()
    );
    Ok(if audit.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// `dataset export`.
fn export_cmd(
    db: &Database,
    dir: &Path,
    format: ExportFormat,
    out: Option<PathBuf>,
    force: bool,
) -> Result<ExitCode, Fatal> {
    let format = match format {
        ExportFormat::Csv => Format::Csv,
        ExportFormat::Parquet => Format::Parquet,
        ExportFormat::Jsonl => Format::Jsonl,
    };
    let out = out.unwrap_or_else(|| format!("chipbench-dataset.{}", format.extension()).into());
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} runs exported")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let tick = |done: usize, total: usize| {
        if done.is_multiple_of(256) || done == total {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let done = export::export(db, dir, format, &out, force, &tick);
    bar.finish_and_clear();
    let done = done?;
    if done.skipped > 0 {
        eprintln!(
            "left out {} result file(s) that are invalid or incomplete (`chipbench dataset check {}` says why)",
            done.skipped,
            dir.display()
        );
    }
    if done.shape_keys_left_out > 0 {
        eprintln!(
            "{} shape key(s) got no column of their own (not a lowercase identifier, or beyond {}): they are in the `shape` column",
            done.shape_keys_left_out,
            export::MAX_SHAPE_COLUMNS
        );
    }
    println!(
        "wrote {} ({} cases of {} runs) and {} ({} timing samples)",
        done.cases.display(),
        done.case_rows,
        done.runs,
        done.samples.display(),
        done.sample_rows
    );
    Ok(ExitCode::SUCCESS)
}

/// `dataset add`: Ctrl-C finishes the file being stored and leaves the rest (exit status 130);
/// a second one leaves at once (a temporary file it leaves is removed by the next `add`).
fn add(
    db: &Database,
    files: &[PathBuf],
    root: PathBuf,
    sign: Option<PathBuf>,
) -> Result<ExitCode, Fatal> {
    let stop = super::stop_on_ctrl_c("finishing the file being stored, then stopping")?;
    let signers_file = root.join(dataset::signature::SIGNERS_FILE);
    let say = |path: &Path, outcome: &Added| match outcome {
        Added::Stored(to, v) => {
            let by = match v {
                Verification::Verified { signer } => format!("signed by {signer}"),
                Verification::UnknownKey { fingerprint } => format!(
                    "unverified: key {fingerprint} is not in {}",
                    signers_file.display()
                ),
                _ => "unverified: unsigned".into(),
            };
            println!("added {} as {} ({by})", path.display(), to.display())
        }
        Added::Duplicate(of) if same_file(path, of) => {
            println!("{} is already in the dataset", path.display())
        }
        Added::Duplicate(of) => println!(
            "{} is already in the dataset, as {}",
            path.display(),
            of.display()
        ),
        Added::Rejected(reasons) => {
            for r in reasons {
                eprintln!("rejected {}: {r}", path.display());
            }
        }
        Added::Interrupted => eprintln!("not added (interrupted): {}", path.display()),
    };
    let how = Admission {
        signers: AllowedSigners::load(&root)?,
        sign_with: sign.as_deref(),
        stop: Some(&stop),
        each: Some(&say),
    };
    let outcomes = dataset::add(db, &root, files, &how);
    let rejected = outcomes
        .iter()
        .any(|(_, o)| matches!(o, Added::Rejected(_)));
    Ok(if stop.load(Ordering::SeqCst) {
        ExitCode::from(130)
    } else if rejected {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether two paths name one file.
fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}
