//! chipbench: measures what an AI accelerator really delivers.
//!
//! WGSL compute kernels run through wgpu on the local GPU, are timed with GPU timestamps and
//! checked against a CPU reference in the same run, and the numbers land in result files
//! (schema `chipbench/result` v1) for a shared dataset.

pub mod canonical;
pub mod conditions;
pub mod cost;
pub mod dataset;
pub mod gpu;
pub mod host;
pub mod input;
pub mod policy;
pub mod report;
pub mod runner;
pub mod schema;
pub mod timing;
pub mod workloads;
