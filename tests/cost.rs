//! `chipbench cost` end to end: JSON fields, measured rates from result files, the calibration
//! tied to the measurement it cites, and one-line errors for bad input.

mod common;

use std::path::Path;

use chipbench::cost::Catalog;
use chipbench::model::RunResult;
use common::{Need, chipbench, needs, one_line_error, plain};

const H200: &str = "results/nvidia/nvidia-h200/788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e.json";

fn json(args: &[&str]) -> serde_json::Value {
    let out = chipbench(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cost --json")
}

fn deepseek_at_its_own_rate_costs_what_it_reported() {
    let v = json(&[
        "cost",
        "--model",
        "deepseek-v3",
        "--tflops",
        "342.6",
        "--gpus",
        "2048",
        "--json",
    ]);
    for key in [
        "flops",
        "sustained_tflops",
        "gpu_hours",
        "cost_usd",
        "wall_days",
        "thresholds",
    ] {
        assert!(
            v.get(key).is_some_and(|x| !x.is_null()),
            "{key} missing: {v}"
        );
    }
    let cost = v["cost_usd"].as_f64().unwrap();
    assert!((cost - 5.328e6).abs() < 0.005 * 5.328e6, "{cost}");
    assert!(
        v["thresholds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["crossed"] == false)
    );
    let gpt4 = json(&["cost", "--model", "gpt-4", "--tflops", "100", "--json"]);
    let crossed: Vec<&str> = gpt4["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["crossed"] == true)
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(crossed, ["eu-ai-act-systemic-risk"]);
}

fn measured_rate_comes_from_the_result_and_the_calibration() {
    let v = json(&[
        "cost", "--params", "70B", "--tokens", "15T", "--result", H200, "--json",
    ]);
    let (u, _) = Catalog::load().unwrap().calibrated_utilization().unwrap();
    assert!((v["utilization"].as_f64().unwrap() - u).abs() < 1e-12);
    // The H200 file's best f16 matmul with f32 accumulation is coop-f16-f32acc at
    // 8192^3, 153.894 TFLOP/s (results/index.csv); the estimate is that times the utilisation.
    let sustained = v["sustained_tflops"].as_f64().unwrap();
    assert!((sustained / u - 153.894).abs() < 1e-3, "{sustained} / {u}");
    let source = v["rate_source"].as_str().unwrap();
    assert!(
        source.contains("coop-f16-f32acc") && source.contains("k=8192 m=8192 n=8192"),
        "{source}"
    );
    let f32 = json(&[
        "cost",
        "--flops",
        "1e24",
        "--result",
        H200,
        "--precision",
        "f32",
        "--utilization",
        "0.5",
        "--json",
    ]);
    assert!(f32["rate_source"].as_str().unwrap().contains("tiled-f32"));
}

fn calibration_rate_is_the_measurement_it_cites() {
    let c = Catalog::load().unwrap().calibration;
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(&c.measured_in);
    let r = RunResult::read(&file).expect("the cited file validates");
    let measured = r
        .workloads
        .iter()
        .find(|w| {
            w.variant == c.variant
                && w.shape.get("m") == Some(&8192)
                && w.shape.get("k") == Some(&8192)
        })
        .and_then(|w| w.throughput.as_ref()?.tflops)
        .expect("the cited measurement exists");
    assert!(
        (measured - c.hopper_dense_bf16_tflops).abs() < 0.05,
        "{measured}"
    );
}

fn bad_input_gets_one_line_and_exit_2() {
    // Absurd magnitudes are refused, not turned into "infM GPU-hours" or 300-digit numbers.
    for tflops in ["--tflops=1e-320", "--tflops=1e300"] {
        let e = one_line_error(&["cost", "--model", "deepseek-v3", tflops]);
        assert!(e.contains("must be between"), "{e}");
    }
    let e = one_line_error(&[
        "cost",
        "--params",
        "7B",
        "--tokens",
        "1T",
        "--tflops",
        "100",
        "--attention",
    ]);
    assert!(e.contains("--attention needs a model"), "{e}");
    assert!(
        one_line_error(&["cost", "--model", "deepseek-v3", "--tflops", "0"]).contains("positive")
    );
    assert!(
        one_line_error(&["cost", "--model", "deepseek-v3", "--tflops=-3"]).contains("positive")
    );
    let e = one_line_error(&["cost", "--model", "deepsek-v3", "--tflops", "100"]);
    assert!(e.contains("closest: deepseek-v3"), "{e}");
    assert!(one_line_error(&["cost", "--model", "deepseek-v3"]).contains("--tflops"));
    assert!(one_line_error(&["cost", "--tflops", "100"]).contains("--model"));
    assert!(
        one_line_error(&[
            "cost", "--params", "lots", "--tokens", "1T", "--tflops", "1"
        ])
        .contains("not a number")
    );
    let e = one_line_error(&[
        "cost",
        "--flops",
        "1e24",
        "--result",
        H200,
        "--precision",
        "f64",
    ]);
    assert!(
        e.contains("no passed f64 matmul") && e.contains("f16"),
        "{e}"
    );
    let e = one_line_error(&[
        "cost",
        "--flops",
        "1e24",
        "--result",
        H200,
        "--precision",
        "fp64",
    ]);
    assert!(e.contains("unknown number format \"fp64\""), "{e}");
    let e = one_line_error(&["cost", "--flops", "1e24", "--result", "no/such/file.json"]);
    assert!(e.contains("file.json"), "{e}");
    let e = one_line_error(&[
        "cost",
        "--flops",
        "1e24",
        "--result",
        H200,
        "--utilization",
        "1.5",
    ]);
    assert!(e.contains("at most 1"), "{e}");
}

fn a_result_without_matmul_is_refused() {
    let path = std::env::temp_dir().join(format!("chipbench-cost-{}.json", std::process::id()));
    common::quick_run("copy", &path);
    let e = one_line_error(&[
        "cost",
        "--flops",
        "1e24",
        "--result",
        path.to_str().unwrap(),
    ]);
    assert!(
        e.contains("no passed bf16 matmul") && e.contains("none"),
        "{e}"
    );
}

fn main() {
    common::run(vec![
        plain(
            "deepseek_at_its_own_rate_costs_what_it_reported",
            deepseek_at_its_own_rate_costs_what_it_reported,
        ),
        plain(
            "measured_rate_comes_from_the_result_and_the_calibration",
            measured_rate_comes_from_the_result_and_the_calibration,
        ),
        plain(
            "calibration_rate_is_the_measurement_it_cites",
            calibration_rate_is_the_measurement_it_cites,
        ),
        plain(
            "bad_input_gets_one_line_and_exit_2",
            bad_input_gets_one_line_and_exit_2,
        ),
        needs(
            "a_result_without_matmul_is_refused",
            &[Need::Gpu],
            a_result_without_matmul_is_refused,
        ),
    ]);
}
