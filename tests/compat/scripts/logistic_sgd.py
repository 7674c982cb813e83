"""Logistic regression on MNIST with minibatch SGD, written for Theano.

The shape of the Theano tutorials' ``logistic_sgd.py`` (load_data, a LogisticRegression
class, sgd_optimization_mnist with early stopping, a pickled best model and predict()),
kept free of symgraph imports: the compat tests run it with

    python -m symgraph.compat.theano logistic_sgd.py DATASET [N_EPOCHS [BATCH_SIZE]]
"""

# ruff: noqa: UP031 - the tutorial's %-formatting, kept as Theano users wrote it

import gzip
import os
import pickle
import sys
import timeit

import numpy
import theano
import theano.tensor as T


class LogisticRegression:
    """Multi-class logistic regression: p(y | x) = softmax(x W + b)."""

    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(
            value=numpy.zeros((n_in, n_out), dtype=theano.config.floatX), name="W", borrow=True
        )
        self.b = theano.shared(
            value=numpy.zeros((n_out,), dtype=theano.config.floatX), name="b", borrow=True
        )
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y):
        """Mean negative log-likelihood of the correct labels."""
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        """Fraction of misclassified examples in the minibatch."""
        if y.ndim != self.y_pred.ndim:
            raise TypeError(
                "y should have the same shape as self.y_pred",
                ("y", y.type, "y_pred", self.y_pred.type),
            )
        if y.dtype.startswith("int"):
            return T.mean(T.neq(self.y_pred, y))
        else:
            raise NotImplementedError()


def load_data(dataset):
    """Load the pickled (train, valid, test) sets into shared variables."""
    print("... loading data")
    with gzip.open(dataset, "rb") as f:
        try:
            train_set, valid_set, test_set = pickle.load(f, encoding="latin1")
        except TypeError:
            train_set, valid_set, test_set = pickle.load(f)

    def shared_dataset(data_xy, borrow=True):
        data_x, data_y = data_xy
        shared_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=borrow)
        shared_y = theano.shared(numpy.asarray(data_y, dtype=theano.config.floatX), borrow=borrow)
        # labels are stored as floats (for the GPU) and cast back for indexing
        return shared_x, T.cast(shared_y, "int32")

    test_set_x, test_set_y = shared_dataset(test_set)
    valid_set_x, valid_set_y = shared_dataset(valid_set)
    train_set_x, train_set_y = shared_dataset(train_set)

    rval = [(train_set_x, train_set_y), (valid_set_x, valid_set_y), (test_set_x, test_set_y)]
    return rval


def sgd_optimization_mnist(
    learning_rate=0.13, n_epochs=1000, dataset="mnist.pkl.gz", batch_size=600
):
    """Stochastic gradient descent with early stopping; saves best_model.pkl."""
    datasets = load_data(dataset)

    train_set_x, train_set_y = datasets[0]
    valid_set_x, valid_set_y = datasets[1]
    test_set_x, test_set_y = datasets[2]

    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size
    n_valid_batches = valid_set_x.get_value(borrow=True).shape[0] // batch_size
    n_test_batches = test_set_x.get_value(borrow=True).shape[0] // batch_size

    print("... building the model")

    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")

    classifier = LogisticRegression(input=x, n_in=28 * 28, n_out=10)
    cost = classifier.negative_log_likelihood(y)

    test_model = theano.function(
        inputs=[index],
        outputs=classifier.errors(y),
        givens={
            x: test_set_x[index * batch_size : (index + 1) * batch_size],
            y: test_set_y[index * batch_size : (index + 1) * batch_size],
        },
    )

    validate_model = theano.function(
        inputs=[index],
        outputs=classifier.errors(y),
        givens={
            x: valid_set_x[index * batch_size : (index + 1) * batch_size],
            y: valid_set_y[index * batch_size : (index + 1) * batch_size],
        },
    )

    g_W = T.grad(cost=cost, wrt=classifier.W)
    g_b = T.grad(cost=cost, wrt=classifier.b)

    updates = [
        (classifier.W, classifier.W - learning_rate * g_W),
        (classifier.b, classifier.b - learning_rate * g_b),
    ]

    train_model = theano.function(
        inputs=[index],
        outputs=cost,
        updates=updates,
        givens={
            x: train_set_x[index * batch_size : (index + 1) * batch_size],
            y: train_set_y[index * batch_size : (index + 1) * batch_size],
        },
    )

    print("... training the model")
    patience = 5000
    patience_increase = 2
    improvement_threshold = 0.995
    validation_frequency = min(n_train_batches, patience // 2)

    best_validation_loss = numpy.inf
    test_score = 0.0
    start_time = timeit.default_timer()

    done_looping = False
    epoch = 0
    while (epoch < n_epochs) and (not done_looping):
        epoch = epoch + 1
        for minibatch_index in range(n_train_batches):
            train_model(minibatch_index)
            iter = (epoch - 1) * n_train_batches + minibatch_index

            if (iter + 1) % validation_frequency == 0:
                validation_losses = [validate_model(i) for i in range(n_valid_batches)]
                this_validation_loss = numpy.mean(validation_losses)

                print(
                    "epoch %i, minibatch %i/%i, validation error %f %%"
                    % (epoch, minibatch_index + 1, n_train_batches, this_validation_loss * 100.0)
                )

                if this_validation_loss < best_validation_loss:
                    if this_validation_loss < best_validation_loss * improvement_threshold:
                        patience = max(patience, iter * patience_increase)

                    best_validation_loss = this_validation_loss

                    test_losses = [test_model(i) for i in range(n_test_batches)]
                    test_score = numpy.mean(test_losses)

                    print(
                        ("     epoch %i, minibatch %i/%i, test error of best model %f %%")
                        % (epoch, minibatch_index + 1, n_train_batches, test_score * 100.0)
                    )

                    with open("best_model.pkl", "wb") as f:
                        pickle.dump(classifier, f)

            if patience <= iter:
                done_looping = True
                break

    end_time = timeit.default_timer()
    print(
        ("Optimization complete with best validation score of %f %%,with test performance %f %%")
        % (best_validation_loss * 100.0, test_score * 100.0)
    )
    print(
        "The code run for %d epochs, with %f epochs/sec"
        % (epoch, 1.0 * epoch / (end_time - start_time))
    )
    print(
        (
            "The code for file "
            + os.path.split(__file__)[1]
            + " ran for %.1fs" % (end_time - start_time)
        ),
        file=sys.stderr,
    )


def predict(dataset="mnist.pkl.gz"):
    """Load the saved model and predict the labels of the first test images."""
    classifier = pickle.load(open("best_model.pkl", "rb"))

    predict_model = theano.function(inputs=[classifier.input], outputs=classifier.y_pred)

    datasets = load_data(dataset)
    test_set_x, test_set_y = datasets[2]
    test_set_x = test_set_x.get_value()

    predicted_values = predict_model(test_set_x[:10])
    print("Predicted values for the first 10 examples in test set:")
    print(predicted_values)


if __name__ == "__main__":
    dataset = sys.argv[1] if len(sys.argv) > 1 else "mnist.pkl.gz"
    n_epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    batch_size = int(sys.argv[3]) if len(sys.argv) > 3 else 600
    sgd_optimization_mnist(n_epochs=n_epochs, dataset=dataset, batch_size=batch_size)
    predict(dataset)
