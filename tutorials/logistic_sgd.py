"""Multiclass logistic regression on MNIST with minibatch SGD (the Theano tutorial's model:
batch 600, learning rate 0.13). Each epoch prints the validation error, and the test error
whenever the validation error improves.

    python tutorials/logistic_sgd.py --epochs 10

    python tutorials/logistic_sgd.py --n-train 6000 --max-steps 5     # a few seconds
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
from symgraph.utils import progress, script_parser, write


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
    *,
    max_steps: int | None = None,
    progress_interval: float = 30.0,
) -> dict:
    """Train and return the best validation error and its test error (fractions).

    ``n_train`` keeps the first training examples only; ``max_steps`` stops after that many
    SGD steps (validating where it stops); ``progress_interval`` is the least number of
    seconds between two progress lines on stderr when it is not a terminal.
    """
    say = write if verbose else lambda text: None
    say("... loading data")
    (train_xy, valid_xy, test_xy) = load_mnist(dtype=symgraph.config.floatX)
    if n_train is not None:
        train_xy = (train_xy[0][:n_train], train_xy[1][:n_train])
    train_x, train_y = shared_dataset(train_xy)
    valid_x, valid_y = shared_dataset(valid_xy)
    test_x, test_y = shared_dataset(test_xy)
    n_train_batches = train_xy[0].shape[0] // batch_size
    n_valid_batches = valid_xy[0].shape[0] // batch_size
    n_test_batches = test_xy[0].shape[0] // batch_size
    if n_train_batches == 0:
        raise ValueError(f"{train_xy[0].shape[0]} training examples make no batch of {batch_size}")

    say("... building the model")
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
    say("... training the model")
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
        valid_error = float(np.mean([validate(i) for i in range(n_valid_batches)]))
        say(
            f"epoch {epoch}, minibatch {done}/{n_train_batches}, "
            f"validation error {valid_error * 100:f} %"
        )
        if valid_error < best["valid_error"]:
            test_error = float(np.mean([test(i) for i in range(n_test_batches)]))
            best = {"valid_error": valid_error, "test_error": test_error, "epoch": epoch}
            say(
                f"     epoch {epoch}, minibatch {done}/{n_train_batches}, "
                f"test error of best model {test_error * 100:f} %"
            )
    best["seconds"] = time.perf_counter() - start
    best["steps"] = steps
    say(
        f"Optimization complete with best validation score of "
        f"{best['valid_error'] * 100:f} %,with test performance "
        f"{best['test_error'] * 100:f} %"
    )
    say(f"The code run for {epoch} epochs, with {epoch / best['seconds']:f} epochs/sec")
    if verbose:
        print(
            f"The code for file {os.path.basename(__file__)} ran for {best['seconds']:.1f}s",
            file=sys.stderr,
        )
    return best


def tutorial_parser(
    doc: str,
    epochs: int,
    batch_size: int,
    learning_rate: float | None = None,
    epochs_help: str = "passes over the training set",
    learning_rate_help: str = "SGD step size",
) -> argparse.ArgumentParser:
    """The tutorials' shared options: ``--epochs``, ``--batch-size``, ``--learning-rate``
    (when the tutorial has one), ``--n-train``, ``--max-steps``, ``--float32`` and
    ``--progress-interval``; ``doc`` (the tutorial's docstring) gives the description."""
    parser = script_parser(doc)
    parser.add_argument("--epochs", type=int, default=epochs, help=epochs_help)
    parser.add_argument("--batch-size", type=int, default=batch_size, help="examples per step")
    if learning_rate is not None:
        parser.add_argument(
            "--learning-rate", type=float, default=learning_rate, help=learning_rate_help
        )
    parser.add_argument(
        "--n-train",
        type=positive_int,
        metavar="N",
        help="train on the first N of the 50,000 training images only (default: all)",
    )
    parser.add_argument(
        "--max-steps",
        type=positive_int,
        metavar="N",
        help="stop after N training steps (minibatches) in all, then validate and test "
        "(default: no limit)",
    )
    parser.add_argument(
        "--float32", action="store_true", help="compute in float32 instead of float64"
    )
    parser.add_argument(
        "--progress-interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="when stderr is not a terminal, write a progress line at most this often, and "
        "at most once per tenth of an epoch",
    )
    return parser


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def command_line(parser: argparse.ArgumentParser, argv: list[str] | None = None):
    """Parse the tutorial's options; ``--float32`` sets ``floatX``."""
    args = parser.parse_args(argv)
    if args.n_train is not None and args.n_train < args.batch_size:
        parser.error(f"--n-train {args.n_train} is less than one batch ({args.batch_size})")
    if args.float32:
        symgraph.config.floatX = "float32"
    return args


def make_parser() -> argparse.ArgumentParser:
    return tutorial_parser(__doc__, epochs=10, batch_size=600, learning_rate=0.13)


def train_from_command_line(train, parser: argparse.ArgumentParser, argv=None) -> dict:
    """Parse the shared options (``tutorial_parser``) and call ``train`` with them."""
    args = command_line(parser, argv)
    return train(
        args.epochs,
        args.batch_size,
        args.learning_rate,
        n_train=args.n_train,
        max_steps=args.max_steps,
        progress_interval=args.progress_interval,
    )


def main(argv: list[str] | None = None) -> None:
    train_from_command_line(train, make_parser(), argv)


if __name__ == "__main__":
    main()
