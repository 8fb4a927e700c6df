//! Row-major f32 or f16 matrices on the device, as the matmul and attention workloads keep their
//! inputs and outputs: upload from f32 values, poison with NaN, read rows back as f32.

use half::f16;

use super::data::POISON;
use crate::device::{Context, GpuError};

/// Uploads `values` as f16 (rounded) or f32.
pub fn upload(
    ctx: &Context,
    label: &str,
    values: &[f32],
    half: bool,
) -> Result<wgpu::Buffer, GpuError> {
    if half {
        let h: Vec<f16> = values.iter().map(|&x| f16::from_f32(x)).collect();
        ctx.upload(label, bytemuck::cast_slice(&h))
    } else {
        ctx.upload(label, bytemuck::cast_slice(values))
    }
}

/// An output matrix: `rows` x `stride` elements, f32 or f16.
pub struct Matrix {
    pub buf: wgpu::Buffer,
    pub stride: u64,
    half: bool,
}

impl Matrix {
    pub fn new(
        ctx: &Context,
        label: &str,
        rows: u64,
        stride: u64,
        half: bool,
    ) -> Result<Self, GpuError> {
        let esize = if half { 2 } else { 4 };
        let buf = ctx.storage(label, rows * stride * esize)?;
        Ok(Matrix { buf, stride, half })
    }

    /// `rows` rows from row `first` on, as f32.
    pub fn read(&self, ctx: &Context, first: u64, rows: u64) -> Result<Vec<f32>, GpuError> {
        let esize = if self.half { 2 } else { 4 };
        let row_bytes = self.stride * esize;
        let raw = ctx.read_at(&self.buf, first * row_bytes, rows * row_bytes)?;
        Ok(if self.half {
            bytemuck::cast_slice::<u8, f16>(&raw)
                .iter()
                .map(|x| x.to_f32())
                .collect()
        } else {
            bytemuck::cast_slice::<u8, f32>(&raw).to_vec()
        })
    }

    /// Fills the matrix with NaN in its precision: two f16 NaNs or one f32 NaN per word.
    pub fn poison(&self, ctx: &Context) -> Result<(), GpuError> {
        ctx.poison(&self.buf, if self.half { 0x7e00_7e00 } else { POISON })
    }
}
