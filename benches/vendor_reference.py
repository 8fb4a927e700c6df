#!/usr/bin/env python3
"""Vendor-library ceilings on the same GPU, for chipbench's "WGSL / vendor" ratios.

Measures with PyTorch on an NVIDIA GPU: device-to-device copy (torch copy_), cuBLAS matmul in
f32 (TF32 off), TF32, f16 and bf16 at chipbench's GPU matmul shapes, SDPA attention (causal and
not) at chipbench's attention shapes, SDPA decode (one query token against a long f16 KV cache)
and torch.mv matrix-vector products at chipbench's decode and gemv shapes. Timing
mirrors chipbench: CUDA events around passes of calibrated length (about 25 ms), 0.4 s of
warm-up passes, then at least ten timed passes, every sample kept. Every measured output is
checked against a reference in the same run; a failed check gives no number.

    python3 benches/vendor_reference.py --out results/nvidia/<device>/vendor-reference-<time>.json

The output is a chipbench result file (schema chipbench/result, version 1) with
"source": "vendor-library", so `chipbench` reads and validates it like its own results; its id
is computed with the same canonical JSON. `--selftest FILE` writes a synthetic file in that
format without a GPU or PyTorch (chipbench's tests use it to check the two writers agree).
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import statistics
import struct
import subprocess
import sys
import time

BUDGET = {
    "warmup_ms": 400.0,
    "target_pass_ms": 25.0,
    "per_case_ms": 600.0,
    "min_passes": 10,
    "max_passes": 100,
    "max_dispatches": 1000,
}
MATMUL_SHAPES = [(4096, 4096, 4096), (8192, 8192, 8192), (8192, 8192, 2048), (16, 8192, 8192)]
SDPA_SHAPES = [(4, 16, 4096, 128), (4, 32, 2048, 64), (1, 16, 16384, 128)]
DECODE_SHAPES = [(16, 32, 8192, 128), (16, 32, 32768, 128)]
GEMV_SHAPES = [(28672, 8192), (8192, 28672)]
# Rows of attention output checked against a float64 reference.
CHECKED_ROWS = 64
SMI_FIELDS = "clocks.sm,clocks.mem,clocks.max.sm,power.draw,power.limit,temperature.gpu"

# ---- The result file: the same schema and canonical id as chipbench's src/model/result.rs.


def canon_number(x):
    """Integers as digits, floats as the hex of their IEEE-754 bits, as chipbench does."""
    if isinstance(x, bool):
        raise TypeError("bool is not a number")
    if isinstance(x, int):
        return str(x)
    if not math.isfinite(x):
        raise ValueError("non-finite number")
    return "0x" + struct.pack(">d", x).hex()


def canonical(v):
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(v[k])
                              for k in sorted(v)) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canonical(x) for x in v) + "]"
    if v is None or isinstance(v, (bool, str)):
        return json.dumps(v, ensure_ascii=False)
    return canon_number(v)


def seal(doc):
    body = {k: v for k, v in doc.items() if k != "id"}
    doc["id"] = hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()
    return doc


def host():
    def first(path, prefix):
        try:
            with open(path) as f:
                return next((line for line in f if line.startswith(prefix)), None)
        except OSError:
            return None
    cpu = first("/proc/cpuinfo", "model name")
    mem = first("/proc/meminfo", "MemTotal:")
    return {
        "os": platform.system().lower(),
        "arch": platform.machine(),
        "cpu_model": cpu.split(":", 1)[1].strip() if cpu else None,
        "cores": os.cpu_count() or 1,
        "memory_bytes": int(mem.split()[1]) * 1024 if mem else None,
    }


def smi(fields):
    try:
        out = subprocess.run(["nvidia-smi", "-i", "0", f"--query-gpu={fields}",
                              "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, check=True, timeout=30).stdout
        return [x.strip() for x in out.strip().split(",")]
    except (OSError, subprocess.SubprocessError):
        return None


def reading():
    row = smi(SMI_FIELDS)
    if row is None or len(row) != 6:
        return None

    def num(s):
        try:
            v = float(s)
            return v if math.isfinite(v) else None
        except ValueError:
            return None
    keys = ["sm_clock_mhz", "memory_clock_mhz", "max_sm_clock_mhz", "power_w", "power_limit_w",
            "temperature_c"]
    return dict(zip(keys, map(num, row)))


def summary(samples):
    mean = statistics.fmean(samples)
    return {
        "median_ns": float(statistics.median(samples)),
        "min_ns": float(min(samples)),
        "max_ns": float(max(samples)),
        "mean_ns": float(mean),
        "cv": float(statistics.pstdev(samples) / mean) if mean > 0 else 0.0,
    }


# Input formats the vendor libraries run on the matrix units (tensor cores) in matmul and
# attention; f32 (TF32 off), copies and matrix-vector products run on the vector units. The
# same rule gives older files without a `unit` theirs (WorkloadRecord::unit in Rust).
MATRIX_INPUTS = ("tf32", "bf16", "f16", "fp8", "i8", "i4")


def unit_of(workload, inputs):
    matrix = inputs in MATRIX_INPUTS and workload not in ("gemv", "copy")
    return "matrix" if matrix else "vector"


def record(workload, variant, shape, inputs, accumulate, config, flops, nbytes, timing, check):
    """One entry of `workloads`: ok with timing and throughput only when the check passed."""
    ok = check["passed"]
    rec = {
        "workload": workload,
        "variant": variant,
        "precision": {"inputs": inputs, "accumulate": accumulate},
        "unit": unit_of(workload, inputs),
        "family": "vendor-library",
        "shape": {k: int(v) for k, v in shape.items()},
        "config": config,
        "flops_per_iter": float(flops),
        "bytes_per_iter": float(nbytes),
        "status": "ok" if ok else "failed",
        "reason": None if ok else
        f"check failed: {check['metric']} {check['error']:.3e} exceeds {check['tolerance']:.1e}",
        "timing": timing if ok else None,
        "throughput": None,
        "check": check,
    }
    if ok:
        median = timing["median_ns"]
        rec["throughput"] = {"tflops": flops / median / 1e3 if flops > 0 else None,
                             "gbps": nbytes / median}
    return rec


def result(device, workloads, conditions, library):
    return seal({
        "schema": "chipbench/result",
        "version": 1,
        "id": "",
        "created_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": "vendor-library",
        "complete": True,
        "tool": {"name": "vendor_reference.py", "version": library, "git_commit": "unknown",
                 "wgpu_version": "none"},
        "host": host(),
        "device": device,
        "conditions": conditions,
        "settings": {"quick": False, "budget": BUDGET,
                     "shader_runtime_checks": "none: vendor library kernels",
                     "workgroup_memory_zero_init": False},
        "workloads": workloads,
        "contributor": None,
    })


def check(metric, error, tolerance, checked, total, seed):
    error = float(error)
    return {"metric": metric, "error": error, "tolerance": float(tolerance),
            "checked": int(checked), "total": int(total), "seed": int(seed),
            "passed": bool(math.isfinite(error) and error <= tolerance)}


# ---- Measurements (need PyTorch and an NVIDIA GPU).


def timed(torch, fn):
    """chipbench's timing on CUDA events: calibrate, warm up, then the timed passes."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

    def one_pass(calls):
        start.record()
        for _ in range(calls):
            fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end)  # ms

    one_pass(1)
    one_ms = max(one_pass(1), 1e-6)
    calls = max(1, min(BUDGET["max_dispatches"], math.ceil(BUDGET["target_pass_ms"] / one_ms)))
    warm, warm_ms = 0, 0.0
    while warm == 0 or warm_ms < BUDGET["warmup_ms"]:
        warm_ms += one_pass(calls)
        warm += 1
    passes = int(BUDGET["per_case_ms"] / max(one_ms * calls, 1e-6))
    passes = max(BUDGET["min_passes"], min(BUDGET["max_passes"], passes))
    samples = [one_pass(calls) * 1e6 / calls for _ in range(passes)]
    return {"method": "cuda-event", "warmup_passes": warm, "dispatches_per_pass": calls,
            "passes": passes, "samples_ns": samples, **summary(samples)}


