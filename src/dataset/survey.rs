//! Reading the whole dataset without holding it. A run's standing compares it with the other
//! signed runs of its chip, so it needs them all at once; the readers that stream the dataset
//! (the index, the export) first survey it: only the runs a listed signer signed are read and
//! weighed (kept as their figure per case, not their samples), every other run is unverified.
//! Then [`Survey::each_run`] reads the valid, complete runs a batch at a time, in file order,
//! on every core. Memory grows with the signed runs' cases and with one batch of runs, not
//! with the size of the dataset.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::admit::problems;
use super::signature::{AllowedSigners, verify};
use super::standing::{Standing, Weighed, weigh};
use super::tree::{files, in_parallel};
use crate::model::RunResult;
use crate::policy::Database;

/// Files read on every core at once; what is held in memory beside the signed runs' figures.
const BATCH: usize = 128;

/// The result files of a dataset, with the signer and standing of each signed run.
pub struct Survey {
    /// Every `.json` result file under the root, sorted.
    pub files: Vec<PathBuf>,
    signed: BTreeMap<PathBuf, (String, Standing)>,
}

/// One valid, complete run, as [`Survey::each_run`] hands it over.
pub struct Visit<'a> {
    pub path: &'a Path,
    /// The run, its chip as the adapter name maps it.
    pub run: RunResult,
    /// The listed signer whose signature over the file holds, if any.
    pub signer: Option<&'a str>,
    pub standing: Standing,
}

impl Survey {
    /// Surveys the dataset at `root`, verifying signatures against `signers`.
    pub fn of(db: &Database, root: &Path, signers: &AllowedSigners) -> Survey {
        let files = files(root);
        let weighed: Vec<(PathBuf, String, Weighed)> = in_parallel(&files, |p| {
            let signer = verify(signers, p).signer()?.to_string();
            let r = problems(db, p).ok().filter(|r| r.complete)?;
            let w = Weighed::of(db, &r, Some(signer.clone()));
            Some((p.clone(), signer, w))
        });
        let mut by_name = BTreeMap::new();
        let named = weighed
            .into_iter()
            .map(|(path, signer, w)| {
                let name = path.display().to_string();
                by_name.insert(name.clone(), (path, signer));
                (name, w)
            })
            .collect();
        let signed = weigh(named)
            .into_iter()
            .filter_map(|(name, s)| {
                let (path, signer) = by_name.remove(&name)?;
                Some((path, (signer, s.standing)))
            })
            .collect();
        Survey { files, signed }
    }

    /// The signer of the run at `path` where a listed one signed it, and its standing.
    pub fn trust(&self, path: &Path) -> (Option<&str>, Standing) {
        match self.signed.get(path) {
            Some((signer, standing)) => (Some(signer.as_str()), *standing),
            None => (None, Standing::Unverified),
        }
    }

    /// Hands every valid, complete run to `visit`, in file order; stops at the first error
    /// `visit` returns. The next batch of files is read (on every core) while `visit` takes
    /// the last, and at most one batch waits between them. Returns how many files were left
    /// out as invalid or incomplete (`dataset check` says why).
    pub fn each_run<E>(
        &self,
        db: &Database,
        mut visit: impl FnMut(Visit) -> Result<(), E>,
    ) -> Result<usize, E> {
        std::thread::scope(|scope| {
            let (batches, read) = std::sync::mpsc::sync_channel(1);
            scope.spawn(move || {
                for batch in self.files.chunks(BATCH) {
                    let runs =
                        in_parallel(batch, |p| Some(problems(db, p).ok().filter(|r| r.complete)));
                    if batches.send((batch, runs)).is_err() {
                        break;
                    }
                }
            });
            let mut skipped = 0;
            for (batch, runs) in read {
                for (path, run) in batch.iter().zip(runs) {
                    let Some(run) = run else {
                        skipped += 1;
                        continue;
                    };
                    let (signer, standing) = self.trust(path);
                    visit(Visit {
                        path,
                        run,
                        signer,
                        standing,
                    })?;
                }
            }
            Ok(skipped)
        })
    }
}
