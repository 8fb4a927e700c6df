//! The description of the device a run used: the `device` block of a result file and what
//! `chipbench devices` lists. The device layer fills it from wgpu; everything else reads it.

use serde::{Deserialize, Serialize};

use super::Numeric;

/// The limits a compute benchmark runs into, as the adapter reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuLimits {
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
    pub max_compute_workgroup_storage_size: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroup_size_x: u32,
    pub max_compute_workgroups_per_dimension: u32,
}

/// One cooperative-matrix (tensor-core) configuration the adapter offers. The element types
/// are the driver's names (`f16`, `f32`, `i32`, ...), kept as text: an adapter may list types
/// no chipbench kernel uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoopMatrixConfig {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub ab_type: String,
    pub cr_type: String,
    pub saturating_accumulation: bool,
}

impl CoopMatrixConfig {
    /// Whether this is the `m`x`n`x`k` configuration with `ab` operands and `cr` accumulators.
    pub fn is(&self, (m, n, k): (u32, u32, u32), ab: Numeric, cr: Numeric) -> bool {
        (self.m, self.n, self.k) == (m, n, k)
            && self.ab_type == ab.name()
            && self.cr_type == cr.name()
    }
}

/// What kind of processor an adapter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    DiscreteGpu,
    IntegratedGpu,
    VirtualGpu,
    /// A software implementation such as lavapipe: its numbers describe the host CPU.
    Cpu,
    Other,
}

impl DeviceKind {
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::DiscreteGpu => "discrete-gpu",
            DeviceKind::IntegratedGpu => "integrated-gpu",
            DeviceKind::VirtualGpu => "virtual-gpu",
            DeviceKind::Cpu => "cpu",
            DeviceKind::Other => "other",
        }
    }
}

/// One adapter, as a result file records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceInfo {
    /// Position in the discovery order; what `--device INDEX` refers to.
    pub index: usize,
    pub name: String,
    pub vendor_id: u32,
    pub device_id: u32,
    pub device_type: DeviceKind,
    pub backend: String,
    pub driver: String,
    pub driver_info: String,
    pub subgroup_min_size: u32,
    pub subgroup_max_size: u32,
    pub timestamp_queries: bool,
    pub shader_f16: bool,
    pub subgroups: bool,
    pub cooperative_matrix: Vec<CoopMatrixConfig>,
    pub limits: GpuLimits,
    /// Chip id in the chip database (data/chips.toml) when the name maps to one.
    pub chip: Option<String>,
}

impl DeviceInfo {
    /// True for a software rasteriser such as lavapipe, whose numbers describe the host CPU.
    pub fn is_cpu(&self) -> bool {
        self.device_type == DeviceKind::Cpu
    }

    /// Selection rank for the default device: discrete, then integrated, then virtual, then CPU.
    pub fn rank(&self) -> u8 {
        match self.device_type {
            DeviceKind::DiscreteGpu => 0,
            DeviceKind::IntegratedGpu => 1,
            DeviceKind::VirtualGpu => 2,
            DeviceKind::Other => 3,
            DeviceKind::Cpu => 4,
        }
    }

    /// The largest buffer that can be bound as one storage binding.
    pub fn max_binding(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }

    /// Whether the adapter lists this cooperative-matrix configuration.
    pub fn offers_coop(&self, mnk: (u32, u32, u32), ab: Numeric, cr: Numeric) -> bool {
        self.cooperative_matrix.iter().any(|c| c.is(mnk, ab, cr))
    }
}

/// A lowercase name safe to use as one path component: letters, digits and single dashes.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t: String = out.trim_matches('-').chars().take(64).collect();
    let t = t.trim_end_matches('-').to_string();
    if t.is_empty() {
        "unknown".to_string()
    } else {
        t
    }
}

/// A short lowercase vendor name for paths, from the PCI vendor id.
pub fn vendor_name(vendor_id: u32) -> String {
    match vendor_id {
        0x10de => "nvidia".into(),
        0x1002 | 0x1022 => "amd".into(),
        0x8086 => "intel".into(),
        0x106b => "apple".into(),
        0x13b5 => "arm".into(),
        0x5143 => "qualcomm".into(),
        0x10005 => "mesa".into(),
        other => format!("vendor-{other:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_cannot_escape_a_directory() {
        assert_eq!(slug("NVIDIA H200"), "nvidia-h200");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(
            slug("llvmpipe (LLVM 15.0.6, 256 bits)"),
            "llvmpipe-llvm-15-0-6-256-bits"
        );
        assert_eq!(slug("///"), "unknown");
        assert!(slug(&"x".repeat(500)).len() <= 64);
    }

    #[test]
    fn device_kinds_serialise_as_before() {
        for k in [
            DeviceKind::DiscreteGpu,
            DeviceKind::IntegratedGpu,
            DeviceKind::VirtualGpu,
            DeviceKind::Cpu,
            DeviceKind::Other,
        ] {
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.name())
            );
        }
    }
}
