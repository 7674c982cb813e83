"""The small tutorials compute what they say, and their command lines explain themselves."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tutorials"))

import convnet_full_mode  # noqa: E402
import convolutional_mlp  # noqa: E402
import filters  # noqa: E402
import logistic_sgd  # noqa: E402
import mlp  # noqa: E402
import rnn  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TUTORIALS = [logistic_sgd, mlp, convolutional_mlp, convnet_full_mode, rnn, filters]


def test_filters_tutorial_matches_direct_convolution():
    image = filters.synthetic_photo(40, 50)
    assert image.shape == (40, 50, 3) and 0 <= image.min() and image.max() <= 1
    f = filters.build()
    batch = image.transpose(2, 0, 1)[None]
    out = f(batch)
    assert out.shape == (1, 2, 32, 42)
    W = [v for v in f.fgraph.inputs if getattr(v, "name", None) == "W"][0].get_value()
    b = [v for v in f.fgraph.inputs if getattr(v, "name", None) == "b"][0].get_value()
    for k, i, j in [(0, 0, 0), (1, 5, 7), (0, 31, 41)]:
        patch = batch[0, :, i : i + 9, j : j + 9]
        value = (patch * W[k, :, ::-1, ::-1]).sum() + b[k]  # true convolution: flipped
        np.testing.assert_allclose(out[0, k, i, j], 1 / (1 + np.exp(-value)), rtol=1e-10)


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("tutorial", TUTORIALS, ids=lambda m: m.__name__)
def test_help_shows_the_description_and_every_option_with_its_default(tutorial):
    script = os.path.join(ROOT, "tutorials", f"{tutorial.__name__}.py")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    )
    shown = subprocess.run(
        [sys.executable, script, "--help"], capture_output=True, text=True, env=env, check=True
    ).stdout
    first_paragraph = tutorial.__doc__.strip().split("\n\n")[0]
    assert words(first_paragraph) in words(shown)
    options = [a for a in tutorial.make_parser()._actions if a.dest != "help"]
    assert {"--float32"} <= {s for a in options for s in a.option_strings}
    for action in options:
        assert action.help, action.option_strings
        if action.default is None:  # the help says in words what happens without it
            assert "(default: " in action.help, action.option_strings
        else:
            entry = f"{words(action.help)} (default: {action.default})"
            assert entry in words(shown), (entry, shown)


def test_lenet_help_says_how_long_the_default_run_takes():
    shown = words(convolutional_mlp.make_parser().format_help())
    assert "200 epochs takes over an hour" in shown
    assert re.search(r"--epochs 2 takes about a minute", shown)
    assert "--max-steps" in shown and "--n-train" in shown


@pytest.mark.parametrize("tutorial", TUTORIALS[:5], ids=lambda m: m.__name__)
def test_short_run_options(tutorial):
    parser = tutorial.make_parser()
    args = logistic_sgd.command_line(parser, ["--n-train", "1000", "--max-steps", "7"])
    assert (args.n_train, args.max_steps, args.float32) == (1000, 7, False)
    for wrong in (["--max-steps", "0"], ["--n-train", "1", "--batch-size", "20"]):
        with pytest.raises(SystemExit):
            logistic_sgd.command_line(parser, wrong)


def test_n_train_and_max_steps_set_the_number_of_steps():
    def steps(**kwargs) -> int:
        return mlp.train(batch_size=20, n_hidden=10, verbose=False, **kwargs)["steps"]

    assert steps(epochs=1, n_train=200) == 10
    assert steps(epochs=3, n_train=200) == 30
    assert steps(epochs=3, n_train=200, max_steps=14) == 14
