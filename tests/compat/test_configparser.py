"""``theano.config``: Theano 1.0's option names, sections, defaults, ``change_flags`` and
``THEANO_FLAGS``, checked against what Theano 1.0's ``configdefaults.py`` declared."""

import os
import subprocess
import sys
import warnings

import pytest

import symgraph
import symgraph.compat.theano as compat
from symgraph.compat.theano.configparser import (
    ConfigOverrideError,
    TheanoConfig,
    change_flags,
)
from symgraph.config import Config


@pytest.fixture
def cfg():
    """A fresh Theano config over a fresh symgraph config (nothing global changes)."""
    return TheanoConfig(Config(), "")


# Theano 1.0's defaults: ``warn.ignore_bug_before`` was '0.8', so only the bugs fixed after
# 0.8 (``warn.round``, fixed in 0.9) were still warned about.
THEANO_DEFAULTS = [
    ("floatX", "float64"),
    ("mode", "Mode"),
    ("optimizer", "fast_run"),
    ("device", "cpu"),
    ("on_unused_input", "raise"),
    ("compute_test_value", "off"),
    ("exception_verbosity", "low"),
    ("cast_policy", "custom"),
    ("unittests.rseed", 666),
    ("warn.ignore_bug_before", "0.8"),
    ("warn.round", True),
    ("warn.sum_div_dimshuffle_bug", False),
    ("warn.subtensor_merge_bug", False),
    ("warn.argmax_pushdown_bug", False),
    ("warn.reduce_join", False),
    ("tensor.cmp_sloppy", 0),
    ("blas.ldflags", ""),
    ("gpuarray.preallocate", 0.0),
    ("dnn.enabled", "auto"),
    ("dnn.conv.algo_fwd", "small"),
    ("lib.cnmem", 0.0),
    ("traceback.limit", 8),
]


@pytest.mark.parametrize("name, default", THEANO_DEFAULTS)
def test_theano_defaults_through_sections(cfg, name, default):
    value = cfg
    for part in name.split("."):
        value = getattr(value, part)
    assert value == default and type(value) is type(default)


def test_sections_read_and_write(cfg):
    cfg.warn.round = False
    assert cfg.warn.round is False
    cfg.warn.round = "True"  # flag spelling, as Theano's BoolParam took it
    assert cfg.warn.round is True
    assert "round" in dir(cfg.warn) and "warn" in dir(cfg)
    assert "algo_fwd" in dir(cfg.dnn.conv)
    cfg.unittests.rseed = "42"
    assert cfg.unittests.rseed == "42"
    cfg.unittests.rseed = "random"
    with pytest.raises(ValueError, match='"unittests.rseed"'):
        cfg.unittests.rseed = "soon"


def test_options_that_never_existed_raise_attribute_error_naming_them(cfg):
    with pytest.raises(AttributeError, match="'not_an_option'"):
        cfg.not_an_option  # noqa: B018
    with pytest.raises(AttributeError, match="'warn.no_such_bug'"):
        cfg.warn.no_such_bug  # noqa: B018
    with pytest.raises(AttributeError, match="'warn.no_such_bug'"):
        cfg.warn.no_such_bug = True
    with pytest.raises(AttributeError, match="'bogus'"):
        cfg.bogus = 1
    with pytest.raises(AttributeError, match="'floatx'"):
        change_flags(floatx="float32")


def test_invalid_values_raise_value_error_naming_the_option(cfg):
    with pytest.raises(ValueError, match='"warn.round"'):
        cfg.warn.round = "maybe"
    with pytest.raises(ValueError, match='"mode"'):
        cfg.mode = "FASTEST"
    with pytest.raises(ValueError, match='"tensor.cmp_sloppy"'):
        TheanoConfig(Config(), "tensor.cmp_sloppy=3")
    with pytest.raises(ValueError):
        cfg.floatX = "int8"


def test_options_without_effect_warn_when_changed(cfg):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg.compute_test_value = "off"  # the default: nothing to warn about
        cfg.warn.round = False  # read by programs: silent
    with pytest.warns(UserWarning, match="compute_test_value_opt=raise has no effect"):
        cfg.compute_test_value_opt = "raise"
    assert cfg.compute_test_value_opt == "raise"
    with pytest.warns(UserWarning, match="exception_verbosity=high has no effect"):
        cfg.exception_verbosity = "high"
    with pytest.warns(UserWarning, match="gpuarray.sync=True has no effect.*CPU only"):
        cfg.gpuarray.sync = True
    with pytest.warns(UserWarning, match="dnn.conv.algo_fwd=time_once has no effect"):
        cfg.dnn.conv.algo_fwd = "time_once"
    with pytest.warns(UserWarning, match="cxx= has no effect.*no C"):
        cfg.cxx = ""


def test_compute_test_value_is_the_core_setting():
    core = Config()
    cfg = TheanoConfig(core, "compute_test_value=warn")
    assert core.compute_test_value == "warn" == cfg.compute_test_value
    cfg.compute_test_value = "raise"
    assert core.compute_test_value == "raise"
    core.compute_test_value = "ignore"
    assert cfg.compute_test_value == "ignore"
    with pytest.raises(ValueError, match='"compute_test_value"'):
        cfg.compute_test_value = "always"


