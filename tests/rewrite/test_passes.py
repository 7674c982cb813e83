"""The pass pipeline, modes, and the merge and inplace passes."""

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph import Mode
from symgraph.graph import FunctionGraph
from symgraph.rewrite.passes import inplace, merge


def test_list_passes_and_modes():
    names = symgraph.list_passes()
    assert names[0] == "merge" and "inplace" in names
    assert Mode("FAST_RUN").pass_names == tuple(names)
    assert "inplace" not in Mode("FAST_RUN").excluding("inplace").pass_names
    with pytest.raises(ValueError, match="unknown pass 'fuson'.*merge"):
        Mode("FAST_RUN").excluding("fuson")
    with pytest.raises(ValueError, match="unknown mode"):
        Mode("FAST_EVERYTHING")


def test_merge_fires_on_duplicates_and_not_on_different_ops():
    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(x) + T.exp(x)])
    assert merge(fg)["merge_nodes"] == 1
    assert len(fg.apply_nodes) == 2
    fg2 = FunctionGraph([x], [T.exp(x) + T.log(x)])
    assert merge(fg2)["merge_nodes"] == 0
    assert len(fg2.apply_nodes) == 3


def test_inplace_fires_on_dead_temporary_only():
    x = T.dvector("x")
    t = T.exp(x)
    fg = FunctionGraph([x], [T.tanh(t)])
    assert sum(inplace(fg).values()) == 1  # tanh may overwrite exp's result
    # exp's result is also an output: it must not be overwritten
    fg2 = FunctionGraph([x], [T.tanh(t), t])
    assert sum(inplace(fg2).values()) == 0
    # the input itself must never be overwritten
    fg3 = FunctionGraph([x], [T.tanh(x)])
    assert sum(inplace(fg3).values()) == 0


def test_inplace_skips_buffer_read_later():
    x = T.dvector("x")
    t = T.exp(x)
    u = T.tanh(t)  # cannot overwrite t: t is read again below
    out = u + t
    fg = FunctionGraph([x], [out])
    inplace(fg)
    tanh_nodes = [n for n in fg.apply_nodes if n.op.scalar_op.name == "tanh"]
    assert tanh_nodes[0].op.inplace is None
    f = symgraph.function([x], out)
    value = np.array([0.1, 0.2])
    np.testing.assert_allclose(f(value), np.tanh(np.exp(value)) + np.exp(value))


def test_fast_run_and_fast_compile_agree_on_mlp_step():
    rng = np.random.default_rng(0)
    x = T.dmatrix("x")
    y = T.ivector("y")
    w = T.dmatrix("w")
    p = T.nnet.softmax(T.tanh(T.dot(x, w)))
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    g = symgraph.grad(cost, w)
    args = (rng.random((4, 3)), np.array([0, 2, 1, 1], dtype="int32"), rng.random((3, 3)))
    fast = symgraph.function([x, y, w], [cost, g], mode="FAST_RUN")(*args)
    slow = symgraph.function([x, y, w], [cost, g], mode="FAST_COMPILE")(*args)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_pattern_rules_are_indexed_by_their_root_op():
    """A rule with a pattern is looked up by the op at its root, not tried on every node
    (which also decides which of two matching rules fires first)."""
    from symgraph.rewrite import rules

    for rule in rules.CANONICALIZE + rules.STABILIZE + rules.SPECIALIZE:
        if rule.pattern is not None and getattr(rule.pattern, "key", None) is not None:
            assert rule.keys == [rule.pattern.key], rule.name
