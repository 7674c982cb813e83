"""The ``Scan`` op's gradient (backpropagation through time), checked by finite
differences on every taps configuration, and against hand derivations where truncated."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SETTINGS
from hypothesis import given, settings
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T
from symgraph.compile.verify import numeric_grad
from symgraph.scan.op import Scan

RNG = np.random.default_rng(42)


def uniform(*shape, dtype="float64"):
    return RNG.uniform(-0.8, 0.8, shape).astype(dtype)


def rnn_sequence_taps(x, h0, W):
    """Sequence taps -1, 0, 1 and one state."""

    def step(before, now, after, h, W):
        return T.tanh(T.dot(h, W) + 0.5 * before + now - 0.3 * after)

    hs, _ = symgraph.scan(
        step, sequences=dict(input=x, taps=[-1, 0, 1]), outputs_info=h0, non_sequences=W
    )
    return hs


def rnn_two_taps(x, h0, W):
    """A state reading the two previous steps (initial value with two rows)."""

    def step(now, older, old, W):
        return T.tanh(T.dot(old, W) + 0.5 * older * now)

    hs, _ = symgraph.scan(
        step, sequences=x, outputs_info=dict(initial=h0, taps=[-2, -1]), non_sequences=W
    )
    return hs


def rnn_sparse_taps(x, h0, W):
    """Taps -1 and -3 (in that order): three initial rows, the middle one unread."""

    def step(now, old, oldest, W):
        return T.tanh(T.dot(old, W) - oldest + now)

    hs, _ = symgraph.scan(
        step, sequences=x, outputs_info=dict(initial=h0, taps=[-1, -3]), non_sequences=W
    )
    return hs


def rnn_with_an_output_not_fed_back(x, h0, W):
    def step(now, h, W):
        new = T.tanh(T.dot(h, W) + now)
        return [new, (new * now).sum()]

    (hs, ys), _ = symgraph.scan(step, sequences=x, outputs_info=[h0, None], non_sequences=W)
    return hs.sum() + ys.sum() * 2


def rnn_backwards(x, h0, W):
    hs, _ = symgraph.scan(
        lambda now, h, W: T.tanh(T.dot(h, W) * now),
        sequences=x,
        outputs_info=h0,
        non_sequences=W,
        go_backwards=True,
    )
    return hs


def rnn_fewer_steps_than_rows(x, h0, W):
    hs, _ = symgraph.scan(
        lambda now, h, W: T.tanh(T.dot(h, W) + now),
        sequences=x,
        outputs_info=h0,
        non_sequences=W,
        n_steps=x.shape[0] - 2,
    )
    return hs


def rnn_captured(x, h0, W):
    """W is read by the step without being listed: captured, and differentiated."""
    hs, _ = symgraph.scan(lambda now, h: T.tanh(T.dot(h, W) + now), sequences=x, outputs_info=h0)
    return hs[-1]


def two_states_reading_each_other(x, h0, W):
    def step(now, a, b, W):
        return [T.tanh(T.dot(b, W) + now), a * 0.5 + now]

    (a, b), _ = symgraph.scan(step, sequences=x, outputs_info=[h0, h0 * 2], non_sequences=W)
    return a.sum() + (b**2).sum()


def outputs_computed_from_each_other(x, h0, W):
    """The step's second output is computed from its first: the gradient must add both."""

    def step(now, h, W):
        new = T.tanh(T.dot(h, W) + now)
        return [new, new * 3]

    (hs, ys), _ = symgraph.scan(step, sequences=x, outputs_info=[h0, None], non_sequences=W)
    return hs.sum() + ys.sum()


CONFIGURATIONS = {
    "sequence_taps": (rnn_sequence_taps, 1),
    "two_taps": (rnn_two_taps, 2),
    "sparse_taps": (rnn_sparse_taps, 3),
    "output_not_fed_back": (rnn_with_an_output_not_fed_back, 1),
    "go_backwards": (rnn_backwards, 1),
    "fewer_steps_than_rows": (rnn_fewer_steps_than_rows, 1),
    "captured": (rnn_captured, 1),
    "two_states": (two_states_reading_each_other, 1),
    "outputs_from_each_other": (outputs_computed_from_each_other, 1),
}


@pytest.mark.parametrize("length", [1, 2, 5])
@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_gradient_matches_finite_differences(name, length):
    build, init_rows = CONFIGURATIONS[name]
    length += 2 if name in ("sequence_taps", "fewer_steps_than_rows") else 0
    x = uniform(length, 3)
    h0 = uniform(3) if init_rows == 1 else uniform(init_rows, 3)
    W = uniform(3, 3)
    symgraph.verify_grad(build, [x, h0, W], rng=np.random.default_rng(0))


