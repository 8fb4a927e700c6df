//! An open device and the plumbing every workload needs: buffers, uploads, poisoning, readback
//! and compute kernels built the way benchmark kernels must be built.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wgpu::{Buffer, BufferUsages, Features};

use super::adapters::{Discovery, pass_timestamps};
use crate::model::DeviceInfo;

/// How long a single submission may take before the device is presumed hung.
const WAIT_LIMIT: Duration = Duration::from_secs(120);
/// Readback goes through staging buffers of at most this size, so a 1 GiB result does not need
/// a second 1 GiB allocation.
const READBACK_CHUNK: u64 = 256 << 20;

/// A failure of the device or of an operation on it. Workloads turn these into `failed` records.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GpuError {
    #[error("could not open the device: {0}")]
    Open(String),
    #[error("out of device memory allocating {what} ({bytes} bytes)")]
    OutOfMemory { what: String, bytes: u64 },
    #[error("shader {name} was rejected: {message}")]
    Shader { name: String, message: String },
    #[error("device lost: {0}")]
    Lost(String),
    #[error("device error: {0}")]
    Device(String),
    #[error("the device did not finish within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Invalid(String),
}

/// A kernel's code: WGSL that naga translates for the backend, or SPIR-V handed to the driver
/// unchanged (wgpu `PASSTHROUGH_SHADERS`), for what WGSL cannot say (other cooperative-matrix
/// shapes and types, int8 dot products). Bindings are `@group(0)` in order either way.
#[derive(Debug, Clone, PartialEq)]
pub enum ShaderCode {
    /// Complete WGSL source with a compute entry point `main`.
    Wgsl(String),
    /// A SPIR-V module: its words, the compute entry point, and the workgroup size that entry
    /// point declares.
    SpirV {
        words: Vec<u32>,
        entry: String,
        workgroup: (u32, u32, u32),
    },
}

impl ShaderCode {
    fn entry(&self) -> &str {
        match self {
            ShaderCode::Wgsl(_) => "main",
            ShaderCode::SpirV { entry, .. } => entry,
        }
    }
}

