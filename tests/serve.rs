//! `chipbench inference` end to end: bandwidth- and compute-bound decode, the calibration on
//! DeepSeek's published production figures, a second published figure predicted within the
//! printed range, measured bandwidth as evidence, `--compare`, and one-line errors.

mod common;

use common::{chipbench, one_line_error, plain};

const H200: &str = "results/nvidia/nvidia-h200/788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e.json";

fn json(args: &[&str]) -> serde_json::Value {
    common::json_of(args)
}

fn decode(v: &serde_json::Value) -> f64 {
    v["decode_tokens_per_s_per_gpu"]["central"]
        .as_f64()
        .unwrap()
}

fn bandwidth_helps_the_h20_at_batch_1_and_compute_helps_the_h100_at_256() {
    let at = |chip: &str, batch: &str| {
        json(&[
            "inference",
            "--model",
            "llama-3.1-70b",
            "--chip",
            chip,
            "--batch",
            batch,
            "--json",
        ])
    };
    let (h20, h100) = (at("nvidia-h20", "1"), at("nvidia-h100-sxm", "1"));
    // 4.0 against 3.35 TB/s: the H20 decodes faster one sequence at a time.
    assert!(
        decode(&h20) >= 1.1 * decode(&h100),
        "{} vs {}",
        decode(&h20),
        decode(&h100)
    );
    assert_eq!(h20["bound"], "bandwidth");
    assert_eq!(h100["bound"], "bandwidth");
    let (h20, h100) = (at("nvidia-h20", "256"), at("nvidia-h100-sxm", "256"));
    // 148 against 989 dense bf16 TFLOP/s: with 256 sequences the H20 is compute-bound and the
    // H100 ahead (still held by its KV-cache reads at 4,096 tokens).
    assert!(
        decode(&h100) > 1.5 * decode(&h20),
        "{} vs {}",
        decode(&h100),
        decode(&h20)
    );
    assert_eq!(h20["bound"], "compute");
    assert_eq!(h100["bound"], "bandwidth");
}

fn deepseeks_production_setting_reproduces_its_published_rate() {
    // DeepSeek's Day 6 post: 14.8k output tokens/s per H800 node at 20-22 tokens/s per user
    // (about 705 sequences per node), 18-node decode units, 4,989 cached tokens, FP8 GEMMs.
    let v = json(&[
        "inference",
        "--model",
        "deepseek-v3",
        "--chip",
        "nvidia-h800",
        "--weights",
        "fp8",
        "--batch",
        "12686",
        "--context",
        "4989",
        "--gpus",
        "144",
        "--json",
    ]);
    let per_gpu = &v["decode_tokens_per_s_per_gpu"];
    let want = 14_800.0 / 8.0;
    assert!(
        (per_gpu["central"].as_f64().unwrap() / want - 1.0).abs() < 0.01,
        "{per_gpu}"
    );
    assert!(per_gpu["low"].as_f64().unwrap() <= want && want <= per_gpu["high"].as_f64().unwrap());
    // The efficiency that setting implies against the roofline, pinned.
    let e = &v["efficiency"];
    assert!((e["decode"].as_f64().unwrap() - 0.226).abs() < 0.005, "{e}");
    assert!(
        (e["prefill"].as_f64().unwrap() - 0.197).abs() < 0.005,
        "{e}"
    );
    assert_eq!(v["bound"], "compute");
}

fn a_second_published_figure_lies_within_the_printed_range() {
    // TensorRT-LLM's published max-throughput table (docs/source/performance/perf-overview.md,
    // NVIDIA/TensorRT-LLM): Llama 3.3 70B (the 3.1 70B architecture), H100 TP2, FP8, 1,000
    // input and 1,000 output tokens: 4,205 output tokens/s, 2,102.5 per GPU.
    let v = json(&[
        "inference",
        "--model",
        "llama-3.1-70b",
        "--chip",
        "nvidia-h100-sxm",
        "--weights",
        "fp8",
        "--kv",
        "fp8",
        "--gpus",
        "2",
        "--fill",
        "--prompt",
        "1000",
        "--output",
        "1000",
        "--context",
        "1500",
        "--json",
    ]);
    let r = &v["request_output_tokens_per_s_per_gpu"];
    let published = 4_205.0 / 2.0;
    let (low, high) = (r["low"].as_f64().unwrap(), r["high"].as_f64().unwrap());
    assert!(low <= published && published <= high, "{r}");
    // The central estimate, at DeepSeek's efficiency, is low by about 2.3x: pinned, and said in
    // the README.
    assert!(
        (r["central"].as_f64().unwrap() / published - 0.435).abs() < 0.02,
        "{r}"
    );
}

