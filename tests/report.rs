//! `chipbench report` in every format, and the HTML report in a real browser: headless
//! Chromium renders it, and the DOM must hold the plots and nothing that a hostile device name
//! or contributor text could have injected.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use chipbench::cost::Tables;
use chipbench::model::RunResult;
use chipbench::policy::Database;
use chipbench::report::{model, summary};
use common::{Need, needs, plain};

const H200_CUBLAS: &str = "results/nvidia/nvidia-h200/35e780f66ae0c0b913f422b44ad175238d1c0a06e882f1395876026a408a024a.json";
const H200: &str = "results/nvidia/nvidia-h200/788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e.json";
const HOSTILE: &str =
    "<script>document.title='pwned'</script><img src=x onerror=\"document.title='img'\">|x";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chipbench-report-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A directory holding the H200 result renamed to a hostile device name.
fn hostile_results(name: &str) -> PathBuf {
    let dir = scratch(name);
    let mut r = RunResult::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(H200)).unwrap();
    r.device.name = HOSTILE.to_string();
    r.contributor = Some("<b onmouseover=alert(1)>lab</b>".to_string());
    r.seal();
    r.write_atomic(&dir.join("r.json")).unwrap();
    // The vendor-library file beside it calibrates the hostile device's training bound.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    fs::copy(root.join(H200_CUBLAS), dir.join("cublas.json")).unwrap();
    dir
}

