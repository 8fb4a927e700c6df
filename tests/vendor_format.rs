//! benches/vendor_reference.py writes vendor-library results in chipbench's own schema, with an
//! id computed by its own canonical JSON in Python. Its `--selftest` output (no GPU needed) must
//! read and validate here, so the two writers cannot drift apart unnoticed.

use std::process::Command;

mod common;

use chipbench::model::{Method, RunResult, Source, Status};
use common::{Need, needs};

fn python_writer_output_validates() {
    let path = std::env::temp_dir().join(format!("chipbench-vendor-{}.json", std::process::id()));
    let out = Command::new(common::python().expect("the runner checked for python3"))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/vendor_reference.py"
        ))
        .arg("--selftest")
        .arg(&path)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = RunResult::read(&path).expect("the Python writer's file validates");
    assert_eq!(r.source, Source::VendorLibrary);
    assert_eq!(r.device.name, "Selftest GPU \u{e9} \"quoted\"");
    let ok = &r.workloads[0];
    assert_eq!(ok.status, Status::Ok);
    assert_eq!(ok.timing.as_ref().unwrap().method, Method::CudaEvent);
    assert_eq!(ok.check.as_ref().unwrap().seed, (1u64 << 63) + 12345);
    assert_eq!(r.workloads[1].status, Status::Failed);
    assert!(r.workloads[1].throughput.is_none());
    let _ = std::fs::remove_file(&path);
}

fn main() {
    common::run(vec![needs(
        "python_writer_output_validates",
        &[Need::Python],
        python_writer_output_validates,
    )]);
}
