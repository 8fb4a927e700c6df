//! Reading and writing the files chipbench produces: reads of regular files only, with a size
//! cap, so a FIFO, `/dev/zero` or a huge file cannot hang or exhaust a reader; and atomic writes
//! (a temporary file beside the target, synced, then renamed), so a crash or Ctrl-C never
//! leaves half a file, nothing already there is lost, and no device node or FIFO is replaced.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// No honest result file comes near this; larger ones are refused unread.
pub(crate) const MAX_FILE_BYTES: u64 = 64 << 20;

/// The bytes of the file at `path`, or why they cannot be read: missing, not a regular file
/// (judged by what [`open_regular`] opened, so a FIFO cannot block), or over
/// [`MAX_FILE_BYTES`] (read at most one byte past the cap, whatever the metadata said).
pub(crate) fn read_regular(path: &Path) -> Result<Vec<u8>, String> {
    let file = open_regular(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    let too_big = || format!("over the {MAX_FILE_BYTES}-byte limit for a result file");
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// Opens `path` for reading if it is a regular file, judged by what was opened (without
/// blocking on a FIFO or a device swapped in), so nothing changes between check and read.
pub(crate) fn open_regular(path: &Path) -> std::io::Result<fs::File> {
    let file = open_nonblocking(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(file)
}

/// Opens `path` for reading without blocking on a FIFO or a device that has no writer.
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<fs::File> {
    fs::File::open(path)
}

/// Writes `bytes` to `path` atomically. Refuses to replace anything at `path` that is not a
/// regular file (a device node, a FIFO, a directory, a symbolic link).
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Ok(meta) = fs::symlink_metadata(path) {
        if !meta.file_type().is_file() {
            return Err(std::io::Error::other(format!(
                "{} exists and is not a regular file; not replacing it",
                path.display()
            )));
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let tmp = temporary_beside(path, "result.json");
    let written = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// Where a file being written to `target` waits until it is complete: `.<name>.<pid>.tmp`
/// beside it (`fallback` names a target without a file name), the one pattern by which
/// `dataset check` reports a temporary left behind and `dataset add` removes it.
pub(crate) fn temporary_beside(target: &Path, fallback: &str) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| fallback.into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Why a command's output may not go where it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{0} is an input of this command; not replacing it with the output")]
    Input(String),
    #[error("{0} exists and is not a regular file; not replacing it")]
    NotRegular(String),
    #[error("{path} exists and is not {kind} chipbench wrote; not replacing it (--force would)")]
    Foreign { path: String, kind: &'static str },
}

/// Whether `out` may receive a command's output: it does not exist; or it is a regular file
/// (not a link, FIFO, device or directory), none of `inputs` (a file read, or inside a
/// directory read), and either `ours` recognises it as an earlier output of the same kind
/// (`kind` names that kind in the error) or `force` is given. Inputs are never replaced, not
/// even with `force`: `report x.json --out x.json` would turn the result into its report.
pub fn guard_output(
    out: &Path,
    inputs: &[&Path],
    kind: &'static str,
    ours: impl FnOnce(&Path) -> bool,
    force: bool,
) -> Result<(), OutputError> {
    let shown = || out.display().to_string();
    let Ok(meta) = fs::symlink_metadata(out) else {
        return Ok(());
    };
    if !meta.file_type().is_file() {
        return Err(OutputError::NotRegular(shown()));
    }
    let canonical = fs::canonicalize(out).ok();
    let is_input = |input: &&Path| match (fs::metadata(input), &canonical) {
        (Ok(m), Some(c)) if m.is_dir() => fs::canonicalize(input).is_ok_and(|d| c.starts_with(d)),
        (Ok(m), _) => same_file(&m, &meta),
        _ => false,
    };
    if inputs.iter().any(is_input) {
        return Err(OutputError::Input(shown()));
    }
    if force || ours(out) {
        Ok(())
    } else {
        Err(OutputError::Foreign {
            path: shown(),
            kind,
        })
    }
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

/// Whether the file at `path` begins as `new` does: its first line where that is at least 16
/// bytes, else its first 32 bytes; at most 128. How a report recognises an earlier report of
/// the same format (the same title, CSV header or JSON opening) without knowing the format.
pub fn same_beginning(path: &Path, new: &[u8]) -> bool {
    let line = new.iter().position(|&b| b == b'\n').unwrap_or(new.len());
    let n = if line >= 16 { line } else { 32 }.min(128).min(new.len());
    let mut head = vec![0; n];
    open_regular(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == new[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("chipbench-io-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn readers_refuse_what_is_not_a_regular_file() {
        let dir = scratch("read");
        assert_eq!(read_regular(&dir).unwrap_err(), "not a regular file");
        #[cfg(unix)]
        {
            assert_eq!(
                read_regular(Path::new("/dev/zero")).unwrap_err(),
                "not a regular file"
            );
            let fifo = dir.join("fifo");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            // Would block forever if it were opened.
            assert_eq!(read_regular(&fifo).unwrap_err(), "not a regular file");
        }
        let ok = dir.join("ok.json");
        fs::write(&ok, b"{}").unwrap();
        assert_eq!(read_regular(&ok).unwrap(), b"{}");
    }

    #[cfg(unix)]
    use std::os::unix::fs::FileTypeExt;

    #[test]
    fn writers_never_replace_a_special_file() {
        let dir = scratch("write");
        let target = dir.join("d");
        fs::create_dir(&target).unwrap();
        assert!(write_file_atomic(&target, b"x").is_err());
        assert!(target.is_dir(), "the directory is still there");
        #[cfg(unix)]
        {
            let fifo = dir.join("fifo");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            let err = write_file_atomic(&fifo, b"x").unwrap_err().to_string();
            assert!(err.contains("not a regular file"), "{err}");
            assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
            let link = dir.join("link");
            std::os::unix::fs::symlink(dir.join("elsewhere"), &link).unwrap();
            assert!(write_file_atomic(&link, b"x").is_err());
            assert!(
                !dir.join("elsewhere").exists(),
                "nothing written through the link"
            );
        }
        let file = dir.join("f.json");
        write_file_atomic(&file, b"one").unwrap();
        write_file_atomic(&file, b"two").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"two");
    }

    #[test]
    fn outputs_replace_only_earlier_outputs_of_their_kind() {
        let dir = scratch("guard");
        let input = dir.join("in.json");
        fs::write(&input, b"{\"schema\": \"chipbench/result\"}").unwrap();
        let notes = dir.join("notes.txt");
        fs::write(&notes, b"my notes").unwrap();
        let report = dir.join("report.md");
        fs::write(&report, b"# chipbench report\n\nold").unwrap();
        let new = b"# chipbench report\n\nnew";
        let guard = |out: &Path, force| {
            guard_output(
                out,
                &[&input],
                "a report",
                |p| same_beginning(p, new),
                force,
            )
        };
        assert!(guard(&dir.join("new.md"), false).is_ok());
        assert!(guard(&report, false).is_ok());
        assert!(matches!(
            guard(&notes, false),
            Err(OutputError::Foreign { .. })
        ));
        assert!(guard(&notes, true).is_ok());
        assert!(matches!(guard(&input, true), Err(OutputError::Input(_))));
        let inside = guard_output(&input, &[&dir], "a report", |_| true, true);
        assert!(matches!(inside, Err(OutputError::Input(_))));
        #[cfg(unix)]
        {
            let link = dir.join("link.md");
            std::os::unix::fs::symlink(&report, &link).unwrap();
            assert!(matches!(
                guard(&link, true),
                Err(OutputError::NotRegular(_))
            ));
            assert!(matches!(
                guard(Path::new("/dev/null"), true),
                Err(OutputError::NotRegular(_))
            ));
        }
    }
}
