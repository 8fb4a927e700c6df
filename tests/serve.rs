//! `chipbench inference` end to end: the calibration on published serving figures and its
//! measured error, coverage and roofline, rates at the precision the work runs at, memory,
//! tensor-parallel cost, bandwidth- and compute-bound decode, measured bandwidth as evidence,
//! `--compare`, and one-line errors for bad input (in the data table too).

mod common;

use chipbench::cost::Catalog;
use chipbench::policy::Database;
use chipbench::serve::figures::Figures;
use common::{H200, chipbench, one_line_error, plain};

fn json(args: &[&str]) -> serde_json::Value {
    common::json_of(args)
}

fn decode(v: &serde_json::Value) -> f64 {
    v["decode_tokens_per_s_per_gpu"]["central"]
        .as_f64()
        .unwrap()
}

fn at(model: &str, chip: &str, more: &[&str]) -> serde_json::Value {
    let mut args = vec!["inference", "--model", model, "--chip", chip, "--json"];
    args.extend_from_slice(more);
    json(&args)
}

fn validation_meets_its_targets_and_no_figure_beats_the_roofline() {
    let v = json(&["inference", "--validate", "--json"]);
    let (rows, groups) = (v[0].as_array().unwrap(), v[1].as_array().unwrap());
    assert!(rows.len() >= 30);
    let overall = &groups[0];
    assert_eq!(overall["name"], "all calibrating figures");
    // Targets: median error at most x1.3, 90th percentile at most x2, coverage of the 80%
    // range 75-90%, no published figure above the roofline.
    assert!(
        overall["median_error"].as_f64().unwrap() <= 1.3,
        "{overall}"
    );
    assert!(overall["p90_error"].as_f64().unwrap() <= 2.0, "{overall}");
    let coverage = overall["coverage"].as_f64().unwrap();
    assert!((0.75..=0.90).contains(&coverage), "{coverage}");
    for r in rows {
        assert!(
            r["published"].as_f64().unwrap() <= r["roofline"].as_f64().unwrap(),
            "{} above its roofline",
            r["id"]
        );
    }
    // Per vendor and per regime, each named.
    for name in ["NVIDIA", "AMD", "Intel", "dense", "mixture of experts"] {
        assert!(groups.iter().any(|g| g["name"] == name), "{name}");
    }
    // DeepSeek's own production figure, predicted without itself by the MoE efficiency.
    let day6 = rows
        .iter()
        .find(|r| r["id"] == "deepseek-day6-h800-node-v3r1-decode")
        .unwrap();
    assert_eq!(day6["regime"], "mixture-of-experts");
    assert_eq!(day6["inside"], true);
}

fn a_bad_figure_is_named_with_its_field() {
    let (db, catalog) = (Database::load().unwrap(), Catalog::load().unwrap());
    let row = |model: &str, input: &str| {
        format!(
            "[[figure]]\nid = \"f\"\nmodel = \"{model}\"\nprecision = \"fp8\"\nchip = \"nvidia-h100-sxm\"\n\
             chips = 8\ntp = 8\nengine = \"e\"\nscenario = \"offline\"\ninput_tokens = {input}\n\
             output_tokens = 100\ntokens_per_s = 1000\ncounts = \"output\"\ndate = \"2025-01\"\n\
             source = \"https://example.org (table 1)\"\n"
        )
    };
    assert!(Figures::parse(&row("llama-3.1-70b", "100"), &db, &catalog).is_ok());
    for (text, want) in [
        (row("llama-9", "100"), "figure \"f\": model:"),
        (
            row("llama-3.1-70b", "0"),
            "figure \"f\": input_tokens: must be at least 1",
        ),
        (
            row("llama-3.1-70b", "100").replace("tp = 8", "tp = 3"),
            "figure \"f\": tp:",
        ),
        (
            row("llama-3.1-70b", "100").replace("fp8", "fp6"),
            "data/serving_figures.toml: line",
        ),
    ] {
        let e = Figures::parse(&text, &db, &catalog)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("data/serving_figures.toml:") && e.contains(want),
            "{e}"
        );
    }
}