def rel_frobenius(got, want):
    got, want = got.double(), want.double()
    return (got - want).norm().item() / want.norm().item()


def copy_case(torch, seed):
    n = 1 << 28  # 1 GiB of int32 each way
    src = torch.randint(-(2**31), 2**31 - 1, (n,), dtype=torch.int32, device="cuda")
    dst = torch.full_like(src, -1)
    timing = timed(torch, lambda: dst.copy_(src))
    wrong = (dst != src).sum().item() / n
    chk = check("fraction of elements that differ from the source", wrong, 0.0, n, n, seed)
    return record("copy", "torch-copy_", {"bytes": 4 * n}, "u32", "none", "torch.Tensor.copy_",
                  0, 8 * n, timing, chk)


MATMUL_VARIANTS = [
    ("cublas-f32", "float32", False, "f32", "f32", 1e-4),
    ("cublas-tf32", "float32", True, "tf32", "f32", 5e-3),
    ("cublas-f16", "float16", False, "f16", "f32", 5e-3),
    ("cublas-bf16", "bfloat16", False, "bf16", "f32", 2e-2),
]


def matmul_cases(torch, seed):
    out = []
    for name, dtype_name, tf32, inputs, accumulate, tol in MATMUL_VARIANTS:
        dtype = getattr(torch, dtype_name)
        torch.backends.cuda.matmul.allow_tf32 = tf32
        for m, n, k in MATMUL_SHAPES:
            a = (torch.rand(m, k, device="cuda") * 2 - 1).to(dtype)
            b = (torch.rand(k, n, device="cuda") * 2 - 1).to(dtype)
            c = torch.full((m, n), float("nan"), device="cuda", dtype=dtype)
            timing = timed(torch, lambda: torch.matmul(a, b, out=c))
            rows = torch.randint(0, m, (min(m, 64),), device="cuda")
            err = rel_frobenius(c[rows], a[rows].double() @ b.double())
            chk = check("relative Frobenius error over the checked elements of C", err, tol,
                        rows.numel() * n, m * n, seed)
            esize = a.element_size()
            out.append(record("matmul", name, {"m": m, "n": n, "k": k}, inputs, accumulate,
                              f"torch.matmul (cuBLAS), TF32 {'on' if tf32 else 'off'}",
                              2 * m * n * k, (m * k + k * n + m * n) * esize, timing, chk))
            del a, b, c
    torch.backends.cuda.matmul.allow_tf32 = False
    return out


