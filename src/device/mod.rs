//! The device layer: everything that touches wgpu. Finding adapters and describing them,
//! opening a device with the adapter's full limits, buffers, kernels from WGSL or SPIR-V, and
//! GPU timestamp timing.
//!
//! It knows no workload, chip or report: it fills the result model's [`DeviceInfo`] and
//! [`Timing`], and the bench layer speaks to the GPU only through [`Context`], so the rules
//! the measurements depend on (trusted shader modules, workgroup zero-init off, errors captured
//! instead of panicking) live in one place.
//!
//! [`DeviceInfo`]: crate::model::DeviceInfo
//! [`Timing`]: crate::model::Timing

mod adapters;
pub mod conditions;
mod context;
mod timer;

pub use adapters::{DeviceChoice, Discovery, describe, discover, no_adapter_message};
pub use context::{Binding, Context, GpuError, ShaderCode};
pub(crate) use context::{Grid, Kernel};
pub use timer::PassTimer;
