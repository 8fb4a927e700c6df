//! Clocks, power and temperature before and after a run, where the platform reports them.
//!
//! Peak numbers depend on the clock the chip actually ran at, so a result records it when it
//! can; the device layer takes the readings.

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
}
