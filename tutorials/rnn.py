"""An LSTM reading each MNIST digit one 28-pixel row per step (sequential MNIST) and
classifying it from its last hidden state; the loop is a ``symgraph.scan`` and its
gradient a second scan running backwards through time. Trained with Adam. Each epoch
prints the validation error, and the test error whenever the validation error improves.

    python tutorials/rnn.py --epochs 1 --n-train 10000 --float32     # about 15 seconds

    python tutorials/rnn.py --float32                                   # 5 epochs, all data

Measured on 2 cores in float32 (load average 2): --epochs 1 --n-train 10000, 100 steps of
100 images, ran in 14.4 s (9.9 s of training, 10 steps a second) and printed 20.05 %
validation and 20.13 % test error. Building the training function (the model, its
gradient through the loop, Adam's updates and ``function``) took 0.04-0.10 s. The full
default run is 2,500 steps: about five minutes at that rate, not measured.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import symgraph
import symgraph.tensor as T
from symgraph.datasets import load_mnist
from symgraph.utils import progress, write

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from logistic_sgd import (  # noqa: E402
    LogisticRegression,
    train_from_command_line,
    tutorial_parser,
)

ROWS, PIXELS = 28, 28  # steps per image, inputs per step


class LSTM:
    """An LSTM layer over a (steps, batch, inputs) sequence; ``output`` is the hidden state
    after the last step.

    The four gates share one weight matrix per input so that each step does one matrix
    product: the input's part, ``x W + b``, is computed for all steps before the loop, and
    only ``h U`` runs inside it.
    """

    def __init__(self, rng, sequence, n_in: int, n_hidden: int) -> None:
        floatX = symgraph.config.floatX

        def uniform(n_rows):
            bound = np.sqrt(6.0 / (n_rows + n_hidden))
            return rng.uniform(-bound, bound, (n_rows, 4 * n_hidden)).astype(floatX)

        self.W = symgraph.shared(uniform(n_in), name="W")
        self.U = symgraph.shared(uniform(n_hidden), name="U")
        bias = np.zeros(4 * n_hidden, dtype=floatX)
        bias[n_hidden : 2 * n_hidden] = 1.0  # forget gates start open: gradients flow back
        self.b = symgraph.shared(bias, name="b")
        self.params = [self.W, self.U, self.b]
        H = n_hidden

        def step(input_part, h, c, U):
            z = input_part + T.dot(h, U)
            i = T.sigmoid(z[:, :H])
            f = T.sigmoid(z[:, H : 2 * H])
            o = T.sigmoid(z[:, 2 * H : 3 * H])
            c = f * c + i * T.tanh(z[:, 3 * H :])
            return [o * T.tanh(c), c]

        zeros = T.zeros((sequence.shape[1], H), dtype=floatX)
        (hs, _), _ = symgraph.scan(
            step,
            sequences=T.dot(sequence, self.W) + self.b,
            outputs_info=[zeros, zeros],
            non_sequences=self.U,
            name="lstm",
        )
        self.output = hs[-1]


class Classifier:
    """The LSTM over the image's rows, then a softmax on its last hidden state."""

    def __init__(self, rng, x, n_hidden: int) -> None:
        rows = x.reshape((x.shape[0], ROWS, PIXELS)).dimshuffle(1, 0, 2)  # steps first
        self.lstm = LSTM(rng, rows, PIXELS, n_hidden)
        self.logistic = LogisticRegression(self.lstm.output, n_hidden, 10)
        self.params = self.lstm.params + self.logistic.params
        self.negative_log_likelihood = self.logistic.negative_log_likelihood
        self.errors = self.logistic.errors


