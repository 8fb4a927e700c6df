//! `chipbench dataset`: add files to the shared dataset, check the tree, write the index.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};
use clap::Subcommand;

use super::Fatal;
use chipbench::dataset::{self, Added};
use chipbench::policy::Database;

#[derive(Subcommand)]
pub enum DatasetCommand {
    /// Validate result files and store the valid ones as <root>/<vendor>/<device>/<id>.json.
    Add {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The dataset root.
        #[arg(long, default_value = "results")]
        root: PathBuf,
    },
    /// Validate every result file under DIR (default: results).
    Check {
        #[arg(default_value = "results")]
        dir: PathBuf,
    },
    /// Write DIR/index.csv and DIR/README.md (default: results).
    Index {
        #[arg(default_value = "results")]
        dir: PathBuf,
    },
}

pub fn dataset_cmd(cmd: DatasetCommand) -> Result<ExitCode, Fatal> {
    let db = Database::load()?;
    match cmd {
        DatasetCommand::Add { files, root } => {
            let mut rejected = false;
            for (path, outcome) in dataset::add(&db, &root, &files) {
                match outcome {
                    Added::Stored(to) => println!("added {} as {}", path.display(), to.display()),
                    Added::Duplicate(of) => {
                        println!("duplicate: {} is already {}", path.display(), of.display())
                    }
                    Added::Rejected(reasons) => {
                        rejected = true;
                        for r in reasons {
                            eprintln!("rejected {}: {r}", path.display());
                        }
                    }
                }
            }
            Ok(if rejected {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        DatasetCommand::Check { dir } => {
            if !dir.is_dir() {
                return Err(anyhow!("{} is not a directory", dir.display()).into());
            }
            let total = dataset::files(&dir).len();
            let bad = dataset::check(&db, &dir);
            for (path, reasons) in &bad {
                for r in reasons {
                    eprintln!("{}: {r}", path.display());
                }
            }
            println!("{total} result files checked, {} with problems", bad.len());
            Ok(if bad.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        DatasetCommand::Index { dir } => {
            if !dir.is_dir() {
                return Err(anyhow!("{} is not a directory", dir.display()).into());
            }
            let rows = dataset::write_index(&db, &dir)
                .with_context(|| format!("writing the index in {}", dir.display()))?;
            println!(
                "wrote {} and {} ({rows} rows)",
                dir.join("index.csv").display(),
                dir.join("README.md").display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
