//! Clocks, power and temperature before and after a run, where the platform reports them, and
//! how busy the machine was when the run began.
//!
//! Peak numbers depend on the clock the chip actually ran at, and timings on what else the
//! machine and the GPU were doing, so a result records both when it can; the device layer
//! takes the readings.

use serde::{Deserialize, Serialize};

/// One reading of the device's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    pub sm_clock_mhz: Option<f64>,
    pub memory_clock_mhz: Option<f64>,
    pub max_sm_clock_mhz: Option<f64>,
    pub power_w: Option<f64>,
    pub power_limit_w: Option<f64>,
    pub temperature_c: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// Where the readings come from, or why there are none.
    pub source: String,
    pub before: Option<Reading>,
    pub after: Option<Reading>,
    /// The host's one-minute load average per core just before the run (Linux); absent where
    /// the platform does not say, and in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_load: Option<f64>,
    /// Other processes using the GPU just before the run, where the driver lists them
    /// (`nvidia-smi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_processes: Option<u32>,
}