def attention_rows(torch, q, k, v, rows, causal):
    """Rows `rows` of softmax(q k^T / sqrt(d)) v for one (batch, head), in float64."""
    qs, ks, vs = q.double(), k.double(), v.double()
    scores = qs[rows] @ ks.T / math.sqrt(q.shape[-1])
    if causal:
        keys = torch.arange(ks.shape[0], device=q.device)
        scores = scores.masked_fill(keys[None, :] > rows[:, None], float("-inf"))
    return torch.softmax(scores, dim=-1) @ vs


def sdpa_cases(torch, seed):
    out = []
    sdpa = torch.nn.functional.scaled_dot_product_attention
    for dtype_name, inputs, tol in [("float16", "f16", 5e-3), ("float32", "f32", 1e-4)]:
        dtype = getattr(torch, dtype_name)
        for b, h, n, d in SDPA_SHAPES:
            for causal in (False, True):
                q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=dtype) for _ in range(3))
                last = [None]  # the output of the last timed call is the one checked
                timing = timed(torch, lambda: last.__setitem__(0, sdpa(q, k, v, is_causal=causal)))
                rows = torch.cat([torch.tensor([0, n - 1], device="cuda"),
                                  torch.randint(0, n, (CHECKED_ROWS - 2,), device="cuda")])
                got, want = [], []
                for bi, hi in [(0, 0), (b - 1, h - 1)]:
                    got.append(last[0][bi, hi][rows])
                    want.append(attention_rows(torch, q[bi, hi], k[bi, hi], v[bi, hi], rows,
                                               causal))
                err = rel_frobenius(torch.cat(got), torch.cat(want))
                chk = check("relative Frobenius error over the checked rows of O", err, tol,
                            2 * CHECKED_ROWS * d, b * h * n * d, seed)
                flops = 4 * b * h * n * n * d / (2 if causal else 1)
                out.append(record("attention", f"torch-sdpa-{inputs}",
                                  {"batch": b, "heads": h, "seq": n, "head_dim": d,
                                   "causal": int(causal)}, inputs, "f32",
                                  "torch.nn.functional.scaled_dot_product_attention, "
                                  + ("causal" if causal else "non-causal"),
                                  flops, 4 * b * h * n * d * q.element_size(), timing, chk))
                del q, k, v, last
    return out


