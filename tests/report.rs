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
use common::{H200, H200_VENDOR, Need, needs, plain};

const HOSTILE: &str =
    "<script>document.title='pwned'</script><img src=x onerror=\"document.title='img'\">|x";

fn scratch(name: &str) -> PathBuf {
    common::scratch_in("report", name)
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
    fs::copy(root.join(H200_VENDOR), dir.join("cublas.json")).unwrap();
    dir
}

fn report(args: &[&str]) -> String {
    String::from_utf8(common::succeeds(args).stdout).unwrap()
}

fn every_format_reports_the_dataset() {
    let table = report(&["report"]);
    assert!(
        table.contains("NVIDIA H200") && table.contains("cublas-f32"),
        "{table}"
    );
    assert!(table.contains("Export controls") && table.contains("not TPP"));
    let md = report(&["report", "--format", "markdown"]);
    assert!(
        md.starts_with("# chipbench report") && md.contains("| chipbench | matmul |"),
        "{md}"
    );
    // CSV and JSON: every case of every run's device, raw numbers in the units the columns
    // name, one unit per column.
    let csv = report(&["report", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    for column in [
        "device",
        "chip",
        "median_s",
        "throughput_flop_per_s",
        "throughput_byte_per_s",
        "of_datasheet_fraction",
        "vs_vendor_ratio",
    ] {
        assert!(header.iter().any(|h| h == column), "{column}: {header:?}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&report(&["report", "--format", "json"])).unwrap();
    let rows = json.as_array().unwrap();
    let coop = rows
        .iter()
        .find(|r| r["variant"] == "coop-f16-f32acc" && r["shape"] == "m=8192 n=8192 k=8192")
        .unwrap();
    assert_eq!(coop["chip"], "nvidia-h200-sxm");
    assert!((coop["throughput_flop_per_s"].as_f64().unwrap() - 153.894e12).abs() < 1e9);
    assert!(
        (coop["median_s"].as_f64().unwrap() - 7.145e-3).abs() < 1e-5,
        "{coop}"
    );
    assert_eq!(coop["runs"], 1.0);
    assert!(coop["throughput_byte_per_s"].is_null());
    // Filters: one workload, one source, one chip; a filter nothing matches is one line.
    let only = report(&[
        "report",
        "--workload",
        "copy",
        "--source",
        "vendor-library",
        "--format",
        "csv",
    ]);
    assert_eq!(only.lines().count(), 2, "{only}");
    assert!(
        report(&["report", "--chip", "nvidia-h200-sxm", "--format", "csv"])
            .lines()
            .count()
            > 20
    );
    assert!(
        common::one_line_error(&["report", "--chip", "nvidia-h100-sxm"])
            .contains("match the filter")
    );
    assert!(common::one_line_error(&["report", "--workload", "sort"]).contains("not a workload"));
    assert!(common::one_line_error(&["report", "no/such/dir"]).contains("does not exist"));
}

fn the_report_model_holds_training_and_deployment() {
    let db = Database::load().unwrap();
    let tables = Tables::load(&db).unwrap();
    let (results, _) = model::load(
        &db,
        &[Path::new(env!("CARGO_MANIFEST_DIR")).join("results")],
        false,
    );
    let report = model::build(
        &db,
        &tables,
        &Default::default(),
        &results,
        Vec::new(),
        true,
    );
    let d = &report.devices[0];
    assert_eq!(d.chip.as_ref().unwrap().id, "nvidia-h200-sxm");
    // The training estimate names the H200's cuBLAS file beside the datasheet.
    let t = d.training.as_ref().unwrap().as_ref().unwrap();
    assert!(t.capability.as_ref().unwrap().measurement.is_some());
    assert!(t.comparisons.len() >= 5);
    // Deployment capability beside TPP: every chip on its datasheet, the H200 also on its
    // measured copy bandwidth; the H20, a fraction of the H100's TPP, decodes faster.
    let point = |label: &str| {
        report
            .deployment
            .as_ref()
            .unwrap()
            .as_ref()
            .unwrap()
            .iter()
            .find(|p| p.label == label)
            .unwrap_or_else(|| panic!("{label}"))
    };
    assert!(point("NVIDIA H200 (measured)").measured);
    assert!(
        point("H20").decode_tokens_per_s_per_gpu > point("H100 SXM5").decode_tokens_per_s_per_gpu
    );
    assert!(point("H20").tpp < 0.2 * point("H100 SXM5").tpp);
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
    assert!(dom.matches("<h3>").count() >= 6, "per-workload tables");
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
    // The report in a 1400 px frame, which writes its scroll width.
    let dom = in_frame(
        browser,
        &dir,
        "report.html",
        1400,
        "document.getElementById('f').onload = function() { var d = \
         this.contentDocument.documentElement; document.getElementById('out').textContent = \
         'width ' + d.scrollWidth + ' of ' + this.clientWidth; };",
    );
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

/// Every chart read as a browser lays it out, at a desktop and at a phone width: no two text
/// boxes overlap and no text leaves its chart.
fn chart_labels_neither_overlap_nor_leave_the_chart() {
    let browser = common::browser().expect("the runner checked for Chromium");
    let dir = hostile_results("chart-layout");
    let html = dir.join("report.html");
    report(&[
        "report",
        dir.to_str().unwrap(),
        "results",
        "--format",
        "html",
        "--out",
        html.to_str().unwrap(),
    ]);
    // A scenario sweep, whose chart marks a line per chip that changes sides.
    let sweep = report(&[
        "scenario",
        "--rule",
        "2024-12",
        "--restricted",
        "--serve",
        "llama-3.1-70b",
        "--sweep",
        "tpp=1000..20000",
        "--format",
        "html",
    ]);
    fs::write(dir.join("sweep.html"), sweep).unwrap();
    for (page, charts) in [("report.html", 5), ("sweep.html", 1)] {
        for width in [1400, 390] {
            let found = layout_problems(browser, &dir, page, width);
            let measured = found.iter().find_map(|l| l.strip_prefix("charts "));
            assert!(
                measured.and_then(|n| n.trim().parse::<usize>().ok()) >= Some(charts),
                "{page} at {width} px: the charts were not measured: {found:?}"
            );
            let problems: Vec<&String> =
                found.iter().filter(|l| !l.starts_with("charts ")).collect();
            assert!(problems.is_empty(), "{page} at {width} px: {problems:#?}");
        }
    }
}

/// Loads `page` from `dir` in a frame `width` px wide and lists, one per line, every pair of
/// overlapping text boxes and every text outside its SVG (after a `charts N` line).
fn layout_problems(browser: &str, dir: &Path, page: &str, width: u32) -> Vec<String> {
    let script = r#"
function check(doc) {
  var out = [], svgs = doc.querySelectorAll('svg');
  out.push('charts ' + svgs.length);
  svgs.forEach(function (svg, n) {
    var s = svg.getBoundingClientRect(), boxes = [];
    svg.querySelectorAll('text').forEach(function (t) {
      var r = t.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return;
      if (r.left < s.left - 1 || r.right > s.right + 1 || r.top < s.top - 1 || r.bottom > s.bottom + 1)
        out.push('chart ' + n + ': "' + t.textContent + '" outside its chart');
      boxes.push([r, t.textContent]);
    });
    for (var i = 0; i < boxes.length; i++) for (var j = i + 1; j < boxes.length; j++) {
      var a = boxes[i][0], b = boxes[j][0];
      var w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      var h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 1 && h > 1) out.push('chart ' + n + ': "' + boxes[i][1] + '" overlaps "' + boxes[j][1] + '"');
    }
  });
  return out.join('\n');
}
document.getElementById('f').onload = function () {
  document.getElementById('out').textContent = check(this.contentDocument);
};"#;
    in_frame(browser, dir, page, width, script)
        .lines()
        .map(String::from)
        .collect()
}

/// Loads `page` from `dir` in a frame `width` px wide beside a `<pre id="out">`, runs `script`
/// (which writes its findings there when the frame has loaded) and returns that text.
fn in_frame(browser: &str, dir: &Path, page: &str, width: u32, script: &str) -> String {
    let harness = dir.join(format!("frame-{width}-{page}"));
    fs::write(
        &harness,
        format!(
            "<html><body style=\"margin:0\"><iframe id=\"f\" src=\"{page}\" \
             style=\"width:{width}px;height:900px;border:0\"></iframe><pre id=\"out\">pending</pre>\
             <script>{script}</script></body></html>"
        ),
    )
    .unwrap();
    let profile = scratch(&format!("profile-{width}"));
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
    let start = dom.find("<pre id=\"out\">").expect("the harness page") + "<pre id=\"out\">".len();
    let end = start + dom[start..].find("</pre>").expect("the end of its text");
    dom[start..end]
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
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
    let rows = json.as_array().unwrap();
    let copy = rows
        .iter()
        .filter(|r| r["workload"] == "copy")
        .map(|r| r["throughput_byte_per_s"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(copy > 0.0);
    let mut shared = 0;
    for r in rows {
        assert!(r["throughput_flop_per_s"].is_null(), "{r}");
        if r["workload"] == "copy" {
            assert!(r["of_measured_fraction"].is_null());
        } else {
            let fraction = r["of_measured_fraction"].as_f64().unwrap();
            let own = r["throughput_byte_per_s"].as_f64().unwrap();
            assert!((fraction - own / copy).abs() < 1e-9, "{r}");
            assert_eq!(r["measured_ceiling"], "copy");
            shared += 1;
        }
    }
    assert_eq!(shared, 6, "two decode and four gemv cases");
    let table = report(&["report", dir.to_str().unwrap()]);
    assert!(
        table.contains("of measured ceiling") && table.contains("copy"),
        "{table}"
    );
}

fn the_headline_answers_the_first_questions() {
    let db = Database::load().unwrap();
    let tables = Tables::load(&db).unwrap();
    let r = RunResult::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(H200)).unwrap();
    let report = model::build(
        &db,
        &tables,
        &Default::default(),
        &[(r.id.clone(), r.clone())],
        Vec::new(),
        false,
    );
    let lines = summary::headline(&report.devices[0]);
    let text = lines.join("\n");
    for want in [
        "NVIDIA H200 is chip nvidia-h200-sxm (NVIDIA H200 SXM).",
        "Best vector f32: 63.67 TFLOP/s (fma f32), 95.2% of vector fp32 peak 66.90 TFLOP/s.",
        "Best vector f16: 126.7 TFLOP/s (fma f16), 94.7% of vector fp16 peak 133.8 TFLOP/s.",
        // Without a vendor-library run, the matrix line says whose figure it is.
        "Best matrix f16 by chipbench's portable WGSL kernel (no vendor-library run of this \
         device given): 161.6 TFLOP/s (matmul coop-f16-f16acc), 16.3% of matrix fp16 peak 989.4 \
         TFLOP/s.",
        "Best memory: 4245 GB/s (copy vec4x4), 88.4% of memory bandwidth 4800 GB/s.",
        "TPP 15831",
    ] {
        assert!(text.contains(want), "{want} missing from:\n{text}");
    }
    // A CPU adapter's numbers describe the CPU: no chip lines.
    let mut cpu = r.clone();
    cpu.device.device_type = chipbench::model::DeviceKind::Cpu;
    cpu.device.name = "llvmpipe (LLVM 15.0.6, 256 bits)".into();
    cpu.seal();
    let report = model::build(
        &db,
        &tables,
        &Default::default(),
        &[(cpu.id.clone(), cpu)],
        Vec::new(),
        false,
    );
    let text = summary::headline(&report.devices[0]).join("\n");
    assert!(
        text.contains("describe this machine's CPU") && !text.contains("TPP"),
        "{text}"
    );
    // A CPU adapter is no chip: no legal figures or training cost to go deeper into.
    let cpu_steps = summary::next_steps("r.json", false);
    assert!(
        cpu_steps
            .iter()
            .all(|l| !l.contains("classify") && !l.contains("cost"))
    );
    assert!(
        summary::next_steps("r.json", true)
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
            "the_report_model_holds_training_and_deployment",
            the_report_model_holds_training_and_deployment,
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
            "chart_labels_neither_overlap_nor_leave_the_chart",
            &[Need::Browser],
            chart_labels_neither_overlap_nor_leave_the_chart,
        ),
        needs(
            "bandwidth_bound_rows_carry_their_share_of_the_copy",
            &[Need::Gpu],
            bandwidth_bound_rows_carry_their_share_of_the_copy,
        ),
    ]);
}
