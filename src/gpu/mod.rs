//! Everything that touches wgpu directly: finding adapters, describing them, opening a device
//! with the adapter's full limits, and the buffer and pipeline plumbing the workloads share.
//!
//! Workloads and the timing code speak to the GPU only through [`Context`], so the rules the
//! measurements depend on (trusted shader modules, workgroup zero-init off, errors captured
//! instead of panicking) live in one place.

mod adapters;
mod context;

pub use adapters::{
    AdapterReport, CoopMatrixConfig, DeviceChoice, Discovery, GpuLimits, discover,
    no_adapter_message,
};
pub use context::{Binding, Context, GpuError, Kernel};
