//! Clocks, power and temperature of the device before and after a run, and how busy the host
//! and the GPU were as it began. Today the device readings come from NVIDIA's `nvidia-smi`
//! (elsewhere they are absent, and the result says why) and the host's load from
//! `/proc/loadavg`.

use std::process::Command;

use crate::model::{Conditions, Reading};

/// Conditions before a run on an adapter from `vendor_id` at `pci_bus_id` (may be empty).
pub fn before(vendor_id: u32, pci_bus_id: &str) -> Conditions {
    let (source, before) = match read(vendor_id, pci_bus_id) {
        Ok(r) => ("nvidia-smi".to_string(), Some(r)),
        Err(why) => (why, None),
    };
    Conditions {
        source,
        before,
        after: None,
        host_load: host_load(),
        gpu_processes: gpu_processes(vendor_id),
    }
}

/// The one-minute load average per core, where the platform reports it.
fn host_load() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let load: f64 = text.split_whitespace().next()?.parse().ok()?;
    let cores = std::thread::available_parallelism().ok()?.get() as f64;
    Some(load / cores).filter(|l| l.is_finite() && *l >= 0.0)
}

/// How many other processes hold a compute context on an NVIDIA GPU (any GPU of the machine:
/// `nvidia-smi` lists them by bus id, and a neighbour's work still shares power and memory).
fn gpu_processes(vendor_id: u32) -> Option<u32> {
    if vendor_id != 0x10de {
        return None;
    }
    let out = Command::new("nvidia-smi")
        .args(["--query-compute-apps=pid", "--format=csv,noheader"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let me = std::process::id().to_string();
    let others = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != me)
        .count();
    u32::try_from(others).ok()
}

/// Adds the reading after the run, when the one before succeeded.
pub fn finish(conditions: &mut Conditions, vendor_id: u32, pci_bus_id: &str) {
    if conditions.before.is_some() {
        conditions.after = read(vendor_id, pci_bus_id).ok();
    }
}

const QUERY: &str =
    "pci.bus_id,clocks.sm,clocks.mem,clocks.max.sm,power.draw,power.limit,temperature.gpu";

fn read(vendor_id: u32, pci_bus_id: &str) -> Result<Reading, String> {
    if vendor_id != 0x10de {
        return Err("not reported: no reader for this vendor".to_string());
    }
    let out = Command::new("nvidia-smi")
        .args([
            &format!("--query-gpu={QUERY}"),
            "--format=csv,noheader,nounits",
        ])
        .output()
        .map_err(|_| "not reported: nvidia-smi is not available".to_string())?;
    if !out.status.success() {
        return Err("not reported: nvidia-smi failed".to_string());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    pick(&text, pci_bus_id).ok_or_else(|| "not reported: GPU not matched in nvidia-smi".into())
}

/// Picks the line of `nvidia-smi` output for the GPU at `pci_bus_id`, or the only GPU.
fn pick(csv: &str, pci_bus_id: &str) -> Option<Reading> {
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(str::trim).collect())
        .filter(|f: &Vec<&str>| f.len() == 7)
        .collect();
    let want = pci_bus_id.to_lowercase();
    let row = match rows.as_slice() {
        [only] => only,
        many => many.iter().find(|f| {
            !want.is_empty()
                && f[0]
                    .to_lowercase()
                    .ends_with(want.trim_start_matches("0000"))
        })?,
    };
    let num = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
    Some(Reading {
        sm_clock_mhz: num(row[1]),
        memory_clock_mhz: num(row[2]),
        max_sm_clock_mhz: num(row[3]),
        power_w: num(row[4]),
        power_limit_w: num(row[5]),
        temperature_c: num(row[6]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_only_gpu_and_tolerates_missing_values() {
        let r = pick(
            "00000000:18:00.0, 1980, 3201, 1980, 120.5, 700.00, 35\n",
            "",
        )
        .unwrap();
        assert_eq!(r.sm_clock_mhz, Some(1980.0));
        assert_eq!(r.power_limit_w, Some(700.0));
        let na = pick("00000000:18:00.0, 1980, [N/A], 1980, [N/A], 700, 35\n", "").unwrap();
        assert_eq!((na.memory_clock_mhz, na.power_w), (None, None));
    }

    #[test]
    fn picks_by_bus_id_among_several() {
        let csv = "00000000:18:00.0, 1, 1, 1, 1, 1, 1\n00000000:2A:00.0, 2, 2, 2, 2, 2, 2\n";
        assert_eq!(pick(csv, "0000:2a:00.0").unwrap().sm_clock_mhz, Some(2.0));
        assert!(pick(csv, "").is_none());
        assert!(before(0x1002, "").before.is_none());
    }
}
