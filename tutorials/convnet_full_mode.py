"""A rectifier convnet using 'full' convolution, pooling that keeps partial windows
(``ignore_border=False``) and dropout from random streams, trained with RMSprop; on 28x28
MNIST digits the feature maps go 28 -> 30 -> 15 -> 13 -> 7 -> 5 -> 3. Each epoch prints the
validation error, and the end the test error.

    python tutorials/convnet_full_mode.py --epochs 2 --float32

    python tutorials/convnet_full_mode.py --n-train 1280 --epochs 1 --float32     # 10 steps
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import symgraph
import symgraph.tensor as T
from symgraph.datasets import load_mnist
from symgraph.tensor.random import RandomStreams
from symgraph.utils import progress, write

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from logistic_sgd import command_line, tutorial_parser  # noqa: E402


def init_weights(rng, shape):
    """He-style uniform initialisation for rectifier layers."""
    fan_in = np.prod(shape[1:])
    bound = np.sqrt(6.0 / fan_in)
    return symgraph.shared(rng.uniform(-bound, bound, shape).astype(symgraph.config.floatX))


def dropout(srng, x, p):
    """Zero each unit with probability ``p`` (a new mask at every call), scale the rest."""
    if p <= 0:
        return x
    mask = srng.binomial(size=x.shape, p=1 - p, dtype=x.dtype)
    return x * mask / (1 - p)


def model(x, params, srng, p_drop_conv, p_drop_hidden):
    """The network; returns the class probabilities and every intermediate map."""
    w1, w2, w3, w4, w_out = params

    def conv(image, w, **kwargs):  # declared filter shapes give static map sizes
        return T.conv2d(image, w, filter_shape=w.get_value(borrow=True).shape, **kwargs)

    c1 = T.relu(conv(x, w1, border_mode="full", input_shape=(None, 1, 28, 28)))  # 28 -> 30
    p1 = T.pool_2d(c1, (2, 2), ignore_border=False)  # 30 -> 15
    p1 = dropout(srng, p1, p_drop_conv)
    c2 = T.relu(conv(p1, w2))  # 15 -> 13
    p2 = T.pool_2d(c2, (2, 2), ignore_border=False)  # 13 -> 7
    p2 = dropout(srng, p2, p_drop_conv)
    c3 = T.relu(conv(p2, w3))  # 7 -> 5
    p3 = T.pool_2d(c3, (2, 2), ignore_border=False)  # 5 -> 3
    flat = dropout(srng, p3.flatten(2), p_drop_conv)  # 128 * 3 * 3
    hidden = dropout(srng, T.relu(T.dot(flat, w4)), p_drop_hidden)
    probabilities = T.nnet.softmax(T.dot(hidden, w_out))
    return probabilities, (c1, p1, c2, p2, c3, p3, flat)


def rmsprop(cost, params, lr=0.001, rho=0.9, epsilon=1e-6):
    """RMSprop updates (running average of squared gradients per parameter)."""
    updates = []
    for p, g in zip(params, symgraph.grad(cost, params)):
        acc = symgraph.shared(np.zeros(p.get_value(borrow=True).shape, dtype=p.dtype))
        acc_new = rho * acc + (1 - rho) * g**2
        updates += [(acc, acc_new), (p, p - lr * g / T.sqrt(acc_new + epsilon))]
    return updates


def build(batch_size: int = 128, seed: int = 0):
    rng = np.random.default_rng(seed)
    srng = RandomStreams(seed)
    params = [
        init_weights(rng, (32, 1, 3, 3)),
        init_weights(rng, (64, 32, 3, 3)),
        init_weights(rng, (128, 64, 3, 3)),
        init_weights(rng, (128 * 3 * 3, 625)),
        init_weights(rng, (625, 10)),
    ]
    x, y = T.tensor4("x"), T.ivector("y")
    noisy, _ = model(x, params, srng, 0.2, 0.5)
    clean, maps = model(x, params, srng, 0.0, 0.0)
    cost = T.nnet.categorical_crossentropy(noisy, y).mean()
    train = symgraph.function([x, y], cost, updates=rmsprop(cost, params), name="train")
    predict = symgraph.function([x], T.argmax(clean, axis=1), name="predict")
    return train, predict, maps, x


def train(
    epochs: int = 2,
    batch_size: int = 128,
    n_train: int | None = None,
    verbose: bool = True,
    *,
    max_steps: int | None = None,
    progress_interval: float = 30.0,
) -> dict:
    """Train with RMSprop; return the last validation error, the test error and the time.

    ``n_train``, ``max_steps`` and ``progress_interval`` as in ``logistic_sgd.train``.
    """
    floatX = symgraph.config.floatX
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = load_mnist(dtype=floatX)
    if n_train is not None:
        train_x, train_y = train_x[:n_train], train_y[:n_train]
    train_x = train_x.reshape(-1, 1, 28, 28)
    starts = range(0, len(train_x) - batch_size + 1, batch_size)
    if not starts:
        raise ValueError(f"{len(train_x)} training examples make no batch of {batch_size}")
    train_fn, predict, _, _ = build(batch_size)

    def error(data_x, data_y) -> float:
        data_x = data_x.reshape(-1, 1, 28, 28)
        wrong = sum(
            int((predict(data_x[i : i + 500]) != data_y[i : i + 500]).sum())
            for i in range(0, len(data_x), 500)
        )
        return wrong / len(data_x)

    start = time.perf_counter()
    result = {}
    steps = epoch = 0
    while epoch < epochs and steps != max_steps:
        epoch += 1
        with progress(
            total=len(starts),
            desc=f"epoch {epoch}",
            interval=progress_interval,
            disable=not verbose,
        ) as bar:
            for i in starts:
                train_fn(train_x[i : i + batch_size], train_y[i : i + batch_size].astype("int32"))
                bar.update()
                steps += 1
                if steps == max_steps:
                    break
        result = {"epoch": epoch, "valid_error": error(valid_x, valid_y)}
        if verbose:
            write(f"epoch {epoch}, validation error {result['valid_error'] * 100:f} %")
    result["test_error"] = error(test_x, test_y)
    result["seconds"] = time.perf_counter() - start
    result["steps"] = steps
    if verbose:
        write(f"test error {result['test_error'] * 100:f} %, in {result['seconds']:.1f}s")
    return result


def make_parser():
    return tutorial_parser(__doc__, epochs=2, batch_size=128)


def main(argv: list[str] | None = None) -> None:
    args = command_line(make_parser(), argv)
    train(
        args.epochs,
        args.batch_size,
        n_train=args.n_train,
        max_steps=args.max_steps,
        progress_interval=args.progress_interval,
    )


if __name__ == "__main__":
    main()