def test_gradient_in_float32():
    symgraph.verify_grad(
        rnn_two_taps,
        [
            uniform(4, 3, dtype="float32"),
            uniform(2, 3, dtype="float32"),
            uniform(3, 3, dtype="float32"),
        ],
        rng=np.random.default_rng(0),
    )


@given(data=st.data())
@settings(SETTINGS, max_examples=10)
def test_gradient_on_drawn_taps_and_lengths(data):
    taps = data.draw(st.sampled_from([[-1], [-2, -1], [-1, -3], [-2]]))
    seq_taps = data.draw(st.sampled_from([[0], [-1, 1], [2], [0, -2]]))
    length = data.draw(st.integers(0, 4)) + max(seq_taps) - min(min(seq_taps), 0)
    backwards = data.draw(st.booleans())
    # a condition firing after a drawn step, or never (None: no condition)
    stop_after = data.draw(st.none() | st.integers(0, 4) | st.just(100), label="stop after")
    depth = -min(taps)

    def build(x, h0, w):
        def step(*args):
            rows, rest = args[: len(seq_taps)], args[len(seq_taps) :]
            if stop_after is None:
                *earlier, w = rest
            else:  # an integer step counter, its tap after h's
                *earlier, count, w = rest
            total = sum(rows[1:], rows[0]) * w
            for k, h in enumerate(earlier):
                total = total + T.sin(h) * (k + 1)
            if stop_after is None:
                return T.tanh(total)
            return [T.tanh(total), count + 1], symgraph.until(count + 1 > stop_after)

        outputs_info = [dict(initial=h0, taps=taps)]
        if stop_after is not None:
            outputs_info.append(T.constant(np.int64(0)))
        hs, _ = symgraph.scan(
            step,
            sequences=dict(input=x, taps=seq_taps),
            outputs_info=outputs_info,
            non_sequences=w,
            go_backwards=backwards,
            return_list=True,
        )
        return hs[0].sum() + (h0**2).sum()

    h0 = uniform(2) if taps == [-1] else uniform(depth, 2)
    symgraph.verify_grad(build, [uniform(length, 2), h0, uniform(2)], rng=np.random.default_rng(1))


def test_gradient_with_respect_to_a_captured_shared_variable():
    W = symgraph.shared(uniform(3, 3), name="W")
    x = T.matrix("x")
    h0 = T.vector("h0")
    hs, _ = symgraph.scan(lambda now, h: T.tanh(T.dot(h, W) + now), sequences=x, outputs_info=h0)
    cost = (hs**2).sum()
    gW = symgraph.function([x, h0], symgraph.grad(cost, W))
    f = symgraph.function([x, h0], cost)
    x_value, h_value = uniform(4, 3), uniform(3)

    def cost_at(w_value):
        W.set_value(w_value)
        return f(x_value, h_value)

    start = W.get_value()
    (expected,) = numeric_grad(cost_at, [start.copy()], 1e-7)
    W.set_value(start)
    np.testing.assert_allclose(gW(x_value, h_value), expected, rtol=1e-6, atol=1e-8)


def test_zero_steps_gradient_is_the_direct_one():
    x = T.matrix("x")
    h0 = T.vector("h0")
    hs, _ = symgraph.scan(lambda now, h: T.tanh(h + now), sequences=x, outputs_info=h0)
    cost = hs.sum() + h0.sum()
    gx, gh = symgraph.function([x, h0], symgraph.grad(cost, [x, h0]))(np.zeros((0, 2)), uniform(2))
    assert gx.shape == (0, 2)
    np.testing.assert_allclose(gh, [1.0, 1.0])


