//! Reading and writing the files chipbench produces: reads of regular files only, with a size
//! cap, so a FIFO, `/dev/zero` or a huge file cannot hang or exhaust a reader; and atomic writes
//! (a temporary file beside the target, synced, then renamed), so a crash or Ctrl-C never
//! leaves half a file, nothing already there is lost, and no device node or FIFO is replaced.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

/// No honest result file comes near this; larger ones are refused unread.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The bytes of the file at `path`, or why they cannot be read: missing, not a regular file
/// (checked before it is opened, so a FIFO cannot block), or over [`MAX_FILE_BYTES`] (read at
/// most one byte past the cap, whatever the metadata said).
pub fn read_regular(path: &Path) -> Result<Vec<u8>, String> {
    let meta = fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".to_string());
    }
    let too_big = || format!("over the {MAX_FILE_BYTES}-byte limit for a result file");
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
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
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "result.json".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
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
}
