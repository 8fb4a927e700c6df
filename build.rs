//! Records the git commit and the wgpu version in the binary, for the `tool` block of results.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/index");
    // Sources too, so that a build from a modified tree says "-dirty".
    for dir in ["src", "shaders", "benches", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={dir}");
    }
    let commit = Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let wgpu = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"wgpu\"\n"))
        .and_then(|p| p.lines().find(|l| l.starts_with("version = ")))
        .map(|l| {
            l.trim_start_matches("version = ")
                .trim_matches('"')
                .to_string()
        })
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=CHIPBENCH_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=CHIPBENCH_WGPU_VERSION={wgpu}");
}