def test_truncated_gradient_backpropagates_through_the_last_steps_only():
    # h_t = a h_{t-1} + x_t, cost = sum_t h_t. With truncate_gradient=k the backward loop
    # runs over the last k steps: x_t gets sum_{s=t}^{n-1} a^(s-t) for t >= n-k, else 0.
    x = T.vector("x")
    a = T.scalar("a")
    h0 = T.scalar("h0")
    n, k, a_value = 5, 2, 0.5
    hs, _ = symgraph.scan(
        lambda now, h, a: a * h + now,
        sequences=x,
        outputs_info=h0,
        non_sequences=a,
        truncate_gradient=k,
    )
    gx, gh0 = symgraph.function([x, h0, a], symgraph.grad(hs.sum(), [x, h0]))(
        np.ones(n), 1.0, a_value
    )
    expected = [0, 0, 0, 1 + a_value, 1]
    np.testing.assert_allclose(gx, expected)
    assert gh0 == 0
    # a truncation as long as the loop is the whole gradient
    full, _ = symgraph.scan(
        lambda now, h, a: a * h + now,
        sequences=x,
        outputs_info=h0,
        non_sequences=a,
        truncate_gradient=n,
    )
    gx_full = symgraph.function([x, h0, a], symgraph.grad(full.sum(), x))(np.ones(n), 1.0, a_value)
    np.testing.assert_allclose(gx_full, [sum(a_value**j for j in range(n - t)) for t in range(n)])


def test_gradients_agree_in_both_modes():
    x, h0, W = T.matrix("x"), T.matrix("h0"), T.matrix("W")
    cost = rnn_two_taps(x, h0, W).sum()
    grads = symgraph.grad(cost, [x, h0, W])
    values = [uniform(5, 3), uniform(2, 3), uniform(3, 3)]
    fast = symgraph.function([x, h0, W], grads, mode="FAST_RUN")(*values)
    plain = symgraph.function([x, h0, W], grads, mode="FAST_COMPILE")(*values)
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_the_gradient_is_a_second_scan():
    x, h0, W = T.matrix("x"), T.vector("h0"), T.matrix("W")
    g = symgraph.grad(rnn_sequence_taps(x, h0, W).sum(), W)
    f = symgraph.function([x, h0, W], g)
    loops = [node for node in f.fgraph.toposort() if isinstance(node.op, Scan)]
    assert len(loops) == 2


def test_gradient_of_the_gradient():
    def first_derivative(a):
        hs, _ = symgraph.scan(
            lambda h, a: T.sin(h * a), outputs_info=T.ones_like(a), non_sequences=a, n_steps=3
        )
        return symgraph.grad(hs[-1], a)

    symgraph.verify_grad(first_derivative, [np.array(0.7)], rng=np.random.default_rng(0))


def test_the_ops_new_parameters_are_plain_values_and_checked():
    x_t, h, c, stop = T.vector(), T.vector(), T.lscalar(), T.lscalar()
    inner_inputs = [x_t, h, c, stop]
    outputs = [T.tanh(h + x_t), c + 1, T.gt(c + 1, stop)]
    op = Scan(
        inner_inputs,
        outputs,
        np.int64(1),
        [(np.int32(-1),), (np.int64(-1),)],
        np.int32(1),
        n_updates=np.int64(1),
        until=np.bool_(True),
    )
    for name in op.__props__:
        if name != "signature":  # the inner graph, compared as a value
            value = getattr(op, name)
            assert type(value) in (int, bool, tuple), name
    assert op.state_taps == ((-1,), (-1,)) and type(op.state_taps[1][0]) is int
    assert op.step_outputs == outputs[:2] and op.condition is outputs[2]
    with pytest.raises(ValueError, match="the condition excepted"):
        Scan(inner_inputs, outputs[:2], 1, [(-1,), (-1,)], 1, until=True)
    with pytest.raises(ValueError, match="needs the taps"):
        Scan(inner_inputs[:3] + [T.lscalar()], outputs[:2], 1, [(-1,), ()], 1, n_updates=1)
    with pytest.raises(ValueError, match="must be a scalar"):
        Scan(inner_inputs, [*outputs[:2], h], 1, [(-1,), (-1,)], 1, until=True)


def _keeping(outputs, kept_rows):
    """The outputs of the same loop, its op told to keep only ``kept_rows`` rows."""
    node = outputs[0].owner
    op = node.op
    keeping = Scan(
        op.inner_inputs,
        op.inner_outputs,
        op.n_seqs,
        op.state_taps,
        op.n_non_seqs,
        op.truncate_gradient,
        op.name,
        n_updates=op.n_updates,
        until=op.until,
        kept_rows=kept_rows,
    )
    return keeping.make_node(*node.inputs).outputs


