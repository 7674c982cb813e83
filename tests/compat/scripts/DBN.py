"""A deep belief network on MNIST, written for Theano (the shape of the deeplearning.net
tutorial's ``DBN.py``): a stack of RBMs sharing their weights with the sigmoid layers of
an MLP is pretrained greedily, one layer at a time, by CD-k (a ``theano.scan`` Gibbs
chain drawing with MRG random streams inside its step); the MLP with a logistic
regression on top is then finetuned by SGD with early stopping.

python -m symgraph.compat.theano DBN.py DATASET [PRETRAIN_EPOCHS [TRAINING_EPOCHS [HIDDEN [BATCH]]]]

HIDDEN is a comma-separated list of layer sizes.
"""

# ruff: noqa: UP031, UP004, UP008, B006 - old-style Python, kept as Theano users wrote it

import sys
import timeit

import numpy
import theano
import theano.tensor as T
from logistic_sgd import LogisticRegression, load_data
from mlp import HiddenLayer
from rbm import RBM
from theano.sandbox.rng_mrg import MRG_RandomStreams


class DBN(object):
    """An MLP whose sigmoid layers are the (shared-weight) hidden layers of RBMs."""

    def __init__(self, numpy_rng, theano_rng=None, n_ins=784, hidden_layers_sizes=[500, 500],
                 n_outs=10):  # fmt: skip
        self.sigmoid_layers = []
        self.rbm_layers = []
        self.params = []
        self.n_layers = len(hidden_layers_sizes)

        assert self.n_layers > 0

        if not theano_rng:
            theano_rng = MRG_RandomStreams(numpy_rng.randint(2**30))

        self.x = T.matrix("x")
        self.y = T.ivector("y")

        for i in range(self.n_layers):
            if i == 0:
                input_size = n_ins
                layer_input = self.x
            else:
                input_size = hidden_layers_sizes[i - 1]
                layer_input = self.sigmoid_layers[-1].output

            sigmoid_layer = HiddenLayer(rng=numpy_rng, input=layer_input, n_in=input_size,
                                        n_out=hidden_layers_sizes[i],
                                        activation=T.nnet.sigmoid)  # fmt: skip
            self.sigmoid_layers.append(sigmoid_layer)
            # only the sigmoid layers' parameters are the DBN's: the RBMs' visible biases
            # are used in pretraining only
            self.params.extend(sigmoid_layer.params)

            rbm_layer = RBM(numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input,
                            n_visible=input_size, n_hidden=hidden_layers_sizes[i],
                            W=sigmoid_layer.W, hbias=sigmoid_layer.b)  # fmt: skip
            self.rbm_layers.append(rbm_layer)

        self.logLayer = LogisticRegression(
            input=self.sigmoid_layers[-1].output, n_in=hidden_layers_sizes[-1], n_out=n_outs
        )
        self.params.extend(self.logLayer.params)

        self.finetune_cost = self.logLayer.negative_log_likelihood(self.y)
        self.errors = self.logLayer.errors(self.y)

    def pretraining_functions(self, train_set_x, batch_size, k):
        """One function per RBM doing a CD-k step on minibatch ``index``; the learning
        rate ``lr`` is an input with a default."""
        index = T.lscalar("index")
        learning_rate = T.scalar("lr")
        batch_begin = index * batch_size
        batch_end = batch_begin + batch_size

        pretrain_fns = []
        for rbm in self.rbm_layers:
            cost, updates = rbm.get_cost_updates(learning_rate, persistent=None, k=k)
            fn = theano.function(
                inputs=[index, theano.In(learning_rate, value=0.1)],
                outputs=cost,
                updates=updates,
                givens={self.x: train_set_x[batch_begin:batch_end]},
            )
            pretrain_fns.append(fn)
        return pretrain_fns

    def build_finetune_functions(self, datasets, batch_size, learning_rate):
        (train_set_x, train_set_y) = datasets[0]
        (valid_set_x, valid_set_y) = datasets[1]
        (test_set_x, test_set_y) = datasets[2]

        n_valid_batches = valid_set_x.get_value(borrow=True).shape[0] // batch_size
        n_test_batches = test_set_x.get_value(borrow=True).shape[0] // batch_size

        index = T.lscalar("index")
        gparams = T.grad(self.finetune_cost, self.params)
        updates = []
        for param, gparam in zip(self.params, gparams):
            updates.append((param, param - gparam * learning_rate))

        train_fn = theano.function(
            inputs=[index],
            outputs=self.finetune_cost,
            updates=updates,
            givens={
                self.x: train_set_x[index * batch_size : (index + 1) * batch_size],
                self.y: train_set_y[index * batch_size : (index + 1) * batch_size],
            },
        )
        test_score_i = theano.function(
            [index],
            self.errors,
            givens={
                self.x: test_set_x[index * batch_size : (index + 1) * batch_size],
                self.y: test_set_y[index * batch_size : (index + 1) * batch_size],
            },
        )
        valid_score_i = theano.function(
            [index],
            self.errors,
            givens={
                self.x: valid_set_x[index * batch_size : (index + 1) * batch_size],
                self.y: valid_set_y[index * batch_size : (index + 1) * batch_size],
            },
        )

        def valid_score():
            return [valid_score_i(i) for i in range(n_valid_batches)]

        def test_score():
            return [test_score_i(i) for i in range(n_test_batches)]

        return train_fn, valid_score, test_score


