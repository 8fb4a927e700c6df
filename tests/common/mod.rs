//! Shared by the integration tests: finding an adapter to run GPU tests on.

use chipbench::gpu::{DeviceChoice, Discovery, discover};

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
