"""``symgraph.config``: only known options, each value checked, whether it comes from
``SYMGRAPH_FLAGS`` at import or is set in code."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import symgraph
from symgraph.config import Config


def _import_with_flags(flags: str) -> subprocess.CompletedProcess:
    code = "import symgraph; print(symgraph.config.floatX, symgraph.config.keep_freed_memory)"
    env = dict(os.environ, SYMGRAPH_FLAGS=flags)
    env.pop("THEANO_FLAGS", None)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "flags, expected",
    [
        ("__class__=x", "unknown symgraph config option '__class__'"),
        ("_floatX=float16", "unknown symgraph config option '_floatX'"),
        ("floatX=float32,bogus=1", "unknown symgraph config option 'bogus'"),
        ("floatX=float16", "floatX must be one of ('float32', 'float64'), got 'float16'"),
        ("keep_freed_memory=maybe", "keep_freed_memory must be True or False, got 'maybe'"),
    ],
)
def test_bad_flags_make_import_fail_with_a_clear_error(flags, expected):
    result = _import_with_flags(flags)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("symgraph.config.ConfigError: SYMGRAPH_FLAGS: "), last_line
    assert expected in last_line
    if "unknown" in expected:
        assert "known options: floatX, keep_freed_memory" in last_line


def test_good_flags_are_applied():
    result = _import_with_flags("floatX=float32, keep_freed_memory=False")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["float32", "False"]


@pytest.mark.parametrize("name", ["_floatX", "_keep_freed_memory", "_values", "floatx"])
def test_setting_an_unknown_or_private_name_in_code_is_refused(name):
    config = Config()
    with pytest.raises(AttributeError, match=f"unknown symgraph config option '{name}'"):
        setattr(config, name, "float16")
    assert config.floatX == "float64" and config.keep_freed_memory is True
    with pytest.raises(AttributeError, match="unknown symgraph config option"):
        with symgraph.config.change_flags(**{name: "float16"}):
            pass


def test_values_set_in_code_are_checked():
    config = Config()
    with pytest.raises(ValueError, match="floatX must be one of"):
        config.floatX = "float16"
    with pytest.raises(ValueError, match="keep_freed_memory must be True or False"):
        config.keep_freed_memory = 2
    config.floatX = "float32"
    config.keep_freed_memory = "false"
    assert (config.floatX, config.keep_freed_memory) == ("float32", False)
