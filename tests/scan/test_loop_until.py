"""Loops with a stopping condition (``until``): values against Python while loops written
here, gradients by finite differences, the accepted return forms and their errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import MODES

import symgraph
import symgraph.tensor as T
from symgraph.scan.op import until


def doubling(start, limit, n_steps):
    """Double ``start`` until it passes ``limit``, at most ``n_steps`` times."""
    rows, value = [], start
    for _ in range(n_steps):
        value = value * 2
        rows.append(value)
        if value > limit:
            break
    return np.array(rows, dtype=np.float64)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "start, n_steps",
    [(1.0, 20), (200.0, 20), (1e-30, 20), (1.0, 0), (1.0, 1), (3.0, 6), (3.0, 7)],
)
def test_the_loop_stops_after_the_first_step_whose_condition_holds(mode, start, n_steps):
    x0, limit, n = T.scalar("x0"), T.scalar("limit"), T.lscalar("n")

    def step(previous, limit):
        new = previous * 2
        return new, symgraph.until(new > limit)

    rows, updates = symgraph.scan(step, outputs_info=x0, non_sequences=limit, n_steps=n)
    assert not updates
    f = symgraph.function([x0, limit, n], rows, mode=mode)
    got = f(start, 100.0, n_steps)
    np.testing.assert_array_equal(got, doubling(start, 100.0, n_steps))
    assert got.shape == (len(doubling(start, 100.0, n_steps)),)


def test_outputs_not_fed_back_and_sequences_keep_the_rows_of_the_steps_run():
    x = T.matrix("x")

    def step(row, total):
        new = total + row.sum()
        return [new, row * 2], symgraph.until(new > 5)

    (totals, doubled), _ = symgraph.scan(step, sequences=x, outputs_info=[T.zeros(()), None])
    f = symgraph.function([x], [totals, doubled])
    value = np.arange(12.0).reshape(6, 2)
    expected_totals, expected_rows, total = [], [], 0.0
    for row in value:  # the reference: a while loop over the rows
        total += row.sum()
        expected_totals.append(total)
        expected_rows.append(row * 2)
        if total > 5:
            break
    got_totals, got_rows = f(value)
    np.testing.assert_allclose(got_totals, expected_totals)
    np.testing.assert_allclose(got_rows, expected_rows)
    empty_totals, empty_rows = f(np.zeros((0, 2)))
    assert empty_totals.shape == (0,) and empty_rows.shape == (0, 2)


def test_go_backwards_stops_counting_from_the_end():
    x = T.vector("x")
    seen, _ = symgraph.scan(lambda v: (v, symgraph.until(v < 3)), sequences=x, go_backwards=True)
    np.testing.assert_array_equal(seen.eval({x: np.arange(6.0)}), [5, 4, 3, 2])


def test_the_condition_may_come_with_updates_and_read_them():
    count = symgraph.shared(np.int64(0), name="count")
    x = T.vector("x")

    def step(v):
        return [v * count], {count: count + 1}, symgraph.until(count >= 2)

    scaled, updates = symgraph.scan(step, sequences=x)
    f = symgraph.function([x], scaled, updates=updates)
    np.testing.assert_array_equal(f(np.ones(5)), [0, 1, 2])
    assert count.get_value() == 3  # the update holds the value after the last step run
    np.testing.assert_array_equal(f(np.ones(5)), [3])  # the condition holds at once
    assert count.get_value() == 4


def test_the_compiled_source_reads_as_a_loop_with_a_break():
    x0 = T.scalar("x0")
    rows, _ = symgraph.scan(lambda p: (p * 2, symgraph.until(p > 10)), outputs_info=x0, n_steps=5)
    source = symgraph.function([x0], rows).source
    assert "if stop:" in source and "break" in source
    assert "o0 = o0[: n + 1]" in source


def test_the_op_says_it_has_a_condition():
    x = T.vector("x")
    stopping, _ = symgraph.scan(lambda v: (v, symgraph.until(v > 0)), sequences=x)
    plain, _ = symgraph.scan(lambda v: v, sequences=x)
    op = stopping.owner.op
    assert op.until and op.condition is op.inner_outputs[-1] and op.condition.ndim == 0
    assert len(op.step_outputs) == len(stopping.owner.outputs) == 1
    assert not plain.owner.op.until and plain.owner.op.condition is None
    assert op != plain.owner.op


def test_symgraph_until_is_the_scan_layers():
    assert symgraph.until is until


# --------------------------------------------------------------------------------------
# gradients


def counted(step, stop_after):
    """``step`` made to stop after step ``stop_after``, counting steps in an integer state
    (so that moving the float inputs by finite differences never moves the stop)."""

    def stopping_step(*args):
        *args, count = args
        return [*step(*args), count + 1], symgraph.until(count + 1 > stop_after)

    return stopping_step


def two_taps_and_a_sequence(stop_after, go_backwards=False, truncate_gradient=-1):
    def loop(x, h0, W):
        def step(now, older, old, W):
            return [T.tanh(T.dot(old, W) + 0.5 * older * now), (old * now).sum()]

        # the counter's tap comes last among the states' (its output is last)
        def ordered(now, older, old, count, W):
            return counted(lambda *a: step(*a), stop_after)(now, older, old, W, count)

        (hs, ys, _), _ = symgraph.scan(
            ordered,
            sequences=x,
            outputs_info=[dict(initial=h0, taps=[-2, -1]), None, T.constant(np.int64(0))],
            non_sequences=W,
            go_backwards=go_backwards,
            truncate_gradient=truncate_gradient,
        )
        return hs.sum(axis=1) + 2 * ys

    return loop


@pytest.mark.parametrize("stop_after", [0, 2, 100])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_gradients_through_an_until_loop_match_finite_differences(stop_after, go_backwards):
    rng = np.random.default_rng(stop_after)
    point = [rng.uniform(-1, 1, (6, 3)), rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (3, 3))]
    symgraph.verify_grad(two_taps_and_a_sequence(stop_after, go_backwards), point)


def test_a_truncated_gradient_through_an_until_loop_matches_finite_differences_of_the_tail():
    # truncate_gradient=1 differentiates the last step run only; with the first two steps'
    # rows fed in as constants that is the whole gradient of a loop of one step.
    rng = np.random.default_rng(1)
    point = [rng.uniform(-1, 1, (6, 3)), rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (3, 3))]
    x, h0, W = (T.matrix(n) for n in "x h0 W".split())
    out = two_taps_and_a_sequence(2, truncate_gradient=1)(x, h0, W)
    grads = symgraph.function([x, h0, W], symgraph.grad(out.sum(), [x, W]))(*point)
    # the reference: the third step alone, run on the rows the first two computed
    full = symgraph.function([x, h0, W], out)
    assert full(*point).shape == (3,)

    def last_step(x2, older, old, W):
        return (np.tanh(old @ W + 0.5 * older * x2)).sum() + 2 * (old * x2).sum()

    h1 = np.tanh(point[1][1] @ point[2] + 0.5 * point[1][0] * point[0][0])
    h2 = np.tanh(h1 @ point[2] + 0.5 * point[1][1] * point[0][1])
    eps = 1e-6
    numeric_x, numeric_W = np.zeros(3), np.zeros((3, 3))
    for i in range(3):
        step = np.eye(3)[i] * eps
        numeric_x[i] = (
            last_step(point[0][2] + step, h1, h2, point[2])
            - last_step(point[0][2] - step, h1, h2, point[2])
        ) / (2 * eps)
        for j in range(3):
            shift = np.zeros((3, 3))
            shift[i, j] = eps
            numeric_W[i, j] = (
                last_step(point[0][2], h1, h2, point[2] + shift)
                - last_step(point[0][2], h1, h2, point[2] - shift)
            ) / (2 * eps)
    np.testing.assert_allclose(grads[0][2], numeric_x, atol=1e-7)
    np.testing.assert_allclose(grads[0][[0, 1, 3, 4, 5]], 0)
    np.testing.assert_allclose(grads[1], numeric_W, atol=1e-7)


def test_a_condition_on_the_values_is_differentiated_where_it_does_not_switch():
    # sums 2.25, 3.375, 5.06...: the loop stops after step 2, far from switching
    def loop(h0, a):
        def step(h, a):
            new = h * a
            return new, symgraph.until(new.sum() > 4)

        hs, _ = symgraph.scan(step, outputs_info=h0, non_sequences=a, n_steps=10)
        return hs

    symgraph.verify_grad(loop, [np.array([1.0, 0.5]), np.array(1.5)])
    h0, a = T.vector("h0"), T.scalar("a")
    assert symgraph.function([h0, a], loop(h0, a))([1.0, 0.5], 1.5).shape == (3, 2)


# --------------------------------------------------------------------------------------
# return forms and errors


def test_until_alone_or_with_updates_first_is_refused_clearly():
    count = symgraph.shared(np.int64(0), name="count")
    x = T.vector("x")
    with pytest.raises(NotImplementedError, match="no outputs"):
        symgraph.scan(lambda v: ({count: count + 1}, symgraph.until(v > 0)), sequences=x)
    with pytest.raises(TypeError, match=r"until\(...\) must be the last value"):
        symgraph.scan(lambda v: (symgraph.until(v > 0), v), sequences=x)
    with pytest.raises(TypeError, match=r"until\(...\) must be the last value"):
        symgraph.scan(lambda v: symgraph.until(v > 0), sequences=x)
    with pytest.raises(TypeError, match="the middle one must be the updates"):
        symgraph.scan(lambda v: (v, v * 2, symgraph.until(v > 0)), sequences=x)


def test_a_condition_that_is_not_a_scalar_is_refused_naming_it():
    v = T.vector("v")
    with pytest.raises(TypeError, match="condition 'v' must be a scalar, got float64 vector"):
        symgraph.until(v)


def test_outputs_given_as_a_list_with_the_condition():
    x = T.vector("x")
    (a, b), _ = symgraph.scan(lambda v: ([v, v * 2], symgraph.until(v >= 1)), sequences=x)
    f = symgraph.function([x], [a, b])
    got_a, got_b = f(np.arange(4.0))
    np.testing.assert_array_equal(got_a, [0, 1])
    np.testing.assert_array_equal(got_b, [0, 2])
