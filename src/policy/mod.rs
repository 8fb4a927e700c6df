//! Export-control arithmetic: the chip database, TPP and performance density, and the ECCN
//! 3A090 rule vintages. Legal numbers come from datasheet peaks; measured throughput appears
//! only as "effective bit-weighted throughput", beside them and never as TPP.

pub mod chips;
pub mod measured;
pub mod rated;
pub mod rules;
pub mod spec;
pub mod view;

pub(crate) use chips::ChipError;
pub use chips::{
    Chip, Database, check_against_epoch, epoch_differences, import_epoch, stated_capacity,
};
pub use rated::rated;
pub use rules::{Class, DISCLAIMER, Met, Rule, Verdict, classify};
pub use spec::{Peaks, Precision, Spec, Unit, parse_peaks};
