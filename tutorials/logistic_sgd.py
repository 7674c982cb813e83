"""Multiclass logistic regression on MNIST with minibatch SGD (the Theano tutorial's model).

python tutorials/logistic_sgd.py --epochs 10
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import symgraph
import symgraph.tensor as T
from symgraph.datasets import load_mnist
from symgraph.utils import progress


class LogisticRegression:
    """``p(y | x) = softmax(x W + b)``, predicting the most probable class."""

    def __init__(self, input, n_in: int, n_out: int) -> None:
        floatX = symgraph.config.floatX
        self.W = symgraph.shared(np.zeros((n_in, n_out), dtype=floatX), name="W")
        self.b = symgraph.shared(np.zeros(n_out, dtype=floatX), name="b")
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y):
        """Mean negative log-probability of the correct labels."""
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        """Fraction of the minibatch misclassified."""
        return T.mean(T.neq(self.y_pred, y))


def shared_dataset(data_xy):
    """Keep a whole split in shared variables so minibatches are sliced inside the graph."""
    x, y = data_xy
    floatX = symgraph.config.floatX
    return (
        symgraph.shared(np.asarray(x, dtype=floatX), borrow=True),
        symgraph.shared(np.asarray(y, dtype="int32"), borrow=True),
    )


def train(
    epochs: int = 10,
    batch_size: int = 600,
    learning_rate: float = 0.13,
    n_train: int | None = None,
    verbose: bool = True,
) -> dict:
    """Train and return the best validation error and its test error (fractions)."""
    if verbose:
        print("... loading data")
    (train_xy, valid_xy, test_xy) = load_mnist(dtype=symgraph.config.floatX)
    if n_train is not None:
        train_xy = (train_xy[0][:n_train], train_xy[1][:n_train])
    train_x, train_y = shared_dataset(train_xy)
    valid_x, valid_y = shared_dataset(valid_xy)
    test_x, test_y = shared_dataset(test_xy)
    n_train_batches = train_xy[0].shape[0] // batch_size
    n_valid_batches = valid_xy[0].shape[0] // batch_size
    n_test_batches = test_xy[0].shape[0] // batch_size

    if verbose:
        print("... building the model")
    index = T.lscalar("index")
    x = T.matrix("x")
    y = T.ivector("y")
    classifier = LogisticRegression(x, n_in=28 * 28, n_out=10)
    cost = classifier.negative_log_likelihood(y)
    batch = slice(index * batch_size, (index + 1) * batch_size)

    def evaluator(data_x, data_y):
        return symgraph.function(
            [index],
            classifier.errors(y),
            givens={x: data_x[batch], y: data_y[batch]},
            name="errors",
        )

    validate, test = evaluator(valid_x, valid_y), evaluator(test_x, test_y)
    g_W, g_b = symgraph.grad(cost, [classifier.W, classifier.b])
    train_model = symgraph.function(
        [index],
        cost,
        updates=[
            (classifier.W, classifier.W - learning_rate * g_W),
            (classifier.b, classifier.b - learning_rate * g_b),
        ],
        givens={x: train_x[batch], y: train_y[batch]},
        name="train_model",
    )
    best = {"valid_error": 1.0, "test_error": 1.0, "epoch": 0}
    if verbose:
        print("... training the model")
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        batches = range(n_train_batches)
        if verbose:
            batches = progress(batches, desc=f"epoch {epoch}")
        for minibatch_index in batches:
            train_model(minibatch_index)
        valid_error = float(np.mean([validate(i) for i in range(n_valid_batches)]))
        if verbose:
            print(
                f"epoch {epoch}, minibatch {n_train_batches}/{n_train_batches}, "
                f"validation error {valid_error * 100:f} %"
            )
        if valid_error < best["valid_error"]:
            test_error = float(np.mean([test(i) for i in range(n_test_batches)]))
            best = {"valid_error": valid_error, "test_error": test_error, "epoch": epoch}
            if verbose:
                print(
                    f"     epoch {epoch}, minibatch {n_train_batches}/{n_train_batches}, "
                    f"test error of best model {test_error * 100:f} %"
                )
    best["seconds"] = time.perf_counter() - start
    if verbose:
        print(
            f"Optimization complete with best validation score of "
            f"{best['valid_error'] * 100:f} %,with test performance "
            f"{best['test_error'] * 100:f} %"
        )
        print(f"The code run for {epochs} epochs, with {epochs / best['seconds']:f} epochs/sec")
        print(
            f"The code for file {os.path.basename(__file__)} ran for {best['seconds']:.1f}s",
            file=sys.stderr,
        )
    return best


def command_line(description: str, epochs: int, batch_size: int, learning_rate=None):
    """The tutorials' shared options (``--epochs``, ``--batch-size``, ``--learning-rate``
    when the tutorial has one, ``--float32``), parsed; ``--float32`` sets ``floatX``."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    if learning_rate is not None:
        parser.add_argument("--learning-rate", type=float, default=learning_rate)
    parser.add_argument("--float32", action="store_true", help="compute in float32")
    args = parser.parse_args()
    if args.float32:
        symgraph.config.floatX = "float32"
    return args


def main() -> None:
    args = command_line(__doc__, epochs=10, batch_size=600, learning_rate=0.13)
    train(args.epochs, args.batch_size, args.learning_rate)


if __name__ == "__main__":
    main()
