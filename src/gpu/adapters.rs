//! Adapter discovery and selection: what `chipbench devices` lists and how `--device` picks.

use serde::{Deserialize, Serialize};
use wgpu::{Adapter, Backends, DeviceType, Features};

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

/// One cooperative-matrix (tensor-core) configuration the adapter offers.
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

/// A serialisable description of one adapter: the `devices` listing and the `device` block of a
/// result file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdapterReport {
    /// Position in the discovery order; what `--device INDEX` refers to.
    pub index: usize,
    pub name: String,
    pub vendor_id: u32,
    pub device_id: u32,
    /// "discrete-gpu", "integrated-gpu", "virtual-gpu", "cpu" or "other".
    pub device_type: String,
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

impl AdapterReport {
    pub fn from_adapter(index: usize, adapter: &Adapter) -> Self {
        let info = adapter.get_info();
        let features = adapter.features();
        let limits = adapter.limits();
        let cooperative_matrix = if features.contains(Features::EXPERIMENTAL_COOPERATIVE_MATRIX) {
            adapter
                .cooperative_matrix_properties()
                .iter()
                .map(|p| CoopMatrixConfig {
                    m: p.m_size,
                    n: p.n_size,
                    k: p.k_size,
                    ab_type: format!("{:?}", p.ab_type).to_lowercase(),
                    cr_type: format!("{:?}", p.cr_type).to_lowercase(),
                    saturating_accumulation: p.saturating_accumulation,
                })
                .collect()
        } else {
            Vec::new()
        };
        AdapterReport {
            index,
            name: info.name,
            vendor_id: info.vendor,
            device_id: info.device,
            device_type: device_type_name(info.device_type).to_string(),
            backend: info.backend.to_str().to_string(),
            driver: info.driver,
            driver_info: info.driver_info,
            subgroup_min_size: info.subgroup_min_size,
            subgroup_max_size: info.subgroup_max_size,
            timestamp_queries: features
                .contains(Features::TIMESTAMP_QUERY | Features::TIMESTAMP_QUERY_INSIDE_PASSES),
            shader_f16: features.contains(Features::SHADER_F16),
            subgroups: features.contains(Features::SUBGROUP),
            cooperative_matrix,
            limits: GpuLimits {
                max_buffer_size: limits.max_buffer_size,
                max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
                max_compute_workgroup_storage_size: limits.max_compute_workgroup_storage_size,
                max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
                max_compute_workgroup_size_x: limits.max_compute_workgroup_size_x,
                max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
            },
            chip: None,
        }
    }

    /// True for a software rasteriser such as lavapipe, whose numbers describe the host CPU.
    pub fn is_cpu(&self) -> bool {
        self.device_type == "cpu"
    }

    /// Selection rank for the default device: discrete, then integrated, then virtual, then CPU.
    fn rank(&self) -> u8 {
        match self.device_type.as_str() {
            "discrete-gpu" => 0,
            "integrated-gpu" => 1,
            "virtual-gpu" => 2,
            "cpu" => 4,
            _ => 3,
        }
    }
}

fn device_type_name(t: DeviceType) -> &'static str {
    match t {
        DeviceType::DiscreteGpu => "discrete-gpu",
        DeviceType::IntegratedGpu => "integrated-gpu",
        DeviceType::VirtualGpu => "virtual-gpu",
        DeviceType::Cpu => "cpu",
        DeviceType::Other => "other",
    }
}

/// The adapters found on this machine, in a stable order.
pub struct Discovery {
    pub instance: wgpu::Instance,
    pub adapters: Vec<Adapter>,
    pub reports: Vec<AdapterReport>,
}

/// What `--device` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceChoice {
    /// The best adapter: a discrete GPU, else an integrated one, else anything else, CPU last.
    Default,
    /// Every GPU in turn (the CPU adapter only when there is no GPU).
    All,
    Index(usize),
    /// A case-insensitive substring of the adapter name.
    Name(String),
}

