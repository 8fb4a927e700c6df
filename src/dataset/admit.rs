//! Admission: what may enter the dataset, where a file goes, adding files (with their
//! signatures) and checking the tree.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::signature::{AllowedSigners, Verification, sign, signature_path, verify, verify_bytes};
use super::tree::{files, strays, walk};
use crate::model::{
    RunResult, Status, adds_letters, holds_name, looks_like, names_model, read_regular, skeleton,
    slug, vendor_name, write_file_atomic,
};
use crate::policy::{Chip, Database, Spec, rated};

/// Throughput may exceed a datasheet figure by this fraction (boost clocks, rounding).
const TOLERANCE: f64 = 0.05;

/// Why a quick run is refused, in one line.
const QUICK: &str = "a quick run (--quick): its small sizes and short time budget are for a \
                     first look and for tests, not for the shared dataset";

/// Figures beyond what the chip can do. The chip comes from the adapter name alone (after
/// Unicode normalisation, so that "NVIDIA\u{a0} H200" is an H200; [`chip_claim`] is the
/// `device.chip` a file stores against it), and a name that maps to no chip but looks like one
/// that does is refused. Every record of a chip is bounded by that chip's peak for the unit it
/// ran on, at its width or wider, never by another unit's or a narrower format's; a record the
/// chip lists no such peak for is refused. An adapter that maps to no chip is bounded by the
/// fastest chip in the database, so no figure goes unchecked.
pub fn implausible(db: &Database, r: &RunResult) -> Vec<String> {
    let mapped = db.for_adapter(&r.device.name);
    let mut out = match mapped {
        Some(c) => contradictions(r, c),
        None => unmapped_name(db, &r.device.name).into_iter().collect(),
    };
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
        match (t.tflops, peak) {
            (Some(tflops), Some((chip, peak))) if tflops > peak.tflops * (1.0 + TOLERANCE) => out
                .push(format!(
                    "{at}: {tflops:.1} TFLOP/s on the {} units at {} exceeds the {} {} of {:.1}",
                    peak.unit,
                    w.precision.inputs,
                    whose(chip),
                    peak.label(),
                    peak.tflops
                )),
            (Some(_), None) if !w.bandwidth_bound() => out.push(format!(
                "{at}: {} lists no {} peak for {} work, at its width or wider, to bound it by: \
                 a figure that cannot be checked is refused",
                mapped.map_or("no chip in the database", |c| c.name.as_str()),
                w.unit(r.source),
                w.precision.arithmetic(w.unit(r.source))
            )),
            _ => {}
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

/// What the adapter's other self-reports say against the chip its name maps to (the name
/// decides the chip; a vendor id or a CPU device type must not contradict it).
fn contradictions(r: &RunResult, c: &Chip) -> Vec<String> {
    let mut out = Vec::new();
    let maker = vendor_name(r.device.vendor_id);
    if !maker.starts_with("vendor-") && maker != "mesa" && maker != slug(&c.vendor) {
        out.push(format!(
            "vendor id {:#06x} ({maker}) is not the maker of {} {}, the chip the adapter name \
             {:?} maps to",
            r.device.vendor_id, c.vendor, c.name, r.device.name
        ));
    }
    if r.device.device_type == crate::model::DeviceKind::Cpu {
        out.push(format!(
            "a CPU adapter named {:?}, the name of {} {}: a chip's name on a CPU implementation \
             is refused",
            r.device.name, c.vendor, c.name
        ));
    }
    out
}

/// The refusal of an adapter name that maps to no chip: one with no letter or digit, or one
/// that resembles a name that does (confusable characters read alike, other non-ASCII ones
/// read as stand-ins or added letters, a run of its words shared, its model number carried):
/// a misspelt, forged or decorated name would otherwise escape that chip's bounds. A new
/// variant of a known part gets its own entry (or name) in data/chips.toml, by review.
fn unmapped_name(db: &Database, name: &str) -> Option<String> {
    if skeleton(name).is_empty() {
        return Some(format!(
            "the adapter name {name:?} has no letter or digit: a device must be named"
        ));
    }
    // The closest kind of resemblance first, over every chip, so that a name is refused with
    // the chip it most looks like.
    type Resembles = fn(&str, &str) -> bool;
    let kinds: [(Resembles, &str); 4] = [
        (looks_like, "looks like"),
        (adds_letters, "adds letters to"),
        (holds_name, "shares the words of"),
        (names_model, "carries the model number of"),
    ];
    let (chip, known, how) = kinds.iter().find_map(|(test, how)| {
        db.chips.iter().find_map(|c| {
            c.wgpu_names
                .iter()
                .find(|n| test(name, n))
                .map(|n| (c, n, *how))
        })
    })?;
    Some(format!(
        "the adapter name {name:?} maps to no chip but {how} {known:?} ({}): such a name is \
         refused until data/chips.toml lists it",
        chip.id
    ))
}

/// A result file as every reader of results takes it: valid, plausible and complete, as
/// `dataset add` would admit it, or one line saying why not. A figure the dataset would refuse
/// never feeds a report, a classification, a cost or a comparison.
pub fn read(db: &Database, path: &Path) -> Result<RunResult, String> {
    read_with(db, path, false)
}

/// [`read`], taking an incomplete (interrupted) run too when `allow_incomplete` is set (a
/// reader's `--allow-incomplete`).
pub fn read_with(db: &Database, path: &Path, allow_incomplete: bool) -> Result<RunResult, String> {
    let r = problems(db, path).map_err(|reasons| match reasons.as_slice() {
        [one] if one.starts_with(&path.display().to_string()) => one.clone(),
        [first, ..] => format!(
            "{}: {} problem(s), would not enter the dataset: {first}",
            path.display(),
            reasons.len()
        ),
        [] => format!("{}: refused", path.display()),
    })?;
    if !r.complete && !allow_incomplete {
        return Err(format!(
            "{}: an incomplete (interrupted) run; --allow-incomplete reads it anyway",
            path.display()
        ));
    }
    Ok(r)
}

/// Every reason a file cannot be read as a run (invalid or implausible); else the run as
/// readers take it, its chip as the adapter name maps it ([`as_read`]). `add` refuses more:
/// incomplete and quick runs, and a stored chip the name does not map to.
pub fn problems(db: &Database, path: &Path) -> Result<RunResult, Vec<String>> {
    audited(db, path).map(|(r, _)| r)
}

/// [`problems`], with where the file's stored `device.chip` disagrees with the mapping
/// ([`chip_claim`]): `check` warns of it, readers take the mapped chip.
fn audited(db: &Database, path: &Path) -> Result<(RunResult, Option<String>), Vec<String>> {
    let (r, mut p) = RunResult::load_checked(path).map_err(|e| vec![e.to_string()])?;
    p.extend(implausible(db, &r));
    if !p.is_empty() {
        return Err(p);
    }
    let claim = chip_claim(db, &r);
    Ok((as_read(db, r), claim))
}

/// Where the `device.chip` a result stores is not the chip its adapter name maps to: the name
/// decides. A file from before the mapping (no chip stored) is no disagreement. `add` refuses
/// such a file; one already in the tree (the chip database changed since) gets a warning
/// from `check`.
pub fn chip_claim(db: &Database, r: &RunResult) -> Option<String> {
    let claimed = r.device.chip.as_ref()?;
    let mapped = db.for_adapter(&r.device.name);
    mapped.is_none_or(|c| &c.id != claimed).then(|| {
        format!(
            "device.chip {claimed:?} is not the chip the adapter name {:?} maps to ({})",
            r.device.name,
            mapped.map_or("none", |c| c.id.as_str())
        )
    })
}

/// A result as every reader takes it: its chip filled in from the mapping, as `run` would
/// write it today, whatever the file stores (files written before the mapping have none).
/// Done after the id is verified and never written back: the stored bytes keep their id.
fn as_read(db: &Database, mut r: RunResult) -> RunResult {
    r.device.chip = db.for_adapter(&r.device.name).map(|c| c.id.clone());
    r
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
    /// Stored at this path, with what its signature says.
    Stored(PathBuf, Verification),
    Duplicate(PathBuf),
    Rejected(Vec<String>),
    /// Not looked at: the command was interrupted before it.
    Interrupted,
}

/// How `dataset add` takes files.
#[derive(Default)]
pub struct Admission<'a> {
    /// The dataset's signers, to say whom a signature verifies.
    pub signers: AllowedSigners,
    /// Sign each file with this OpenSSH Ed25519 private key (`--sign KEY`).
    pub sign_with: Option<&'a Path>,
    /// Set by Ctrl-C: the file being stored is finished, the rest are left.
    pub stop: Option<&'a AtomicBool>,
    /// Told of each file as soon as it is done, so that what was stored is said before an
    /// interruption.
    pub each: Option<&'a Progress<'a>>,
}

/// What `dataset add` tells as each file is done.
pub type Progress<'a> = dyn Fn(&Path, &Added) + 'a;

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

/// Validates each file and stores the valid, complete new ones under `root` with their
/// signatures (`--sign`, or a `.sig` beside the file), after removing the temporary files of
/// writes whose process is gone. A directory stands for every result file under it, at any
/// depth (`.json` regular files: signatures, partial and temporary files are no results), each
/// with its own outcome.
pub fn add(
    db: &Database,
    root: &Path,
    paths: &[PathBuf],
    how: &Admission,
) -> Vec<(PathBuf, Added)> {
    for (tmp, _) in temporaries(root).into_iter().filter(|(_, live)| !live) {
        let _ = fs::remove_file(tmp);
    }
    let mut known = ids(root);
    let paths: Vec<PathBuf> = paths
        .iter()
        .flat_map(|p| match p.is_dir().then(|| files(p)) {
            Some(inside) if !inside.is_empty() => inside,
            _ => vec![p.clone()],
        })
        .collect();
    paths
        .iter()
        .map(|path| {
            let outcome = if how.stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
                Added::Interrupted
            } else if path.is_dir() {
                Added::Rejected(vec![format!(
                    "{}: no result files under it",
                    path.display()
                )])
            } else {
                add_one(db, root, path, how, &mut known)
            };
            if let Some(each) = how.each {
                each(path, &outcome);
            }
            (path.clone(), outcome)
        })
        .collect()
}

