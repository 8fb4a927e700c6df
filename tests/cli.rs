//! The command line end to end: device listing, a quick run that writes a valid result file,
//! the result file's integrity checks, and clear one-line errors for bad input.

mod common;

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use chipbench::model::noise::NOISY_CV;
use chipbench::model::{DeviceInfo, RunResult, Status, Unit};
use common::{Need, assert_one_line_error, chipbench, needs, plain};

fn scratch(name: &str) -> PathBuf {
    common::scratch_in("cli", name)
}

fn devices_json_lists_adapters() {
    let out = chipbench(&["devices", "--json"]);
    assert!(out.status.success());
    let list: Vec<DeviceInfo> = serde_json::from_slice(&out.stdout).expect("devices --json");
    assert!(!list.is_empty());
    for (i, a) in list.iter().enumerate() {
        assert_eq!(a.index, i);
        assert!(!a.name.is_empty() && a.limits.max_buffer_size > 0);
    }
    let text = chipbench(&["devices"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains(&list[0].name));
}

fn quick_run_writes_a_valid_complete_result() {
    let dir = scratch("run");
    let path = dir.join("nested").join("result.json");
    let out = chipbench(&[
        "run",
        "--quick",
        "--out",
        path.to_str().unwrap(),
        "--contributor",
        "ci",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for column in ["workload", "median", "throughput", "check"] {
        assert!(stdout.contains(column), "{stdout}");
    }
    // Nothing on stderr but chipbench's own notes and warnings; the summary and the next
    // commands follow the table; an unsupported variant takes one line, however many shapes
    // it has.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .lines()
            .all(|l| l.starts_with("note: ") || l.starts_with("warning: ")),
        "{stderr}"
    );
    assert!(
        stdout.contains("\nsummary:\n") && stdout.contains("go deeper:"),
        "{stdout}"
    );
    // A quick run (and a CPU adapter) has no chip figures to go deeper into.
    assert!(stdout.contains("chipbench report"), "{stdout}");
    assert!(!stdout.contains("chipbench classify --result"), "{stdout}");

    let result = RunResult::read(&path).expect("valid result");
    assert!(result.complete);
    assert_eq!(result.contributor.as_deref(), Some("ci"));
    assert!(result.settings.quick && !result.settings.workgroup_memory_zero_init);
    // Noisy cases are warned about on stderr and recorded in the file, with the worst named.
    let noisy = result
        .workloads
        .iter()
        .filter(|w| w.timing.as_ref().is_some_and(|t| t.cv > NOISY_CV))
        .count();
    let recorded = result
        .warnings
        .iter()
        .find(|w| w.contains("spread by more than"));
    assert_eq!(noisy > 0, recorded.is_some(), "{:?}", result.warnings);
    if let Some(w) = recorded {
        assert!(w.starts_with(&format!("{noisy} of ")), "{w}");
        assert!(stderr.contains(&format!("warning: {w}")), "{stderr}");
    }
    for id in chipbench::model::WORKLOADS {
        assert!(
            result.workloads.iter().any(|w| w.workload == id),
            "{id} missing"
        );
    }
    // Decode and gemv are shown in GB/s beside the copy bandwidth of the same run.
    for id in ["decode", "gemv"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(id) && l.contains("B/s") && l.contains("x copy")),
            "{stdout}"
        );
    }
    for w in result
        .workloads
        .iter()
        .filter(|w| w.status == Status::Unsupported)
    {
        let mentions = stdout
            .lines()
            .filter(|l| l.contains(&format!(" {} {} ", w.workload, w.variant)))
            .count();
        assert_eq!(mentions, 1, "{} {}: {stdout}", w.workload, w.variant);
    }
    for w in &result.workloads {
        // Every record names its unit and kernel family; the cooperative-matrix ones (the
        // matrix peak among them) ran on the matrix units.
        let matrix = w.workload == "matrix-peak" || w.variant.starts_with("coop");
        assert_eq!(
            w.unit,
            Some(if matrix { Unit::Matrix } else { Unit::Vector }),
            "{} {}",
            w.workload,
            w.variant
        );
        assert!(w.family.is_some());
        assert!(
            matches!(w.status, Status::Ok | Status::Unsupported),
            "{} {}: {:?} {:?}",
            w.workload,
            w.variant,
            w.status,
            w.reason
        );
        if w.status == Status::Ok {
            let t = w.timing.as_ref().unwrap();
            assert!(t.samples_ns.len() >= 10, "every sample is kept");
            assert!(w.check.as_ref().unwrap().passed);
        }
    }

    // The file round-trips through serde unchanged, and its id still matches.
    let text = std::fs::read_to_string(&path).unwrap();
    let again = RunResult::parse(&serde_json::to_string(&result).unwrap()).unwrap();
    assert_eq!(again, result);
    assert!(again.problems().is_empty());

    // Editing a number breaks the id; the reader says so in one line.
    let tampered = dir.join("tampered.json");
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["workloads"][0]["flops_per_iter"] = serde_json::json!(1.0e30);
    std::fs::write(&tampered, value.to_string()).unwrap();
    let err = RunResult::read(&tampered).unwrap_err().to_string();
    assert!(err.contains("id is not the SHA-256"), "{err}");
    // No temporary files are left beside the result.
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

fn a_workload_subset_runs_only_those() {
    let dir = scratch("subset");
    let path = dir.join("r.json");
    common::quick_run("copy", &path);
    let result = RunResult::read(&path).unwrap();
    assert!(result.workloads.iter().all(|w| w.workload == "copy"));
}

fn bad_input_gets_one_clear_line_and_exit_2() {
    let err = assert_one_line_error(&chipbench(&["run", "--workloads", "fma,attn"]));
    assert!(err.contains("unknown workload \"attn\""), "{err}");
    let err = assert_one_line_error(&chipbench(&["run", "--workloads", ""]));
    assert!(err.contains("known: fma, copy"), "{err}");
    let err = assert_one_line_error(&chipbench(&["report", "--format", "pdf"]));
    assert!(
        err.contains("'pdf'") && err.contains("possible values: table"),
        "{err}"
    );
}

fn bad_device_choices_name_the_adapters() {
    let err = assert_one_line_error(&chipbench(&["run", "--quick", "--device", "99"]));
    assert!(
        err.contains("no adapter with index 99") && err.contains("0: "),
        "{err}"
    );
    let err = assert_one_line_error(&chipbench(&["run", "--quick", "--device", "no-such-gpu"]));
    assert!(err.contains("adapters: 0: "), "{err}");
    // An output path that is a directory fails before any case runs, and says so once.
    let dir = scratch("out-dir");
    let out = chipbench(&[
        "run",
        "--quick",
        "--workloads",
        "copy",
        "--out",
        dir.to_str().unwrap(),
    ]);
    // (After the CPU-adapter note on lavapipe) one error line, exit 2.
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| !l.starts_with("note: ")).collect();
    assert!(
        errors.len() == 1 && errors[0].starts_with("error: "),
        "{err}"
    );
    assert_eq!(err.matches("not a regular file").count(), 1, "{err}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("copy "),
        "no case ran"
    );
}

