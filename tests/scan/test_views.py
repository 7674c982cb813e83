"""``map``, ``reduce``, ``foldl`` and ``foldr`` against Python's own loops."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T

VALUES = np.array([1.0, -2.0, 3.5, 0.25])


def run(outputs, x):
    return symgraph.function([x], outputs)(VALUES)


def test_map_applies_fn_to_each_row_with_non_sequences():
    x, k = T.vector("x"), T.scalar("k")
    ys, updates = symgraph.map(lambda v, k: v * k + 1, x, non_sequences=k)
    assert not updates
    np.testing.assert_allclose(symgraph.function([x, k], ys)(VALUES, 3.0), VALUES * 3 + 1)


def test_map_backwards():
    x = T.vector("x")
    ys, _ = symgraph.map(lambda v: v * 2, x, go_backwards=True)
    np.testing.assert_allclose(run(ys, x), VALUES[::-1] * 2)


@pytest.mark.parametrize(
    "view, order",
    [(symgraph.reduce, VALUES), (symgraph.foldl, VALUES), (symgraph.foldr, VALUES[::-1])],
)
def test_reductions_keep_the_last_step(view, order):
    x = T.vector("x")
    total, updates = view(lambda v, acc: acc * 0.5 + v, x, T.zeros(()))
    assert not updates
    expected = functools.reduce(lambda acc, v: acc * 0.5 + v, order, 0.0)
    np.testing.assert_allclose(run(total, x), expected)


def test_reduce_with_two_outputs_returns_a_list():
    x = T.vector("x")
    (total, largest), _ = symgraph.reduce(
        lambda v, s, m: [s + v, T.maximum(m, v)], x, [T.zeros(()), T.constant(-np.inf)]
    )
    got = symgraph.function([x], [total, largest])(VALUES)
    np.testing.assert_allclose(got, [VALUES.sum(), VALUES.max()])


def test_gradient_through_a_fold():
    symgraph.verify_grad(
        lambda x, a: symgraph.foldr(lambda v, acc, a: T.tanh(acc * a + v), x, T.zeros(()), a)[0],
        [np.array([0.3, -0.1, 0.5]), np.array(0.7)],
        rng=np.random.default_rng(0),
    )