fn gemms_run_at_the_precision_of_the_weights() {
    let b200 = at(
        "llama-3.1-70b",
        "nvidia-b200",
        &["--weights", "nvfp4", "--kv", "fp8"],
    );
    assert_eq!(b200["rates"]["gemm"]["precision"], "fp4");
    assert_eq!(b200["rates"]["gemm"]["flop_per_s"], 9000e12);
    assert_eq!(b200["rates"]["attention"]["precision"], "fp8");
    // Hopper lists no fp4 rate: it runs fp4 work at fp8 and says so.
    let h100 = at("llama-3.1-70b", "nvidia-h100-sxm", &["--weights", "nvfp4"]);
    assert_eq!(h100["rates"]["gemm"]["precision"], "fp8");
    let text = String::from_utf8(
        chipbench(&[
            "inference",
            "--model",
            "llama-3.1-70b",
            "--chip",
            "nvidia-h100-sxm",
            "--weights",
            "nvfp4",
        ])
        .stdout,
    )
    .unwrap();
    assert!(text.contains("the chip lists no fp4 rate"), "{text}");
}

fn the_cache_gets_what_the_weights_leave() {
    // Llama 3.1 70B in fp8 on one H100 (80 GB = 85.9e9 bytes, 90% usable): 70.6 GB of
    // weights leave room for some 28 sequences of 1,500 tokens, not the 4 that an 80e9-byte
    // card with the cache squeezed twice would hold.
    let v = at(
        "llama-3.1-70b",
        "nvidia-h100-sxm",
        &[
            "--weights",
            "fp8",
            "--kv",
            "fp8",
            "--gpus",
            "1",
            "--fill",
            "--prompt",
            "1000",
            "--output",
            "1000",
        ],
    );
    let batch = v["roofline"]["batch"].as_f64().unwrap();
    assert!((20.0..40.0).contains(&batch), "{batch}");
    assert_eq!(v["context"], 1500.0);
}

fn tensor_parallelism_costs_per_gpu_throughput() {
    // TensorRT-LLM's table falls from TP4 to TP8 per GPU (1,858 to 1,431 output tokens/s for
    // Llama 3.1 70B FP8 on H100 at 1000/1000); the all-reduces make chipbench's fall too.
    let per_gpu = |gpus: &str| {
        let v = at(
            "llama-3.1-70b",
            "nvidia-h100-sxm",
            &[
                "--weights",
                "fp8",
                "--kv",
                "fp8",
                "--gpus",
                gpus,
                "--fill",
                "--prompt",
                "1000",
                "--output",
                "1000",
            ],
        );
        assert!(v["roofline"]["decode_comm_s"].as_f64().unwrap() > 0.0);
        v["request_output_tokens_per_s_per_gpu"]["central"]
            .as_f64()
            .unwrap()
    };
    assert!(
        per_gpu("8") < per_gpu("4"),
        "{} vs {}",
        per_gpu("8"),
        per_gpu("4")
    );
}

