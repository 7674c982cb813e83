"""Shared variables updated from inside a loop: updates ``fn`` returns and random draws
made in ``fn``, against plain NumPy loops driving the same generator states."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from helpers import MODES

import symgraph
import symgraph.tensor as T
from symgraph.compile.verify import numeric_grad
from symgraph.tensor.ops.random import generator_from_state, state_from_generator
from symgraph.tensor.random import RandomStreams
from symgraph.tensor.shared import SharedVariable


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def noisy_walk(srng, steps):
    """A state that adds a uniform draw of 3 numbers each step."""
    x0 = T.vector("x0")
    walk, updates = symgraph.scan(
        lambda previous: previous + srng.uniform(size=(3,)), outputs_info=x0, n_steps=steps
    )
    return x0, walk, updates


@pytest.mark.parametrize("mode", MODES)
def test_a_draw_inside_a_loop_matches_a_numpy_loop_on_the_same_generator(mode):
    x0, walk, updates = noisy_walk(RandomStreams(7), 4)
    (state,) = updates
    assert isinstance(state, SharedVariable) and state.dtype == "uint64"
    f = symgraph.function([x0], walk, updates=updates, mode=mode)
    generator = generator_from_state(state.get_value())
    for _ in range(2):  # the second call continues the stream where the first stopped
        start = np.array([1.0, -1.0, 0.5])
        expected, row = [], start
        for _ in range(4):
            row = row + generator.uniform(0.0, 1.0, (3,))
            expected.append(row)
        np.testing.assert_allclose(f(start), expected)
        np.testing.assert_array_equal(
            state.get_value(), state_from_generator(generator.bit_generator)
        )


def test_each_step_and_each_call_draws_new_numbers_reproducibly_from_the_seed():
    def run(seed, calls):
        x0, walk, updates = noisy_walk(RandomStreams(seed), 5)
        f = symgraph.function([x0], walk, updates=updates)
        return [np.diff(f(np.zeros(3)), axis=0, prepend=0) for _ in range(calls)]

    first, second = run(3, 2)
    assert len({tuple(row) for row in first}) == 5  # a fresh draw at every step
    assert not np.allclose(first, second)  # and at every call
    again = run(3, 2)
    np.testing.assert_array_equal(first, again[0])
    np.testing.assert_array_equal(second, again[1])
    assert not np.allclose(first, run(4, 1)[0])


def test_a_forgotten_updates_dict_still_advances_the_stream_by_the_steps_run():
    srng = RandomStreams(11)
    x0, walk, updates = noisy_walk(srng, 3)
    (state,) = updates
    # the stream's default update is the loop's final state, as srng.updates() says
    assert state.default_update is updates[state]
    assert srng.updates() == [(state, updates[state])]
    f = symgraph.function([x0], walk)
    generator = generator_from_state(state.get_value())
    for _ in range(2):
        steps = np.array([generator.uniform(0.0, 1.0, (3,)) for _ in range(3)])
        np.testing.assert_allclose(f(np.zeros(3)), np.cumsum(steps, axis=0))
    frozen = symgraph.function([x0], walk, no_default_updates=True)
    np.testing.assert_array_equal(frozen(np.zeros(3)), frozen(np.zeros(3)))


def test_a_draw_made_outside_fn_is_read_as_it_is_not_redrawn_each_step():
    # A mask drawn once (variational dropout) and read inside the loop stays the same
    # at every step; its stream advances once per call, by the function's default update.
    srng = RandomStreams(2)
    mask = srng.binomial(size=(4,), p=0.5, dtype="float64")
    x = T.matrix("x")
    masked, updates = symgraph.scan(lambda row: row * mask, sequences=x)
    assert not updates
    f = symgraph.function([x], [masked, mask])
    got, drawn = f(np.ones((3, 4)))
    np.testing.assert_array_equal(got, np.tile(drawn, (3, 1)))


@pytest.mark.parametrize("mode", MODES)
def test_a_gibbs_chain_as_the_rbm_tutorial_builds_it(mode):
    rng = np.random.default_rng(0)
    n_visible, n_hidden, k = 6, 4, 5
    W_value = rng.normal(0, 0.5, (n_visible, n_hidden))
    hbias_value, vbias_value = rng.normal(0, 0.1, n_hidden), rng.normal(0, 0.1, n_visible)
    W = symgraph.shared(W_value, name="W")
    hbias = symgraph.shared(hbias_value, name="hbias")
    vbias = symgraph.shared(vbias_value, name="vbias")
    srng = RandomStreams(1234)

    def gibbs_vhv(v0_sample):
        pre_h = T.dot(v0_sample, W) + hbias
        h_mean = T.nnet.sigmoid(pre_h)
        h_sample = srng.binomial(size=h_mean.shape, n=1, p=h_mean, dtype="float64")
        pre_v = T.dot(h_sample, W.T) + vbias
        v_mean = T.nnet.sigmoid(pre_v)
        v_sample = srng.binomial(size=v_mean.shape, n=1, p=v_mean, dtype="float64")
        return [pre_h, h_mean, h_sample, pre_v, v_mean, v_sample]

    def free_energy(v):
        return -T.dot(v, vbias) - T.sum(T.log(1 + T.exp(T.dot(v, W) + hbias)), axis=1)

    x, chain_start = T.matrix("x"), T.matrix("chain_start")
    outputs, updates = symgraph.scan(
        gibbs_vhv, outputs_info=[None, None, None, None, None, chain_start], n_steps=k
    )
    assert len(updates) == 2 and isinstance(updates, OrderedDict)
    h_state, v_state = updates  # the draws' streams, in the order fn made them
    chain_end = outputs[-1][-1]
    cost = T.mean(free_energy(x)) - T.mean(free_energy(chain_end))
    grads = symgraph.grad(cost, [W, hbias, vbias], consider_constant=[chain_end])
    f = symgraph.function([x, chain_start], [*outputs, *grads], updates=updates, mode=mode)

    data = (rng.random((3, n_visible)) < 0.5).astype(float)
    start = (rng.random((3, n_visible)) < 0.5).astype(float)
    for _ in range(2):
        h_gen = generator_from_state(h_state.get_value())
        v_gen = generator_from_state(v_state.get_value())
        rows, v = [], start
        for _ in range(k):
            pre_h = v @ W_value + hbias_value
            h = (h_gen.random(pre_h.shape) < sigmoid(pre_h)).astype(float)
            pre_v = h @ W_value.T + vbias_value
            v = (v_gen.random(pre_v.shape) < sigmoid(pre_v)).astype(float)
            rows.append([pre_h, sigmoid(pre_h), h, pre_v, sigmoid(pre_v), v])
        *got, gW, ghbias, gvbias = f(data, start)
        for position, value in enumerate(got):
            np.testing.assert_allclose(value, [r[position] for r in rows], atol=1e-12)
        # the free energy's gradient, the chain's end held constant
        h_data, h_model = sigmoid(data @ W_value + hbias_value), sigmoid(v @ W_value + hbias_value)
        np.testing.assert_allclose(gW, (v.T @ h_model - data.T @ h_data) / 3, atol=1e-12)
        np.testing.assert_allclose(ghbias, h_model.mean(0) - h_data.mean(0), atol=1e-12)
        np.testing.assert_allclose(gvbias, v.mean(0) - data.mean(0), atol=1e-12)
        np.testing.assert_array_equal(
            h_state.get_value(), state_from_generator(h_gen.bit_generator)
        )
        np.testing.assert_array_equal(
            v_state.get_value(), state_from_generator(v_gen.bit_generator)
        )


def test_an_explicit_update_gives_the_last_steps_value_and_applies_once_per_call():
    count = symgraph.shared(np.int64(0), name="count")
    total = symgraph.shared(0.0, name="total")
    x = T.vector("x")

    def step(v):
        # the step reads the values the previous step gave them
        return [v * count, total], OrderedDict([(count, count + 1), (total, total + v)])

    (scaled, totals), updates = symgraph.scan(step, sequences=x)
    assert list(updates) == [count, total]
    f = symgraph.function([x], [scaled, totals], updates=updates)
    values = np.array([2.0, -1.0, 4.0])
    for call in range(2):
        start_count, start_total = int(count.get_value()), float(total.get_value())
        expected_scaled, expected_totals = [], []
        c, s = start_count, start_total
        for v in values:
            expected_scaled.append(v * c)
            expected_totals.append(s)
            c, s = c + 1, s + v
        got_scaled, got_totals = f(values)
        np.testing.assert_allclose(got_scaled, expected_scaled)
        np.testing.assert_allclose(got_totals, expected_totals)
        assert count.get_value() == 3 * (call + 1)
        np.testing.assert_allclose(total.get_value(), start_total + values.sum())


def test_updates_may_come_first_or_as_pairs_and_alone():
    count = symgraph.shared(np.int64(5), name="count")
    x = T.vector("x")
    for returned in (
        lambda v: ({count: count + 2}, v),
        lambda v: (v, [(count, count + 2)]),
    ):
        ys, updates = symgraph.scan(returned, sequences=x)
        f = symgraph.function([x], ys, updates=updates)
        before = int(count.get_value())
        np.testing.assert_allclose(f(np.arange(4.0)), np.arange(4.0))
        assert count.get_value() == before + 8
    with pytest.raises(NotImplementedError, match="no outputs"):
        symgraph.scan(lambda v: {count: count + 1}, sequences=x)


def test_zero_steps_leave_an_updated_variable_as_it_was():
    count = symgraph.shared(np.int64(4), name="count")
    x = T.vector("x")
    ys, updates = symgraph.scan(lambda v: (v, {count: count + 1}), sequences=x)
    symgraph.function([x], ys, updates=updates)(np.zeros(0))
    assert count.get_value() == 4


def test_a_shared_variable_given_as_a_non_sequence_and_updated_reads_its_carried_value():
    acc = symgraph.shared(np.zeros(2), name="acc")
    x = T.matrix("x")
    seen, updates = symgraph.scan(
        lambda row, a: (a * 1.0, {a: a + row}), sequences=x, non_sequences=acc
    )
    f = symgraph.function([x], seen, updates=updates)
    values = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(f(values), np.cumsum(values, axis=0) - values)
    np.testing.assert_allclose(acc.get_value(), values.sum(axis=0))


def test_gradients_go_through_a_loop_with_updates_but_not_through_the_updates():
    count = symgraph.shared(1.0, name="count")

    def rnn(x, h0, W):
        def step(row, h):
            return T.tanh(T.dot(h, W) + row * count), {count: count * 1.5}

        hs, _ = symgraph.scan(step, sequences=x, outputs_info=h0)
        return hs

    rng = np.random.default_rng(3)
    symgraph.verify_grad(rnn, [rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, 3), 0.7 * np.eye(3)])
    x = T.matrix("x")
    hs = rnn(x, T.zeros(3), T.eye(3))
    # the loop carries count as a constant: no gradient reaches it
    with pytest.raises(symgraph.DisconnectedInputError, match="'count'"):
        symgraph.grad(hs.sum(), count)


def test_gradients_through_a_loop_drawing_dropout_masks_match_finite_differences():
    srng = RandomStreams(5)
    x, W = T.matrix("x"), T.matrix("W")

    def step(row, h, W):
        mask = srng.binomial(size=h.shape, p=0.7, dtype="float64")
        return T.tanh(T.dot(h * mask, W) + row)

    hs, updates = symgraph.scan(step, sequences=x, outputs_info=T.zeros(3), non_sequences=W)
    cost = (hs**2).sum()
    # The stream stays where it is between calls, so every call draws the same masks.
    frozen = {"no_default_updates": True}
    f = symgraph.function([x, W], cost, **frozen)
    g = symgraph.function([x, W], symgraph.grad(cost, [x, W]), **frozen)
    rng = np.random.default_rng(0)
    point = [rng.uniform(-1, 1, (5, 3)), rng.uniform(-1, 1, (3, 3))]
    for got, expected in zip(g(*point), numeric_grad(f, point, 1e-6)):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def test_an_update_of_something_not_shared_is_refused_naming_it():
    x, y = T.vector("x"), T.scalar("y")
    with pytest.raises(TypeError, match="update for 'y', a float64 scalar, not a shared variable"):
        symgraph.scan(lambda v: (v, {y: y + v}), sequences=x)
    with pytest.raises(TypeError, match="update for 'w', a str, not a shared variable"):
        symgraph.scan(lambda v: (v, {"w": v}), sequences=x)


def test_an_update_of_another_type_is_refused_naming_both():
    count = symgraph.shared(np.int64(0), name="count")
    w = symgraph.shared(np.zeros(3), name="w")
    x = T.vector("x")
    expected = r"shared variable 'count' \(int64 scalar\) is a float64 scalar \(dtypes differ"
    with pytest.raises(TypeError, match=expected):
        symgraph.scan(lambda v: (v, {count: count + v}), sequences=x)
    with pytest.raises(TypeError, match="'w' .*is a float64 scalar .numbers of dimensions differ"):
        symgraph.scan(lambda v: (v, {w: w.sum()}), sequences=x)


def test_the_op_marks_update_outputs_for_loop_rewrites():
    count = symgraph.shared(np.int64(0), name="count")
    x = T.vector("x")
    ys, updates = symgraph.scan(lambda v: (v * 2, {count: count + 1}), sequences=x)
    op = ys.owner.op
    assert op.update_outputs == [1] and op.n_updates == 1 and op.condition is None
    assert updates[count].owner.inputs[0] is ys.owner.outputs[1]
    plain, _ = symgraph.scan(lambda v: v * 2, sequences=x)
    assert plain.owner.op.update_outputs == [] and plain.owner.op != op
