"""Recurrent Theano tutorials, written in the deeplearning.net tutorials' shape, run
unmodified through ``python -m symgraph.compat.theano`` on small synthetic datasets
written here in the originals' pickle layouts."""

import gzip
import os
import pickle
import re
import subprocess
import sys

import numpy as np

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")


def run_script(tmp_path, script, *args, timeout=300):
    """Run ``scripts/<script>`` through the compat runner in ``tmp_path``; its stdout."""
    env = dict(os.environ)
    env.pop("THEANO_FLAGS", None)
    env.pop("SYMGRAPH_FLAGS", None)
    result = subprocess.run(
        [sys.executable, "-m", "symgraph.compat.theano", os.path.join(SCRIPTS, script),
         *map(str, args)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def numbers_after(label, text):
    """Every number printed right after ``label``."""
    return [float(v) for v in re.findall(re.escape(label) + r"\s*([-+\d.e]+)", text)]


# --------------------------------------------------------------------------------------
# lstm.py: IMDB sentiment


def _write_reviews(path, n_train, n_test, n_words, rng):
    """Reviews as lists of word ids whose label shows only in a quarter of their words:
    ids 2-5 in positive reviews, 6-9 in negative ones, the rest drawn from 10 up. Written
    as the LSTM tutorial's imdb.pkl: the training pickle, then the test pickle."""

    def review(label):
        length = int(rng.integers(5, 30))
        words = rng.integers(10, n_words, size=length)
        marked = rng.choice(length, size=max(1, length // 4), replace=False)
        words[marked] = rng.integers(2, 6, size=len(marked)) + (0 if label else 4)
        return [int(w) for w in words]

    def split(n):
        labels = [int(v) for v in rng.integers(0, 2, size=n)]
        return [review(label) for label in labels], labels

    with open(path, "wb") as handle:
        pickle.dump(split(n_train), handle, protocol=2)
        pickle.dump(split(n_test), handle, protocol=2)


def test_lstm_sentiment_script_learns(tmp_path):
    """The LSTM tutorial trains (adadelta, MRG dropout, masked scan, mean pooling): the
    epoch's mean cost falls from chance (log 2) and the test error ends far below the
    50 % of chance."""
    _write_reviews(tmp_path / "imdb.pkl", 400, 100, 50, np.random.default_rng(0))
    out = run_script(tmp_path, "lstm.py", "imdb.pkl", 8, 16, 50, 8)
    costs = numbers_after("mean cost", out)
    assert len(costs) == 8
    assert abs(costs[0] - np.log(2)) < 0.05  # measured 0.691
    assert costs[-1] < 0.25 * costs[0]  # measured 0.039
    final = out.rsplit("Train ", 1)[1]
    train_err, valid_err, test_err = (
        numbers_after("Train ", "Train " + final)
        + numbers_after("Valid ", final)
        + numbers_after("Test ", final)
    )
    assert train_err < 0.1 and test_err < 0.15  # measured 0.3 % and 0-1 %
    assert numbers_after("Compiled the model's functions in", out)  # the timing is printed
    saved = np.load(tmp_path / "lstm_model.npz")
    assert saved["Wemb"].shape == (50, 16) and saved["lstm_W"].shape == (16, 64)
    assert float(saved["test_err"]) == test_err
