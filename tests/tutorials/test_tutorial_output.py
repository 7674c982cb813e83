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

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tutorials"))

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

LOGISTIC_LINES = [
    "... loading data",
    "... building the model",
    "... training the model",
    VALID,
    TEST,
    "Optimization complete with best validation score of %f %%,with test performance %f %%",
    "The code run for %d epochs, with %f epochs/sec",
]
MLP_LINES = [
    "... loading data",
    "... building the model",
    "... training",
    VALID,
    TEST,
    "Optimization complete. Best validation score of %f %% obtained at iteration %i, "
    "with test performance %f %%",
]
LENET_LINES = [
    "... loading data",
    "... building the model",
    "... training",
    "training @ iter =  %i",
    VALID,
    TEST,
    "Optimization complete.",
    "Best validation score of %f %% obtained at iteration %i, with test performance %f %%",
]


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
    assert_lines(out, LOGISTIC_LINES)
    last = err.splitlines()[-1]
    assert re.fullmatch(r"The code for file logistic_sgd\.py ran for \d+\.\ds", last)


def test_mlp_prints_the_original_lines(capsys, float32):
    mlp.train(epochs=1, batch_size=20, n_train=200)
    out, err = capsys.readouterr()
    assert_lines(out, MLP_LINES)
    assert re.fullmatch(r"The code for file mlp\.py ran for \d+\.\d\dm", err.splitlines()[-1])


def test_lenet_prints_the_original_lines(capsys, float32):
    convolutional_mlp.train(epochs=1, batch_size=500, n_train=1000)
    out, err = capsys.readouterr()
    assert_lines(out, LENET_LINES)
    assert re.fullmatch(
        r"The code for file convolutional_mlp\.py ran for \d+\.\d\dm", err.splitlines()[-1]
    )


def test_lenet_stopped_by_max_steps_validates_where_it_stops(capsys, float32):
    result = convolutional_mlp.train(epochs=5, batch_size=500, n_train=1000, max_steps=1)
    out, _ = capsys.readouterr()
    assert_lines(out, LENET_LINES)
    assert "epoch 1, minibatch 1/2, validation error" in out
    assert result["steps"] == 1 and result["epochs_run"] == 1


def test_logistic_sgd_stopped_by_max_steps(capsys, float32):
    # 3 steps an epoch: the fourth is the first of epoch 2, validated there
    result = logistic_sgd.train(epochs=5, batch_size=600, n_train=1800, max_steps=4)
    out, _ = capsys.readouterr()
    lines = out.splitlines()
    assert [line for line in lines if pattern(VALID).fullmatch(line)] == [
        line for line in lines if line.startswith("epoch ")
    ]
    assert lines[5].startswith("epoch 2, minibatch 1/3, validation error")
    # the test line follows only when the validation error improved
    assert_lines("\n".join(lines[:5] + lines[-2:]), LOGISTIC_LINES)
    assert lines[-1].startswith("The code run for 2 epochs")
    assert result["steps"] == 4


def test_lenet_on_the_jax_backend_prints_the_same_lines_and_errors(capsys, float32):
    pytest.importorskip("jax", reason="the JAX backend needs the 'jax' extra")
    on_numpy = convolutional_mlp.train(epochs=1, batch_size=500, n_train=1000, max_steps=1)
    capsys.readouterr()
    on_jax = convolutional_mlp.train(
        epochs=1, batch_size=500, n_train=1000, max_steps=1, mode="JAX"
    )
    out, _ = capsys.readouterr()
    assert_lines(out, LENET_LINES)
    for key in ("valid_error", "test_error"):
        assert abs(on_jax[key] - on_numpy[key]) <= 0.002  # float32: a digit may round apart
