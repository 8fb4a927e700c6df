//! Shared by the integration tests: a test runner that knows what each test needs, and
//! helpers that run the binary. Each test crate uses only some of these.
//!
//! A test that needs a GPU adapter, a browser, Python or DuckDB, on a machine that has none,
//! is reported as ignored in the runner's own count, never as a pass. With
//! `CHIPBENCH_REQUIRE_GPU`, `CHIPBENCH_REQUIRE_BROWSER`, `CHIPBENCH_REQUIRE_PYTHON` or
//! `CHIPBENCH_REQUIRE_DUCKDB` set (CI sets them all), a missing one fails the test instead.
#![allow(dead_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use chipbench::device::{DeviceChoice, Discovery, discover};
use libtest_mimic::{Arguments, Failed, Trial};

/// The committed H200 run, and the vendor-library run measured in the same session.
pub const H200: &str = "results/nvidia/nvidia-h200/788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e.json";
pub const H200_VENDOR: &str = "results/nvidia/nvidia-h200/35e780f66ae0c0b913f422b44ad175238d1c0a06e882f1395876026a408a024a.json";

/// A path in the repository.
pub fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// An empty folder for one test of `suite`, unique to this test process.
pub fn scratch_in(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chipbench-{suite}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Something outside the crate a test cannot run without.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A GPU adapter (lavapipe counts).
    Gpu,
    /// Headless Chromium.
    Browser,
    /// `python3`.
    Python,
    /// OpenSSH's `ssh-keygen`, to sign as contributors do.
    SshKeygen,
    /// DuckDB's and pandas' Python packages, to read the dataset export as researchers do.
    DuckDb,
}

impl Need {
    fn required_by(self) -> &'static str {
        match self {
            Need::Gpu => "CHIPBENCH_REQUIRE_GPU",
            Need::Browser => "CHIPBENCH_REQUIRE_BROWSER",
            Need::Python => "CHIPBENCH_REQUIRE_PYTHON",
            Need::SshKeygen => "CHIPBENCH_REQUIRE_SSH_KEYGEN",
            Need::DuckDb => "CHIPBENCH_REQUIRE_DUCKDB",
        }
    }

    /// Why this machine cannot meet the need, or `None` when it can.
    fn missing(self) -> Option<String> {
        match self {
            Need::Gpu => {
                static FOUND: OnceLock<Option<String>> = OnceLock::new();
                FOUND
                    .get_or_init(|| discover().select(&DeviceChoice::Default).err())
                    .clone()
            }
            Need::Browser => browser()
                .is_none()
                .then(|| "no Chromium to render the HTML report".to_string()),
            Need::Python => python()
                .is_none()
                .then(|| "python3 is not available".to_string()),
            Need::SshKeygen => Command::new("ssh-keygen")
                .arg("-?")
                .output()
                .is_err()
                .then(|| "ssh-keygen is not available".to_string()),
            Need::DuckDb => (!Command::new("python3")
                .args(["-c", "import duckdb, pandas"])
                .output()
                .is_ok_and(|o| o.status.success()))
            .then(|| "python3 with the duckdb and pandas packages is not available".to_string()),
        }
    }
}

/// One test: its name, what it needs, and its body (which panics to fail).
pub struct Test {
    pub name: &'static str,
    pub needs: &'static [Need],
    pub body: fn(),
}

/// A test with no needs beyond the crate.
pub const fn plain(name: &'static str, body: fn()) -> Test {
    Test {
        name,
        needs: &[],
        body,
    }
}

/// A test that needs `needs`.
pub const fn needs(name: &'static str, needs: &'static [Need], body: fn()) -> Test {
    Test { name, needs, body }
}

/// Runs `tests` as a test binary: the standard runner's arguments, output and exit code.
pub fn run(tests: Vec<Test>) -> ! {
    // Mesa's device-select layer, loaded when a test looks for an adapter, complains on
    // headless machines; chipbench itself silences it the same way.
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: the first thing the test binary does, before any thread exists.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
    let args = Arguments::from_args();
    let mut skipped: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    let trials = tests
        .into_iter()
        .map(|t| {
            let missing = t
                .needs
                .iter()
                .find_map(|&n| n.missing().map(|why| (n, why)));
            let required = missing
                .as_ref()
                .filter(|(n, _)| std::env::var_os(n.required_by()).is_some())
                .map(|(n, why)| format!("{} is set but: {why}", n.required_by()));
            if let (Some((_, why)), None) = (&missing, &required) {
                skipped.entry(why.clone()).or_default().push(t.name);
            }
            let body = t.body;
            let ignored = missing.is_some() && required.is_none();
            Trial::test(t.name, move || {
                if let Some(why) = required {
                    return Err(Failed::from(why));
                }
                catch_unwind(AssertUnwindSafe(body)).map_err(|panic| {
                    Failed::from(
                        panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "panicked".to_string()),
                    )
                })
            })
            .with_ignored_flag(ignored)
        })
        .collect();
    for (why, names) in &skipped {
        eprintln!("ignored here ({why}): {}", names.join(", "));
    }
    libtest_mimic::run(&args, trials).exit()
}

/// The Chromium binary on this machine, if any.
pub fn browser() -> Option<&'static str> {
    static FOUND: OnceLock<Option<&'static str>> = OnceLock::new();
    *FOUND.get_or_init(|| {
        ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .find(|b| {
                Command::new(b)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
    })
}

/// `python3`, if this machine has it.
pub fn python() -> Option<&'static str> {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        .then_some("python3")
}

/// The default adapter (lavapipe in CI). Tests that call this declare [`Need::Gpu`], so the
/// runner has already found one.
pub fn adapter() -> (Discovery, usize) {
    let found = discover();
    let chosen = found
        .select(&DeviceChoice::Default)
        .expect("a test that needs a GPU runs only where there is one");
    (found, chosen[0])
}

/// Compiles WGSL to SPIR-V through naga for the compute entry point `entry`, or says why not.
pub fn spirv(source: &str, entry: &str) -> Result<Vec<u32>, String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .map_err(|e| e.emit_to_string(source))?;
    naga::back::spv::write_vec(
        &module,
        &info,
        &naga::back::spv::Options::default(),
        Some(&naga::back::spv::PipelineOptions {
            shader_stage: naga::ShaderStage::Compute,
            entry_point: entry.to_string(),
        }),
    )
    .map_err(|e| e.to_string())
}

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

/// Runs chipbench with `args`, expecting success (a failure shows the arguments and the
/// standard error).
pub fn succeeds(args: &[&str]) -> Output {
    let out = chipbench(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `chipbench run --quick` with `workloads` into `out`, expecting success.
pub fn quick_run(workloads: &str, out: &std::path::Path) {
    succeeds(&[
        "run",
        "--quick",
        "--workloads",
        workloads,
        "--out",
        out.to_str().unwrap(),
    ]);
}

/// Runs chipbench with `args`, expecting one error line and exit status 2.
pub fn one_line_error(args: &[&str]) -> String {
    assert_one_line_error(&chipbench(args))
}

/// Runs chipbench with `args` (a `--json` command), expecting success, and parses its output.
pub fn json_of(args: &[&str]) -> serde_json::Value {
    let out = succeeds(args);
    serde_json::from_slice(&out.stdout).expect("JSON on standard output")
}
