//! Shared by the integration tests: finding an adapter to run GPU tests on, and running the
//! binary. Each test crate uses only some of these.
#![allow(dead_code)]

use std::process::{Command, Output};

use chipbench::gpu::{DeviceChoice, Discovery, discover};

/// Runs the chipbench binary in the repository root.
pub fn chipbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chipbench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NODEVICE_SELECT", "1")
        .output()
        .expect("run chipbench")
}

/// Asserts that `out` is a failure with exit status 2 and one `error:` line, and returns it.
pub fn assert_one_line_error(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(
        err.starts_with("error: ") && !err.contains("panicked"),
        "{err}"
    );
    err
}

/// Runs `chipbench run --quick` with `workloads` into `out`, expecting success.
pub fn quick_run(workloads: &str, out: &std::path::Path) {
    let run = chipbench(&[
        "run",
        "--quick",
        "--workloads",
        workloads,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Runs chipbench with `args`, expecting one error line and exit status 2.
pub fn one_line_error(args: &[&str]) -> String {
    assert_one_line_error(&chipbench(args))
}

/// The default adapter (lavapipe in CI), or `None` with a note when this machine has none.
/// With `CHIPBENCH_REQUIRE_GPU` set (as CI sets it), a missing adapter fails the test instead.
pub fn adapter() -> Option<(Discovery, usize)> {
    let found = discover();
    match found.select(&DeviceChoice::Default) {
        Ok(chosen) => Some((found, chosen[0])),
        Err(why) => {
            assert!(
                std::env::var_os("CHIPBENCH_REQUIRE_GPU").is_none(),
                "CHIPBENCH_REQUIRE_GPU is set but: {why}"
            );
            eprintln!("skipped: {why}");
            None
        }
    }
}
