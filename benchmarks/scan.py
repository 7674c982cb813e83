"""A tanh RNN through ``scan``: batch 32, 100 steps, 64 inputs, 128 hidden, float32;
forward plus the gradient with respect to both weight matrices.

    python benchmarks/scan.py

Prints the step time (median of repeated calls) and the compile time (building the
graph, its gradient and ``function``) for symgraph in both modes, the step time of the
same RNN whose step reads ``U.T`` or ``dot(U, U)`` (work on non-sequences alone) with
and without the loop-invariant hoisting pass (``scan_hoist``), interleaved, the per-step
overhead
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


# What the step multiplies h by: U itself, or work on non-sequences alone that the
# hoisting pass computes once before the loop: a view (U.T) or a matrix product.
RECURRENT = {
    "U": lambda U: U,
    "U.T": lambda U: U.T,
    "dot(U, U)": lambda U: T.dot(U, U) * 0.5,
}


def build(mode, recurrent: str = "U"):
    """The compiled function and the seconds building and compiling it took; the step
    multiplies h by ``RECURRENT[recurrent](U)``."""
    start = time.perf_counter()
    x = T.tensor3("x", dtype="float32")
    W = T.matrix("W", dtype="float32")
    U = T.matrix("U", dtype="float32")
    h0 = T.zeros((x.shape[1], N_HIDDEN), dtype="float32")
    weights = RECURRENT[recurrent]
    hs, _ = symgraph.scan(
        lambda xt, h, W, U: T.tanh(T.dot(xt, W) + T.dot(h, weights(U))),
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
    # Hoisting, side by side: calls of the two functions alternate, so that a busy
    # machine slows both alike.
    without_hoist = symgraph.Mode("FAST_RUN").excluding("scan_hoist")
    for recurrent in ("U.T", "dot(U, U)"):
        hoisted, _ = build("FAST_RUN", recurrent)
        kept, _ = build(without_hoist, recurrent)
        times = {hoisted: [], kept: []}
        for f in times:
            f(x, W, U)  # warm-up
        for _ in range(9):
            for f, samples in times.items():
                start = time.perf_counter()
                f(x, W, U)
                samples.append(time.perf_counter() - start)
        print(
            f"step reading {recurrent:9s}: hoisted {fmt_ms(statistics.median(times[hoisted]))}"
            f", not hoisted {fmt_ms(statistics.median(times[kept]))}"
        )
    print(f"loop overhead per step (scalar body): {fmt_us(loop_overhead())}")
    torch = torch_or_none()
    if torch is not None:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            step = median_seconds(torch_step(torch, x, W, U), repeat=7)
            print(f"PyTorch eager, {threads} thread(s)  step {fmt_ms(step)}")


if __name__ == "__main__":
    main()
