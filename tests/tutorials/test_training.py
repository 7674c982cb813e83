"""End to end: the tutorials' logistic regression and MLP train on the bundled MNIST.

CI runs short versions; ``--runslow`` runs the full ones.
"""

import os
import sys

import pytest

import symgraph

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tutorials"))

import logistic_sgd  # noqa: E402
import mlp  # noqa: E402


def test_logistic_regression_reaches_expected_error():
    # The tutorial's model and learning rate; batches of 100 so 10 epochs make 5,000 steps.
    result = logistic_sgd.train(epochs=10, batch_size=100, learning_rate=0.13, verbose=False)
    assert result["test_error"] < 0.085


def test_logistic_regression_reproduces_theano_first_epoch():
    # The deeplearning.net tutorial printed 12.458333 % after its first epoch.
    result = logistic_sgd.train(epochs=1, verbose=False)
    assert abs(result["valid_error"] - 0.12458333) < 1e-6


@pytest.mark.slow
def test_mlp_trains(runslow):
    if runslow:
        result = mlp.train(epochs=5, verbose=False)
        assert result["test_error"] < 0.05
    else:
        with symgraph.config.change_flags(floatX="float32"):
            result = mlp.train(
                epochs=1, batch_size=20, learning_rate=0.1, n_train=10000, verbose=False
            )
        assert result["valid_error"] < 0.12


@pytest.mark.slow
def test_lenet_trains(runslow):
    import convolutional_mlp

    with symgraph.config.change_flags(floatX="float32"):
        if runslow:
            # The tutorial's settings for 2 epochs: the bound is 7.5% test error.
            result = convolutional_mlp.train(epochs=2, verbose=False)
            assert result["test_error"] < 0.075
        else:
            # CI: 20 steps on 10,000 images must already learn (chance is 90% error).
            result = convolutional_mlp.train(epochs=1, n_train=10000, verbose=False)
            assert result["valid_error"] < 0.4


@pytest.mark.slow
def test_full_mode_convnet_trains(runslow):
    import convnet_full_mode

    with symgraph.config.change_flags(floatX="float32"):
        if runslow:
            # One epoch on 10,000 images (78 RMSprop steps): measured 11.7%.
            result = convnet_full_mode.train(epochs=1, n_train=10000, verbose=False)
            assert result["valid_error"] < 0.15
        else:
            # CI: 2 epochs of 10 batches (chance is 90% error).
            result = convnet_full_mode.train(epochs=2, n_train=1280, verbose=False)
            assert result["valid_error"] < 0.5


@pytest.mark.slow
def test_rnn_trains(runslow):
    import rnn

    with symgraph.config.change_flags(floatX="float32"):
        if runslow:
            # The docstring's run: one epoch on 10,000 images (100 Adam steps), measured 20.1%.
            result = rnn.train(epochs=1, n_train=10000, verbose=False)
            assert result["valid_error"] < 0.3
        else:
            # CI: 20 steps of 50 images with 32 hidden units, measured 71% (chance is 90%).
            result = rnn.train(epochs=1, batch_size=50, n_train=1000, n_hidden=32, verbose=False)
            assert result["steps"] == 20 and result["valid_error"] < 0.8
