"""A user op (a rectifier written for Theano, its gradient a second user op) inside a
LeNet-style network: conv2d, max pooling, the user op, a softmax layer; it trains on a
slice of MNIST."""

import numpy as np

import symgraph.compat.theano as theano
from symgraph.compat.theano import gof
from symgraph.compat.theano import tensor as T
from symgraph.compat.theano.tensor.nnet import conv2d
from symgraph.compat.theano.tensor.signal import pool
from symgraph.datasets import load_mnist


class Rectify(gof.Op):
    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.maximum(inputs[0], 0)

    def infer_shape(self, node, shapes):
        return shapes

    def grad(self, inputs, output_grads):
        return [RectifyGrad()(inputs[0], output_grads[0])]


class RectifyGrad(gof.Op):
    __props__ = ()

    def make_node(self, x, gz):
        x, gz = T.as_tensor_variable(x), T.as_tensor_variable(gz)
        return gof.Apply(self, [x, gz], [gz.type()])

    def perform(self, node, inputs, output_storage):
        x, gz = inputs
        output_storage[0][0] = gz * (x > 0)

    def infer_shape(self, node, shapes):
        return [shapes[1]]


def test_rectifier_gradient_op_matches_finite_differences():
    rng = np.random.default_rng(3)
    value = rng.normal(size=(3, 4))
    value[np.abs(value) < 0.1] = 0.5  # away from the kink
    theano.gradient.verify_grad(lambda a: (Rectify()(a) ** 2).sum(), [value], rng=rng)


def test_lenet_with_a_user_op_trains_on_mnist():
    (train_x, train_y), _, _ = load_mnist("float64")
    images, labels = train_x[:512].reshape(-1, 1, 28, 28), train_y[:512].astype("int32")
    rng = np.random.RandomState(1234)
    x, y = T.tensor4("x", dtype="float64"), T.ivector("y")
    filters = theano.shared(rng.normal(0, 0.1, size=(6, 1, 5, 5)), name="filters")
    bias = theano.shared(np.zeros(6), name="bias")
    weights = theano.shared(rng.normal(0, 0.01, size=(6 * 12 * 12, 10)), name="weights")
    offsets = theano.shared(np.zeros(10), name="offsets")
    features = conv2d(x, filters) + bias.dimshuffle("x", 0, "x", "x")
    pooled = pool.pool_2d(features, ws=(2, 2), ignore_border=True)
    hidden = Rectify()(pooled).flatten(2)
    p = T.nnet.softmax(T.dot(hidden, weights) + offsets)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    params = [filters, bias, weights, offsets]
    updates = [(w, w - 0.1 * g) for w, g in zip(params, T.grad(cost, params))]
    train = theano.function([x, y], cost, updates=updates)
    assert "_perform_Rectify" in train.source and "_perform_RectifyGrad" in train.source
    epoch_costs = []
    for _ in range(4):
        costs = [train(images[i : i + 64], labels[i : i + 64]) for i in range(0, 512, 64)]
        epoch_costs.append(float(np.mean(costs)))
    assert all(later < earlier for earlier, later in zip(epoch_costs, epoch_costs[1:]))
    assert epoch_costs[-1] < 0.8 * epoch_costs[0]
