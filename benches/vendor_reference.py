#!/usr/bin/env python3
"""Vendor-library ceilings on the same GPU, for chipbench's "WGSL / vendor" ratios.

Measures, with PyTorch on an NVIDIA GPU: device-to-device copy (torch copy_), cuBLAS matmul in
f32 (TF32 off), TF32, f16 and bf16 at chipbench's GPU matmul shapes, and SDPA attention. Timing
uses CUDA events around a calibrated number of calls, ten samples after warm-up, and reports the
median; every measured output is checked against a reference in the same run, and a failed check
gives no number.

    python3 benches/vendor_reference.py --out results/nvidia/<device>/vendor-reference-<time>.json

Output: JSON with schema "chipbench/vendor-reference", version 1.
"""

import argparse
import datetime
import json
import math
import platform
import statistics
import subprocess
import sys

import torch

TARGET_MS = 25.0
SAMPLES = 10
MATMUL_SHAPES = [(4096, 4096, 4096), (8192, 8192, 8192), (8192, 8192, 2048), (16, 8192, 8192)]
SDPA_SHAPES = [(4, 16, 4096, 128), (4, 32, 2048, 64)]


def time_ns(fn):
    """Median-ready samples: nanoseconds per call, each over a pass of calibrated length."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    end.synchronize()
    one_ms = max(start.elapsed_time(end), 1e-3)
    calls = max(1, min(1000, math.ceil(TARGET_MS / one_ms)))
    samples = []
    for _ in range(SAMPLES):
        start.record()
        for _ in range(calls):
            fn()
        end.record()
        end.synchronize()
        samples.append(start.elapsed_time(end) * 1e6 / calls)
    return samples, calls


def record(workload, variant, shape, inputs, accumulate, flops, nbytes, samples, calls, error, tol):
    ok = math.isfinite(error) and error <= tol
    rec = {
        "workload": workload,
        "variant": variant,
        "shape": shape,
        "precision": {"inputs": inputs, "accumulate": accumulate},
        "flops_per_iter": flops,
        "bytes_per_iter": nbytes,
        "status": "ok" if ok else "failed",
        "check": {"error": error, "tolerance": tol, "passed": ok},
    }
    if ok:
        med = statistics.median(samples)
        rec["timing"] = {
            "method": "cuda-event",
            "calls_per_sample": calls,
            "samples_ns": samples,
            "median_ns": med,
            "min_ns": min(samples),
            "max_ns": max(samples),
        }
        rec["throughput"] = {"tflops": flops / med / 1e3 if flops else None, "gbps": nbytes / med}
    else:
        rec["reason"] = f"check failed: error {error:.3e} > {tol:.1e}"
    return rec


def rel_frobenius(got, want):
    got, want = got.double(), want.double()
    return (torch.linalg.norm(got - want) / torch.linalg.norm(want)).item()


def copy_case():
    n = 1 << 28  # 1 GiB of int32 each way
    src = torch.randint(-(2**31), 2**31 - 1, (n,), dtype=torch.int32, device="cuda")
    dst = torch.full_like(src, -1)
    samples, calls = time_ns(lambda: dst.copy_(src))
    wrong = (dst != src).sum().item() / n
    return record("copy", "torch-copy_", {"bytes": 4 * n}, "u32", "none", 0, 8 * n,
                  samples, calls, wrong, 0.0)


MATMUL_VARIANTS = [
    ("cublas-f32", torch.float32, False, "f32", 1e-4),
    ("cublas-tf32", torch.float32, True, "tf32", 5e-3),
    ("cublas-f16", torch.float16, False, "f16", 5e-3),
    ("cublas-bf16", torch.bfloat16, False, "bf16", 2e-2),
]


def matmul_cases():
    out = []
    for name, dtype, tf32, inputs, tol in MATMUL_VARIANTS:
        torch.backends.cuda.matmul.allow_tf32 = tf32
        for m, n, k in MATMUL_SHAPES:
            a = torch.rand(m, k, device="cuda", dtype=torch.float32).mul_(2).sub_(1).to(dtype)
            b = torch.rand(k, n, device="cuda", dtype=torch.float32).mul_(2).sub_(1).to(dtype)
            c = torch.full((m, n), float("nan"), device="cuda", dtype=dtype)
            samples, calls = time_ns(lambda: torch.matmul(a, b, out=c))
            rows = torch.randint(0, m, (min(m, 64),), device="cuda")
            want = a[rows].double() @ b.double()
            err = rel_frobenius(c[rows], want)
            esize = a.element_size()
            out.append(record("matmul", name, {"m": m, "n": n, "k": k}, inputs,
                              "f32" if dtype != torch.float16 else "f32 (cuBLAS default)",
                              2 * m * n * k, (m * k + k * n + m * n) * esize,
                              samples, calls, err, tol))
            del a, b, c
    torch.backends.cuda.matmul.allow_tf32 = False
    return out


def sdpa_cases():
    out = []
    for dtype, inputs, tol in [(torch.float16, "f16", 5e-3), (torch.float32, "f32", 1e-4)]:
        for b, h, n, d in SDPA_SHAPES:
            q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=dtype) for _ in range(3))
            o = torch.nn.functional.scaled_dot_product_attention(q, k, v)
            samples, calls = time_ns(
                lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v))
            qs, ks, vs = q[0, 0].double(), k[0, 0].double(), v[0, 0].double()
            want = torch.softmax(qs @ ks.T / math.sqrt(d), dim=-1) @ vs
            err = rel_frobenius(o[0, 0], want)
            out.append(record("attention", f"torch-sdpa-{inputs}",
                              {"batch": b, "heads": h, "seq": n, "head_dim": d}, inputs, "f32",
                              4 * b * h * n * n * d, 4 * b * h * n * d * q.element_size(),
                              samples, calls, err, tol))
    return out


def driver_version():
    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, check=True).stdout.split()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="where to write the JSON")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("error: no CUDA device visible to PyTorch", file=sys.stderr)
        return 2
    props = torch.cuda.get_device_properties(0)
    measurements = [copy_case()] + matmul_cases() + sdpa_cases()
    doc = {
        "schema": "chipbench/vendor-reference",
        "version": 1,
        "created_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": "vendor-library",
        "library": {"torch": torch.__version__, "cuda": torch.version.cuda,
                    "python": platform.python_version()},
        "device": {"name": props.name, "multiprocessors": props.multi_processor_count,
                   "memory_bytes": props.total_memory, "driver": driver_version()},
        "measurements": measurements,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    for m in measurements:
        t = m.get("throughput") or {}
        val = f"{t['tflops']:.1f} TFLOP/s" if t.get("tflops") else (
            f"{t['gbps']:.0f} GB/s" if t else m.get("reason"))
        print(f"{m['workload']:9} {m['variant']:16} {json.dumps(m['shape']):48} {val}")
    return 0 if all(m["status"] == "ok" for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