def adam(cost, params, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """Adam updates: running averages of each gradient and of its square, bias-corrected."""
    floatX = symgraph.config.floatX
    t = symgraph.shared(np.asarray(0.0, dtype=floatX), name="t")
    t_new = t + 1
    # The two bias corrections folded into the step size.
    step = learning_rate * T.sqrt(1 - beta2**t_new) / (1 - beta1**t_new)
    updates = [(t, t_new)]
    for p, g in zip(params, symgraph.grad(cost, params)):
        zeros = np.zeros(p.get_value(borrow=True).shape, dtype=floatX)
        m, v = symgraph.shared(zeros), symgraph.shared(zeros.copy())
        m_new = beta1 * m + (1 - beta1) * g
        v_new = beta2 * v + (1 - beta2) * g**2
        updates += [(m, m_new), (v, v_new), (p, p - step * m_new / (T.sqrt(v_new) + epsilon))]
    return updates


def build(learning_rate: float, n_hidden: int = 128, seed: int = 1234):
    """The training function ``train_model(x, y)``, the error function and the seconds
    building and compiling the training function took."""
    rng = np.random.RandomState(seed)
    start = time.perf_counter()
    x, y = T.matrix("x"), T.ivector("y")
    classifier = Classifier(rng, x, n_hidden)
    cost = classifier.negative_log_likelihood(y)
    train_model = symgraph.function(
        [x, y], cost, updates=adam(cost, classifier.params, learning_rate), name="train_model"
    )
    compile_seconds = time.perf_counter() - start
    errors = symgraph.function([x, y], classifier.errors(y), name="errors")
    return train_model, errors, compile_seconds


def train(
    epochs: int = 5,
    batch_size: int = 100,
    learning_rate: float = 0.003,
    n_train: int | None = None,
    verbose: bool = True,
    *,
    n_hidden: int = 128,
    max_steps: int | None = None,
    progress_interval: float = 30.0,
) -> dict:
    """Train and return the best validation error and its test error (fractions), the
    seconds training took and the seconds compiling the training function took.

    ``n_train``, ``max_steps`` and ``progress_interval`` as in ``logistic_sgd.train``.
    """
    say = write if verbose else lambda text: None
    say("... loading data")
    floatX = symgraph.config.floatX
    (train_x, train_y), valid_xy, test_xy = load_mnist(dtype=floatX)
    if n_train is not None:
        train_x, train_y = train_x[:n_train], train_y[:n_train]
    train_y = train_y.astype("int32")
    n_train_batches = len(train_x) // batch_size
    if n_train_batches == 0:
        raise ValueError(f"{len(train_x)} training examples make no batch of {batch_size}")
    say("... building the model")
    train_model, error_fn, compile_seconds = build(learning_rate, n_hidden)
    say(f"... the training function compiled in {compile_seconds:.2f}s")

    def error_of(data_xy) -> float:
        data_x, data_y = data_xy
        wrong = sum(
            error_fn(data_x[i : i + 1000], data_y[i : i + 1000].astype("int32"))
            * len(data_x[i : i + 1000])
            for i in range(0, len(data_x), 1000)
        )
        return float(wrong) / len(data_x)

    best = {"valid_error": 1.0, "test_error": 1.0, "epoch": 0, "iteration": 0}
    say("... training")
    start = time.perf_counter()
    steps = epoch = 0
    while epoch < epochs and steps != max_steps:
        epoch += 1
        with progress(
            total=n_train_batches,
            desc=f"epoch {epoch}",
            interval=progress_interval,
            disable=not verbose,
        ) as bar:
            for minibatch_index in range(n_train_batches):
                batch = slice(minibatch_index * batch_size, (minibatch_index + 1) * batch_size)
                train_model(train_x[batch], train_y[batch])
                bar.update()
                steps += 1
                if steps == max_steps:
                    break
        done = minibatch_index + 1
        valid_error = error_of(valid_xy)
        say(
            f"epoch {epoch}, minibatch {done}/{n_train_batches}, "
            f"validation error {valid_error * 100:f} %"
        )
        if valid_error < best["valid_error"]:
            best = {
                "valid_error": valid_error,
                "test_error": error_of(test_xy),
                "epoch": epoch,
                "iteration": steps,
            }
            say(
                f"     epoch {epoch}, minibatch {done}/{n_train_batches}, "
                f"test error of best model {best['test_error'] * 100:f} %"
            )
    best["seconds"] = time.perf_counter() - start
    best["steps"] = steps
    best["compile_seconds"] = compile_seconds
    say(
        f"Optimization complete. Best validation score of {best['valid_error'] * 100:f} % "
        f"obtained at iteration {best['iteration']}, with test performance "
        f"{best['test_error'] * 100:f} %"
    )
    if verbose:
        print(
            f"The code for file {os.path.basename(__file__)} ran for {best['seconds'] / 60:.2f}m",
            file=sys.stderr,
        )
    return best


def make_parser():
    return tutorial_parser(
        __doc__,
        epochs=5,
        batch_size=100,
        learning_rate=0.003,
        learning_rate_help="Adam's step size",
    )


def main(argv: list[str] | None = None) -> None:
    train_from_command_line(train, make_parser(), argv)


if __name__ == "__main__":
    main()
