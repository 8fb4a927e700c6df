//! `chipbench inference` in sentences and a table: every figure with its unit, its range
//! (calibrated efficiency to roofline), the bound that holds, and its evidence.

use super::{Bound, CompareRow, Serving};
use crate::cost::Span;

fn range(r: Span, unit: &str) -> String {
    format!(
        "{:.1} {unit} (range {:.1} to {:.1})",
        r.central, r.low, r.high
    )
}

impl Serving {
    pub fn to_text(&self) -> String {
        let r = &self.rates;
        let mut out = vec![
            format!(
                "{} on {}: {} weights, {} KV cache, {:.0} sequences of {:.0} cached tokens per replica of {:.0} GPUs",
                self.model, r.chip, self.weights, self.kv, self.batch, self.context, self.gpus
            ),
            format!(
                "evidence: bandwidth {}; GEMMs {}",
                r.bandwidth_source, r.gemm_source
            ),
            format!(
                "memory: weights {:.0} GB + KV cache {:.2} GB per sequence = {:.1} GB per GPU of {:.0} GB ({:.0} GPUs at least)",
                self.weights_gb,
                self.kv_gb_per_sequence,
                self.memory_gb_per_gpu,
                r.memory_gb,
                self.min_gpus
            ),
            format!(
                "decode step: {:.3e} bytes and {:.3e} FLOP; {}",
                self.decode_bytes_per_step,
                self.decode_flops_per_step,
                match self.bound {
                    Bound::Bandwidth => "bandwidth-bound",
                    Bound::Compute => "compute-bound",
                }
            ),
            format!(
                "decode: {} per sequence, {} per GPU",
                range(self.decode_tokens_per_s_per_sequence, "tokens/s"),
                range(self.decode_tokens_per_s_per_gpu, "tokens/s")
            ),
            format!(
                "prefill: {} per GPU; time to first token for {:.0} prompt tokens {:.3} s (range {:.3} to {:.3})",
                range(self.prefill_tokens_per_s_per_gpu, "tokens/s"),
                self.prompt,
                self.time_to_first_token_s.central,
                self.time_to_first_token_s.low,
                self.time_to_first_token_s.high
            ),
        ];
        out.push(format!(
            "whole requests ({:.0} prompt, {:.0} output tokens): {} output per GPU",
            self.prompt,
            self.output,
            range(self.request_output_tokens_per_s_per_gpu, "tokens/s")
        ));
        match (&self.usd_per_m_output, &self.usd_per_m_input, &self.price_usd_per_gpu_hour, &self.price_source) {
            (Some(o), Some(i), Some(p), Some(src)) => out.push(format!(
                "cost: ${:.3} per million output tokens (${:.3} at the roofline), ${:.3} per million input tokens, at ${p:.2} per GPU-hour ({src})",
                o.central, o.low, i.central
            )),
            _ => out.push("cost: no price for this chip in data/prices.toml; give --price".into()),
        }
        out.push(format!(
            "calibration: central figures at {}; the high end is the roofline itself. One deployment \
             is thin calibration, so the ranges are wide.",
            self.calibration
        ));
        out.join("\n") + "\n"
    }
}

/// `inference --compare` as a table.
pub fn compare_text(model: &str, rows: &[CompareRow]) -> String {
    let batch = rows.first().map_or(0.0, |r| r.throughput_batch);
    let mut out = vec![
        format!(
            "{model}: deployment capability beside TPP (datasheet rates, central estimates per GPU)"
        ),
        format!(
            "{:<22} {:>7} {:<26} {:>5} {:>12} {:>14} {:>10} {:>12} {:>10}",
            "chip",
            "TPP",
            "3A090",
            "GPUs",
            "decode b=1",
            format!("decode b={batch:.0}"),
            "bound",
            "prefill",
            "$/M out"
        ),
    ];
    for r in rows {
        out.push(format!(
            "{:<22} {:>7.0} {:<26} {:>5.0} {:>12.1} {:>14.1} {:>10} {:>12.0} {:>10}",
            r.chip,
            r.tpp,
            r.classification.chars().take(26).collect::<String>(),
            r.gpus,
            r.decode_batch_1,
            r.decode_throughput_batch,
            match r.bound_at_throughput_batch {
                Bound::Bandwidth => "bandwidth",
                Bound::Compute => "compute",
            },
            r.prefill,
            r.usd_per_m_output.map_or("-".into(), |u| format!("{u:.3}"))
        ));
    }
    out.join("\n") + "\n"
}