fn a_measured_bandwidth_is_named_and_scales_the_estimate() {
    let measured = json(&[
        "inference",
        "--model",
        "llama-3.1-70b",
        "--result",
        H200,
        "--json",
    ]);
    let source = measured["rates"]["bandwidth_source"].as_str().unwrap();
    assert!(
        source.contains("measured copy 4245 GB/s") && source.contains("chipbench"),
        "{source}"
    );
    let empty = std::env::temp_dir().join(format!("chipbench-serve-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let datasheet = json(&[
        "inference",
        "--model",
        "llama-3.1-70b",
        "--chip",
        "nvidia-h200-sxm",
        "--dataset",
        empty.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        datasheet["rates"]["bandwidth_source"]
            .as_str()
            .unwrap()
            .contains("datasheet")
    );
    // Bandwidth-bound: the estimates differ by the measured/rated ratio, 4245.31 / 4800.
    let ratio = decode(&measured) / decode(&datasheet);
    assert!((ratio - 4245.31 / 4800.0).abs() < 1e-3, "{ratio}");
}

fn compare_puts_deployment_beside_tpp() {
    let out = chipbench(&[
        "inference",
        "--model",
        "llama-3.1-70b",
        "--compare",
        "--chips",
        "nvidia-h100-sxm,nvidia-h20",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("nvidia-h20") && text.contains("outside-3A090"),
        "{text}"
    );
    assert!(text.contains("3A090.a"), "{text}");
    let rows = json(&[
        "inference",
        "--model",
        "deepseek-v3",
        "--compare",
        "--weights",
        "fp8",
        "--json",
    ]);
    assert!(rows.as_array().unwrap().len() >= 30, "{rows}");
}

fn bad_input_gets_one_line_and_exit_2() {
    let cases = [
        (
            "inference --model gpt-5 --chip nvidia-h100-sxm",
            "unknown model",
        ),
        (
            "inference --model llama-3.1-70b --chip nvidia-h100-sxm --batch 0",
            "--batch",
        ),
        (
            "inference --model llama-3.1-70b --chip nvidia-h100-sxm --context=-5",
            "--context",
        ),
        (
            "inference --model llama-3.1-405b --chip nvidia-h100-sxm --gpus 4",
            "needs",
        ),
        (
            "inference --model llama-3.1-70b --chip nvidia-h100-sxm --weights fp64",
            "not a serving format",
        ),
        (
            "inference --model llama-3.1-70b --chip apple-m2-max",
            "no dense",
        ),
        ("inference --model llama-3.1-70b", "--chip"),
        (
            "inference --model llama-3.1-405b --chip nvidia-rtx-4090 --gpus 1 --fill",
            "does not fit",
        ),
    ];
    for (line, want) in cases {
        let e = one_line_error(&line.split(' ').collect::<Vec<_>>());
        assert!(e.contains(want), "{line}: {e}");
    }
}

fn main() {
    common::run(vec![
        plain(
            "bandwidth_helps_the_h20_at_batch_1_and_compute_helps_the_h100_at_256",
            bandwidth_helps_the_h20_at_batch_1_and_compute_helps_the_h100_at_256,
        ),
        plain(
            "deepseeks_production_setting_reproduces_its_published_rate",
            deepseeks_production_setting_reproduces_its_published_rate,
        ),
        plain(
            "a_second_published_figure_lies_within_the_printed_range",
            a_second_published_figure_lies_within_the_printed_range,
        ),
        plain(
            "a_measured_bandwidth_is_named_and_scales_the_estimate",
            a_measured_bandwidth_is_named_and_scales_the_estimate,
        ),
        plain(
            "compare_puts_deployment_beside_tpp",
            compare_puts_deployment_beside_tpp,
        ),
        plain(
            "bad_input_gets_one_line_and_exit_2",
            bad_input_gets_one_line_and_exit_2,
        ),
    ]);
}
