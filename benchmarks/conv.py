"""Speed of the NumPy convolution kernels against the machine's own GEMM rate.

Run from the repository root::

    python benchmarks/conv.py [--repeat 7] [--dtype float32 float64]

For each reference layer and dtype it prints the forward and forward+backward (input and
weight gradients) rates in GFLOP/s next to the rate of a 2048x2048 NumPy matmul in the
same dtype, and, when ``torch`` is importable, ``torch.nn.functional.conv2d`` on the same
problem.  A pass counts ``2*N*K*(C/g)*kh*kw*OH*OW`` flops; the backward is two passes.

Every figure is the median of ``--repeat`` runs.  The runs of the GEMM and of our
kernels are interleaved round-robin, so that a slow phase of a shared machine hits both
alike and the "% of GEMM" ratios stay meaningful.  Torch is timed at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import interleaved_medians  # noqa: E402

from symgraph.compile.memory import keep_freed_memory  # noqa: E402
from symgraph.tensor.ops.conv_kernels import (  # noqa: E402
    conv2d,
    conv2d_grad_inputs,
    conv2d_grad_weights,
    conv_output_shape,
)

# (name, input shape, filter shape, border_mode)
LAYERS = [
    ("mnist conv1", (500, 1, 28, 28), (20, 1, 5, 5), "valid"),
    ("mnist conv2", (500, 20, 12, 12), (50, 20, 5, 5), "valid"),
    ("cifar 3x3", (64, 64, 32, 32), (64, 64, 3, 3), "half"),
]
GEMM_N = 2048


def layer_flops(x_shape, w_shape, border_mode) -> int:
    n, k, oh, ow = conv_output_shape(x_shape, w_shape, border_mode)
    return 2 * n * k * w_shape[1] * w_shape[2] * w_shape[3] * oh * ow


def numpy_passes(x, w, border_mode) -> dict[str, Callable[[], object]]:
    gy = np.ones_like(conv2d(x, w, border_mode))
    return {
        "fwd": lambda: conv2d(x, w, border_mode),
        "grad_inputs": lambda: conv2d_grad_inputs(gy, w, x.shape[2:], border_mode),
        "grad_weights": lambda: conv2d_grad_weights(x, gy, w.shape[2:], border_mode),
    }


def torch_passes(torch, x, w, border_mode) -> dict[str, Callable[[], object]]:
    import torch.nn.functional as F

    padding = {"valid": 0, "half": w.shape[2] // 2}[border_mode]
    xt = torch.from_numpy(x).requires_grad_(True)
    wt = torch.from_numpy(w).requires_grad_(True)

    def forward():
        with torch.no_grad():
            F.conv2d(xt, wt, padding=padding)

    def forward_backward():
        xt.grad = wt.grad = None
        F.conv2d(xt, wt, padding=padding).sum().backward()

    return {"torch_fwd": forward, "torch_fb": forward_backward}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    parser.add_argument("--no-torch", action="store_true", help="skip the torch comparison")
    args = parser.parse_args()
    # As inside compiled functions: freed buffers are reused, not page-faulted in afresh.
    keep_freed_memory()
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs")
    rng = np.random.default_rng(0)
    cases = []
    for name in args.dtype:
        dtype = np.dtype(name)
        a = rng.standard_normal((GEMM_N, GEMM_N)).astype(dtype)
        b = rng.standard_normal((GEMM_N, GEMM_N)).astype(dtype)
        print(f"\n{dtype} (GFLOP/s; GEMM = {GEMM_N}^3 matmul timed alongside each layer)")
        print(f"{'layer':<12} {'GEMM':>6} {'fwd':>7} {'%GEMM':>6} {'f+b':>7} {'%GEMM':>6}")
        for label, x_shape, w_shape, border_mode in LAYERS:
            x = rng.standard_normal(x_shape).astype(dtype)
            w = rng.standard_normal(w_shape).astype(dtype)
            flops = layer_flops(x_shape, w_shape, border_mode)
            fns = {"gemm": lambda a=a, b=b: a @ b, **numpy_passes(x, w, border_mode)}
            t = interleaved_medians(fns, args.repeat)
            gemm = 2 * GEMM_N**3 / t["gemm"] / 1e9
            fwd = flops / t["fwd"] / 1e9
            fb = 3 * flops / (t["fwd"] + t["grad_inputs"] + t["grad_weights"]) / 1e9
            print(
                f"{label:<12} {gemm:6.1f} {fwd:7.1f} {100 * fwd / gemm:5.0f}% "
                f"{fb:7.1f} {100 * fb / gemm:5.0f}%",
                flush=True,
            )
            cases.append((dtype, label, x, w, border_mode, flops))
    if args.no_torch:
        return
    # Torch runs last: its OpenMP workers keep spinning after each call and, interleaved
    # with OpenBLAS on a small machine, would slow our kernels down by large factors.
    try:
        import torch
    except ImportError:
        print("\ntorch is not installed: no comparison")
        return
    torch.set_num_threads(os.cpu_count() or 1)
    print(f"\ntorch {torch.__version__} conv2d (GFLOP/s)")
    print(f"{'dtype':<8} {'layer':<12} {'fwd':>7} {'f+b':>7}")
    for dtype, label, x, w, border_mode, flops in cases:
        t = interleaved_medians(torch_passes(torch, x, w, border_mode), args.repeat)
        tf, tfb = flops / t["torch_fwd"] / 1e9, 3 * flops / t["torch_fb"] / 1e9
        print(f"{dtype.name:<8} {label:<12} {tf:7.1f} {tfb:7.1f}", flush=True)


if __name__ == "__main__":
    main()
