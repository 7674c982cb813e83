"""A denoising autoencoder on MNIST, written for Theano in the shape of the tutorials' dA.

A ``dA`` class (tied weights, sigmoid units, cross-entropy reconstruction cost) whose
inputs are corrupted with ``theano_rng.binomial`` masks from
``theano.tensor.shared_randomstreams.RandomStreams`` seeded by ``numpy_rng.randint(2 ** 30)``,
trained by minibatch SGD. Kept free of symgraph imports: the compat tests import its
``dA`` class and run it with

    python -m symgraph.compat.theano dA.py DATASET [N_EPOCHS [BATCH_SIZE [N_TRAIN]]]
"""

# ruff: noqa: UP031 - the tutorial's %-formatting, kept as Theano users wrote it

import os
import sys
import timeit

import numpy
import theano
import theano.tensor as T
from theano.tensor.shared_randomstreams import RandomStreams

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from logistic_sgd import load_data  # noqa: E402


class dA:  # noqa: N801 - the tutorial's name
    """Denoising autoencoder: reconstruct x from a corrupted copy of x."""

    def __init__(
        self,
        numpy_rng,
        theano_rng=None,
        input=None,
        n_visible=784,
        n_hidden=500,
        W=None,
        bhid=None,
        bvis=None,
    ):
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        if not theano_rng:
            theano_rng = RandomStreams(numpy_rng.randint(2**30))
        if not W:
            bound = 4 * numpy.sqrt(6.0 / (n_hidden + n_visible))
            initial_W = numpy.asarray(
                numpy_rng.uniform(low=-bound, high=bound, size=(n_visible, n_hidden)),
                dtype=theano.config.floatX,
            )
            W = theano.shared(value=initial_W, name="W", borrow=True)
        if not bvis:
            bvis = theano.shared(
                value=numpy.zeros(n_visible, dtype=theano.config.floatX), borrow=True
            )
        if not bhid:
            bhid = theano.shared(
                value=numpy.zeros(n_hidden, dtype=theano.config.floatX), name="b", borrow=True
            )
        self.W = W
        self.b = bhid
        self.b_prime = bvis
        self.W_prime = self.W.T
        self.theano_rng = theano_rng
        self.x = T.dmatrix(name="input") if input is None else input
        self.params = [self.W, self.b, self.b_prime]

    def get_corrupted_input(self, input, corruption_level):
        """Zero each entry with probability ``corruption_level`` (a binomial mask)."""
        return (
            self.theano_rng.binomial(
                size=input.shape, n=1, p=1 - corruption_level, dtype=theano.config.floatX
            )
            * input
        )

    def get_hidden_values(self, input):
        return T.nnet.sigmoid(T.dot(input, self.W) + self.b)

    def get_reconstructed_input(self, hidden):
        return T.nnet.sigmoid(T.dot(hidden, self.W_prime) + self.b_prime)

    def get_cost_updates(self, corruption_level, learning_rate):
        """The mean cross-entropy of the reconstruction and one SGD step."""
        tilde_x = self.get_corrupted_input(self.x, corruption_level)
        y = self.get_hidden_values(tilde_x)
        z = self.get_reconstructed_input(y)
        L = -T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
        cost = T.mean(L)
        gparams = T.grad(cost, self.params)
        updates = [
            (param, param - learning_rate * gparam) for param, gparam in zip(self.params, gparams)
        ]
        return (cost, updates)


def test_dA(
    learning_rate=0.1, training_epochs=15, dataset="mnist.pkl.gz", batch_size=20, n_train=None
):
    """Train a dA with 30 % corruption, printing the mean cost of each epoch."""
    datasets = load_data(dataset)
    train_set_x, train_set_y = datasets[0]
    if n_train is not None:
        train_set_x = theano.shared(train_set_x.get_value(borrow=True)[:n_train], borrow=True)
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    index = T.lscalar()
    x = T.matrix("x")

    rng = numpy.random.RandomState(123)
    theano_rng = RandomStreams(rng.randint(2**30))
    da = dA(numpy_rng=rng, theano_rng=theano_rng, input=x, n_visible=28 * 28, n_hidden=500)
    cost, updates = da.get_cost_updates(corruption_level=0.3, learning_rate=learning_rate)
    train_da = theano.function(
        [index],
        cost,
        updates=updates,
        givens={x: train_set_x[index * batch_size : (index + 1) * batch_size]},
    )

    start_time = timeit.default_timer()
    for epoch in range(training_epochs):
        c = []
        for batch_index in range(n_train_batches):
            c.append(train_da(batch_index))
        print("Training epoch %d, cost %.10f" % (epoch, numpy.mean(c, dtype="float64")))
    end_time = timeit.default_timer()
    print(
        "The 30%% corruption code ran for %.2fm" % ((end_time - start_time) / 60.0), file=sys.stderr
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    test_dA(
        dataset=args[0] if args else "mnist.pkl.gz",
        training_epochs=int(args[1]) if len(args) > 1 else 15,
        batch_size=int(args[2]) if len(args) > 2 else 20,
        n_train=int(args[3]) if len(args) > 3 else None,
    )
