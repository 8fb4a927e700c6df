//! The result model: what a run produced, as typed records, and nothing that produced it.
//!
//! Everything that reads results (dataset, policy, cost, report) depends on this module and
//! on nothing below it, so the file format does not move when the GPU layer does. No file
//! here imports wgpu or the device layer: the device layer fills [`DeviceInfo`], the bench
//! layer fills [`WorkloadRecord`]s, and `run` joins them.

pub mod canonical;
mod check;
pub mod conditions;
mod device;
pub mod host;
pub mod io;
mod kinds;
pub mod result;
pub mod timing;
pub mod tolerance;

pub use check::Check;
pub use conditions::{Conditions, Reading};
pub use device::{CoopMatrixConfig, DeviceInfo, DeviceKind, GpuLimits, slug, vendor_name};
pub use host::Host;
pub use io::{MAX_FILE_BYTES, read_regular, write_file_atomic};
pub use kinds::{KernelFamily, Numeric, Precision, Unit};
pub use result::{
    BANDWIDTH_BOUND_INTENSITY, RunResult, SCHEMA, SchemaError, Settings, Source, Status,
    Throughput, Tool, VERSION, WORKLOADS, WorkloadRecord, bandwidth_bound, copy_bandwidth,
    measured_peak,
};
pub use timing::{Budget, Method, Summary, Timing, median};