/// Adds one file, given the ids already in the tree (to which a stored one is added).
fn add_one(
    db: &Database,
    root: &Path,
    path: &Path,
    how: &Admission,
    known: &mut BTreeMap<String, PathBuf>,
) -> Added {
    match admit(db, path, how) {
        Err(reasons) => Added::Rejected(reasons),
        Ok((r, ..)) if known.contains_key(&r.id) => Added::Duplicate(known[&r.id].clone()),
        Ok((r, bytes, signature)) => {
            let target = place(root, &r);
            match store(root, &target, &bytes, signature.as_ref()) {
                Ok(()) => {
                    known.insert(r.id.clone(), target.clone());
                    Added::Stored(target, signature.map_or(Verification::Unsigned, |s| s.1))
                }
                Err(e) => {
                    Added::Rejected(vec![format!("could not write {}: {e}", target.display())])
                }
            }
        }
    }
}

/// A signature to store beside a result: its text and what it says.
type Signature = (Vec<u8>, Verification);

/// The file at `path` as the dataset would take it: read once, so that the bytes checked are
/// the bytes stored and signed; its signature, made with `--sign` or found beside it, must
/// hold over those bytes.
fn admit(
    db: &Database,
    path: &Path,
    how: &Admission,
) -> Result<(RunResult, Vec<u8>, Option<Signature>), Vec<String>> {
    let shown = path.display().to_string();
    let bytes = read_regular(path).map_err(|e| vec![format!("{shown}: {e}")])?;
    let (r, mut p) =
        RunResult::checked_from(bytes.clone(), &shown).map_err(|e| vec![e.to_string()])?;
    p.extend(implausible(db, &r));
    p.extend(chip_claim(db, &r));
    if !p.is_empty() {
        return Err(p);
    }
    if !r.complete {
        return Err(vec![
            "an incomplete (interrupted) run: only complete runs enter the dataset".into(),
        ]);
    }
    if r.settings.quick {
        return Err(vec![QUICK.into()]);
    }
    let beside = signature_path(path);
    let text = match how.sign_with {
        Some(key) => Some(
            sign(key, &bytes)
                .map_err(|e| vec![e.to_string()])?
                .into_bytes(),
        ),
        None if fs::symlink_metadata(&beside).is_ok() => {
            Some(read_regular(&beside).map_err(|e| vec![format!("{}: {e}", beside.display())])?)
        }
        None => None,
    };
    let signature = match text {
        Some(text) => match verify_bytes(&how.signers, &bytes, &text) {
            Verification::Invalid { reason } => {
                return Err(vec![format!(
                    "the signature {}: {reason}",
                    beside.display()
                )]);
            }
            v => Some((text, v)),
        },
        None => None,
    };
    Ok((r, bytes, signature))
}

