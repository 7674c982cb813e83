"""LeNet on MNIST: two convolution + max-pooling layers, a tanh hidden layer and a softmax
(the Theano tutorial's ``convolutional_mlp.py``: nkerns 20 and 50, batch 500, learning rate
0.1, early stopping with patience). The tutorial's default of 200 epochs takes over an hour
(75 minutes measured on 2 cores in float32); --epochs 2 takes about a minute, and
--max-steps 10 (ten training steps, then validation and test) a few seconds.

    python tutorials/convolutional_mlp.py --epochs 2 --float32

    python tutorials/convolutional_mlp.py --max-steps 10 --float32

    python tutorials/convolutional_mlp.py --float32     # the tutorial's full run
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
    command_line,
    shared_dataset,
    tutorial_parser,
)
from mlp import HiddenLayer  # noqa: E402


class LeNetConvPoolLayer:
    """``tanh(max_pool(conv(x, W)) + b)`` with Glorot-uniform filters."""

    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2)) -> None:
        assert image_shape[1] == filter_shape[1]
        floatX = symgraph.config.floatX
        fan_in = np.prod(filter_shape[1:])
        fan_out = filter_shape[0] * np.prod(filter_shape[2:]) // np.prod(poolsize)
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        self.W = symgraph.shared(
            rng.uniform(-bound, bound, size=filter_shape).astype(floatX), name="W"
        )
        self.b = symgraph.shared(np.zeros(filter_shape[0], dtype=floatX), name="b")
        conv_out = T.nnet.conv2d(input, self.W, filter_shape=filter_shape, input_shape=image_shape)
        pooled = T.pool_2d(conv_out, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled + self.b.dimshuffle("x", 0, "x", "x"))
        self.params = [self.W, self.b]


class LeNet:
    """The tutorial's network for 28x28 images."""

    def __init__(self, rng, x, batch_size: int, nkerns=(20, 50)) -> None:
        layer0_input = x.reshape((batch_size, 1, 28, 28))
        self.layer0 = LeNetConvPoolLayer(
            rng,
            layer0_input,
            image_shape=(batch_size, 1, 28, 28),
            filter_shape=(nkerns[0], 1, 5, 5),
        )
        self.layer1 = LeNetConvPoolLayer(
            rng,
            self.layer0.output,
            image_shape=(batch_size, nkerns[0], 12, 12),
            filter_shape=(nkerns[1], nkerns[0], 5, 5),
        )
        self.layer2 = HiddenLayer(rng, self.layer1.output.flatten(2), nkerns[1] * 4 * 4, 500)
        self.layer3 = LogisticRegression(self.layer2.output, 500, 10)
        self.params = (
            self.layer3.params + self.layer2.params + self.layer1.params + self.layer0.params
        )
        self.negative_log_likelihood = self.layer3.negative_log_likelihood
        self.errors = self.layer3.errors


def build(
    train_x,
    train_y,
    batch_size: int = 500,
    learning_rate: float = 0.1,
    nkerns=(20, 50),
    seed: int = 23455,
    mode=None,
):
    """The model and its training function (SGD on minibatches sliced from shared data)."""
    rng = np.random.RandomState(seed)
    index = T.lscalar("index")
    x = T.matrix("x")
    y = T.ivector("y")
    model = LeNet(rng, x, batch_size, nkerns)
    cost = model.negative_log_likelihood(y)
    grads = symgraph.grad(cost, model.params)
    batch = slice(index * batch_size, (index + 1) * batch_size)
    train_model = symgraph.function(
        [index],
        cost,
        updates=[(p, p - learning_rate * g) for p, g in zip(model.params, grads)],
        givens={x: train_x[batch], y: train_y[batch]},
        name="train_model",
        mode=mode,
    )
    return model, train_model, (index, x, y)


