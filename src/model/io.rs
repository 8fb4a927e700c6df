//! Reading and writing the files chipbench produces: a size cap on reads, and atomic writes
//! (a temporary file beside the target, synced, then renamed), so a crash or Ctrl-C never
//! leaves half a file and nothing already there is lost.

use std::fs;
use std::io::Write;
use std::path::Path;

/// No honest result file comes near this; larger ones are refused unread.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The bytes of the file at `path`, or why they cannot be read (missing, over
/// [`MAX_FILE_BYTES`]).
pub fn read_regular(path: &Path) -> Result<Vec<u8>, String> {
    let size = fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "{size} bytes is over the {MAX_FILE_BYTES}-byte limit for a result file"
        ));
    }
    fs::read(path).map_err(|e| e.to_string())
}

/// Writes `bytes` to `path` atomically.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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