def test_options_theano_fixed_at_import(cfg):
    # Theano's allow_override=False: THEANO_FLAGS may set them, code afterwards may not.
    with pytest.raises(ConfigOverrideError, match="device"):
        cfg.device = "cuda0"
    with pytest.raises(ConfigOverrideError, match="gpuarray.preallocate"):
        cfg.gpuarray.preallocate = 0.5
    cfg.device = "cpu"  # unchanged: allowed
    with pytest.warns(UserWarning, match="CPU only"):
        flagged = TheanoConfig(Config(), "device=cuda0,gpuarray.preallocate=0.9")
    assert flagged.device == "cuda0" and flagged.gpuarray.preallocate == 0.9
    with pytest.raises(ValueError, match='"device"'):
        TheanoConfig(Config(), "device=tpu")


def test_floatx_is_shared_with_symgraph_config():
    target = Config()
    cfg = TheanoConfig(target, "floatX=float32")
    assert target.floatX == "float32"
    target.floatX = "float64"
    assert cfg.floatX == "float64"
    with change_flags(floatX="float32", _config=cfg):
        assert target.floatX == "float32"
    assert target.floatX == "float64"


def test_change_flags_context_manager_restores_even_on_error(theano):
    before = (theano.config.floatX, theano.config.warn.round, theano.config.mode)
    with pytest.raises(RuntimeError, match="inside"):
        with theano.change_flags({"warn.round": not before[1]}, floatX="float32", mode="FAST_RUN"):
            assert theano.config.warn.round is (not before[1])
            assert symgraph.config.floatX == "float32"
            assert theano.tensor.matrix().dtype == "float32"
            assert theano.config.mode == "FAST_RUN"
            raise RuntimeError("inside")
    assert (theano.config.floatX, theano.config.warn.round, theano.config.mode) == before
    assert symgraph.config.floatX == before[0]


def test_change_flags_decorator_and_nesting(theano):
    assert theano.configparser.change_flags is theano.change_flags

    @theano.change_flags(**{"floatX": "float32", "warn.sum_div_dimshuffle_bug": True})
    def build(depth):
        assert theano.config.warn.sum_div_dimshuffle_bug is True
        if depth:
            return build(depth - 1)  # re-entering the same change_flags object
        return theano.tensor.vector().dtype

    assert build.__name__ == "build"
    assert build(2) == "float32"
    assert symgraph.config.floatX == theano.config.floatX
    assert theano.config.warn.sum_div_dimshuffle_bug is False


def test_change_flags_with_an_invalid_value_changes_nothing(theano):
    before = theano.config.warn.round
    with pytest.raises(ValueError, match='"mode"'):
        with theano.change_flags({"warn.round": not before, "mode": "NOPE"}):
            pass  # pragma: no cover
    assert theano.config.warn.round is before


def test_theano_flags_parsing():
    target = Config()
    with pytest.warns(UserWarning) as record:
        cfg = TheanoConfig(
            target,
            'floatX=float32, mode=FAST_COMPILE,warn.round=False,blas.ldflags="-lblas -lgfortran",'
            "warn__sum_div_dimshuffle_bug=True,lib.cnmem=0.5,bogus=1,novalue,mode=FAST_RUN",
        )
    messages = [str(w.message) for w in record]
    assert "Theano does not recognise this flag: bogus" in messages
    assert "Config key 'novalue' has no value, ignoring it" in messages
    assert target.floatX == "float32" and cfg.floatX == "float32"
    assert cfg.mode == "FAST_RUN"  # the last of repeated keys wins
    assert cfg.warn.round is False and cfg.warn.sum_div_dimshuffle_bug is True
    assert cfg.blas.ldflags == "-lblas -lgfortran"
    assert cfg.lib.cnmem == 0.5


@pytest.mark.parametrize(
    "ignore, round_, reduce_join, sum_div",
    [("all", False, False, False), ("None", True, True, True), ("0.6", True, True, False)],
)
def test_ignore_bug_before_moves_the_warn_defaults(ignore, round_, reduce_join, sum_div):
    # warn.round was fixed in 0.9, warn.reduce_join in 0.7, warn.sum_div_dimshuffle_bug in 0.3
    cfg = TheanoConfig(Config(), f"warn.ignore_bug_before={ignore}")
    assert cfg.warn.ignore_bug_before == ignore
    assert (cfg.warn.round, cfg.warn.reduce_join) == (round_, reduce_join)
    assert cfg.warn.sum_div_dimshuffle_bug is sum_div
    # an explicit flag still wins, whatever the order
    explicit = TheanoConfig(Config(), f"warn.round=True,warn.ignore_bug_before={ignore}")
    assert explicit.warn.round is True
    with pytest.raises(ConfigOverrideError):
        cfg.warn.ignore_bug_before = "0.3" if ignore != "0.3" else "all"


def test_theano_flags_sections_read_at_import():
    code = (
        "import symgraph.compat.theano as t; "
        "print(t.config.floatX, t.config.warn.round, t.config.unittests.rseed, "
        "t.config.compute_test_value)"
    )
    env = dict(
        os.environ,
        THEANO_FLAGS="floatX=float32,warn.round=False,unittests.rseed=7,compute_test_value=off",
    )
    env.pop("SYMGRAPH_FLAGS", None)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["float32", "False", "7", "off"]


def test_module_level_config_is_the_packages(theano):
    assert theano.config is compat.config is theano.configparser.config
