"""A tanh RNN through ``scan``: batch 32, 100 steps, 64 inputs, 128 hidden, float32;
forward plus the gradient with respect to both weight matrices.

    python benchmarks/scan.py

Prints the step time (median of repeated calls) and the compile time (building the
graph, its gradient and ``function``) for symgraph in both modes, the step time of the
same RNN reading ``U.T`` in its step with and without the loop-invariant hoisting pass
(``scan_hoist``), the per-step overhead
of a loop whose body is one scalar addition, and PyTorch's eager loop measured in the
same run when it is installed.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import fmt_ms, fmt_us, median_seconds, torch_or_none  # noqa: E402

import symgraph  # noqa: E402
import symgraph.tensor as T  # noqa: E402

BATCH, STEPS, N_IN, N_HIDDEN = 32, 100, 64, 128


def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((STEPS, BATCH, N_IN)).astype(np.float32)
    W = (rng.standard_normal((N_IN, N_HIDDEN)) * 0.1).astype(np.float32)
    U = (rng.standard_normal((N_HIDDEN, N_HIDDEN)) * 0.1).astype(np.float32)
    return x, W, U


def build(mode, transposed: bool = False):
    """The compiled function and the seconds building and compiling it took;
    ``transposed``: the step reads ``U.T`` (the transpose of a non-sequence, which the
    loop rewrites compute once before the loop)."""
    start = time.perf_counter()
    x = T.tensor3("x", dtype="float32")
    W = T.matrix("W", dtype="float32")
    U = T.matrix("U", dtype="float32")
    h0 = T.zeros((x.shape[1], N_HIDDEN), dtype="float32")
    hs, _ = symgraph.scan(
        lambda xt, h, W, U: T.tanh(T.dot(xt, W) + T.dot(h, U.T if transposed else U)),
        sequences=x,
        outputs_info=h0,
        non_sequences=[W, U],
    )
    cost = hs.sum()
    gW, gU = symgraph.grad(cost, [W, U])
    f = symgraph.function([x, W, U], [cost, gW, gU], mode=mode)
    return f, time.perf_counter() - start


def loop_overhead() -> float:
    """Seconds per step of a loop adding 1 to a scalar state."""
    n = T.lscalar("n")
    counts, _ = symgraph.scan(lambda c: c + 1, outputs_info=T.zeros((), dtype="float64"), n_steps=n)
    f = symgraph.function([n], counts[-1])
    steps = 10_000
    return median_seconds(lambda: f(steps), repeat=5, number=1) / steps


def torch_step(torch, x, W, U):
    xt = torch.from_numpy(x)
    Wt = torch.from_numpy(W).requires_grad_()
    Ut = torch.from_numpy(U).requires_grad_()

    def run():
        h = torch.zeros(BATCH, N_HIDDEN)
        total = 0
        for t in range(STEPS):
            h = torch.tanh(xt[t] @ Wt + h @ Ut)
            total = total + h.sum()
        Wt.grad = Ut.grad = None
        total.backward()

    return run


def main() -> None:
    x, W, U = data()
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        compiles = []
        for _ in range(3):
            f, seconds = build(mode)
            compiles.append(seconds)
        step = median_seconds(lambda f=f: f(x, W, U), repeat=7)
        print(
            f"symgraph {mode:12s} step {fmt_ms(step)}  "
            f"compile {fmt_ms(statistics.median(compiles))}"
        )
    # Hoisting, side by side: the same step reading U.T, with and without the pass.
    without_hoist = symgraph.Mode("FAST_RUN").excluding("scan_hoist")
    for label, mode in (("hoisted", "FAST_RUN"), ("not hoisted", without_hoist)):
        f, _ = build(mode, transposed=True)
        step = median_seconds(lambda f=f: f(x, W, U), repeat=7)
        print(f"step reading U.T, {label:12s} step {fmt_ms(step)}")
    print(f"loop overhead per step (scalar body): {fmt_us(loop_overhead())}")
    torch = torch_or_none()
    if torch is not None:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            step = median_seconds(torch_step(torch, x, W, U), repeat=7)
            print(f"PyTorch eager, {threads} thread(s)  step {fmt_ms(step)}")


if __name__ == "__main__":
    main()