def train(
    epochs: int = 200,
    batch_size: int = 500,
    learning_rate: float = 0.1,
    nkerns=(20, 50),
    n_train: int | None = None,
    patience: int = 10000,
    verbose: bool = True,
    *,
    max_steps: int | None = None,
    progress_interval: float = 30.0,
    mode=None,
) -> dict:
    """Train with the tutorial's early stopping; return the best validation error, the
    test error of that model, the epoch reached and the time taken.

    ``n_train``, ``max_steps`` and ``progress_interval`` as in ``logistic_sgd.train``;
    ``mode`` compiles the functions (``"JAX"``: the JAX backend).
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
    model, train_model, (index, x, y) = build(
        train_x, train_y, batch_size, learning_rate, nkerns, mode=mode
    )
    batch = slice(index * batch_size, (index + 1) * batch_size)

    def evaluator(data_x, data_y):
        return symgraph.function(
            [index],
            model.errors(y),
            givens={x: data_x[batch], y: data_y[batch]},
            name="errors",
            mode=mode,
        )

    validate, test = evaluator(valid_x, valid_y), evaluator(test_x, test_y)

    patience_increase, improvement_threshold = 2, 0.995
    validation_frequency = min(n_train_batches, patience // 2)
    best = {"valid_error": np.inf, "test_error": np.inf, "epoch": 0, "iteration": 0}
    say("... training")
    start = time.perf_counter()
    epoch, done = 0, False
    while epoch < epochs and not done:
        epoch += 1
        with progress(
            total=n_train_batches,
            desc=f"epoch {epoch}",
            interval=progress_interval,
            disable=not verbose,
        ) as bar:
            for minibatch_index in range(n_train_batches):
                iteration = (epoch - 1) * n_train_batches + minibatch_index
                if iteration % 100 == 0:
                    say(f"training @ iter =  {iteration}")
                train_model(minibatch_index)
                bar.update()
                last_step = iteration + 1 == max_steps
                if minibatch_index + 1 == n_train_batches or last_step:
                    bar.close()  # before validating, so the bar's times are the steps'
                if (iteration + 1) % validation_frequency == 0 or last_step:
                    valid_error = float(np.mean([validate(i) for i in range(n_valid_batches)]))
                    say(
                        f"epoch {epoch}, minibatch {minibatch_index + 1}/{n_train_batches}, "
                        f"validation error {valid_error * 100:f} %"
                    )
                    if valid_error < best["valid_error"]:
                        if valid_error < best["valid_error"] * improvement_threshold:
                            patience = max(patience, iteration * patience_increase)
                        test_error = float(np.mean([test(i) for i in range(n_test_batches)]))
                        best = {
                            "valid_error": valid_error,
                            "test_error": test_error,
                            "epoch": epoch,
                            "iteration": iteration + 1,
                        }
                        say(
                            f"     epoch {epoch}, minibatch {minibatch_index + 1}/"
                            f"{n_train_batches}, test error of best model "
                            f"{test_error * 100:f} %"
                        )
                if patience <= iteration or last_step:
                    done = True
                    break
    best["seconds"] = time.perf_counter() - start
    best["epochs_run"] = epoch
    best["steps"] = iteration + 1
    say("Optimization complete.")
    say(
        f"Best validation score of {best['valid_error'] * 100:f} % obtained at "
        f"iteration {best['iteration']}, with test performance "
        f"{best['test_error'] * 100:f} %"
    )
    if verbose:
        print(
            f"The code for file {os.path.basename(__file__)} ran for {best['seconds'] / 60:.2f}m",
            file=sys.stderr,
        )
    return best


def make_parser():
    parser = tutorial_parser(
        __doc__,
        epochs=200,
        batch_size=500,
        learning_rate=0.1,
        epochs_help="passes over the training set, at most (early stopping may end sooner); "
        "the tutorial's 200 take over an hour, 2 about a minute",
    )
    parser.add_argument(
        "--backend",
        choices=("numpy", "jax"),
        default="numpy",
        help="run the compiled functions on NumPy (default) or on JAX/XLA (needs the jax extra)",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = command_line(make_parser(), argv)
    train(
        args.epochs,
        args.batch_size,
        args.learning_rate,
        n_train=args.n_train,
        max_steps=args.max_steps,
        progress_interval=args.progress_interval,
        mode="JAX" if args.backend == "jax" else None,
    )


if __name__ == "__main__":
    main()
