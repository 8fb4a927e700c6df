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

/// For unit tests that run kernels: the default adapter, or `None` when there is none (then
/// a failure if `CHIPBENCH_REQUIRE_GPU` is set, as CI sets it).
#[cfg(test)]
pub fn test_context() -> Option<Context> {
    let found = discover();
    let Ok(chosen) = found.select(&DeviceChoice::Default) else {
        assert!(
            std::env::var_os("CHIPBENCH_REQUIRE_GPU").is_none(),
            "no adapter, and CHIPBENCH_REQUIRE_GPU is set"
        );
        eprintln!("no adapter: GPU unit tests not run");
        return None;
    };
    Some(Context::open(&found, chosen[0]).expect("open the default adapter"))
}