def test_DBN(finetune_lr=0.1, pretraining_epochs=100, pretrain_lr=0.01, k=1,
             training_epochs=1000, dataset="mnist.pkl.gz", batch_size=10,
             hidden_layers_sizes=[1000, 1000, 1000]):  # fmt: skip
    datasets = load_data(dataset)

    train_set_x, train_set_y = datasets[0]

    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    numpy_rng = numpy.random.RandomState(123)
    print("... building the model")
    dbn = DBN(numpy_rng=numpy_rng, n_ins=28 * 28, hidden_layers_sizes=hidden_layers_sizes,
              n_outs=10)  # fmt: skip

    print("... getting the pretraining functions")
    pretraining_fns = dbn.pretraining_functions(train_set_x=train_set_x, batch_size=batch_size,
                                                k=k)  # fmt: skip

    print("... pre-training the model")
    start_time = timeit.default_timer()
    for i in range(dbn.n_layers):
        for epoch in range(pretraining_epochs):
            c = []
            for batch_index in range(n_train_batches):
                c.append(pretraining_fns[i](index=batch_index, lr=pretrain_lr))
            print("Pre-training layer %i, epoch %d, cost " % (i, epoch), end=" ")
            print(numpy.mean(c, dtype="float64"))
    end_time = timeit.default_timer()
    print("The pretraining code ran for %.2fm" % ((end_time - start_time) / 60.0))

    print("... getting the finetuning functions")
    train_fn, validate_model, test_model = dbn.build_finetune_functions(
        datasets=datasets, batch_size=batch_size, learning_rate=finetune_lr
    )

    print("... finetuning the model")
    patience = 4 * n_train_batches
    patience_increase = 2.0
    improvement_threshold = 0.995
    validation_frequency = min(n_train_batches, patience / 2)

    best_validation_loss = numpy.inf
    test_score = 0.0
    start_time = timeit.default_timer()

    done_looping = False
    epoch = 0
    best_iter = 0

    while (epoch < training_epochs) and (not done_looping):
        epoch = epoch + 1
        for minibatch_index in range(n_train_batches):
            train_fn(minibatch_index)
            iter = (epoch - 1) * n_train_batches + minibatch_index

            if (iter + 1) % validation_frequency == 0:
                validation_losses = validate_model()
                this_validation_loss = numpy.mean(validation_losses, dtype="float64")
                print("epoch %i, minibatch %i/%i, validation error %f %%"
                      % (epoch, minibatch_index + 1, n_train_batches,
                         this_validation_loss * 100.0))  # fmt: skip

                if this_validation_loss < best_validation_loss:
                    if this_validation_loss < best_validation_loss * improvement_threshold:
                        patience = max(patience, iter * patience_increase)
                    best_validation_loss = this_validation_loss
                    best_iter = iter

                    test_losses = test_model()
                    test_score = numpy.mean(test_losses, dtype="float64")
                    print("     epoch %i, minibatch %i/%i, test error of best model %f %%"
                          % (epoch, minibatch_index + 1, n_train_batches,
                             test_score * 100.0))  # fmt: skip

            if patience <= iter:
                done_looping = True
                break

    end_time = timeit.default_timer()
    print(("Optimization complete with best validation score of %f %%, "
           "obtained at iteration %i, with test performance %f %%")
          % (best_validation_loss * 100.0, best_iter + 1, test_score * 100.0))  # fmt: skip
    print("The fine tuning code ran for %.2fm" % ((end_time - start_time) / 60.0))


if __name__ == "__main__":
    args = sys.argv[1:]
    test_DBN(
        dataset=args[0] if args else "mnist.pkl.gz",
        pretraining_epochs=int(args[1]) if len(args) > 1 else 100,
        training_epochs=int(args[2]) if len(args) > 2 else 1000,
        hidden_layers_sizes=[int(n) for n in args[3].split(",")] if len(args) > 3 else [1000] * 3,
        batch_size=int(args[4]) if len(args) > 4 else 10,
    )