def decode_cases(torch, seed):
    out = []
    sdpa = torch.nn.functional.scaled_dot_product_attention
    for b, h, n, d in DECODE_SHAPES:
        q = torch.rand(b, h, 1, d, device="cuda", dtype=torch.float16) * 2 - 1
        k = torch.rand(b, h, n, d, device="cuda", dtype=torch.float16) * 2 - 1
        v = torch.rand(b, h, n, d, device="cuda", dtype=torch.float16) * 2 - 1
        last = [None]
        timing = timed(torch, lambda: last.__setitem__(0, sdpa(q, k, v)))
        row = torch.tensor([0], device="cuda")
        pairs = [(0, 0), (b - 1, h - 1), (b // 2, h // 2)]
        got = torch.cat([last[0][bi, hi] for bi, hi in pairs])
        want = torch.cat([attention_rows(torch, q[bi, hi], k[bi, hi], v[bi, hi], row, False)
                          for bi, hi in pairs])
        chk = check("relative Frobenius error over the checked heads of O",
                    rel_frobenius(got, want), 5e-3, len(pairs) * d, b * h * d, seed)
        out.append(record("decode", "torch-sdpa-f16",
                          {"batch": b, "heads": h, "kv_len": n, "head_dim": d}, "f16", "f32",
                          "torch.nn.functional.scaled_dot_product_attention, one query token",
                          4 * b * h * n * d, 2 * b * h * n * d * 2, timing, chk))
        del q, k, v, last
    return out


def gemv_cases(torch, seed):
    out = []
    for dtype_name, inputs, tol in [("float16", "f16", 2e-3), ("float32", "f32", 1e-4)]:
        dtype = getattr(torch, dtype_name)
        for m, k in GEMV_SHAPES:
            a = (torch.rand(m, k, device="cuda") * 2 - 1).to(dtype)
            x = (torch.rand(k, device="cuda") * 2 - 1).to(dtype)
            y = torch.full((m,), float("nan"), device="cuda", dtype=dtype)
            timing = timed(torch, lambda: torch.mv(a, x, out=y))
            rows = torch.randint(0, m, (2048,), device="cuda")
            err = rel_frobenius(y[rows], a[rows].double() @ x.double())
            chk = check("relative Frobenius error over the checked elements of y", err, tol,
                        rows.numel(), m, seed)
            esize = a.element_size()
            out.append(record("gemv", f"torch-mv-{inputs}", {"m": m, "k": k}, inputs, "f32",
                              "torch.mv (cuBLAS gemv)", 2 * m * k, (m * k + k + m) * esize,
                              timing, chk))
            del a, x, y
    return out


def device_block(torch):
    props = torch.cuda.get_device_properties(0)
    ids = smi("pci.device_id,driver_version") or ["0x0", "unknown"]
    try:
        device_id = int(ids[0], 16) >> 16
    except ValueError:
        device_id = 0
    shared = getattr(props, "shared_memory_per_block_optin", None) or \
        getattr(props, "shared_memory_per_block", 49152)
    return {
        "index": 0,
        "name": props.name,
        "vendor_id": 0x10DE,
        "device_id": device_id,
        "device_type": "discrete-gpu" if not props.is_integrated else "integrated-gpu",
        "backend": "cuda",
        "driver": "NVIDIA",
        "driver_info": ids[1] if len(ids) > 1 else "unknown",
        "subgroup_min_size": getattr(props, "warp_size", 32),
        "subgroup_max_size": getattr(props, "warp_size", 32),
        "timestamp_queries": True,
        "shader_f16": True,
        "subgroups": True,
        "cooperative_matrix": [],
        "limits": {
            "max_buffer_size": props.total_memory,
            "max_storage_buffer_binding_size": props.total_memory,
            "max_compute_workgroup_storage_size": int(shared),
            "max_compute_invocations_per_workgroup": 1024,
            "max_compute_workgroup_size_x": 1024,
            "max_compute_workgroups_per_dimension": 65535,
        },
        "chip": None,
    }


def selftest_doc():
    """A synthetic result in this writer's format, with no GPU: for chipbench's tests."""
    # 21542495.727539062 has two shortest decimal forms, which Python and Rust print differently.
    samples = [1.0e6, 1.25e6, 0.75e6, 1.0e6 + 1.0 / 3.0, 21542495.727539062]
    timing = {"method": "cuda-event", "warmup_passes": 2, "dispatches_per_pass": 1,
              "passes": len(samples), "samples_ns": samples, **summary(samples)}
    ok = check("relative Frobenius error over the checked elements of C", 1.234e-7, 5e-3, 256,
               4096, 2**63 + 12345)
    bad = check("fraction of elements that differ from the source", 0.5, 0.0, 10, 10, 1)
    device = {
        "index": 0, "name": "Selftest GPU \u00e9 \"quoted\"", "vendor_id": 0x10DE,
        "device_id": 0x2335, "device_type": "discrete-gpu", "backend": "cuda",
        "driver": "NVIDIA", "driver_info": "0.0", "subgroup_min_size": 32,
        "subgroup_max_size": 32, "timestamp_queries": True, "shader_f16": True,
        "subgroups": True, "cooperative_matrix": [],
        "limits": {"max_buffer_size": 1 << 40, "max_storage_buffer_binding_size": 1 << 40,
                   "max_compute_workgroup_storage_size": 232448,
                   "max_compute_invocations_per_workgroup": 1024,
                   "max_compute_workgroup_size_x": 1024,
                   "max_compute_workgroups_per_dimension": 65535},
        "chip": None,
    }
    workloads = [
        record("matmul", "cublas-f16", {"m": 64, "n": 64, "k": 64}, "f16", "f32", "selftest",
               2 * 64 ** 3, 3 * 64 * 64 * 2, timing, ok),
        record("copy", "torch-copy_", {"bytes": 160}, "u32", "none", "selftest", 0, 320.0,
               timing, bad),
    ]
    conditions = {"source": "not reported: selftest", "before": None, "after": None}
    return result(device, workloads, conditions, "selftest")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--out", help="where to write the result file")
    group.add_argument("--selftest", help="write a synthetic result file (no GPU needed)")
    args = ap.parse_args()
    if args.selftest:
        doc = selftest_doc()
        path = args.selftest
    else:
        try:
            import torch
        except ImportError:
            print("error: PyTorch is not installed", file=sys.stderr)
            return 2
        if not torch.cuda.is_available():
            print("error: no CUDA device visible to PyTorch", file=sys.stderr)
            return 2
        seed = time.time_ns() % (2**63)
        torch.manual_seed(seed)
        before = reading()
        workloads = ([copy_case(torch, seed)] + matmul_cases(torch, seed)
                     + sdpa_cases(torch, seed) + decode_cases(torch, seed)
                     + gemv_cases(torch, seed))
        conditions = {"source": "nvidia-smi" if before else "not reported: nvidia-smi failed",
                      "before": before, "after": reading() if before else None}
        doc = result(device_block(torch), workloads, conditions,
                     f"torch {torch.__version__}, CUDA {torch.version.cuda}")
        path = args.out
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)
    for w in doc["workloads"]:
        t = w["throughput"]
        value = (f"{t['tflops']:.1f} TFLOP/s" if t and t["tflops"] else
                 f"{t['gbps']:.0f} GB/s" if t else w["reason"])
        print(f"{w['workload']:9} {w['variant']:16} {json.dumps(w['shape']):56} {value}")
    return 0 if args.selftest or all(w["status"] == "ok" for w in doc["workloads"]) else 1


if __name__ == "__main__":
    sys.exit(main())