impl DeviceChoice {
    pub fn parse(s: &str) -> Self {
        let t = s.trim();
        if t.eq_ignore_ascii_case("all") {
            DeviceChoice::All
        } else if t.is_empty() || t.eq_ignore_ascii_case("default") {
            DeviceChoice::Default
        } else if let Ok(i) = t.parse::<usize>() {
            DeviceChoice::Index(i)
        } else {
            DeviceChoice::Name(t.to_string())
        }
    }
}

/// Finds every adapter on every native backend wgpu was built with (Vulkan, Metal, DX12).
/// `WGPU_BACKEND` narrows the set, as in wgpu's own tools.
pub fn discover() -> Discovery {
    let desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    let backends = desc.backends & (Backends::VULKAN | Backends::METAL | Backends::DX12);
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends,
        // Validation layers and debug labels cost time on every call; a benchmark wants neither.
        flags: desc.flags & !(wgpu::InstanceFlags::VALIDATION | wgpu::InstanceFlags::DEBUG),
        ..desc
    });
    let adapters = pollster::block_on(instance.enumerate_adapters(backends));
    let chips = crate::policy::Database::load().ok();
    let reports = adapters
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut r = AdapterReport::from_adapter(i, a);
            r.chip = chips
                .as_ref()
                .and_then(|db| db.for_adapter(&r.name).map(|c| c.id.clone()));
            r
        })
        .collect();
    Discovery {
        instance,
        adapters,
        reports,
    }
}

impl Discovery {
    /// The indices `choice` selects, or a one-line error that names the adapters that exist.
    pub fn select(&self, choice: &DeviceChoice) -> Result<Vec<usize>, String> {
        if self.reports.is_empty() {
            return Err(no_adapter_message());
        }
        match choice {
            DeviceChoice::Default => Ok(vec![self.best()]),
            DeviceChoice::All => {
                let gpus: Vec<usize> = self
                    .reports
                    .iter()
                    .filter(|r| !r.is_cpu())
                    .map(|r| r.index)
                    .collect();
                Ok(if gpus.is_empty() {
                    vec![self.best()]
                } else {
                    gpus
                })
            }
            DeviceChoice::Index(i) if *i < self.reports.len() => Ok(vec![*i]),
            DeviceChoice::Index(i) => Err(format!(
                "no adapter with index {i}; adapters: {}",
                self.listing()
            )),
            DeviceChoice::Name(name) => {
                let needle = name.to_lowercase();
                let hits: Vec<usize> = self
                    .reports
                    .iter()
                    .filter(|r| r.name.to_lowercase().contains(&needle))
                    .map(|r| r.index)
                    .collect();
                match hits.as_slice() {
                    [] => Err(format!(
                        "no adapter named like {name:?}; adapters: {}",
                        self.listing()
                    )),
                    // Several matches: the same rule as the default choice, among them.
                    _ => Ok(vec![
                        *hits
                            .iter()
                            .min_by_key(|&&i| (self.reports[i].rank(), i))
                            .expect("non-empty"),
                    ]),
                }
            }
        }
    }

    fn best(&self) -> usize {
        self.reports
            .iter()
            .min_by_key(|r| (r.rank(), r.index))
            .map(|r| r.index)
            .unwrap_or(0)
    }

    fn listing(&self) -> String {
        self.reports
            .iter()
            .map(|r| format!("{}: {} ({}, {})", r.index, r.name, r.device_type, r.backend))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What to say when no adapter exists at all.
pub fn no_adapter_message() -> String {
    "no GPU adapter found (no Vulkan, Metal or DX12 driver); on Debian/Ubuntu install the Vulkan \
     loader and a driver: `sudo apt-get install -y libvulkan1 mesa-vulkan-drivers` (lavapipe, a \
     CPU implementation, if there is no GPU)"
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_device_choices() {
        assert_eq!(DeviceChoice::parse("all"), DeviceChoice::All);
        assert_eq!(DeviceChoice::parse("ALL"), DeviceChoice::All);
        assert_eq!(DeviceChoice::parse("2"), DeviceChoice::Index(2));
        assert_eq!(DeviceChoice::parse(""), DeviceChoice::Default);
        assert_eq!(
            DeviceChoice::parse("H200"),
            DeviceChoice::Name("H200".to_string())
        );
    }
}
