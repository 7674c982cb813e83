"""One SGD training step of a 784-500-10 tanh MLP, batch 500, float32.

    python benchmarks/mlp.py

Prints symgraph (all passes and FAST_COMPILE) beside PyTorch CPU measured in the same run.
Targets: no slower than PyTorch; all passes at least 1.3x faster than
FAST_COMPILE.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402
    available,
    fmt_ms,
    measure_in_subprocesses,
    median_seconds,
    rounds_arg,
    torch_or_none,
)

import symgraph  # noqa: E402
import symgraph.tensor as T  # noqa: E402

BATCH, N_IN, N_HIDDEN, N_OUT, LR = 500, 784, 500, 10, 0.01


def make_data(rng):
    x = rng.random((BATCH, N_IN), dtype=np.float32)
    y = rng.integers(0, N_OUT, BATCH).astype(np.int32)
    bound = np.sqrt(6.0 / (N_IN + N_HIDDEN))
    w1 = rng.uniform(-bound, bound, (N_IN, N_HIDDEN)).astype(np.float32)
    w2 = rng.uniform(-0.1, 0.1, (N_HIDDEN, N_OUT)).astype(np.float32)
    return x, y, w1, w2


def symgraph_step(data, mode):
    x_value, y_value, w1, w2 = data
    x, y = T.fmatrix("x"), T.ivector("y")
    W1 = symgraph.shared(w1, name="W1")
    b1 = symgraph.shared(np.zeros(N_HIDDEN, np.float32), name="b1")
    W2 = symgraph.shared(w2, name="W2")
    b2 = symgraph.shared(np.zeros(N_OUT, np.float32), name="b2")
    hidden = T.tanh(T.dot(x, W1) + b1)
    p = T.nnet.softmax(T.dot(hidden, W2) + b2)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    params = [W1, b1, W2, b2]
    grads = symgraph.grad(cost, params)
    step = symgraph.function(
        [x, y], cost, mode=mode, updates=[(q, q - LR * g) for q, g in zip(params, grads)]
    )
    return lambda: step(x_value, y_value)


def torch_step(torch, data):
    x_value, y_value, w1, w2 = data
    x, y = torch.from_numpy(x_value), torch.from_numpy(y_value).long()
    W1 = torch.tensor(w1, requires_grad=True)
    b1 = torch.zeros(N_HIDDEN, requires_grad=True)
    W2 = torch.tensor(w2, requires_grad=True)
    b2 = torch.zeros(N_OUT, requires_grad=True)
    params = [W1, b1, W2, b2]

    def step():
        hidden = torch.tanh(x @ W1 + b1)
        cost = torch.nn.functional.cross_entropy(hidden @ W2 + b2, y)
        cost.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return cost

    return step


CONTENDERS = {
    "symgraph FAST_RUN": lambda data: symgraph_step(data, "FAST_RUN"),
    "symgraph FAST_COMPILE": lambda data: symgraph_step(data, "FAST_COMPILE"),
    "pytorch CPU": lambda data: torch_step(torch_or_none(), data),
}


def main() -> None:
    if "--contender" in sys.argv:
        name = sys.argv[sys.argv.index("--contender") + 1]
        step = CONTENDERS[name](make_data(np.random.default_rng(0)))
        print(f"RESULT {median_seconds(step, repeat=9)}")
        return
    results = measure_in_subprocesses(__file__, available(CONTENDERS), rounds=rounds_arg(5))
    for name, seconds in results.items():
        print(f"{name:24s} {fmt_ms(seconds)} per step (median)")
    fast = results["symgraph FAST_RUN"]
    print(
        f"FAST_COMPILE / FAST_RUN  {results['symgraph FAST_COMPILE'] / fast:8.2f}x   "
        "(target >= 1.3)"
    )
    if "pytorch CPU" in results:
        print(f"symgraph / pytorch       {fast / results['pytorch CPU']:8.2f}x   (target <= 1.0)")
    else:
        print("pytorch not installed: pip install -e '.[bench]' for the reference")


if __name__ == "__main__":
    main()