fn report(args: &[&str]) -> String {
    let out = common::chipbench(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn every_format_reports_the_dataset() {
    let table = report(&["report"]);
    assert!(
        table.contains("NVIDIA H200") && table.contains("0.69x cublas-f32"),
        "{table}"
    );
    assert!(table.contains("Export controls") && table.contains("not TPP"));
    let md = report(&["report", "--format", "markdown"]);
    assert!(md.starts_with("# chipbench report") && md.contains("| chipbench | matmul |"));
    let csv = report(&["report", "--format", "csv"]);
    assert_eq!(
        csv.lines().next().unwrap().split(',').next(),
        Some("device")
    );
    let json: serde_json::Value =
        serde_json::from_str(&report(&["report", "--format", "json"])).unwrap();
    let d = &json["devices"][0];
    assert_eq!(d["chip"], "nvidia-h200-sxm");
    // The training estimate rests on the H200's cuBLAS file in the same report.
    let t = &d["training"];
    assert_eq!(t["rate_source"], "vendor-library");
    let h = t["gpu_hours"]["central"].as_f64().unwrap();
    assert!((1.8e6..3.2e6).contains(&h), "{h}");
    assert!(t["comparisons"].as_array().unwrap().len() >= 4);
    // Deployment capability beside TPP: every chip on its datasheet, the H200 also on its
    // measured copy bandwidth; the H20, a fraction of the H100's TPP, decodes faster.
    let points = json["deployment"].as_array().unwrap();
    let point = |label: &str| {
        points
            .iter()
            .find(|p| p["label"] == label)
            .unwrap_or_else(|| panic!("{label}"))
    };
    assert!(point("NVIDIA H200 (measured)")["measured"] == true);
    let decode = |label: &str| {
        point(label)["decode_tokens_per_s_per_gpu"]
            .as_f64()
            .unwrap()
    };
    assert!(decode("H20") > decode("H100 SXM5"));
    assert!(
        point("H20")["tpp"].as_f64().unwrap() < 0.2 * point("H100 SXM5")["tpp"].as_f64().unwrap()
    );
    assert!(common::one_line_error(&["report", "no/such/dir"]).contains("does not exist"));
}

fn hostile_text_is_escaped_in_every_format() {
    let dir = hostile_results("hostile-formats");
    let d = dir.to_str().unwrap();
    let md = report(&["report", d, "--format", "markdown"]);
    assert!(!md.contains("<script>") && md.contains("&lt;script&gt;") && md.contains("\\|x"));
    let out = dir.join("report.html");
    report(&[
        "report",
        d,
        "--format",
        "html",
        "--out",
        out.to_str().unwrap(),
    ]);
    let html = fs::read_to_string(&out).unwrap();
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b "));
    assert!(html.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
    assert!(
        html.matches("<svg").count() >= 3,
        "roofline, cost and plane charts"
    );
}

fn html_report_renders_in_chromium() {
    let browser = common::browser().expect("the runner checked for Chromium");
    let dir = hostile_results("hostile-chromium");
    let html = dir.join("report.html");
    report(&[
        "report",
        dir.to_str().unwrap(),
        H200,
        "--format",
        "html",
        "--out",
        html.to_str().unwrap(),
    ]);
    let profile = scratch("profile");
    let out = Command::new(browser)
        .args(chromium_args(&profile))
        .args(["--dump-dom", &format!("file://{}", html.display())])
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && dom.contains("</html>"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Two devices (the hostile copy and the H200): two rooflines, two cost charts, one plane.
    assert!(dom.matches("<svg").count() >= 5, "plots missing");
    assert!(dom.contains("class=\"plane\"") && dom.contains("class=\"roofline\""));
    // Nothing injected ran or became an element.
    assert!(
        dom.contains("<title>chipbench report</title>"),
        "the title was changed by a script"
    );
    assert!(!dom.contains("<script") && !dom.contains("<img") && !dom.contains("onmouseover=\""));
    assert!(
        dom.contains("&lt;script&gt;"),
        "the device name is shown as text"
    );
    // Read at a glance: a headline and one table per workload for each device, and no
    // throughput printed as 0.00.
    assert_eq!(dom.matches("class=\"headline\"").count(), 2);
    assert!(
        dom.matches("class=\"workload\"").count() >= 6,
        "per-workload tables"
    );
    for zero in [">0.00 TFLOP/s", ">0.00 GB/s", ">0.00 GFLOP/s"] {
        assert!(!dom.contains(zero), "{zero} in the report");
    }

    // It renders: a screenshot at 1400 px holds a page, and nothing is wider than the window.
    let shot = dir.join("report.png");
    let out = Command::new(browser)
        .args(chromium_args(&profile))
        .args([
            "--window-size=1400,2000",
            &format!("--screenshot={}", shot.display()),
            &format!("file://{}", html.display()),
        ])
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 50_000,
        "{} bytes",
        png.len()
    );
    // A page that loads the report in a 1400 px frame and writes its scroll width.
    let harness = dir.join("harness.html");
    fs::write(
        &harness,
        "<html><body style=\"margin:0\"><iframe id=\"f\" src=\"report.html\" \
         style=\"width:1400px;height:900px;border:0\"></iframe><pre id=\"out\">pending</pre>\
         <script>document.getElementById('f').onload = function() { var d = \
         this.contentDocument.documentElement; document.getElementById('out').textContent = \
         'width ' + d.scrollWidth + ' of ' + this.clientWidth; };</script></body></html>",
    )
    .unwrap();
    let out = Command::new(browser)
        .args(chromium_args(&profile))
        .args([
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",
            "--dump-dom",
            &format!("file://{}", harness.display()),
        ])
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let at = dom.find("width ").expect("the frame reported its width");
    let nums: Vec<u32> = dom[at..]
        .split_whitespace()
        .filter_map(|w| {
            let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .take(2)
        .collect();
    assert!(
        nums.len() == 2 && nums[0] <= nums[1],
        "content wider than 1400 px: {nums:?}"
    );
}

/// Headless Chromium with a throwaway profile and nothing reaching the network.
fn chromium_args(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

fn bandwidth_bound_rows_carry_their_share_of_the_copy() {
    let dir = scratch("copy-share");
    common::quick_run("copy,decode,gemv", &dir.join("r.json"));
    let json: serde_json::Value = serde_json::from_str(&report(&[
        "report",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]))
    .unwrap();
    let rows = json["devices"][0]["rows"].as_array().unwrap();
    let copy = rows
        .iter()
        .filter(|r| r["workload"] == "copy")
        .map(|r| r["value"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(copy > 0.0);
    let mut shared = 0;
    for r in rows {
        assert_eq!(r["unit"], "GB/s", "{r}");
        if r["workload"] == "copy" {
            assert!(r["copy_fraction"].is_null());
        } else {
            let fraction = r["copy_fraction"].as_f64().unwrap();
            assert!((fraction - r["value"].as_f64().unwrap() / copy).abs() < 1e-12);
            shared += 1;
        }
    }
    assert_eq!(shared, 6, "two decode and four gemv cases");
    assert_eq!(
        json["devices"][0]["ceilings"]["measured_bandwidth_gbps"].as_f64(),
        Some(copy)
    );
    let table = report(&["report", dir.to_str().unwrap()]);
    assert!(
        table.contains("of measured ceiling") && table.contains("x copy"),
        "{table}"
    );
}

fn the_headline_answers_the_first_questions() {
    let db = Database::load().unwrap();
    let tables = Tables::load().unwrap();
    let r = RunResult::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(H200)).unwrap();
    let report = model::build(&db, &tables, std::slice::from_ref(&r), Vec::new());
    let lines = summary::headline(&report.devices[0]);
    let text = lines.join("\n");
    for want in [
        "NVIDIA H200 is chip nvidia-h200-sxm (NVIDIA H200 SXM).",
        "Best vector f32: 63.67 TFLOP/s (fma f32), 95.2% of vector fp32 peak 66.9.",
        "Best vector f16: 126.66 TFLOP/s (fma f16), 94.7% of vector fp16 peak 133.8.",
        "Best matrix f16: 161.62 TFLOP/s (matmul coop-f16-f16acc), 16.3% of matrix fp16 peak 989.4.",
        "Best memory: 4245.3 GB/s (copy vec4x4), 88.4% of memory 4800 GB/s.",
        "TPP 15831",
    ] {
        assert!(text.contains(want), "{want} missing from:\n{text}");
    }
    // A CPU adapter's numbers describe the CPU: no chip lines.
    let mut cpu = r.clone();
    cpu.device.device_type = chipbench::model::DeviceKind::Cpu;
    cpu.device.name = "llvmpipe (LLVM 15.0.6, 256 bits)".into();
    cpu.seal();
    let report = model::build(&db, &tables, &[cpu], Vec::new());
    let text = summary::headline(&report.devices[0]).join("\n");
    assert!(
        text.contains("describe this machine's CPU") && !text.contains("TPP"),
        "{text}"
    );
    assert!(
        summary::next_steps("r.json")
            .iter()
            .any(|l| l == "chipbench classify --result r.json")
    );
}

fn a_run_counts_once_and_special_files_are_not_replaced() {
    let table = report(&["report", "results", "results"]);
    assert!(
        table.contains("2 runs") && !table.contains("4 runs"),
        "{table}"
    );
    // A FIFO where the report should go is refused, not replaced.
    let dir = scratch("fifo");
    let fifo = dir.join("out");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let err = common::one_line_error(&["report", "--out", fifo.to_str().unwrap()]);
    assert!(err.contains("not a regular file"), "{err}");
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

fn main() {
    common::run(vec![
        plain(
            "a_run_counts_once_and_special_files_are_not_replaced",
            a_run_counts_once_and_special_files_are_not_replaced,
        ),
        plain(
            "the_headline_answers_the_first_questions",
            the_headline_answers_the_first_questions,
        ),
        plain(
            "every_format_reports_the_dataset",
            every_format_reports_the_dataset,
        ),
        plain(
            "hostile_text_is_escaped_in_every_format",
            hostile_text_is_escaped_in_every_format,
        ),
        needs(
            "html_report_renders_in_chromium",
            &[Need::Browser],
            html_report_renders_in_chromium,
        ),
        needs(
            "bandwidth_bound_rows_carry_their_share_of_the_copy",
            &[Need::Gpu],
            bandwidth_bound_rows_carry_their_share_of_the_copy,
        ),
    ]);
}