@given(data=st.data())
@settings(SETTINGS, max_examples=40)
def test_kept_rows_are_the_last_rows_of_the_whole_buffer(data):
    taps = data.draw(st.sampled_from([[-1], [-2, -1], [-1, -3], [-2]]), label="taps")
    depth = -min(taps)
    n = data.draw(st.integers(0, 7), label="steps")
    stop_after = data.draw(st.none() | st.integers(0, 8), label="stop after")
    kept_state = data.draw(st.integers(depth, depth + 4), label="rows kept of the state")
    kept_plain = data.draw(st.integers(1, 4), label="rows kept of the output not fed back")
    x = T.matrix("x")
    h0 = T.matrix("h0")

    def step(now, *args):
        *earlier, count = args
        h = T.tanh(sum(earlier[1:], earlier[0]) * 0.7 + now)
        outputs = [h, count + 1, (h * 2).sum()]
        if stop_after is None:
            return outputs
        return outputs, symgraph.until(count + 1 > stop_after)

    full, _ = symgraph.scan(
        step,
        sequences=x,
        outputs_info=[dict(initial=h0, taps=taps), T.constant(np.int64(0)), None],
        return_list=True,
    )
    buffers = full[2].owner.outputs  # the output not fed back is its buffer itself
    kept = _keeping(buffers, (kept_state, 0, kept_plain))
    values = [uniform(n, 2), uniform(depth, 2)]
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        whole = symgraph.function([x, h0], buffers, mode=mode)(*values)
        last = symgraph.function([x, h0], kept, mode=mode)(*values)
        np.testing.assert_array_equal(last[0], whole[0][-kept_state:])
        np.testing.assert_array_equal(last[1], whole[1])
        np.testing.assert_array_equal(last[2], whole[2][-kept_plain:])
        assert last[2].shape[0] == min(kept_plain, whole[2].shape[0])


def test_a_loop_keeping_last_rows_stores_a_ring_and_refuses_a_gradient():
    x, h0 = T.vector("x"), T.scalar("h0")
    hs, _ = symgraph.scan(lambda now, h: h * 0.5 + now, sequences=x, outputs_info=h0)
    (last,) = _keeping([hs.owner.inputs[0]], (1,))
    f = symgraph.function([x, h0], last)
    assert "% m0" in f.source
    assert f(np.arange(4.0), 1.0).tolist() == [0.5 * (0.5 * (0.5 * 0.5 + 1) + 2) + 3]
    with pytest.raises(NotImplementedError, match="keeps only the last rows"):
        symgraph.grad(last.sum(), h0)
    with pytest.raises(ValueError, match="kept_rows"):
        _keeping([hs.owner.inputs[0]], (1, 2))


@pytest.mark.parametrize("how", ["non_sequence", "sequence"])
def test_gradient_when_loop_inputs_are_computed_from_each_other(how):
    # The step is given x and a value computed from x. Each is its own input of the loop:
    # the path from x to the other is the outer graph's to differentiate, once, not the
    # step's on every step.
    def loop(x):
        derived = x * 2 + x.sum()
        if how == "non_sequence":
            out, _ = symgraph.scan(
                lambda i, a, b: a * b * i, sequences=T.arange(3), non_sequences=[x, derived]
            )
        else:
            out, _ = symgraph.scan(lambda d, a: T.sin(a * d), sequences=derived, non_sequences=x)
        return out

    symgraph.verify_grad(loop, [uniform(4)], rng=np.random.default_rng(0))


def rnn_cost(x, h0, W):
    hs, _ = symgraph.scan(
        lambda now, h, W: T.tanh(T.dot(h, W) + now), sequences=x, outputs_info=h0, non_sequences=W
    )
    return (hs**2).sum() + hs[-1].sum()


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_hessian_vector_product_through_a_loop(mode):
    # grad of grad through the loop: the gradient's derivative along V, against central
    # differences of the compiled gradient.
    x, h0, W, V = T.matrix("x"), T.vector("h0"), T.matrix("W"), T.matrix("V")
    g = symgraph.grad(rnn_cost(x, h0, W), W)
    hvp = symgraph.grad((g * V).sum(), W)
    f_g = symgraph.function([x, h0, W], g, mode=mode)
    f_hvp = symgraph.function([x, h0, W, V], hvp, mode=mode)
    xv, hv, Wv, Vv = uniform(5, 3), uniform(3), uniform(3, 3), uniform(3, 3)
    eps = 1e-6
    numeric = (f_g(xv, hv, Wv + eps * Vv) - f_g(xv, hv, Wv - eps * Vv)) / (2 * eps)
    np.testing.assert_allclose(f_hvp(xv, hv, Wv, Vv), numeric, rtol=1e-6, atol=1e-8)
    symgraph.verify_grad(
        lambda W: symgraph.grad(rnn_cost(xv, hv, W), W), [Wv], rng=np.random.default_rng(1)
    )
