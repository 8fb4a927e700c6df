//! How much a case's figure moves between runs of the same binary on the same machine: the
//! spread `compare` widens a single run's interval by, since the passes of one run cannot
//! show it. Stated per workload and kind of adapter, each with how it was measured.

/// Measured on a CPU adapter: lavapipe (Mesa 22.3.6, LLVM 15.0.6) on a 2-core x86-64 machine
/// that was compiling at the same time, six back-to-back full `chipbench run`s of one release
/// build (2026-12-05, about 40 s each); per workload, the root mean square over its cases of
/// the standard deviation of the log of each case's figure between the six runs. A CPU adapter
/// shares its cores with everything else on the host: whole workloads moved by a factor of two
/// to four between runs (attention: 4.3x at the widest).
const CPU: [(&str, f64); 6] = [
    ("fma", 0.305),
    ("copy", 0.400),
    ("matmul", 0.310),
    ("attention", 0.420),
    ("decode", 0.347),
    ("gemv", 0.402),
];

/// On a GPU, chipbench has no repeated runs of one device yet (the dataset holds one run of
/// the H200); until it does, a spread of 2% per run is assumed, about the agreement two
/// clean runs of a GPU kernel with locked-in clocks show (the README says it is assumed).
const GPU_ASSUMED: f64 = 0.02;

/// The run-to-run spread of `workload` on a CPU adapter (`cpu`) or a GPU: the standard
/// deviation of the log of a run's figure.
pub(crate) fn run_to_run(workload: &str, cpu: bool) -> f64 {
    if !cpu {
        return GPU_ASSUMED;
    }
    let measured = CPU.iter().find(|(w, _)| *w == workload).map(|(_, s)| *s);
    // A workload not measured on lavapipe (it has no cooperative matrices) takes the widest.
    let widest = CPU.iter().map(|(_, s)| *s).fold(0.0, f64::max);
    measured.unwrap_or(widest)
}
