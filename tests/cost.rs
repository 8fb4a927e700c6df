//! `chipbench cost` end to end: JSON fields, measured rates from result files, the calibration
//! tied to the measurement it cites, and one-line errors for bad input.

mod common;

use std::path::Path;

use chipbench::model::RunResult;
use common::{Need, chipbench, needs, one_line_error, plain};

const H200: &str = "results/nvidia/nvidia-h200/788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e.json";
const H200_CUBLAS: &str = "results/nvidia/nvidia-h200/35e780f66ae0c0b913f422b44ad175238d1c0a06e882f1395876026a408a024a.json";

fn json(args: &[&str]) -> serde_json::Value {
    common::json_of(args)
}

fn central(v: &serde_json::Value) -> f64 {
    v["gpu_hours"]["central"]
        .as_f64()
        .expect("gpu_hours.central")
}

fn the_h200_estimate_rests_on_its_vendor_library_not_the_portable_kernel() {
    let v = json(&["cost", "--model", "deepseek-v3", "--result", H200, "--json"]);
    assert_eq!(v["rate_source"], "vendor-library");
    assert_eq!(v["capability"]["file"], H200_CUBLAS);
    assert!((v["capability"]["tflops"].as_f64().unwrap() - 677.9).abs() < 0.05);
    let h = central(&v);
    assert!((1.8e6..3.2e6).contains(&h), "{h}");
    // DeepSeek-V3 is not calibrated on itself.
    assert_eq!(v["left_out"], "deepseek-v3");
    assert!(
        !v["calibration_runs"]
            .as_array()
            .unwrap()
            .contains(&"deepseek-v3".into())
    );
    // The WGSL kernel's figure is beside the estimate, with its ratio to cuBLAS, not in it.
    let k = &v["portable_kernel"];
    assert_eq!(k["variant"], "coop-f16-f32acc");
    assert!((k["tflops"].as_f64().unwrap() - 153.894).abs() < 1e-3);
    let ratio = k["vendor_ratio"].as_f64().unwrap();
    assert!((ratio - 153.894 / 648.483).abs() < 1e-3, "{ratio}");
    let text =
        String::from_utf8(chipbench(&["cost", "--model", "deepseek-v3", "--result", H200]).stdout)
            .unwrap();
    assert!(
        text.starts_with("evidence: vendor-library (cublas-bf16"),
        "{text}"
    );
    assert!(text.contains("the estimate does not rest on it"), "{text}");
    // Without the vendor file the datasheet carries it, and since the calibration divides by
    // the same kind of evidence the central estimate is the same.
    let empty = std::env::temp_dir().join(format!("chipbench-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let d = json(&[
        "cost",
        "--model",
        "deepseek-v3",
        "--result",
        H200,
        "--dataset",
        empty.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(d["rate_source"], "datasheet");
    assert!(
        (central(&d) / h - 1.0).abs() < 1e-9,
        "{} vs {h}",
        central(&d)
    );
}

fn deepseek_on_the_h800_is_predicted_from_the_other_runs() {
    let v = json(&[
        "cost",
        "--model",
        "deepseek-v3",
        "--chip",
        "nvidia-h800",
        "--json",
    ]);
    let h = central(&v);
    // Within 25% of the 2.664M pre-training hours DeepSeek reported, calibrated without it.
    assert!((h / 2.664e6 - 1.0).abs() < 0.25, "{h}");
    assert!((h / 2.589e6 - 1.0).abs() < 0.005, "{h}");
    assert_eq!(v["reported"]["reported_phase"], "pre-training");
    assert_eq!(v["reported"]["reported_gpu_hours"], 2.664e6);
    let range = &v["gpu_hours"];
    assert!(range["low"].as_f64().unwrap() <= h && h <= range["high"].as_f64().unwrap());
    // At DeepSeek's own $2 assumption, with its source.
    assert_eq!(v["price"]["usd_per_gpu_hour"], 2.0);
    assert!(v["price"]["source"].as_str().unwrap().contains("DeepSeek"));
}

fn validation_predicts_each_reference_run_from_the_others() {
    let rows = json(&["cost", "--validate", "--json"]);
    let rows = rows.as_array().unwrap();
    let error = |id: &str| {
        let r = rows
            .iter()
            .find(|r| r["model"] == id)
            .unwrap_or_else(|| panic!("{id}"));
        assert!(r["predicted"]["gpu_hours"]["central"].as_f64().unwrap() > 0.0);
        assert!(r["reported_gpu_hours"].as_f64().unwrap() > 0.0);
        r["error"].as_f64().unwrap()
    };
    // Every non-speculative reference run, and only those (GPT-4's hours are Epoch's guess).
    assert_eq!(rows.len(), 4);
    for (id, want) in [
        ("deepseek-v3", -0.028),
        ("llama-3.1-405b", 0.024),
        ("llama-3.1-70b", 0.000),
        ("llama-3.1-8b", 0.000),
    ] {
        let e = error(id);
        assert!((e - want).abs() < 0.005, "{id}: {e}");
    }
    // The two conventions: DeepSeek's MFU against the bf16 peak and against its fp8 peak.
    let ds = rows.iter().find(|r| r["model"] == "deepseek-v3").unwrap();
    assert!((ds["mfu_bf16"].as_f64().unwrap() - 0.361).abs() < 0.001);
    assert!((ds["mfu_training_precision"].as_f64().unwrap() - 0.181).abs() < 0.001);
    // The attention term is used on both sides or neither.
    let att = json(&["cost", "--validate", "--attention", "--json"]);
    assert_eq!(att.as_array().unwrap().len(), 4);
    let text = String::from_utf8(chipbench(&["cost", "--validate"]).stdout).unwrap();
    assert!(
        text.contains("deepseek-v3") && text.contains("-2.8%"),
        "{text}"
    );
    // Only bf16 and fp16 carry the calibration from chip to chip.
    let e = one_line_error(&["cost", "--validate", "--precision", "fp64"]);
    assert!(e.contains("bf16 or fp16"), "{e}");
}

fn a_4090_uses_its_own_price_and_says_whether_the_cards_hold_the_model() {
    let base = [
        "cost",
        "--model",
        "llama-3.1-405b",
        "--chip",
        "nvidia-rtx-4090",
    ];
    let with = |more: &[&'static str]| -> Vec<&'static str> { [&base[..], more].concat() };
    let v = json(&with(&["--json"]));
    assert_eq!(v["rate_source"], "datasheet");
    assert_eq!(v["price"]["usd_per_gpu_hour"], 0.74);
    assert!(v["price"]["source"].as_str().unwrap().contains("RunPod"));
    // 405B x 16 bytes = 6,480 GB: at least 270 cards of 24 GB.
    assert_eq!(v["memory"]["min_gpus"], 270.0);
    let m = &v["chips_to_match_deepseek_v3"];
    assert!(m["flop_equivalent_chips"].as_f64().unwrap() > 270.0);
    assert_eq!(m["holds_training_state"], true);
    let few = json(&with(&["--gpus", "100", "--json"]));
    assert_eq!(few["gpus_hold_training_state"], false);
    let text = String::from_utf8(chipbench(&with(&["--gpus", "100"])).stdout).unwrap();
    assert!(
        text.contains("at least 270 chips of 24 GB; 100 GPUs cannot hold it"),
        "{text}"
    );
    assert!(
        text.contains("another or unknown chip: not comparable"),
        "{text}"
    );
}

fn a_given_rate_is_used_as_is() {
    let v = json(&[
        "cost",
        "--model",
        "deepseek-v3",
        "--tflops",
        "357.4",
        "--gpus",
        "2048",
        "--price",
        "2",
        "--json",
    ]);
    assert_eq!(v["rate_source"], "given");
    assert!((central(&v) / 2.664e6 - 1.0).abs() < 0.001);
    let cost = v["cost_usd"]["central"].as_f64().unwrap();
    assert!((cost / 5.328e6 - 1.0).abs() < 0.001, "{cost}");
    assert!(
        v["thresholds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["crossed"] == false)
    );
    let gpt4 = json(&["cost", "--model", "gpt-4", "--tflops", "100", "--json"]);
    assert!(gpt4["price"].is_null() && gpt4["cost_usd"].is_null());
    let crossed: Vec<&str> = gpt4["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["crossed"] == true)
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(crossed, ["eu-ai-act-systemic-risk"]);
}

/// The committed H200 run with its adapter renamed to one no chip entry knows, sealed again.
fn unmapped_copy() -> std::path::PathBuf {
    let mut r = RunResult::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(H200)).unwrap();
    r.device.name = "Mystery GPU 9000".into();
    r.seal();
    let path = std::env::temp_dir().join(format!(
        "chipbench-cost-unmapped-{}.json",
        std::process::id()
    ));
    std::fs::write(&path, serde_json::to_string_pretty(&r).unwrap()).unwrap();
    path
}

fn an_unmapped_device_gets_a_labelled_bound() {
    let path = unmapped_copy();
    let v = json(&[
        "cost",
        "--model",
        "deepseek-v3",
        "--result",
        path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(v["rate_source"], "chipbench-kernel");
    assert!(v["chip"].is_null());
    assert!(v["method"].as_str().unwrap().contains("upper bound"));
    // The kernel reached 0.24x cuBLAS, so the bound is about four times the estimate.
    assert!(central(&v) > 8e6, "{}", central(&v));
    // No FLOP-equivalent count: a kernel against the H800's vendor library is not like for like.
    assert!(v["chips_to_match_deepseek_v3"].is_null());
    assert_eq!(v["reported"]["like_for_like"], false);
    let out = chipbench(&[
        "cost",
        "--model",
        "deepseek-v3",
        "--result",
        path.to_str().unwrap(),
    ]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("time: ")
            && String::from_utf8_lossy(&out.stdout).contains("an upper bound")
    );
    let cublas = json(&[
        "cost",
        "--model",
        "deepseek-v3",
        "--result",
        H200_CUBLAS,
        "--json",
    ]);
    assert_eq!(cublas["rate_source"], "vendor-library");
    let _ = std::fs::remove_file(path);
}

fn bad_input_gets_one_line_and_exit_2() {
    let missing = "no/such/file.json";
    // Each command line (split at spaces) and a part of the one line it must print.
    let cases = [
        // Absurd magnitudes are refused, not turned into "infM GPU-hours" or 300-digit numbers.
        (
            "cost --model deepseek-v3 --tflops=1e-320",
            "must be between",
        ),
        ("cost --model deepseek-v3 --tflops=1e300", "must be between"),
        ("cost --model deepseek-v3 --tflops 0", "positive"),
        ("cost --model deepseek-v3 --tflops=-3", "positive"),
        (
            "cost --params 7B --tokens 1T --tflops 100 --attention",
            "--attention needs a model",
        ),
        (
            "cost --model gpt-4 --chip nvidia-h100-sxm --attention",
            "no attention architecture",
        ),
        (
            "cost --model deepsek-v3 --tflops 100",
            "closest: deepseek-v3",
        ),
        (
            "cost --model deepseek-v3 --chip nvidia-h900",
            "unknown chip",
        ),
        ("cost --model deepseek-v3", "--chip"),
        ("cost --tflops 100", "--model"),
        ("cost --params lots --tokens 1T --tflops 1", "not a number"),
        (
            "cost --model deepseek-v3 --chip apple-m2-max",
            "no dense fp16 matrix peak",
        ),
        (
            &format!("cost --flops 1e24 --result {H200} --precision fp64x"),
            "fp64x",
        ),
        (
            &format!("cost --flops 1e24 --result {missing}"),
            "file.json",
        ),
        (
            &format!("cost --flops 1e24 --result {H200} --utilization 1.5"),
            "1e-4 to 1",
        ),
        (
            "cost --flops 1e24 --chip nvidia-h100-sxm --dataset no/such/dir",
            "not a directory",
        ),
        (
            "cost --flops 1e24 --chip nvidia-h100-sxm --state-bytes-per-param 0",
            "--state-bytes-per-param",
        ),
    ];
    for (line, want) in cases {
        let args: Vec<&str> = line.split(' ').collect();
        let e = one_line_error(&args);
        assert!(e.contains(want), "{line}: {e}");
    }
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
    assert!(e.contains("has no passed 16-bit matmul"), "{e}");
}

fn main() {
    common::run(vec![
        plain(
            "the_h200_estimate_rests_on_its_vendor_library_not_the_portable_kernel",
            the_h200_estimate_rests_on_its_vendor_library_not_the_portable_kernel,
        ),
        plain(
            "deepseek_on_the_h800_is_predicted_from_the_other_runs",
            deepseek_on_the_h800_is_predicted_from_the_other_runs,
        ),
        plain(
            "validation_predicts_each_reference_run_from_the_others",
            validation_predicts_each_reference_run_from_the_others,
        ),
        plain(
            "a_4090_uses_its_own_price_and_says_whether_the_cards_hold_the_model",
            a_4090_uses_its_own_price_and_says_whether_the_cards_hold_the_model,
        ),
        plain("a_given_rate_is_used_as_is", a_given_rate_is_used_as_is),
        plain(
            "an_unmapped_device_gets_a_labelled_bound",
            an_unmapped_device_gets_a_labelled_bound,
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
