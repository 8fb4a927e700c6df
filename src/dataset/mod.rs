//! The shared dataset in results/: what may enter it, where files go, who vouches for them,
//! the index people read first, and the tables researchers export.
//!
//! A file enters only if it parses as schema `chipbench/result` v1, its id is the SHA-256 of
//! its content, every number it reports is backed by samples and a passed check, the run is
//! complete and not a quick run, and no figure exceeds what the chip it claims to be can do by
//! its datasheet (throughput above the peak of its unit at its precision, bandwidth above the
//! memory's). It is stored, byte for byte, as `results/<vendor>/<device>/<id>.json`,
//! atomically, with its detached signature `<id>.json.sig` where it has one; a file whose id is
//! already in the tree is a duplicate. A run signed by a key in `results/allowed_signers` is verified; each
//! verified run's standing against the other verified runs of its chip (`confirmed`,
//! `single`, `outlier`) is in the index and feeds the derived figures, and every other run is
//! `unverified`. Every reader takes a run with the chip its adapter name maps to, whatever the
//! file stores. The index (`results/index.csv`, `results/README.md`) is deterministic: the
//! same files give the same bytes; [`export`] writes every case and every timing sample.

mod admit;
pub mod export;
mod index;
pub mod signature;
mod standing;
mod survey;
mod tree;

pub use admit::{
    Added, Admission, Audit, add, audit, check, chip_claim, implausible, place, problems, read,
    read_with,
};
pub use index::{index, index_csv, index_markdown, write_index};
pub(crate) use signature::SignatureError;
pub use signature::{AllowedSigners, Verification, verify};
pub use standing::{Candidate, Standing, median_of_most_trusted, standings};
pub use tree::files;

/// The signers of the dataset at `root`, `results/` when none is given: what readers verify
/// the runs they weigh against.
pub fn signers(root: Option<&std::path::Path>) -> Result<AllowedSigners, SignatureError> {
    AllowedSigners::load(root.unwrap_or(std::path::Path::new("results")))
}

/// The signers of the dataset that holds `paths` (files or folders): the nearest folder at
/// or above them with an `allowed_signers` file, `results/` when none has one. Paths from
/// datasets with different lists are refused, since one list cannot vouch for the other's runs.
pub fn signers_of(paths: &[std::path::PathBuf]) -> Result<AllowedSigners, SignatureError> {
    let roots: std::collections::BTreeSet<std::path::PathBuf> = paths
        .iter()
        .filter_map(|p| {
            let p = p.canonicalize().ok()?;
            let folder = if p.is_dir() {
                p
            } else {
                p.parent()?.to_path_buf()
            };
            folder
                .ancestors()
                .find(|d| d.join(signature::SIGNERS_FILE).is_file())
                .map(std::path::Path::to_path_buf)
        })
        .collect();
    match roots.len() {
        0 => signers(None),
        1 => AllowedSigners::load(roots.first().expect("one root")),
        _ => Err(SignatureError::Datasets(
            roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}
