//! Export-control arithmetic: the chip database, TPP and performance density, and the ECCN
//! 3A090 rule vintages. Legal numbers come from datasheet peaks; measured throughput appears
//! only as "effective bit-weighted throughput", beside them and never as TPP.

pub mod chips;
pub mod measured;
pub mod rules;
pub mod spec;

pub use chips::{Chip, ChipError, Database, EpochCheck, check_against_epoch, import_epoch};
pub use rules::{Class, Rule, Verdict, classify};
pub use spec::{Precision, Spec, Unit, parse_peaks};
