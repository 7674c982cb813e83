"""3-D convolution on one thread: a compiled ``T.conv3d`` forward and forward+backward
(gradients of the input and the filters) against ``torch.nn.functional.conv3d``.

Run from the repository root::

    python benchmarks/conv3d.py [--repeat 5] [--dtype float32]

Both sides are held to one thread (OpenBLAS and OpenMP through the environment, set
before NumPy is imported; ``torch.set_num_threads(1)``), so the figures compare kernels,
not how each library splits work over the cores of a shared machine. Before timing, each
layer's outputs and gradients are checked against torch's. Every figure is the median of
``--repeat`` runs, ours and torch's interleaved round-robin; the last column is our time
over torch's (below 1: faster).
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import fmt_ms, interleaved_medians, torch_or_none  # noqa: E402

import symgraph  # noqa: E402
import symgraph.tensor as T  # noqa: E402

# (name, input shape, filter shape, border_mode, subsample)
LAYERS = [
    ("video conv1", (8, 3, 8, 32, 32), (16, 3, 3, 3, 3), "half", (1, 1, 1)),
    ("volume 3x3x3", (4, 16, 8, 16, 16), (32, 16, 3, 3, 3), "half", (1, 1, 1)),
    ("strided valid", (4, 8, 10, 20, 20), (16, 8, 3, 5, 5), "valid", (2, 2, 2)),
]


def our_functions(x_shape, w_shape, border_mode, subsample, dtype):
    x, w = T.tensor(dtype, shape=x_shape, name="x"), T.tensor(dtype, shape=w_shape, name="w")
    gy = T.tensor(dtype, shape=(None,) * 5, name="gy")
    y = T.conv3d(x, w, border_mode=border_mode, subsample=subsample)
    forward = symgraph.function([x, w], y)
    backward = symgraph.function([x, w, gy], [y, *symgraph.grad((y * gy).sum(), [x, w])])
    return forward, backward


def torch_functions(torch, x, w, gy, border_mode, subsample):
    import torch.nn.functional as F

    padding = 0 if border_mode == "valid" else tuple(k // 2 for k in w.shape[2:])
    xt = torch.from_numpy(x).requires_grad_(True)
    wt = torch.from_numpy(w).requires_grad_(True)
    gyt = torch.from_numpy(gy)

    def forward():
        with torch.no_grad():
            return F.conv3d(xt, wt.flip((2, 3, 4)), stride=subsample, padding=padding)

    def backward():
        xt.grad = wt.grad = None
        y = F.conv3d(xt, wt.flip((2, 3, 4)), stride=subsample, padding=padding)
        y.backward(gyt)
        return y.detach(), xt.grad, wt.grad

    return forward, backward


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dtype", default="float32")
    args = parser.parse_args()
    torch = torch_or_none()
    if torch is None:
        print("torch is not installed: nothing to compare with")
        return
    torch.set_num_threads(1)
    print(f"numpy {np.__version__}, torch {torch.__version__}, one thread, {args.dtype}")
    print(f"{'layer':<14} {'pass':<6} {'symgraph':>10} {'torch':>10} {'ratio':>6}")
    rng = np.random.default_rng(0)
    # relative to each array's largest entry: float32 sums of hundreds of products
    tolerance = 1e-4 if args.dtype == "float32" else 1e-10
    for label, x_shape, w_shape, border_mode, subsample in LAYERS:
        x = rng.standard_normal(x_shape).astype(args.dtype)
        w = rng.standard_normal(w_shape).astype(args.dtype)
        forward, backward = our_functions(x_shape, w_shape, border_mode, subsample, args.dtype)
        gy = rng.standard_normal(forward(x, w).shape).astype(args.dtype)
        torch_forward, torch_backward = torch_functions(torch, x, w, gy, border_mode, subsample)
        for ours, theirs in zip(backward(x, w, gy), torch_backward()):
            theirs = theirs.numpy()
            error = np.abs(ours - theirs).max() / np.abs(theirs).max()
            assert error < tolerance, f"{label}: differs from torch by {error:.1e}"
        times = interleaved_medians(
            {
                "fwd": lambda forward=forward, x=x, w=w: forward(x, w),
                "torch fwd": torch_forward,
                "f+b": lambda backward=backward, x=x, w=w, gy=gy: backward(x, w, gy),
                "torch f+b": torch_backward,
            },
            args.repeat,
        )
        for name in ("fwd", "f+b"):
            ours, theirs = times[name], times[f"torch {name}"]
            print(
                f"{label:<14} {name:<6} {fmt_ms(ours):>10} {fmt_ms(theirs):>10} "
                f"{ours / theirs:6.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
