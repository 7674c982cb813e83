"""Speed of the NumPy max-pooling kernels on the LeNet layers, against PyTorch CPU.

Run from the repository root::

    python benchmarks/pool.py [--repeat 9]

For each layer (2x2 windows, ``ignore_border=True``, float32) it prints the median time
of the forward pass and of the input gradient, beside a plain copy of the input (a
memory-bandwidth yardstick) and, when ``torch`` is importable, ``max_pool2d`` forward
and forward+backward.  Our kernels and the copy are timed round-robin in the same
rounds, so a slow phase of a shared machine hits them alike; torch is timed at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import interleaved_medians, median_seconds, torch_or_none  # noqa: E402

from symgraph.compile.memory import keep_freed_memory  # noqa: E402
from symgraph.tensor.ops.pool_kernels import pool_nd, pool_nd_grad  # noqa: E402

# (name, input shape): the outputs of the two LeNet convolutions, pooled 2x2.
LAYERS = [
    ("lenet pool1", (500, 20, 24, 24)),
    ("lenet pool2", (500, 50, 8, 8)),
]
WS = (2, 2)


def numpy_kernels(x: np.ndarray, y: np.ndarray, gy: np.ndarray) -> dict[str, Callable[[], object]]:
    return {
        "copy": lambda: np.copy(x),
        "fwd": lambda: pool_nd(x, WS),
        "grad": lambda: pool_nd_grad(x, y, gy, WS),
    }


def torch_times(torch, x: np.ndarray, gy: np.ndarray, repeat: int) -> tuple[float, float]:
    xt = torch.from_numpy(x).requires_grad_(True)
    gyt = torch.from_numpy(gy)
    f = torch.nn.functional.max_pool2d

    def fwd():
        with torch.no_grad():
            f(xt, WS)

    def fwd_bwd():
        xt.grad = None
        f(xt, WS).backward(gyt)

    return median_seconds(fwd, repeat), median_seconds(fwd_bwd, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    keep_freed_memory()  # as compiled functions do
    torch = torch_or_none()
    rng = np.random.default_rng(0)
    print("float32, ms (median); 'copy' is np.copy of the input")
    header = f"{'layer':13s} {'copy':>7s} {'fwd':>7s} {'grad':>7s} {'f+b':>7s}"
    if torch is not None:
        header += f" {'torch fwd':>10s} {'torch f+b':>10s} {'f+b / torch':>12s}"
    print(header)
    for name, shape in LAYERS:
        x = rng.standard_normal(shape).astype(np.float32)
        y = pool_nd(x, WS)
        gy = rng.standard_normal(y.shape).astype(np.float32)
        times = interleaved_medians(numpy_kernels(x, y, gy), args.repeat)
        ours = times["fwd"] + times["grad"]
        line = f"{name:13s} " + " ".join(
            f"{t * 1e3:7.2f}" for t in (times["copy"], times["fwd"], times["grad"], ours)
        )
        if torch is not None:
            t_fwd, t_both = torch_times(torch, x, gy, args.repeat)
            line += f" {t_fwd * 1e3:10.2f} {t_both * 1e3:10.2f} {ours / t_both:11.2f}x"
        print(line)


if __name__ == "__main__":
    main()