fn bandwidth_helps_the_h20_at_batch_1_and_compute_helps_the_h100_at_256() {
    let (h20, h100) = (
        at("llama-3.1-70b", "nvidia-h20", &["--batch", "1"]),
        at("llama-3.1-70b", "nvidia-h100-sxm", &["--batch", "1"]),
    );
    // 4.0 against 3.35 TB/s: the H20 decodes faster one sequence at a time.
    assert!(
        decode(&h20) >= 1.1 * decode(&h100),
        "{} vs {}",
        decode(&h20),
        decode(&h100)
    );
    assert_eq!(h20["roofline"]["bound"], "bandwidth");
    assert_eq!(h100["roofline"]["bound"], "bandwidth");
    let (h20, h100) = (
        at("llama-3.1-70b", "nvidia-h20", &["--batch", "256"]),
        at("llama-3.1-70b", "nvidia-h100-sxm", &["--batch", "256"]),
    );
    // 148 against 989 dense bf16 TFLOP/s: with 256 sequences the H20 is compute-bound and the
    // H100 ahead.
    assert!(
        decode(&h100) > 1.5 * decode(&h20),
        "{} vs {}",
        decode(&h100),
        decode(&h20)
    );
    assert_eq!(h20["roofline"]["bound"], "compute");
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
    let source = &measured["rates"]["bandwidth"]["source"];
    assert_eq!(source["kind"], "measured");
    assert_eq!(source["by"], "chipbench");
    let empty = std::env::temp_dir().join(format!("chipbench-serve-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let datasheet = at(
        "llama-3.1-70b",
        "nvidia-h200-sxm",
        &["--dataset", empty.to_str().unwrap()],
    );
    assert_eq!(
        datasheet["rates"]["bandwidth"]["source"]["kind"],
        "datasheet"
    );
    // Bandwidth-bound: the estimates differ by the measured/rated ratio, 4245.31 / 4800.
    let ratio = decode(&measured) / decode(&datasheet);
    assert!((ratio - 4245.31 / 4800.0).abs() < 1e-3, "{ratio}");
    let text = String::from_utf8(
        chipbench(&["inference", "--model", "llama-3.1-70b", "--result", H200]).stdout,
    )
    .unwrap();
    // The evidence names the run's standing: no listed signer vouches for the committed runs.
    assert!(
        text.contains("measured copy 4245 GB/s (chipbench, unverified run, "),
        "{text}"
    );
    assert_eq!(
        measured["rates"]["bandwidth"]["source"]["standing"],
        "unverified"
    );
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
    for model in ["mixtral-8x7b", "deepseek-r1"] {
        let rows = json(&[
            "inference",
            "--model",
            model,
            "--compare",
            "--weights",
            "fp8",
            "--json",
        ]);
        assert!(rows.as_array().unwrap().len() >= 30, "{model}: {rows}");
    }
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
        // Options the question does not use are checked all the same.
        (
            "inference --model llama-3.1-70b --chip nvidia-h100-sxm --throughput-batch NaN",
            "--throughput-batch",
        ),
        (
            "inference --model llama-3.1-70b --compare --batch NaN",
            "--batch",
        ),
        ("inference --validate --context 0", "--context"),
        (
            "inference --model llama-3.1-405b --chip nvidia-h100-sxm --gpus 4",
            "at least 11 GPUs",
        ),
        (
            // The minimum holds the batch asked for, not one sequence.
            "inference --model llama-3.1-70b --chip nvidia-h100-sxm --weights fp8 --kv fp8 --gpus 1 --batch 28 --context 1500",
            "77.4 GB on nvidia-h100-sxm but 1 GPU holds 77.3 GB at 90% usable; it takes at least 2 GPUs",
        ),
        (
            "inference --model llama-3.1-70b --chip nvidia-h100-sxm --weights fp64",
            "serving format",
        ),
        (
            "inference --model llama-3.1-70b --chip apple-m2-max",
            "no dense matrix peak",
        ),
        ("inference --model llama-3.1-70b", "--chip"),
        (
            "inference --model llama-3.1-405b --chip nvidia-rtx-4090 --gpus 1 --fill",
            "needs",
        ),
        // An option error is the option's, not blamed on the chip database.
        (
            "inference --model llama-3.1-70b --compare --context 0",
            "--context",
        ),
        (
            "inference --model llama-3.1-70b --compare --throughput-batch 0",
            "--throughput-batch",
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
            "validation_meets_its_targets_and_no_figure_beats_the_roofline",
            validation_meets_its_targets_and_no_figure_beats_the_roofline,
        ),
        plain(
            "a_bad_figure_is_named_with_its_field",
            a_bad_figure_is_named_with_its_field,
        ),
        plain(
            "gemms_run_at_the_precision_of_the_weights",
            gemms_run_at_the_precision_of_the_weights,
        ),
        plain(
            "the_cache_gets_what_the_weights_leave",
            the_cache_gets_what_the_weights_leave,
        ),
        plain(
            "tensor_parallelism_costs_per_gpu_throughput",
            tensor_parallelism_costs_per_gpu_throughput,
        ),
        plain(
            "bandwidth_helps_the_h20_at_batch_1_and_compute_helps_the_h100_at_256",
            bandwidth_helps_the_h20_at_batch_1_and_compute_helps_the_h100_at_256,
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
