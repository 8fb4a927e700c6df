//! Adapter discovery and selection: what `chipbench devices` lists and how `--device` picks.

use wgpu::{Adapter, Backends, DeviceType, Features};

use crate::model::{CoopMatrixConfig, DeviceInfo, DeviceKind, GpuLimits};

/// The description of `adapter` at position `index` (no chip mapping: that is the run's).
pub fn describe(index: usize, adapter: &Adapter) -> DeviceInfo {
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
    DeviceInfo {
        index,
        name: info.name,
        vendor_id: info.vendor,
        device_id: info.device,
        device_type: device_kind(info.device_type),
        backend: info.backend.to_str().to_string(),
        driver: info.driver,
        driver_info: info.driver_info,
        subgroup_min_size: info.subgroup_min_size,
        subgroup_max_size: info.subgroup_max_size,
        timestamp_queries: pass_timestamps(features),
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

/// Whether `features` allow timing a pass on the GPU: the pass-boundary timestamps chipbench
/// takes (`ComputePassTimestampWrites`) need only `TIMESTAMP_QUERY`, not the inside-pass
/// extension.
pub(crate) fn pass_timestamps(features: Features) -> bool {
    features.contains(Features::TIMESTAMP_QUERY)
}

fn device_kind(t: DeviceType) -> DeviceKind {
    match t {
        DeviceType::DiscreteGpu => DeviceKind::DiscreteGpu,
        DeviceType::IntegratedGpu => DeviceKind::IntegratedGpu,
        DeviceType::VirtualGpu => DeviceKind::VirtualGpu,
        DeviceType::Cpu => DeviceKind::Cpu,
        DeviceType::Other => DeviceKind::Other,
    }
}

/// The adapters found on this machine, in a stable order.
pub struct Discovery {
    pub instance: wgpu::Instance,
    pub adapters: Vec<Adapter>,
    pub reports: Vec<DeviceInfo>,
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
    let reports = adapters
        .iter()
        .enumerate()
        .map(|(i, a)| describe(i, a))
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
            .map(|r| {
                format!(
                    "{}: {} ({}, {})",
                    r.index,
                    r.name,
                    r.device_type.name(),
                    r.backend
                )
            })
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

    #[test]
    fn pass_timestamps_need_only_timestamp_query() {
        // Apple GPUs, among others, offer TIMESTAMP_QUERY without the inside-pass extension.
        assert!(pass_timestamps(Features::TIMESTAMP_QUERY));
        assert!(pass_timestamps(
            Features::TIMESTAMP_QUERY | Features::TIMESTAMP_QUERY_INSIDE_PASSES
        ));
        assert!(!pass_timestamps(Features::TIMESTAMP_QUERY_INSIDE_PASSES));
        assert!(!pass_timestamps(Features::empty()));
    }
}