/// One binding of a kernel, in binding order of `@group(0)`.
pub enum Binding<'a> {
    ReadOnly(&'a Buffer),
    ReadWrite(&'a Buffer),
    Uniform(&'a Buffer),
}

/// Workgroups to dispatch, in x, y and z.
pub(crate) type Grid = (u32, u32, u32);

/// A compute pipeline with its bind group: all a timed pass needs to dispatch it.
pub struct Kernel {
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
}

impl Kernel {
    /// Records one dispatch of this kernel into `pass`.
    pub fn dispatch(&self, pass: &mut wgpu::ComputePass<'_>, groups: Grid) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.dispatch_workgroups(groups.0, groups.1, groups.2);
    }
}

/// An open device on one adapter, with its features and a record of asynchronous errors.
pub struct Context {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: DeviceInfo,
    /// Pass timestamps are available; otherwise timing falls back to the wall clock.
    pub timestamps: bool,
    pub f16: bool,
    /// SPIR-V kernels can be passed through to the driver.
    pub passthrough: bool,
    /// Cooperative matrices (tensor cores) were requested and granted.
    pub coop: bool,
    errors: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<Option<String>>>,
}

impl Context {
    /// Opens the adapter at `index` with its full limits and every feature the workloads use.
    pub fn open(discovery: &Discovery, index: usize) -> Result<Context, GpuError> {
        let adapter = discovery
            .adapters
            .get(index)
            .ok_or_else(|| GpuError::Open(format!("no adapter {index}")))?;
        let info = discovery.reports[index].clone();
        let wanted = Features::TIMESTAMP_QUERY
            | Features::SHADER_F16
            | Features::SUBGROUP
            | Features::PASSTHROUGH_SHADERS;
        let mut features = adapter.features() & wanted;
        let coop = adapter
            .features()
            .contains(Features::EXPERIMENTAL_COOPERATIVE_MATRIX);
        let experimental = if coop {
            features |= Features::EXPERIMENTAL_COOPERATIVE_MATRIX;
            // SAFETY: the token acknowledges that wgpu's cooperative-matrix support is
            // experimental; chipbench uses it only in kernels whose output every run checks.
            unsafe { wgpu::ExperimentalFeatures::enabled() }
        } else {
            wgpu::ExperimentalFeatures::disabled()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("chipbench"),
            required_features: features,
            required_limits: adapter.limits(),
            experimental_features: experimental,
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| GpuError::Open(e.to_string()))?;

        // wgpu's default handler panics on any uncaptured error; record them instead, so a
        // failing workload becomes a `failed` record and the rest of the run goes on.
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut v) = sink.lock() {
                v.push(one_line(&e.to_string()));
            }
        }));
        let lost = Arc::new(Mutex::new(None));
        let lost_sink = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut l) = lost_sink.lock() {
                *l = Some(format!("{reason:?}: {}", one_line(&message)));
            }
        });
        Ok(Context {
            timestamps: pass_timestamps(features),
            f16: features.contains(Features::SHADER_F16),
            passthrough: features.contains(Features::PASSTHROUGH_SHADERS),
            coop,
            device,
            queue,
            info,
            errors,
            lost,
        })
    }

    /// Returns the first error the device reported since the last call, if any.
    pub(crate) fn health(&self) -> Result<(), GpuError> {
        if let Some(reason) = self.lost.lock().ok().and_then(|l| l.clone()) {
            return Err(GpuError::Lost(reason));
        }
        let mut errors = self
            .errors
            .lock()
            .map_err(|_| GpuError::Device("poisoned".into()))?;
        if let Some(first) = errors.first().cloned() {
            errors.clear();
            return Err(GpuError::Device(first));
        }
        Ok(())
    }

    /// The largest buffer that can be bound as one storage binding.
    pub fn max_binding(&self) -> u64 {
        self.info.max_binding()
    }

    /// A storage buffer that can also be copied to and from.
    pub fn storage(&self, label: &str, bytes: u64) -> Result<Buffer, GpuError> {
        if bytes > self.max_binding() {
            return Err(GpuError::Invalid(format!(
                "{label}: {bytes} bytes exceed the largest storage binding ({})",
                self.max_binding()
            )));
        }
        self.guarded(label, bytes, || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes,
                usage: BufferUsages::STORAGE | BufferUsages::COPY_SRC | BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })
    }

    /// A storage buffer holding `data`.
    pub fn upload(&self, label: &str, data: &[u8]) -> Result<Buffer, GpuError> {
        let buf = self.storage(label, data.len() as u64)?;
        self.write(&buf, data)?;
        Ok(buf)
    }

    /// A uniform buffer holding `data`.
    pub(crate) fn uniform(&self, label: &str, data: &[u8]) -> Result<Buffer, GpuError> {
        let buf = self.guarded(label, data.len() as u64, || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: data.len() as u64,
                usage: BufferUsages::UNIFORM | BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        self.write(&buf, data)?;
        Ok(buf)
    }

    /// Writes `data` at the start of `buf`, in chunks so staging memory stays bounded.
    pub fn write(&self, buf: &Buffer, data: &[u8]) -> Result<(), GpuError> {
        self.write_at(buf, 0, data)
    }

    /// Writes `data` into `buf` from byte `start` (a multiple of 4) on, in chunks.
    pub(crate) fn write_at(&self, buf: &Buffer, start: u64, data: &[u8]) -> Result<(), GpuError> {
        for (i, chunk) in data.chunks(READBACK_CHUNK as usize).enumerate() {
            self.queue
                .write_buffer(buf, start + i as u64 * READBACK_CHUNK, chunk);
            self.submit_and_wait(None)?;
        }
        Ok(())
    }

    /// Fills `buf` with a repeated 32-bit pattern: outputs are poisoned with NaN before a run so
    /// that anything the kernel fails to write shows up in the check.
    pub fn poison(&self, buf: &Buffer, pattern: u32) -> Result<(), GpuError> {
        let chunk = vec![pattern; (READBACK_CHUNK.min(buf.size()) / 4) as usize];
        let bytes: &[u8] = bytemuck::cast_slice(&chunk);
        let mut offset = 0;
        while offset < buf.size() {
            let n = (buf.size() - offset).min(bytes.len() as u64);
            self.queue.write_buffer(buf, offset, &bytes[..n as usize]);
            self.submit_and_wait(None)?;
            offset += n;
        }
        Ok(())
    }

    /// Copies the first `bytes` of `buf` back to the host.
    pub fn read(&self, buf: &Buffer, bytes: u64) -> Result<Vec<u8>, GpuError> {
        self.read_at(buf, 0, bytes)
    }

    /// Copies `bytes` of `buf` from byte `start` (both multiples of 4) back to the host.
    pub(crate) fn read_at(
        &self,
        buf: &Buffer,
        start: u64,
        bytes: u64,
    ) -> Result<Vec<u8>, GpuError> {
        let mut out = Vec::with_capacity(bytes as usize);
        let staging_size = bytes.min(READBACK_CHUNK);
        let staging = self.guarded("readback", staging_size, || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("readback"),
                size: staging_size,
                usage: BufferUsages::MAP_READ | BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        let mut offset = 0;
        while offset < bytes {
            let n = (bytes - offset).min(staging_size);
            let mut enc = self.device.create_command_encoder(&Default::default());
            enc.copy_buffer_to_buffer(buf, start + offset, &staging, 0, n);
            self.submit_and_wait(Some(enc.finish()))?;
            let slice = staging.slice(0..n);
            let mapped = Arc::new(Mutex::new(None));
            let m = mapped.clone();
            slice.map_async(wgpu::MapMode::Read, move |r| {
                if let Ok(mut g) = m.lock() {
                    *g = Some(r);
                }
            });
            self.wait(None)?;
            match mapped.lock().ok().and_then(|mut g| g.take()) {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(GpuError::Device(format!("readback: {e}"))),
                None => return Err(GpuError::Device("readback never completed".into())),
            }
            {
                let view = slice
                    .get_mapped_range()
                    .map_err(|e| GpuError::Device(format!("readback: {e}")))?;
                out.extend_from_slice(&view);
            }
            staging.unmap();
            offset += n;
        }
        self.health()?;
        Ok(out)
    }

    /// Builds a compute kernel with the benchmark rules: a trusted module (no loop bounding or
    /// bounds clamps, which block unrolling) and no workgroup zero-init.
    pub fn kernel(
        &self,
        name: &str,
        code: &ShaderCode,
        bindings: &[Binding<'_>],
    ) -> Result<Kernel, GpuError> {
        if matches!(code, ShaderCode::SpirV { .. }) && !self.passthrough {
            return Err(GpuError::Invalid(format!(
                "{name}: the device does not pass SPIR-V through (PASSTHROUGH_SHADERS)"
            )));
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self.module(name, code);
        let entries = layout_entries(bindings);
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(name),
                entries: &entries,
            });
        let pipeline_layout = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(name),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(name),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(code.entry()),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants: &[],
                    zero_initialize_workgroup_memory: false,
                },
                cache: None,
            });
        let bind_entries: Vec<wgpu::BindGroupEntry> = bindings
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: match b {
                    Binding::ReadOnly(buf) | Binding::ReadWrite(buf) | Binding::Uniform(buf) => {
                        buf.as_entire_binding()
                    }
                },
            })
            .collect();
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(name),
            layout: &layout,
            entries: &bind_entries,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Shader {
                name: name.to_string(),
                message: one_line(&e.to_string()),
            });
        }
        self.health()?;
        Ok(Kernel {
            pipeline,
            bind_group,
        })
    }

    /// The shader module: WGSL as a trusted module, or SPIR-V passed through.
    fn module(&self, name: &str, code: &ShaderCode) -> wgpu::ShaderModule {
        match code {
            // SAFETY: chipbench's kernels index only inside the buffers they are given (every
            // workload's tests check this on lavapipe), and their loops have static bounds, so
            // the runtime checks wgpu would add guard nothing but cost throughput.
            ShaderCode::Wgsl(source) => unsafe {
                self.device.create_shader_module_trusted(
                    wgpu::ShaderModuleDescriptor {
                        label: Some(name),
                        source: wgpu::ShaderSource::Wgsl(source.as_str().into()),
                    },
                    wgpu::ShaderRuntimeChecks::unchecked(),
                )
            },
            // SAFETY: the module is valid SPIR-V for a compute entry point whose bindings are
            // those given here; its tests check its output like any other kernel's.
            ShaderCode::SpirV {
                words,
                entry,
                workgroup,
            } => unsafe {
                self.device.create_shader_module_passthrough(
                    wgpu::ShaderModuleDescriptorPassthrough {
                        label: Some(name),
                        entry_points: vec![wgpu::PassthroughShaderEntryPoint {
                            name: entry.as_str().into(),
                            workgroup_size: *workgroup,
                        }]
                        .into(),
                        spirv: Some(words.as_slice().into()),
                        ..Default::default()
                    },
                )
            },
        }
    }

    /// Submits `commands` (if any) and waits until the queue is idle.
    pub(crate) fn submit_and_wait(
        &self,
        commands: Option<wgpu::CommandBuffer>,
    ) -> Result<(), GpuError> {
        let index = self.queue.submit(commands);
        self.wait(Some(index))
    }

    fn wait(&self, index: Option<wgpu::SubmissionIndex>) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: index,
                timeout: Some(WAIT_LIMIT),
            })
            .map_err(|e| match e {
                wgpu::PollError::Timeout => GpuError::Timeout(WAIT_LIMIT),
                other => GpuError::Device(other.to_string()),
            })?;
        self.health()
    }

    /// Runs `make` inside an out-of-memory error scope, so an allocation the device cannot
    /// satisfy becomes an error instead of a panic.
    fn guarded(
        &self,
        what: &str,
        bytes: u64,
        make: impl FnOnce() -> Buffer,
    ) -> Result<Buffer, GpuError> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let buf = make();
        let invalid = pollster::block_on(validation.pop());
        let out_of_memory = pollster::block_on(oom.pop());
        if out_of_memory.is_some() {
            return Err(GpuError::OutOfMemory {
                what: what.to_string(),
                bytes,
            });
        }
        if let Some(e) = invalid {
            return Err(GpuError::Invalid(format!(
                "{what}: {}",
                one_line(&e.to_string())
            )));
        }
        Ok(buf)
    }
}

/// wgpu's error texts span several lines; a result file and the terminal want the gist.
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(400)
        .collect()
}

/// One storage or uniform buffer entry per binding, in order, for compute.
fn layout_entries(bindings: &[Binding<'_>]) -> Vec<wgpu::BindGroupLayoutEntry> {
    bindings
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupLayoutEntry {
            binding: i as u32,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: match b {
                    Binding::ReadOnly(_) => wgpu::BufferBindingType::Storage { read_only: true },
                    Binding::ReadWrite(_) => wgpu::BufferBindingType::Storage { read_only: false },
                    Binding::Uniform(_) => wgpu::BufferBindingType::Uniform,
                },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        })
        .collect()
}