/// Writes a result and its signature to their place, through no symbolic link.
fn store(
    root: &Path,
    target: &Path,
    bytes: &[u8],
    signature: Option<&Signature>,
) -> std::io::Result<()> {
    if let Some(e) = through_link(root, target) {
        return Err(e);
    }
    write_file_atomic(target, bytes)?;
    match signature {
        Some((text, _)) => write_file_atomic(&signature_path(target), text),
        None => Ok(()),
    }
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

/// Files under `root` that would not be accepted, with their reasons: invalid, incomplete,
/// quick, misplaced or duplicate runs, entries that are not regular files, signatures that do
/// not hold or belong to no file, and temporary files of writes (left by an interrupted one,
/// or of one still running).
pub fn check(db: &Database, root: &Path) -> Vec<(PathBuf, Vec<String>)> {
    audit(db, root).problems
}

/// What `dataset check` says of a tree: the problems [`check`] lists, which fail it, and
/// warnings, which do not.
#[derive(Debug, Default)]
pub struct Audit {
    pub problems: Vec<(PathBuf, Vec<String>)>,
    /// Valid runs whose stored chip the mapping no longer gives ([`chip_claim`]): readers take
    /// the mapped one.
    pub warnings: Vec<(PathBuf, String)>,
}

/// [`check`], with its warnings.
pub fn audit(db: &Database, root: &Path) -> Audit {
    let mut bad = Vec::new();
    let mut valid = Vec::new();
    let mut warnings = Vec::new();
    for path in files(root) {
        match audited(db, &path) {
            Err(reasons) => bad.push((path, reasons)),
            Ok((r, claim)) => {
                warnings.extend(claim.map(|c| (path.clone(), c)));
                valid.push((place(root, &r) == path, path, r));
            }
        }
    }
    for path in strays(root) {
        bad.push((path, vec!["not a regular file (a link or a special file): the dataset holds regular files only".into()]));
    }
    bad.extend(misplaced_or_repeated(root, valid));
    bad.extend(signature_problems(root));
    for (tmp, live) in temporaries(root) {
        let why = if live {
            "a temporary file of a write still running (or of a process that took its number)"
        } else {
            "a temporary file left by an interrupted write (`dataset add` removes it)"
        };
        bad.push((tmp, vec![why.into()]));
    }
    Audit {
        problems: bad,
        warnings,
    }
}

/// Incomplete runs, files not at their place, and second copies of a run: a file in its place
/// is the original, copies elsewhere are the duplicates.
fn misplaced_or_repeated(
    root: &Path,
    mut valid: Vec<(bool, PathBuf, RunResult)>,
) -> Vec<(PathBuf, Vec<String>)> {
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut bad = Vec::new();
    valid.sort_by_key(|(placed, path, _)| (!placed, path.clone()));
    for (placed, path, r) in valid {
        let mut reasons = Vec::new();
        if !r.complete {
            reasons.push("an incomplete (interrupted) run".to_string());
        }
        if r.settings.quick {
            reasons.push(QUICK.to_string());
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
    bad
}

/// Signatures under `root` that do not hold over their file, or have no file.
fn signature_problems(root: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let none = AllowedSigners::default();
    walk(root, |e| e.path().extension().is_some_and(|x| x == "sig"))
        .into_iter()
        .filter_map(|sig| {
            let result = sig.with_extension("");
            let why = if !result.is_file() {
                "a signature with no result file beside it".to_string()
            } else {
                match verify(&none, &result) {
                    Verification::Invalid { reason } => format!("a signature that {reason}"),
                    _ => return None,
                }
            };
            Some((sig, vec![why]))
        })
        .collect()
}

/// Temporary files of atomic writes (`.<name>.<pid>.tmp`) under `root`, whatever their age,
/// each with whether the process that writes it is still alive.
fn temporaries(root: &Path) -> Vec<(PathBuf, bool)> {
    walk(root, |e| {
        e.file_type().is_ok_and(|t| t.is_file())
            && e.file_name().to_str().and_then(temporary).is_some()
    })
    .into_iter()
    .filter_map(|p| {
        let (pid, of_index) = p.file_name()?.to_str().and_then(temporary)?;
        // Only where the dataset writes: the index at the root, results in
        // `<vendor>/<device>/`; never in a hidden folder (.git) or one a user keeps there.
        let rel: Vec<_> = p.strip_prefix(root).ok()?.iter().collect();
        let folders = if of_index { 0 } else { 2 };
        let in_place = rel.len() == folders + 1
            && rel[..folders]
                .iter()
                .all(|c| !c.to_string_lossy().starts_with('.'));
        in_place.then(|| (p.clone(), alive(pid)))
    })
    .collect()
}

/// The process id in the name of a temporary that a dataset write leaves while it works
/// (`.<target>.<pid>.tmp`, for a result file, its signature or the index), and whether it is
/// the index's; none for any other name: a file someone else keeps is never taken for one.
fn temporary(name: &str) -> Option<(u32, bool)> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (target, pid) = inner.rsplit_once('.')?;
    // A process id as the write spells it: digits, no leading zero, never 0.
    let pid = (!pid.starts_with('0') && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        .then(|| pid.parse::<u32>().ok())??;
    let stored = |t: &str| t.strip_suffix(".json").is_some_and(|stem| !stem.is_empty());
    let of_index = matches!(target, "index.csv" | "README.md");
    (of_index || stored(target) || target.strip_suffix(".sig").is_some_and(stored))
        .then_some((pid, of_index))
}

/// Whether a process with this id exists (it may be another that took the number: such a file
/// is left for a later `add`, and `check` names it).
#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn alive(pid: u32) -> bool {
    pid == std::process::id()
}
