"""Theano's ``Mode.including`` / ``excluding`` / ``requiring`` with Theano's optimizer
tags, and the ``optimizer_*`` flags shaping the default mode."""

import warnings

import numpy as np
import pytest

import symgraph
import symgraph.compat.theano as compat
from symgraph.compat.theano.compile import THEANO_TAGS, Mode, get_default_mode, get_mode
from symgraph.rewrite.pipeline import list_passes

EVERY_PASS = tuple(list_passes())


def test_including_and_excluding_return_a_compat_mode_and_warn_on_unknown_tags():
    with pytest.warns(UserWarning, match="'conv_gemm' has no symgraph pass"):
        mode = get_mode("FAST_RUN").including("canonicalize").excluding("conv_gemm")
    assert isinstance(mode, Mode)
    assert mode.pass_names == EVERY_PASS
    # a compat Mode again: Theano tags keep working down the chain
    with pytest.warns(UserWarning, match="'gpu' has no symgraph pass"):
        chained = mode.excluding("local_elemwise_fusion", "gpu").excluding("inplace_opt")
    assert isinstance(chained, Mode)
    assert "fusion" not in chained.pass_names and "inplace" not in chained.pass_names
    assert chained.linker == mode.linker and chained.optimizer == mode.optimizer


@pytest.mark.parametrize(
    "tag, passes",
    [
        ("canonicalize", ("canonicalize",)),
        ("stabilize", ("stabilize",)),
        ("specialize", ("specialize",)),
        ("constant_folding", ("constant_fold",)),
        ("merge", ("merge",)),
        ("elemwise_fusion", ("fusion",)),
        ("inplace", ("inplace",)),
        ("fusion", ("fusion",)),  # a symgraph pass name stands for itself
        (
            "scan",
            (
                "scan_trivial",
                "scan_hoist",
                "scan_prune",
                "scan_merge",
                "scan_equal_outputs",
                "scan_keep_last",
            ),
        ),
        ("scanOp_pushout_nonseqs_ops", ("scan_hoist",)),
        ("scanOp_remove_constants_and_unused_inputs0", ("scan_prune",)),
        ("scanOp_merge", ("scan_merge",)),
        ("scanOp_save_mem", ("scan_keep_last",)),
    ],
)
def test_theano_tags_name_symgraph_passes(tag, passes):
    fast_compile = get_mode("FAST_COMPILE")
    assert fast_compile.pass_names == ()
    assert fast_compile.including(tag).pass_names == passes
    fast_run = get_mode("FAST_RUN")
    assert fast_run.excluding(tag).pass_names == tuple(p for p in EVERY_PASS if p not in passes)
    assert fast_run.requiring(tag).pass_names == passes


def test_fast_run_and_fast_compile_tags():
    assert get_mode("FAST_COMPILE").including("fast_run").pass_names == EVERY_PASS
    assert get_mode("FAST_RUN").excluding("fast_run").pass_names == ()
    assert set(THEANO_TAGS["fast_run"]) == set(EVERY_PASS)
    with pytest.warns(UserWarning, match="'cudnn' has no symgraph pass"):
        kept = get_mode("FAST_RUN").requiring("cudnn")
    assert kept.pass_names == EVERY_PASS


def test_every_mapped_pass_exists():
    for passes in THEANO_TAGS.values():
        assert set(passes) <= set(EVERY_PASS)


def test_a_mode_built_from_tags_compiles_and_computes():
    x = symgraph.tensor.dvector("x")
    with pytest.warns(UserWarning, match="conv_dnn"):
        mode = Mode(optimizer="fast_run").excluding("conv_dnn", "inplace")
    f = compat.function([x], symgraph.tensor.exp(x) * 2 + 1, mode=mode)
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), 2 * np.exp([0.0, 1.0]) + 1)


def test_optimizer_flags_shape_the_default_mode():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert get_default_mode().pass_names == EVERY_PASS
        with compat.change_flags(optimizer_excluding="fusion:inplace_opt"):
            assert get_default_mode().pass_names == tuple(
                p for p in EVERY_PASS if p not in ("fusion", "inplace")
            )
            # only the default mode reads the flags, as in Theano
            assert get_mode("FAST_RUN").pass_names == EVERY_PASS
        with compat.change_flags(optimizer="fast_compile", optimizer_including="canonicalize"):
            assert get_default_mode().pass_names == ("canonicalize",)
        with compat.change_flags(optimizer_requiring="merge"):
            assert get_default_mode().pass_names == ("merge",)
    with compat.change_flags(optimizer_excluding="gpu"):
        with pytest.warns(UserWarning, match="'gpu' has no symgraph pass"):
            assert get_default_mode().pass_names == EVERY_PASS


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_in_with_update_keeps_state_between_calls(mode):
    """``In(s, value=v, update=expr)``: each call uses the stored value (or the one
    given) and leaves ``expr``'s value stored for the next call (Theano's In)."""
    T = compat.tensor
    x, s = T.dscalar("x"), T.dvector("s")
    f = compat.function(
        [x, compat.In(s, value=np.zeros(2), update=s + x)], s * 2, mode=get_mode(mode)
    )
    state = np.zeros(2)
    for step, (increment, given) in enumerate(
        [(1.0, None), (2.0, None), (0.5, np.array([10.0, -1.0])), (1.0, None)]
    ):
        used = state if given is None else given
        got = f(increment) if given is None else f(increment, given)
        np.testing.assert_allclose(got, used * 2, err_msg=f"call {step}")
        state = used + increment  # the reference: plain Python


def test_in_with_update_and_several_outputs_by_keyword():
    T = compat.tensor
    count = T.lscalar("count")
    f = compat.function([compat.In(count, value=0, update=count + 1)], [count, count * 10])
    assert [list(map(int, f())) for _ in range(3)] == [[0, 0], [1, 10], [2, 20]]
    assert [int(v) for v in f(count=7)] == [7, 70]
    assert int(f()[0]) == 8


def test_in_with_update_errors_name_the_input():
    T = compat.tensor
    s = T.dvector("s")
    with pytest.raises(TypeError, match="s.*needs value="):
        compat.In(s, update=s + 1)
    with pytest.raises(TypeError, match="s.*float64 vector.*int64 vector"):
        compat.In(s, value=np.zeros(2), update=T.lvector("k"))
