"""A rectifier convnet on MNIST written for Theano, in the style of the popular
"Theano tutorials" scripts: 'full' convolution from the old ``conv`` module, pooling with
``max_pool_2d`` and no ``ignore_border`` (Theano warned and kept partial windows),
dropout from ``MRG_RandomStreams``, RMSprop, one-hot targets and
``allow_input_downcast``.  Feature maps go 28 -> 30 -> 15 -> 13 -> 7 -> 5 -> 3.

    python -m symgraph.compat.theano convnet_full_mode.py DATASET [N_EPOCHS [N_TRAIN]]

Prints one line per epoch: ``epoch %i, validation error %f %%``.
"""

# ruff: noqa: UP031, N802, N803, N806 - old-style Python, kept as Theano users wrote it

import gzip
import pickle
import sys

import numpy as np
import theano
import theano.tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams
from theano.tensor.nnet.conv import conv2d
from theano.tensor.signal.downsample import max_pool_2d

srng = RandomStreams(1234)
rng = np.random.RandomState(0)


def floatX(X):
    return np.asarray(X, dtype=theano.config.floatX)


def init_weights(shape):
    fan_in = np.prod(shape[1:])
    return theano.shared(floatX(rng.uniform(-1, 1, shape) * np.sqrt(6.0 / fan_in)))


def rectify(X):
    return T.maximum(X, 0.0)


def dropout(X, p=0.0):
    if p > 0:
        keep = 1 - p
        X *= srng.binomial(X.shape, p=keep, dtype=theano.config.floatX)
        X /= keep
    return X


def RMSprop(cost, params, lr=0.001, rho=0.9, epsilon=1e-6):
    updates = []
    for p, g in zip(params, T.grad(cost=cost, wrt=params)):
        acc = theano.shared(p.get_value() * 0.0)
        acc_new = rho * acc + (1 - rho) * g**2
        updates.append((acc, acc_new))
        updates.append((p, p - lr * g / T.sqrt(acc_new + epsilon)))
    return updates


def model(X, w, w2, w3, w4, w_o, p_drop_conv, p_drop_hidden):
    l1 = dropout(max_pool_2d(rectify(conv2d(X, w, border_mode="full")), (2, 2)), p_drop_conv)
    l2 = dropout(max_pool_2d(rectify(conv2d(l1, w2)), (2, 2)), p_drop_conv)
    l3b = max_pool_2d(rectify(conv2d(l2, w3)), (2, 2))
    l3 = dropout(T.flatten(l3b, outdim=2), p_drop_conv)
    l4 = dropout(rectify(T.dot(l3, w4)), p_drop_hidden)
    return T.nnet.softmax(T.dot(l4, w_o))


def one_hot(labels):
    out = np.zeros((len(labels), 10), dtype=theano.config.floatX)
    out[np.arange(len(labels)), labels] = 1
    return out


def main(dataset, n_epochs, n_train):
    with gzip.open(dataset, "rb") as f:
        (trX, trY), (vaX, vaY), _ = pickle.load(f)
    trX, trY = trX[:n_train].reshape(-1, 1, 28, 28), one_hot(trY[:n_train])
    vaX = vaX.reshape(-1, 1, 28, 28)

    X = T.ftensor4()
    Y = T.fmatrix()
    w = init_weights((32, 1, 3, 3))
    w2 = init_weights((64, 32, 3, 3))
    w3 = init_weights((128, 64, 3, 3))
    w4 = init_weights((128 * 3 * 3, 625))
    w_o = init_weights((625, 10))
    params = [w, w2, w3, w4, w_o]
    noise_py_x = model(X, *(params + [0.2, 0.5]))
    py_x = model(X, *(params + [0.0, 0.0]))
    cost = T.mean(T.nnet.categorical_crossentropy(noise_py_x, Y))
    train = theano.function(
        inputs=[X, Y], outputs=cost, updates=RMSprop(cost, params), allow_input_downcast=True
    )
    predict = theano.function(inputs=[X], outputs=T.argmax(py_x, axis=1), allow_input_downcast=True)
    for epoch in range(1, n_epochs + 1):
        for start, end in zip(range(0, len(trX), 128), range(128, len(trX) + 1, 128)):
            train(trX[start:end], trY[start:end])
        error = np.mean(predict(vaX) != vaY)
        print("epoch %i, validation error %f %%" % (epoch, error * 100.0))


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], int(args[1]) if len(args) > 1 else 1, int(args[2]) if len(args) > 2 else 6000)
