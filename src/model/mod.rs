//! The result model: what a run produced, as typed records, and nothing that produced it.
//!
//! Everything that reads results (dataset, policy, cost, report) depends on this module and
//! on nothing below it, so the file format does not move when the GPU layer does. No file
//! here imports wgpu or the device layer: the device layer fills [`DeviceInfo`], the bench
//! layer fills [`WorkloadRecord`]s, and `run` joins them.

pub mod canonical;
mod case;
mod check;
pub mod conditions;
mod device;
pub mod host;
pub mod io;
mod kinds;
pub mod noise;
pub mod result;
pub mod timing;
pub mod tolerance;

pub use case::Case;
pub(crate) use case::{CaseKey, Shape};
pub use check::Check;
pub(crate) use conditions::{Conditions, Reading};
pub(crate) use device::{CoopMatrixConfig, GpuLimits, normalise_name, vendor_name};
pub use device::{
    DeviceInfo, DeviceKind, adds_letters, holds_name, invisible, looks_like, names_model, skeleton,
    slug,
};
pub(crate) use host::Host;
pub(crate) use io::read_regular;
pub use io::{guard_output, same_beginning, write_file_atomic};
pub use kinds::{KernelFamily, Numeric, Precision, Unit};
pub(crate) use result::{Ceiling, SCHEMA, SchemaError, Settings, Tool, VERSION, copy_bandwidth};
pub use result::{
    RunResult, Source, Status, Throughput, WORKLOADS, WorkloadRecord, bandwidth_bound,
};
pub use timing::{Budget, Method, median};
pub(crate) use timing::{Summary, Timing};
