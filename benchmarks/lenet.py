"""One SGD training step of the tutorial's LeNet (batch 500, float32), symgraph against
PyTorch CPU, each in its own process; also the peak memory a step adds.

    python benchmarks/lenet.py

Targets: no slower than PyTorch; a step's peak memory at most 1.5x PyTorch's.
Also prints FAST_COMPILE against FAST_RUN (the target: all passes together at least 1.3x faster).
"""

from __future__ import annotations

import os
import resource
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tutorials"))
from _common import (  # noqa: E402
    available,
    fmt_ms,
    measure_in_subprocesses,
    median_seconds,
    rounds_arg,
    run_contender,
    torch_or_none,
)

BATCH = 500


def make_data(rng):
    x = rng.random((BATCH * 4, 784), dtype=np.float32)
    y = rng.integers(0, 10, BATCH * 4).astype(np.int32)
    return x, y


def symgraph_step(data, mode):
    import convolutional_mlp
    import logistic_sgd

    import symgraph

    symgraph.config.floatX = "float32"
    train_x, train_y = logistic_sgd.shared_dataset(data)
    _, train_model, _ = convolutional_mlp.build(train_x, train_y, batch_size=BATCH, mode=mode)
    state = {"i": 0}

    def step():
        state["i"] = (state["i"] + 1) % 4
        return train_model(state["i"])

    return step


def torch_step(data):
    torch = torch_or_none()
    torch.manual_seed(0)
    x_all = torch.from_numpy(data[0]).reshape(-1, 1, 28, 28)
    y_all = torch.from_numpy(data[1]).long()
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 20, 5),
        torch.nn.MaxPool2d(2),
        torch.nn.Tanh(),
        torch.nn.Conv2d(20, 50, 5),
        torch.nn.MaxPool2d(2),
        torch.nn.Tanh(),
        torch.nn.Flatten(),
        torch.nn.Linear(800, 500),
        torch.nn.Tanh(),
        torch.nn.Linear(500, 10),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    state = {"i": 0}

    def step():
        state["i"] = (state["i"] + 1) % 4
        sl = slice(state["i"] * BATCH, (state["i"] + 1) * BATCH)
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x_all[sl]), y_all[sl])
        loss.backward()
        optimizer.step()
        return loss

    return step


CONTENDERS = {
    "symgraph FAST_RUN": lambda data: symgraph_step(data, "FAST_RUN"),
    "symgraph FAST_COMPILE": lambda data: symgraph_step(data, "FAST_COMPILE"),
    "pytorch CPU": torch_step,
}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    if "--contender" in sys.argv:
        name = sys.argv[sys.argv.index("--contender") + 1]
        step = CONTENDERS[name](make_data(np.random.default_rng(0)))
        # Peak memory of training above the model and data: measured from before the first
        # step, so that memory a framework keeps cached between steps (PyTorch's allocator)
        # counts as much as memory allocated afresh each step (NumPy).
        before = _rss_bytes()
        seconds = median_seconds(step, repeat=5, number=2, warmup=1)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
        print(f"RESULT {seconds}")
        print(f"PEAK {max(peak, 0)}")
        return
    names = available(CONTENDERS)
    if "--memory" in sys.argv:
        for name in names:
            peak = run_contender(__file__, name)["PEAK"]
            print(f"{name:24s} peak memory of training steps: {peak / 2**20:8.1f} MiB")
        return
    results = measure_in_subprocesses(__file__, names, rounds=rounds_arg(3))
    for name, seconds in results.items():
        print(f"{name:24s} {fmt_ms(seconds)} per step (median)")
    fast = results["symgraph FAST_RUN"]
    print(f"FAST_COMPILE / FAST_RUN  {results['symgraph FAST_COMPILE'] / fast:8.2f}x")
    if "pytorch CPU" in results:
        print(f"symgraph / pytorch       {fast / results['pytorch CPU']:8.2f}x   (target <= 1.0)")
    print("(peak memory: python benchmarks/lenet.py --memory)")


if __name__ == "__main__":
    main()