fn quiet_and_json_runs_print_only_what_scripts_read() {
    let dir = scratch("script");
    let path = dir.join("r.json");
    let p = path.to_str().unwrap();
    let json = chipbench(&[
        "run",
        "--quick",
        "--workloads",
        "copy",
        "--json",
        "--out",
        p,
    ]);
    assert!(json.status.success());
    let printed: RunResult = serde_json::from_slice(&json.stdout).expect("stdout is the result");
    assert_eq!(printed, RunResult::read(&path).unwrap());
    let quiet = chipbench(&[
        "run",
        "--quick",
        "--workloads",
        "copy",
        "--quiet",
        "--out",
        p,
    ]);
    assert!(quiet.status.success());
    assert_eq!(String::from_utf8_lossy(&quiet.stdout), format!("{p}\n"));
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
}

fn no_stray_lines_from_the_device_select_layer() {
    // Mesa's device-select layer complains on headless machines unless NODEVICE_SELECT is set;
    // chipbench sets it for itself.
    let out = Command::new(env!("CARGO_BIN_EXE_chipbench"))
        .args(["devices"])
        .env_remove("NODEVICE_SELECT")
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.trim().is_empty(), "stray stderr: {err}");
}

/// Without `--out`, a quick run goes to the temporary folder, never into a dataset.
fn a_quick_run_stays_out_of_the_dataset() {
    let dir = scratch("quick-default");
    let tmp = dir.join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_chipbench"))
        .args(["run", "--quick", "--workloads", "copy", "--quiet"])
        .current_dir(&dir)
        .env("TMPDIR", &tmp)
        .env("NODEVICE_SELECT", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(
        written.starts_with(tmp.join("chipbench-quick")) && written.is_file(),
        "{}",
        written.display()
    );
    assert!(
        !dir.join("results").exists(),
        "a quick run wrote into results/"
    );
}

fn no_adapter_says_what_to_install() {
    let out = Command::new(env!("CARGO_BIN_EXE_chipbench"))
        .args(["run", "--quick"])
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("NODEVICE_SELECT", "1")
        .output()
        .unwrap();
    let err = assert_one_line_error(&out);
    assert!(
        err.contains("no GPU adapter found") && err.contains("apt-get install"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_chipbench"))
        .args(["devices"])
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .output()
        .unwrap();
    assert_one_line_error(&out);
}

fn broken_result_files_are_rejected_with_a_reason() {
    let dir = scratch("broken");
    let cases: [(&str, &[u8], &str); 4] = [
        ("notjson.json", b"{ nope", "invalid JSON"),
        ("binary.json", &[0xff, 0xfe, 0x00, 0x41], "not UTF-8"),
        (
            "other.json",
            br#"{"schema":"something/else","version":1}"#,
            "expected",
        ),
        (
            "future.json",
            br#"{"schema":"chipbench/result","version":9}"#,
            "version 9",
        ),
    ];
    for (name, bytes, expect) in cases {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let err = RunResult::read(&p).unwrap_err().to_string();
        assert!(err.contains(expect), "{name}: {err}");
    }
    let missing = RunResult::read(&dir.join("absent.json"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("absent.json"), "{missing}");
}

fn ctrl_c_keeps_what_finished() {
    let dir = scratch("interrupt");
    let target = dir.join("r.json");
    // The run is kept beside its target until it completes.
    let path = chipbench::run::partial_path(&target);
    let mut child = Command::new(env!("CARGO_BIN_EXE_chipbench"))
        .args(["run", "--quick", "--out", target.to_str().unwrap()])
        .env("NODEVICE_SELECT", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first case is in the file, then interrupt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let done = RunResult::read(&path).map_or(0, |r| r.workloads.len());
        if done >= 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no case finished");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: sending SIGINT to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let r = RunResult::read(&path).expect("the file stays valid");
    assert!(!r.complete, "an interrupted run is marked incomplete");
    assert!(!r.workloads.is_empty());
    assert!(
        !target.exists(),
        "an interrupted run leaves its target alone"
    );
}

fn main() {
    common::run(vec![
        needs(
            "devices_json_lists_adapters",
            &[Need::Gpu],
            devices_json_lists_adapters,
        ),
        needs(
            "a_quick_run_stays_out_of_the_dataset",
            &[Need::Gpu],
            a_quick_run_stays_out_of_the_dataset,
        ),
        needs(
            "quick_run_writes_a_valid_complete_result",
            &[Need::Gpu],
            quick_run_writes_a_valid_complete_result,
        ),
        needs(
            "a_workload_subset_runs_only_those",
            &[Need::Gpu],
            a_workload_subset_runs_only_those,
        ),
        plain(
            "bad_input_gets_one_clear_line_and_exit_2",
            bad_input_gets_one_clear_line_and_exit_2,
        ),
        needs(
            "bad_device_choices_name_the_adapters",
            &[Need::Gpu],
            bad_device_choices_name_the_adapters,
        ),
        needs(
            "quiet_and_json_runs_print_only_what_scripts_read",
            &[Need::Gpu],
            quiet_and_json_runs_print_only_what_scripts_read,
        ),
        needs(
            "no_stray_lines_from_the_device_select_layer",
            &[Need::Gpu],
            no_stray_lines_from_the_device_select_layer,
        ),
        plain(
            "no_adapter_says_what_to_install",
            no_adapter_says_what_to_install,
        ),
        plain(
            "broken_result_files_are_rejected_with_a_reason",
            broken_result_files_are_rejected_with_a_reason,
        ),
        needs(
            "ctrl_c_keeps_what_finished",
            &[Need::Gpu],
            ctrl_c_keeps_what_finished,
        ),
    ]);
}
