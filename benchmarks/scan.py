"""Recurrent nets through ``scan``: a tanh RNN and an LSTM, each batch 32, 100 steps, 64
inputs, 128 hidden, float32; forward plus the gradient with respect to both weight
matrices (the input's and the recurrent one; the LSTM's hold its four gates).

    python benchmarks/scan.py

For each cell, prints the step time (median of repeated calls) and the compile time
(building the graph, its gradient and ``function``) for symgraph in both modes, then the
contenders measured in the same run when installed: PyTorch's eager loop (1 and 2
threads) and JAX's ``lax.scan`` under ``jit`` (compile: tracing, lowering and XLA's
compilation), each with the ratio of symgraph FAST_RUN's step time to its own. Then the
tanh RNN whose step multiplies h by ``U.T`` or by ``dot(U, U)`` (work on non-sequences
alone) with and without the loop-invariant hoisting pass (``scan_hoist``), calls of the
two functions interleaved; both cells with and without ``scan_keep_last`` (the gradient
loop keeping one row of each running sum instead of one per step), and the peak memory
(tracemalloc) of a 2000-step RNN returning ``hs[-1]``, and of its gradient, with and
without it. Last, the per-step overhead of a symgraph loop whose body is one scalar
addition.

symgraph's matrix products are NumPy's, threaded by its BLAS: on a loaded machine its
threads wait for each other (a 32x128 by 128x512 product measured 0.1 ms with one thread,
0.6-1.9 ms with two, at a load of 5 on 2 cores), so the first line says how many
``OPENBLAS_NUM_THREADS`` allows and the machine's load, and the last the load again:

    OPENBLAS_NUM_THREADS=1 python benchmarks/scan.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import fmt_ms, fmt_us, median_seconds, torch_or_none  # noqa: E402

import symgraph  # noqa: E402
import symgraph.tensor as T  # noqa: E402

BATCH, STEPS, N_IN, N_HIDDEN = 32, 100, 64, 128


# The cells, written once over a namespace of the framework's functions; ``h @ U`` is
# each framework's matrix product. A cell maps (input row, state...) to the new state;
# the first state is the hidden one, summed into the cost.


def tanh_cell(ops, xt, h, W, U):
    return (ops.tanh(xt @ W + h @ U),)


def lstm_cell(ops, xt, h, c, W, U):
    z = xt @ W + h @ U
    H = N_HIDDEN
    i, f, o = (ops.sigmoid(z[:, k * H : (k + 1) * H]) for k in range(3))
    c = f * c + i * ops.tanh(z[:, 3 * H :])
    return o * ops.tanh(c), c


CELLS = {"tanh RNN": (tanh_cell, 1, 1), "LSTM": (lstm_cell, 2, 4)}  # states, gates


# The tanh cell with work on the non-sequence U alone in its step, which the hoisting
# pass computes once before the loop: a view (U.T) or a matrix product.
def tanh_cell_transposed(ops, xt, h, W, U):
    return (ops.tanh(xt @ W + h @ U.T),)


def tanh_cell_squared(ops, xt, h, W, U):
    return (ops.tanh(xt @ W + h @ (T.dot(U, U) * 0.5)),)


HOISTED_CELLS = {"U.T": tanh_cell_transposed, "dot(U, U)": tanh_cell_squared}


def data(gates: int):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((STEPS, BATCH, N_IN)).astype(np.float32)
    W = (rng.standard_normal((N_IN, gates * N_HIDDEN)) * 0.1).astype(np.float32)
    U = (rng.standard_normal((N_HIDDEN, gates * N_HIDDEN)) * 0.1).astype(np.float32)
    return x, W, U


def build(cell, n_states: int, mode: str):
    """The compiled function and the seconds building and compiling it took."""
    ops = types.SimpleNamespace(tanh=T.tanh, sigmoid=T.sigmoid)
    start = time.perf_counter()
    x = T.tensor3("x", dtype="float32")
    W = T.matrix("W", dtype="float32")
    U = T.matrix("U", dtype="float32")
    zeros = T.zeros((x.shape[1], N_HIDDEN), dtype="float32")
    states, _ = symgraph.scan(
        lambda xt, *rest: list(cell(ops, xt, *rest)),
        sequences=x,
        outputs_info=[zeros] * n_states,
        non_sequences=[W, U],
        return_list=True,
    )
    cost = states[0].sum()
    gW, gU = symgraph.grad(cost, [W, U])
    f = symgraph.function([x, W, U], [cost, gW, gU], mode=mode)
    return f, time.perf_counter() - start


def with_and_without(pass_name: str, cell, n_states: int, args) -> tuple[float, float]:
    """Median step times of ``cell`` compiled with every pass and without ``pass_name``;
    calls alternate, so that a busy machine slows both alike."""
    without = symgraph.Mode("FAST_RUN").excluding(pass_name)
    functions = [build(cell, n_states, mode)[0] for mode in ("FAST_RUN", without)]
    times: list[list[float]] = [[], []]
    for f in functions:
        f(*args)  # warm-up
    for _ in range(9):
        for f, samples in zip(functions, times):
            start = time.perf_counter()
            f(*args)
            samples.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def hoisting(x, W, U) -> None:
    """Step times of the tanh RNN reading work on U alone, with and without scan_hoist."""
    for label, cell in HOISTED_CELLS.items():
        hoisted, kept = with_and_without("scan_hoist", cell, 1, (x, W, U))
        print(
            f"tanh RNN h @ {label:9s} hoisted step {fmt_ms(hoisted)}  "
            f"not hoisted {fmt_ms(kept)}  ratio {hoisted / kept:5.2f}"
        )


def peak_bytes(f, *args) -> int:
    """The most memory NumPy held at once during one call of ``f`` (tracemalloc)."""
    tracemalloc.start()
    f(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def last_state_memory(steps: int = 2000) -> None:
    """Peak memory of an RNN returning only its last state (``hs[-1]``), and of its
    gradient, with and without scan_keep_last."""
    x, W, U = data(1)
    x = np.resize(x, (steps, *x.shape[1:]))
    ops = types.SimpleNamespace(tanh=T.tanh, sigmoid=T.sigmoid)
    xs, Ws, Us = (
        T.tensor3("x", dtype="float32"),
        T.matrix("W", dtype="float32"),
        T.matrix("U", dtype="float32"),
    )
    zeros = T.zeros((xs.shape[1], N_HIDDEN), dtype="float32")
    hs, _ = symgraph.scan(
        lambda xt, h, W, U: tanh_cell(ops, xt, h, W, U)[0],
        sequences=xs,
        outputs_info=zeros,
        non_sequences=[Ws, Us],
    )
    last = hs[-1].sum()
    without = symgraph.Mode("FAST_RUN").excluding("scan_keep_last")
    for label, outputs in (("last state", last), ("its gradient", symgraph.grad(last, [Ws, Us]))):
        peaks = [
            peak_bytes(symgraph.function([xs, Ws, Us], outputs, mode=mode), x, W, U)
            for mode in ("FAST_RUN", without)
        ]
        print(
            f"tanh RNN, {steps} steps, {label:12s} peak memory: last rows kept "
            f"{peaks[0] / 2**20:7.2f} MiB, every row stored {peaks[1] / 2**20:7.2f} MiB"
        )


def keeping_last_rows() -> None:
    """Step times with and without scan_keep_last, which lets the gradient loop keep one
    row of each running sum (dW, dU) instead of one per step."""
    for name, (cell, n_states, gates) in CELLS.items():
        ring, whole = with_and_without("scan_keep_last", cell, n_states, data(gates))
        print(
            f"{name:8s} last rows kept step {fmt_ms(ring)}  "
            f"every row stored {fmt_ms(whole)}  ratio {ring / whole:5.2f}"
        )


def loop_overhead() -> float:
    """Seconds per step of a loop adding 1 to a scalar state."""
    n = T.lscalar("n")
    counts, _ = symgraph.scan(lambda c: c + 1, outputs_info=T.zeros((), dtype="float64"), n_steps=n)
    f = symgraph.function([n], counts[-1])
    steps = 10_000
    return median_seconds(lambda: f(steps), repeat=5, number=1) / steps


def torch_step(torch, cell, n_states, x, W, U):
    ops = types.SimpleNamespace(tanh=torch.tanh, sigmoid=torch.sigmoid)
    xt = torch.from_numpy(x)
    Wt = torch.from_numpy(W).requires_grad_()
    Ut = torch.from_numpy(U).requires_grad_()

    def run():
        states = [torch.zeros(BATCH, N_HIDDEN)] * n_states
        total = 0
        for t in range(STEPS):
            states = cell(ops, xt[t], *states, Wt, Ut)
            total = total + states[0].sum()
        Wt.grad = Ut.grad = None
        total.backward()

    return run


def jax_or_none():
    """JAX if installed (``pip install -e '.[bench]'``), else None."""
    try:
        import jax
    except ImportError:
        return None
    return jax


def jax_step(jax, cell, n_states, x, W, U):
    """The step (a jitted function of the weights and inputs) and its compile seconds."""
    jnp = jax.numpy
    ops = types.SimpleNamespace(tanh=jnp.tanh, sigmoid=jax.nn.sigmoid)

    def cost(W, U, x):
        def body(states, xt):
            states = cell(ops, xt, *states, W, U)
            return states, states[0]

        zeros = jnp.zeros((x.shape[1], N_HIDDEN), jnp.float32)
        _, hs = jax.lax.scan(body, (zeros,) * n_states, x)
        return hs.sum()

    start = time.perf_counter()
    compiled = jax.jit(jax.value_and_grad(cost, argnums=(0, 1))).lower(W, U, x).compile()
    seconds = time.perf_counter() - start
    args = [jax.device_put(a) for a in (W, U, x)]
    return (lambda: jax.block_until_ready(compiled(*args))), seconds


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    blas_threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset: one per core")
    print(f"OPENBLAS_NUM_THREADS {blas_threads}, {os.cpu_count()} cores, {load()}")
    torch, jax = torch_or_none(), jax_or_none()
    for name, (cell, n_states, gates) in CELLS.items():
        x, W, U = data(gates)
        ours = None
        for mode in ("FAST_RUN", "FAST_COMPILE"):
            compiles = []
            for _ in range(3):
                f, seconds = build(cell, n_states, mode)
                compiles.append(seconds)
            step = median_seconds(lambda f=f, args=(x, W, U): f(*args), repeat=7)
            ours = ours or step
            print(
                f"{name:8s} symgraph {mode:12s}   step {fmt_ms(step)}  "
                f"compile {fmt_ms(statistics.median(compiles))}"
            )
        if torch is not None:
            for threads in (1, 2):
                torch.set_num_threads(threads)
                step = median_seconds(torch_step(torch, cell, n_states, x, W, U), repeat=7)
                print(
                    f"{name:8s} PyTorch eager, {threads} thread(s) step {fmt_ms(step)}  "
                    f"symgraph/PyTorch {ours / step:5.2f}"
                )
        if jax is not None:
            compiles, run = [], None
            for _ in range(3):
                jax.clear_caches()  # each compile from scratch, not from jit's cache
                run, seconds = jax_step(jax, cell, n_states, x, W, U)
                compiles.append(seconds)
            step = median_seconds(run, repeat=7)
            print(
                f"{name:8s} JAX lax.scan, jit     step {fmt_ms(step)}  "
                f"compile {fmt_ms(statistics.median(compiles))}  symgraph/JAX {ours / step:5.2f}"
            )
    hoisting(*data(1))
    keeping_last_rows()
    last_state_memory()
    print(f"loop overhead per step (scalar body): {fmt_us(loop_overhead())}")
    print(load())


if __name__ == "__main__":
    main()
