"""A multilayer perceptron (784-500-10, tanh hidden layer) on MNIST with minibatch SGD and
L1/L2 regularisation (the Theano tutorial's model: batch 20, learning rate 0.01, L2 weight
0.0001). Each epoch prints the validation error, and the test error whenever the
validation error improves.

    python tutorials/mlp.py --epochs 5

    python tutorials/mlp.py --n-train 2000 --epochs 1     # a few seconds
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
    shared_dataset,
    train_from_command_line,
    tutorial_parser,
)


class HiddenLayer:
    """``tanh(x W + b)`` with Glorot-uniform initial weights."""

    def __init__(self, rng, input, n_in: int, n_out: int, activation=T.tanh) -> None:
        floatX = symgraph.config.floatX
        bound = np.sqrt(6.0 / (n_in + n_out))
        if activation is T.sigmoid:
            bound *= 4
        W = rng.uniform(-bound, bound, size=(n_in, n_out)).astype(floatX)
        self.W = symgraph.shared(W, name="W")
        self.b = symgraph.shared(np.zeros(n_out, dtype=floatX), name="b")
        linear = T.dot(input, self.W) + self.b
        self.output = linear if activation is None else activation(linear)
        self.params = [self.W, self.b]


class MLP:
    """One hidden layer followed by a logistic-regression layer."""

    def __init__(self, rng, input, n_in: int, n_hidden: int, n_out: int) -> None:
        self.hidden = HiddenLayer(rng, input, n_in, n_hidden)
        self.logistic = LogisticRegression(self.hidden.output, n_hidden, n_out)
        self.L1 = abs(self.hidden.W).sum() + abs(self.logistic.W).sum()
        self.L2_sqr = (self.hidden.W**2).sum() + (self.logistic.W**2).sum()
        self.negative_log_likelihood = self.logistic.negative_log_likelihood
        self.errors = self.logistic.errors
        self.params = self.hidden.params + self.logistic.params


def build(
    batch_size: int,
    learning_rate: float,
    L1_reg: float,
    L2_reg: float,
    n_hidden: int,
    train_xy,
    seed: int = 1234,
):
    """The training step function (and the model), reading minibatches from shared data."""
    rng = np.random.RandomState(seed)
    train_x, train_y = shared_dataset(train_xy)
    index = T.lscalar("index")
    x = T.matrix("x")
    y = T.ivector("y")
    classifier = MLP(rng, x, 28 * 28, n_hidden, 10)
    cost = (
        classifier.negative_log_likelihood(y) + L1_reg * classifier.L1 + L2_reg * classifier.L2_sqr
    )
    grads = symgraph.grad(cost, classifier.params)
    batch = slice(index * batch_size, (index + 1) * batch_size)
    train_model = symgraph.function(
        [index],
        cost,
        updates=[(p, p - learning_rate * g) for p, g in zip(classifier.params, grads)],
        givens={x: train_x[batch], y: train_y[batch]},
        name="train_model",
    )
    return train_model, classifier, x, y, index


def train(
    epochs: int = 5,
    batch_size: int = 20,
    learning_rate: float = 0.01,
    L1_reg: float = 0.0,
    L2_reg: float = 0.0001,
    n_hidden: int = 500,
    n_train: int | None = None,
    verbose: bool = True,
    *,
    max_steps: int | None = None,
    progress_interval: float = 30.0,
) -> dict:
    """Train and return the best validation error and its test error (fractions).

    ``n_train``, ``max_steps`` and ``progress_interval`` as in ``logistic_sgd.train``.
    """
    say = write if verbose else lambda text: None
    say("... loading data")
    (train_xy, valid_xy, test_xy) = load_mnist(dtype=symgraph.config.floatX)
    if n_train is not None:
        train_xy = (train_xy[0][:n_train], train_xy[1][:n_train])
    n_train_batches = train_xy[0].shape[0] // batch_size
    if n_train_batches == 0:
        raise ValueError(f"{train_xy[0].shape[0]} training examples make no batch of {batch_size}")
    say("... building the model")
    train_model, classifier, x, y, index = build(
        batch_size, learning_rate, L1_reg, L2_reg, n_hidden, train_xy
    )
    error_fn = symgraph.function([x, y], classifier.errors(y), name="errors")

    def error_of(data_xy) -> float:
        data_x, data_y = data_xy
        errors = [
            error_fn(data_x[i : i + 1000], data_y[i : i + 1000].astype("int32"))
            for i in range(0, data_x.shape[0], 1000)
        ]
        return float(np.mean(errors))

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
                train_model(minibatch_index)
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
    return tutorial_parser(__doc__, epochs=5, batch_size=20, learning_rate=0.01)


def main(argv: list[str] | None = None) -> None:
    train_from_command_line(train, make_parser(), argv)


if __name__ == "__main__":
    main()
