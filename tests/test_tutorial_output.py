"""The tutorials print the lines the deeplearning.net originals printed, in their order.

Each pattern below is the original's format string (``%i``/``%f``/``%d`` placeholders)
turned into a regular expression; a run on a small slice of MNIST must print exactly
those lines on stdout, and the original's timing line last on stderr.
"""

import os
import re
import sys

import pytest

import symgraph

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tutorials"))

import convolutional_mlp  # noqa: E402
import logistic_sgd  # noqa: E402
import mlp  # noqa: E402


def pattern(format_string: str) -> re.Pattern:
    """A regex matching what ``format_string % values`` prints."""
    parts = re.split(r"(%[idf]|%%)", format_string)
    regex = {"%i": r"\d+", "%d": r"\d+", "%f": r"\d+\.\d{6}", "%%": "%"}
    return re.compile("".join(regex.get(p, re.escape(p)) for p in parts))


VALID = "epoch %i, minibatch %i/%i, validation error %f %%"
TEST = "     epoch %i, minibatch %i/%i, test error of best model %f %%"


def assert_lines(text: str, formats: list[str]) -> None:
    lines = text.splitlines()
    assert len(lines) == len(formats), lines
    for line, fmt in zip(lines, formats):
        assert pattern(fmt).fullmatch(line), (line, fmt)


@pytest.fixture
def float32():
    with symgraph.config.change_flags(floatX="float32"):
        yield


def test_pattern_is_strict():
    assert pattern(VALID).fullmatch("epoch 1, minibatch 83/83, validation error 12.458333 %")
    assert not pattern(VALID).fullmatch("epoch 1, minibatch 83/83, validation error 12.46 %")


def test_logistic_sgd_prints_the_original_lines(capsys, float32):
    logistic_sgd.train(epochs=1, batch_size=600, n_train=1200)
    out, err = capsys.readouterr()
    assert_lines(
        out,
        [
            "... loading data",
            "... building the model",
            "... training the model",
            VALID,
            TEST,
            "Optimization complete with best validation score of %f %%,"
            "with test performance %f %%",
            "The code run for %d epochs, with %f epochs/sec",
        ],
    )
    last = err.splitlines()[-1]
    assert re.fullmatch(r"The code for file logistic_sgd\.py ran for \d+\.\ds", last)


def test_mlp_prints_the_original_lines(capsys, float32):
    mlp.train(epochs=1, batch_size=20, n_train=200)
    out, err = capsys.readouterr()
    assert_lines(
        out,
        [
            "... loading data",
            "... building the model",
            "... training",
            VALID,
            TEST,
            "Optimization complete. Best validation score of %f %% obtained at iteration %i, "
            "with test performance %f %%",
        ],
    )
    assert re.fullmatch(r"The code for file mlp\.py ran for \d+\.\d\dm", err.splitlines()[-1])


def test_lenet_prints_the_original_lines(capsys, float32):
    convolutional_mlp.train(epochs=1, batch_size=500, n_train=1000)
    out, err = capsys.readouterr()
    assert_lines(
        out,
        [
            "... loading data",
            "... building the model",
            "... training",
            "training @ iter =  %i",
            VALID,
            TEST,
            "Optimization complete.",
            "Best validation score of %f %% obtained at iteration %i, "
            "with test performance %f %%",
        ],
    )
    assert re.fullmatch(
        r"The code for file convolutional_mlp\.py ran for \d+\.\d\dm", err.splitlines()[-1]
    )
