"""Compile time of the IMDB LSTM tutorial's functions, run through the Theano compat layer.

    python benchmarks/lstm_compile.py

Builds the model of ``tests/compat/scripts/lstm.py`` at the tutorial's default sizes
(dim_proj=128, 10,000 words, dropout, adadelta) and times what the tutorial does before
training: ``build_model`` (which compiles f_pred_prob and f_pred), the gradients, f_cost,
f_grad and adadelta's two functions. Theano took 13-16 s for this; the target is under 1 s.
The process's CPU time is printed beside the wall time: on a shared machine the wall time
grows with the load (0.18 s quiet, 0.5 s at a load of 10 on 2 cores).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "compat", "scripts"))

import symgraph.compat.theano as compat  # noqa: E402

compat.install()

import lstm  # noqa: E402
import theano  # noqa: E402
import theano.tensor as tensor  # noqa: E402


def compile_lstm() -> tuple[float, float, dict[str, float]]:
    options = dict(dim_proj=128, n_words=10000, ydim=2, encoder="lstm", use_dropout=True)
    tparams = lstm.init_tparams(lstm.init_params(options))
    start, start_cpu = time.perf_counter(), time.process_time()
    use_noise, x, mask, y, f_pred_prob, f_pred, cost = lstm.build_model(tparams, options)
    f_cost = theano.function([x, mask, y], cost, name="f_cost")
    grads = tensor.grad(cost, wrt=list(tparams.values()))
    f_grad = theano.function([x, mask, y], grads, name="f_grad")
    lr = tensor.scalar(name="lr")
    f_grad_shared, f_update = lstm.adadelta(lr, tparams, grads, x, mask, y, cost)
    total, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    functions = [f_pred_prob, f_pred, f_cost, f_grad, f_grad_shared, f_update]
    return total, cpu, {f.name: f.compile_seconds for f in functions}


def main() -> None:
    theano.config.floatX = "float32"
    compile_lstm()  # warm imports
    runs = [compile_lstm() for _ in range(5)]
    total = statistics.median(seconds for seconds, _, _ in runs)
    cpu = statistics.median(seconds for _, seconds, _ in runs)
    print(
        f"LSTM tutorial: graph + grads + 6 functions {total:.3f} s wall, {cpu:.3f} s CPU "
        "(medians of 5; target < 1 s)"
    )
    for name, seconds in runs[-1][2].items():
        print(f"  {name:24s} compile {seconds * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
