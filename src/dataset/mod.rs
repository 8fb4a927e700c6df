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
