"""Compile time: the LeNet training function by pass, and growth with graph size.

    python benchmarks/compile.py

Targets: LeNet's training function (forward, gradients of its 8 parameters, SGD
updates, givens slicing a shared dataset) compiles in at most 0.3 s; a 100-layer MLP
compiles in at most 10x the time of a 10-layer one.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tutorials"))

import symgraph  # noqa: E402
import symgraph.tensor as T  # noqa: E402


def lenet_compile(trace: bool):
    import convolutional_mlp
    import logistic_sgd

    floatX = symgraph.config.floatX
    data = (np.zeros((1000, 784), dtype=floatX), np.zeros(1000, dtype="int32"))
    train_x, train_y = logistic_sgd.shared_dataset(data)
    start = time.perf_counter()
    original = symgraph.function

    def traced(*args, **kwargs):
        kwargs["trace"] = trace
        return original(*args, **kwargs)

    convolutional_mlp.symgraph.function = traced
    try:
        _, train_model, _ = convolutional_mlp.build(train_x, train_y)
    finally:
        convolutional_mlp.symgraph.function = original
    return time.perf_counter() - start, train_model


def mlp_compile_seconds(layers: int) -> float:
    rng = np.random.default_rng(0)
    x, y = T.matrix("x"), T.ivector("y")
    h, params = x, []
    for i in range(layers):
        w = symgraph.shared(rng.uniform(-0.1, 0.1, (32, 32)), name=f"W{i}")
        b = symgraph.shared(np.zeros(32), name=f"b{i}")
        params += [w, b]
        h = T.tanh(T.dot(h, w) + b)
    cost = -T.mean(T.log(T.nnet.softmax(h))[T.arange(y.shape[0]), y])
    start = time.perf_counter()
    grads = symgraph.grad(cost, params)
    symgraph.function([x, y], cost, updates=[(p, p - 0.1 * g) for p, g in zip(params, grads)])
    return time.perf_counter() - start


def main() -> None:
    symgraph.config.floatX = "float32"
    lenet_compile(trace=False)  # warm imports
    times = [lenet_compile(trace=False)[0] for _ in range(5)]
    print(
        f"LeNet training function: graph + grad + compile {statistics.median(times):.3f} s "
        "(median of 5; target <= 0.3 s)"
    )
    _, fn = lenet_compile(trace=True)
    print(f"  compile alone (symgraph.function): {fn.compile_seconds:.3f} s, by pass:")
    for record in fn.trace:
        print(f"    {record.name:14s} {record.seconds * 1e3:8.2f} ms")
    small = statistics.median(mlp_compile_seconds(10) for _ in range(3))
    large = statistics.median(mlp_compile_seconds(100) for _ in range(3))
    print(
        f"MLP grad + compile: 10 layers {small:.3f} s, 100 layers {large:.3f} s, "
        f"ratio {large / small:.1f}x (target <= 10x)"
    )


if __name__ == "__main__":
    main()
