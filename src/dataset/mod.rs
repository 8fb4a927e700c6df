//! The shared dataset in results/: what may enter it, where files go, and the index people
//! read first.
//!
//! A file enters only if it parses as schema `chipbench/result` v1, its id is the SHA-256 of
//! its content, every number it reports is backed by samples and a passed check, and no
//! figure exceeds what the chip it claims to be can do by its datasheet (throughput above the
//! peak at that precision, bandwidth above the memory's). It is stored, byte for byte, as
//! `results/<vendor>/<device>/<id>.json`, atomically; a file whose id is already in the tree is
//! a duplicate. The index (`results/index.csv`, `results/README.md`) is deterministic: the same
//! files give the same bytes. Each run's standing against the other runs of its chip
//! (`confirmed`, `single`, `outlier`) is in the index and feeds the derived figures.

mod admit;
mod index;
mod standing;
mod tree;

pub use admit::{Added, add, check, implausible, place, problems, read};
pub use index::{IndexRow, index, index_csv, index_markdown, write_index};
pub use standing::{RunStanding, Standing, standings};
pub use tree::files;
