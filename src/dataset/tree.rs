//! Walking the dataset: its result files, and work spread over every core.

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.json` result file under `root`, sorted: regular files only. A link (to a file
/// outside the tree, or to a copy of another run) or a FIFO is no run; `check` names them
/// ([`strays`]).
pub fn files(root: &Path) -> Vec<PathBuf> {
    walk(root, |e| {
        is_json(e) && e.file_type().is_ok_and(|t| t.is_file())
    })
}

/// The `.json` entries under `root` that are not regular files: links, FIFOs, devices.
pub(crate) fn strays(root: &Path) -> Vec<PathBuf> {
    walk(root, |e| {
        is_json(e) && !e.file_type().is_ok_and(|t| t.is_file())
    })
}

fn is_json(e: &fs::DirEntry) -> bool {
    e.path().extension().is_some_and(|x| x == "json")
}

/// Every non-directory entry under `root` that `pick` keeps, sorted. Symbolic links to
/// directories are not followed, so a link cycle cannot make the walk endless and a link
/// cannot pull files from outside the tree into it.
pub fn walk(root: &Path, pick: impl Fn(&fs::DirEntry) -> bool) -> Vec<PathBuf> {
    fn go(dir: &Path, pick: &dyn Fn(&fs::DirEntry) -> bool, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                go(&e.path(), pick, out);
            } else if pick(&e) {
                out.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    go(root, &pick, &mut out);
    out.sort();
    out
}

/// `path` relative to `root`, with forward slashes: how the index and the export name a file.
pub(crate) fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// `keep` applied to every item on every core, in order. A panic in one worker is raised again
/// here, never taken for "no results in that chunk".
pub(crate) fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    keep: impl Fn(&T) -> Option<R> + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    let keep = &keep;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().filter_map(keep).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_work_keeps_order_and_every_chunk() {
        let items: Vec<u32> = (0..1000).collect();
        let odd = in_parallel(&items, |&x| (x % 2 == 1).then_some(x));
        assert_eq!(odd, (0..1000).filter(|x| x % 2 == 1).collect::<Vec<_>>());
    }

    #[test]
    fn a_panicking_worker_is_not_an_empty_chunk() {
        let items: Vec<u32> = (0..64).collect();
        let outcome = std::panic::catch_unwind(|| {
            in_parallel(&items, |&x| {
                assert!(x != 40, "validator bug");
                Some(x)
            })
        });
        assert!(outcome.is_err(), "a panic in one chunk must not vanish");
    }
}
