"""LeNet on MNIST, written for Theano (the tutorials' ``convolutional_mlp.py`` shape,
with the old ``downsample`` and ``conv`` modules and their deprecated keywords).

    python -m symgraph.compat.theano convolutional_mlp.py DATASET [N_EPOCHS [BATCH_SIZE]]
"""

# ruff: noqa: UP031, UP004, B006 - old-style Python, kept as Theano users wrote it

import sys

import numpy
import theano
import theano.tensor as T
from logistic_sgd import LogisticRegression, load_data
from mlp import HiddenLayer
from theano.tensor.nnet import conv
from theano.tensor.signal import downsample


class LeNetConvPoolLayer(object):
    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2)):
        assert image_shape[1] == filter_shape[1]
        self.input = input
        fan_in = numpy.prod(filter_shape[1:])
        fan_out = filter_shape[0] * numpy.prod(filter_shape[2:]) // numpy.prod(poolsize)
        W_bound = numpy.sqrt(6.0 / (fan_in + fan_out))
        self.W = theano.shared(
            numpy.asarray(
                rng.uniform(low=-W_bound, high=W_bound, size=filter_shape),
                dtype=theano.config.floatX,
            ),
            borrow=True,
        )
        b_values = numpy.zeros((filter_shape[0],), dtype=theano.config.floatX)
        self.b = theano.shared(value=b_values, borrow=True)
        conv_out = conv.conv2d(
            input=input, filters=self.W, filter_shape=filter_shape, image_shape=image_shape
        )
        pooled_out = downsample.max_pool_2d(input=conv_out, ds=poolsize, ignore_border=True)
        self.output = T.tanh(pooled_out + self.b.dimshuffle("x", 0, "x", "x"))
        self.params = [self.W, self.b]


def evaluate_lenet5(
    learning_rate=0.1, n_epochs=200, dataset="mnist.pkl.gz", nkerns=[20, 50], batch_size=500
):
    rng = numpy.random.RandomState(23455)
    datasets = load_data(dataset)
    train_set_x, train_set_y = datasets[0]
    valid_set_x, valid_set_y = datasets[1]
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size
    n_valid_batches = valid_set_x.get_value(borrow=True).shape[0] // batch_size

    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")
    print("... building the model")
    layer0_input = x.reshape((batch_size, 1, 28, 28))
    layer0 = LeNetConvPoolLayer(
        rng,
        input=layer0_input,
        image_shape=(batch_size, 1, 28, 28),
        filter_shape=(nkerns[0], 1, 5, 5),
        poolsize=(2, 2),
    )
    layer1 = LeNetConvPoolLayer(
        rng,
        input=layer0.output,
        image_shape=(batch_size, nkerns[0], 12, 12),
        filter_shape=(nkerns[1], nkerns[0], 5, 5),
        poolsize=(2, 2),
    )
    layer2 = HiddenLayer(
        rng, input=layer1.output.flatten(2), n_in=nkerns[1] * 4 * 4, n_out=500, activation=T.tanh
    )
    layer3 = LogisticRegression(input=layer2.output, n_in=500, n_out=10)
    cost = layer3.negative_log_likelihood(y)
    validate_model = theano.function(
        [index],
        layer3.errors(y),
        givens={
            x: valid_set_x[index * batch_size : (index + 1) * batch_size],
            y: valid_set_y[index * batch_size : (index + 1) * batch_size],
        },
    )
    params = layer3.params + layer2.params + layer1.params + layer0.params
    grads = T.grad(cost, params)
    updates = [
        (param_i, param_i - learning_rate * grad_i) for param_i, grad_i in zip(params, grads)
    ]
    train_model = theano.function(
        [index],
        cost,
        updates=updates,
        givens={
            x: train_set_x[index * batch_size : (index + 1) * batch_size],
            y: train_set_y[index * batch_size : (index + 1) * batch_size],
        },
    )

    print("... training")
    for epoch in range(1, n_epochs + 1):
        for minibatch_index in range(n_train_batches):
            train_model(minibatch_index)
        this_validation_loss = numpy.mean([validate_model(i) for i in range(n_valid_batches)])
        print(
            "epoch %i, minibatch %i/%i, validation error %f %%"
            % (epoch, n_train_batches, n_train_batches, this_validation_loss * 100.0)
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    evaluate_lenet5(
        dataset=args[0],
        n_epochs=int(args[1]) if len(args) > 1 else 1,
        batch_size=int(args[2]) if len(args) > 2 else 500,
    )
