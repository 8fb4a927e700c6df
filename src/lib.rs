//! chipbench: measures what an AI accelerator really delivers.
//!
//! WGSL compute kernels run through wgpu on the local GPU, are timed with GPU timestamps and
//! checked against a CPU reference in the same run, and the numbers land in result files
//! (schema `chipbench/result` v1) for a shared dataset. Above the result files, the numbers
//! meet public datasheets and published runs: export-control thresholds, training cost,
//! serving capability and control scenarios.
//!
//! Data flows one way (`tests/layers.rs` holds the import rules):
//! `device` (wgpu) -> `bench` (workloads) -> `run` -> `model` (the result file) -> `policy`,
//! `dataset` -> `cost` -> `serve` -> `report`, `compare`, `scenario`. `quantity` (numbers with
//! their units) and `view` (the one render layer: text, Markdown, CSV, JSON, HTML) serve the
//! layers above `model`. The result model imports nothing above it; the device layer knows no
//! workload, chip or report; the readers of results never touch wgpu.

pub mod bench;
pub mod compare;
pub mod cost;
pub mod dataset;
pub mod device;
pub mod input;
pub mod model;
pub mod policy;
pub mod quantity;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod serve;
pub mod text;
pub mod view;
