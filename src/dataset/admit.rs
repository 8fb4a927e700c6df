//! Admission: what may enter the dataset, where a file goes, adding files and checking the
//! tree.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::tree::{files, walk};
use crate::model::{RunResult, Status, slug, vendor_name, write_file_atomic};
use crate::policy::{Chip, Database, Spec, rated};

/// Throughput may exceed a datasheet figure by this fraction (boost clocks, rounding).
const TOLERANCE: f64 = 0.05;

/// Figures beyond what the chip can do. The chip comes from the adapter name alone, and a
/// `device.chip` that disagrees with it is refused; an adapter that maps to no chip is bounded
/// by the fastest chip in the database, so no figure goes unchecked.
pub fn implausible(db: &Database, r: &RunResult) -> Vec<String> {
    let mut out = Vec::new();
    let mapped = db.for_adapter(&r.device.name);
    if let Some(claimed) = &r.device.chip {
        if mapped.is_none_or(|c| &c.id != claimed) {
            out.push(format!(
                "device.chip {claimed:?} is not the chip the adapter name {:?} maps to ({})",
                r.device.name,
                mapped.map_or("none", |c| c.id.as_str())
            ));
        }
    }
    // Each candidate's spec once per file, not once per record.
    let candidates: Vec<(&Chip, Spec)> = match mapped {
        Some(c) => vec![(c, c.spec())],
        None => db.chips.iter().map(|c| (c, c.spec())).collect(),
    };
    // The memory bound does not depend on the record.
    let memory = candidates
        .iter()
        .filter_map(|(c, _)| c.memory_bandwidth_gbps.map(|bw| (*c, bw)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let whose = |c: &Chip| match mapped {
        Some(_) => c.name.clone(),
        None => format!("fastest chip in the database ({})", c.name),
    };
    for (i, w) in r.workloads.iter().enumerate() {
        let Some(t) = w.throughput.as_ref().filter(|_| w.status == Status::Ok) else {
            continue;
        };
        let at = format!("workloads[{i}] ({} {})", w.workload, w.variant);
        // Against the peak of the unit the case ran on, at its precision.
        let peak = candidates
            .iter()
            .filter_map(|(c, spec)| rated(spec, w, r.source).map(|p| (*c, p)))
            .max_by(|a, b| a.1.tflops.total_cmp(&b.1.tflops));
        if let (Some(tflops), Some((chip, peak))) = (t.tflops, peak) {
            if tflops > peak.tflops * (1.0 + TOLERANCE) {
                out.push(format!(
                    "{at}: {tflops:.1} TFLOP/s on the {} units at {} exceeds the {} {} of {:.1}",
                    peak.unit,
                    w.precision.inputs,
                    whose(chip),
                    peak.label(),
                    peak.tflops
                ));
            }
        }
        // Every record's required traffic, not only bandwidth-bound work's.
        if let Some((chip, bw)) = memory.filter(|(_, bw)| t.gbps > bw * (1.0 + TOLERANCE)) {
            out.push(format!(
                "{at}: {:.0} GB/s exceeds the {} memory bandwidth of {bw:.0} GB/s",
                t.gbps,
                whose(chip)
            ));
        }
    }
    out
}

/// A result file as every reader of results takes it: valid and plausible, as `dataset add`
/// would admit it, or one line saying why not. A figure the dataset would refuse never feeds
/// a report, a classification, a cost or a comparison.
pub fn read(db: &Database, path: &Path) -> Result<RunResult, String> {
    problems(db, path).map_err(|reasons| match reasons.as_slice() {
        [one] if one.starts_with(&path.display().to_string()) => one.clone(),
        [first, ..] => format!(
            "{}: {} problem(s), would not enter the dataset: {first}",
            path.display(),
            reasons.len()
        ),
        [] => format!("{}: refused", path.display()),
    })
}

/// Every reason a file may not enter the dataset; empty when it may.
pub fn problems(db: &Database, path: &Path) -> Result<RunResult, Vec<String>> {
    let (r, mut p) = RunResult::load_checked(path).map_err(|e| vec![e.to_string()])?;
    p.extend(implausible(db, &r));
    if p.is_empty() { Ok(r) } else { Err(p) }
}

/// Where a result belongs: `<vendor>/<device>/<id>.json` under the dataset root.
pub fn place(root: &Path, r: &RunResult) -> PathBuf {
    root.join(vendor_name(r.device.vendor_id))
        .join(slug(&r.device.name))
        .join(format!("{}.json", r.id))
}

/// What `dataset add` did with one file.
#[derive(Debug, Clone, PartialEq)]
pub enum Added {
    Stored(PathBuf),
    Duplicate(PathBuf),
    Rejected(Vec<String>),
}

/// The ids already in the tree, with their files. Unreadable files are skipped here; `check`
/// reports them.
fn ids(root: &Path) -> BTreeMap<String, PathBuf> {
    files(root)
        .into_iter()
        // Only valid files hold an id: an invalid file that copies a valid one's id must not
        // make the real one a "duplicate".
        .filter_map(|p| RunResult::read(&p).ok().map(|r| (r.id, p)))
        .collect()
}

/// Validates each file and stores the valid, complete new ones under `root`, after removing
/// temporary files that interrupted writes left behind.
pub fn add(db: &Database, root: &Path, paths: &[PathBuf]) -> Vec<(PathBuf, Added)> {
    for tmp in stale_temporaries(root) {
        let _ = fs::remove_file(tmp);
    }
    let mut known = ids(root);
    paths
        .iter()
        .map(|path| {
            let outcome = match problems(db, path) {
                Err(reasons) => Added::Rejected(reasons),
                Ok(r) if !r.complete => Added::Rejected(vec![
                    "an incomplete (interrupted) run: only complete runs enter the dataset".into(),
                ]),
                Ok(r) => match known.get(&r.id) {
                    Some(existing) => Added::Duplicate(existing.clone()),
                    None => {
                        let target = place(root, &r);
                        match through_link(root, &target)
                            .map_or_else(|| copy_atomic(path, &target), Err)
                        {
                            Ok(()) => {
                                known.insert(r.id.clone(), target.clone());
                                Added::Stored(target)
                            }
                            Err(e) => Added::Rejected(vec![format!(
                                "could not write {}: {e}",
                                target.display()
                            )]),
                        }
                    }
                },
            };
            (path.clone(), outcome)
        })
        .collect()
}

/// The error for a target whose folders under `root` include a symbolic link, which would
/// carry the write outside the dataset.
fn through_link(root: &Path, target: &Path) -> Option<std::io::Error> {
    let inside = target.strip_prefix(root).ok()?;
    let mut at = root.to_path_buf();
    for part in inside.parent()?.components() {
        at.push(part);
        if fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(std::io::Error::other(format!(
                "{} is a symbolic link; not writing through it",
                at.display()
            )));
        }
    }
    None
}

/// Copies `from` to `to` through a temporary file in the target directory, then a rename.
fn copy_atomic(from: &Path, to: &Path) -> std::io::Result<()> {
    write_file_atomic(to, &fs::read(from)?)
}

/// Files under `root` that would not be accepted, with their reasons; ids that occur twice.
pub fn check(db: &Database, root: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut bad = Vec::new();
    let mut valid = Vec::new();
    for path in files(root) {
        match problems(db, &path) {
            Err(reasons) => bad.push((path, reasons)),
            Ok(r) => valid.push((place(root, &r) == path, path, r)),
        }
    }
    // A file in its place is the original; copies elsewhere are the duplicates.
    valid.sort_by_key(|(placed, path, _)| (!placed, path.clone()));
    for (placed, path, r) in valid {
        let mut reasons = Vec::new();
        if !r.complete {
            reasons.push("an incomplete (interrupted) run".to_string());
        }
        if !placed {
            let home = place(root, &r);
            reasons.push(format!("misplaced: it belongs at {}", home.display()));
        }
        if let Some(first) = seen.get(&r.id) {
            reasons.push(format!("duplicate of {}", first.display()));
        } else {
            seen.insert(r.id, path.clone());
        }
        if !reasons.is_empty() {
            bad.push((path, reasons));
        }
    }
    for tmp in stale_temporaries(root) {
        bad.push((
            tmp,
            vec!["a temporary file left by an interrupted write (`dataset add` removes it)".into()],
        ));
    }
    bad
}

/// Temporary files of atomic writes (`.<name>.<pid>.tmp`) older than ten minutes: a write
/// takes well under a second, so these were left by a process killed mid-write.
fn stale_temporaries(root: &Path) -> Vec<PathBuf> {
    walk(root, |e| {
        e.file_type().is_ok_and(|t| t.is_file())
            && e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with('.') && n.ends_with(".tmp"))
            && e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() > 600))
    })
}
