"""A loop's gradient reads the forward values its backward step needs (``Scan.grad``,
``Scan.forward_values_read``, ``Scan.saving``) instead of computing them again: the
backward loop holds no forward matrix product, the loop that saves them runs as one with
the loop differentiated, and the gradients equal a backpropagation through time written
here in NumPy, FAST_COMPILE's and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import MODES, SETTINGS
from hypothesis import given
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T
from symgraph.compile.verify import numeric_grad
from symgraph.graph.traversal import toposort
from symgraph.scan.op import Scan
from symgraph.tensor.ops.blas import Dot

RNG = np.random.default_rng(11)


def uniform(*shape):
    return RNG.uniform(-0.8, 0.8, shape)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def loops(outputs) -> list:
    """The Scan nodes of a graph, forward loops first."""
    return [n for n in toposort(outputs) if isinstance(n.op, Scan)]


def compiled_loops(f) -> list:
    return [n for n in f.fgraph.toposort() if isinstance(n.op, Scan)]


def n_products(op: Scan) -> int:
    """How many different matrix products a loop's step computes (the step's compiler
    computes equal ones once)."""
    nodes = toposort(op.inner_outputs, op.inner_inputs)
    return len({tuple(n.inputs) for n in nodes if isinstance(n.op, Dot)})


# The LSTM ------------------------------------------------------------------------------


def lstm(x, h0, c0, W, U):
    """The LSTM of benchmarks/scan.py (gates i, f, o, then the cell input), returning the
    hidden and cell rows; the cost squares the hidden rows and sums the cells."""
    n = U.shape[0]

    def step(xt, h, c, W, U):
        z = T.dot(xt, W) + T.dot(h, U)
        i, f, o = (T.sigmoid(z[:, k * n : (k + 1) * n]) for k in range(3))
        c = f * c + i * T.tanh(z[:, 3 * n :])
        return [o * T.tanh(c), c]

    (hs, cs), _ = symgraph.scan(
        step,
        sequences=x,
        outputs_info=[h0, c0],
        non_sequences=[W, U],
        name="lstm",
        return_list=True,
    )
    return (hs**2).sum() + cs.sum()


def lstm_numpy(x, h0, c0, W, U):
    """The cost and its gradients with respect to x, h0, c0, W and U, by a forward loop
    keeping every gate and a backward loop over the steps."""
    n = U.shape[0]
    h, c, steps = h0, c0, []
    for xt in x:
        z = xt @ W + h @ U
        i, f, o = (sigmoid(z[:, k * n : (k + 1) * n]) for k in range(3))
        g = np.tanh(z[:, 3 * n :])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        steps.append((xt, h, c, i, f, o, g, c_new, h_new))
        h, c = h_new, c_new
    cost = sum((s[-1] ** 2).sum() + s[-2].sum() for s in steps)
    dx, dW, dU = np.zeros_like(x), np.zeros_like(W), np.zeros_like(U)
    dh, dc = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(len(steps))):
        xt, h, c, i, f, o, g, c_new, h_new = steps[t]
        dh = dh + 2 * h_new
        tanh_c = np.tanh(c_new)
        dc = dc + 1 + dh * o * (1 - tanh_c**2)
        dz = np.concatenate(
            [
                dc * g * i * (1 - i),
                dc * c * f * (1 - f),
                dh * tanh_c * o * (1 - o),
                dc * i * (1 - g**2),
            ],
            axis=1,
        )
        dW += xt.T @ dz
        dU += h.T @ dz
        dx[t] = dz @ W.T
        dh, dc = dz @ U.T, dc * f
    return cost, [dx, dh, dc, dW, dU]


def lstm_values(steps=4, batch=2, n_in=3, n_hidden=2):
    return [
        uniform(steps, batch, n_in),
        uniform(batch, n_hidden),
        uniform(batch, n_hidden),
        uniform(n_in, 4 * n_hidden),
        uniform(n_hidden, 4 * n_hidden),
    ]


def lstm_inputs():
    return [T.tensor3("x"), T.matrix("h0"), T.matrix("c0"), T.matrix("W"), T.matrix("U")]


def test_the_numpy_lstm_gradient_is_the_cost_s_derivative():
    # The reference itself, against central differences of its own cost.
    values = lstm_values()
    expected = numeric_grad(lambda *v: lstm_numpy(*v)[0], values, 1e-6)
    for got, want in zip(lstm_numpy(*values)[1], expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("steps", [0, 1, 5])
def test_lstm_gradient_matches_numpy_backpropagation_in_both_modes(steps):
    inputs, values = lstm_inputs(), lstm_values(steps)
    grads = symgraph.grad(lstm(*inputs), inputs)
    _, expected = lstm_numpy(*values)
    for mode in MODES:
        got = symgraph.function(inputs, grads, mode=mode)(*values)
        for name, g, e in zip("x h0 c0 W U".split(), got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12, err_msg=f"{mode} d{name}")


def test_lstm_gradient_matches_finite_differences():
    symgraph.verify_grad(lstm, lstm_values(3), rng=np.random.default_rng(0))


def test_the_lstm_backward_loop_computes_no_forward_product():
    inputs = lstm_inputs()
    W, U = inputs[3:]
    grads = symgraph.grad(lstm(*inputs), [W, U])
    # The loop differentiated, the copy saving its gates and pre-activations, the
    # backward loop: dz U.T, dz W.T, x.T dz and h.T dz are its only products.
    forward, saving, backward = loops(grads)
    assert n_products(forward.op) == n_products(saving.op) == 2
    assert len(saving.outputs) > len(forward.outputs)
    # The gates' slices of z are taken again from z, not saved beside it.
    saved = saving.op.inner_outputs[len(forward.outputs) :]
    assert not any(v.owner.op.view_map for v in saved)
    assert n_products(backward.op) == 4
    f = symgraph.function(inputs, grads, trace=True)
    # The copy runs as one loop with the original, its states computed once.
    assert dict(f.trace["scan_merge"].rewrites) == {"scan_merge": 1}
    assert dict(f.trace["scan_equal_outputs"].rewrites) == {"scan_merge_equal_outputs": 2}
    forward, backward = compiled_loops(f)
    assert len(forward.op.states) == 2
    assert (forward.op.name, backward.op.name) == ("lstm", "grad of lstm")
    # dz W.T, x's gradient, is not asked for: scan_prune drops it.
    assert (n_products(forward.op), n_products(backward.op)) == (2, 3)


# A tanh RNN, and a gated cell over the loop's options ------------------------------------


def rnn(x, h0, W, U):
    hs, _ = symgraph.scan(
        lambda xt, h, W, U: T.tanh(T.dot(xt, W) + T.dot(h, U)),
        sequences=x,
        outputs_info=h0,
        non_sequences=[W, U],
    )
    return (hs**2).sum()


def rnn_numpy(x, h0, W, U):
    h, rows = h0, []
    for xt in x:
        rows.append((xt, h, np.tanh(xt @ W + h @ U)))
        h = rows[-1][2]
    dx, dW, dU, dh = np.zeros_like(x), np.zeros_like(W), np.zeros_like(U), np.zeros_like(h0)
    for t in reversed(range(len(rows))):
        xt, h, h_new = rows[t]
        dz = (dh + 2 * h_new) * (1 - h_new**2)
        dx[t], dW, dU, dh = dz @ W.T, dW + xt.T @ dz, dU + h.T @ dz, dz @ U.T
    return [dx, dh, dW, dU]


def test_rnn_gradient_reads_the_loop_s_own_rows():
    # tanh's derivative reads the step's output, which the loop stores anyway: no copy
    # of the loop, and the backward step multiplies four times (dz U.T, dz W.T, x.T dz,
    # h.T dz).
    inputs = [T.tensor3("x"), T.matrix("h0"), T.matrix("W"), T.matrix("U")]
    grads = symgraph.grad(rnn(*inputs), inputs)
    forward, backward = loops(grads)
    assert (n_products(forward.op), n_products(backward.op)) == (2, 4)
    values = [uniform(5, 2, 3), uniform(2, 4), uniform(3, 4), uniform(4, 4)]
    expected = rnn_numpy(*values)
    for mode in MODES:
        got = symgraph.function(inputs, grads, mode=mode)(*values)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12, err_msg=mode)
    symgraph.verify_grad(rnn, values, rng=np.random.default_rng(2))


def gated(x, h0, W, U, taps, go_backwards, truncate, stop_after):
    """h[t] = tanh(z) * sigmoid(z) (+ h[t-2] / 2 with taps -2 and -1), z = x[t] W +
    h[t-1] U: its derivative reads tanh(z), sigmoid(z) and z, none of them an output.
    ``stop_after``: a counter state stops the loop after that many steps (None: never)."""

    def step(xt, *rest):
        *earlier, W, U = rest
        h1 = earlier[len(taps) - 1]
        z = T.dot(xt, W) + T.dot(h1, U)
        h = T.tanh(z) * T.sigmoid(z) + (0.5 * earlier[0] if len(taps) == 2 else 0)
        if stop_after is None:
            return h
        count = earlier[-1]
        return [h, count + 1], symgraph.until(count + 1 >= stop_after)

    outputs_info = [dict(initial=h0, taps=taps)]
    if stop_after is not None:
        outputs_info.append(T.constant(np.int64(0)))
    hs, _ = symgraph.scan(
        step,
        sequences=x,
        outputs_info=outputs_info,
        non_sequences=[W, U],
        go_backwards=go_backwards,
        truncate_gradient=truncate,
        return_list=True,
    )
    return (hs[0] ** 2).sum()


def gated_numpy(x, h0, W, U, taps, go_backwards, truncate, stop_after):
    """The gradients with respect to x, W and U; backpropagation runs through the last
    ``truncate`` steps only (-1: all)."""
    xs = x[::-1] if go_backwards else x
    n = len(xs) if stop_after is None else min(len(xs), stop_after)
    rows = list(h0) if len(taps) == 2 else [h0]  # the initial rows, then one per step
    k = len(rows)
    for t in range(n):
        z = xs[t] @ W + rows[-1] @ U
        rows.append(np.tanh(z) * sigmoid(z) + (0.5 * rows[-2] if len(taps) == 2 else 0))
    grads = [2 * r for r in rows]
    for r in range(k):
        grads[r] = np.zeros_like(rows[r])  # the cost reads the rows after the initial ones
    dxs, dW, dU = np.zeros_like(xs), np.zeros_like(W), np.zeros_like(U)
    first = 0 if truncate == -1 else max(n - truncate, 0)
    for t in reversed(range(first, n)):
        h1 = rows[k + t - 1]
        z = xs[t] @ W + h1 @ U
        s, th = sigmoid(z), np.tanh(z)
        dz = grads[k + t] * ((1 - th**2) * s + th * s * (1 - s))
        dxs[t], dW, dU = dz @ W.T, dW + xs[t].T @ dz, dU + h1.T @ dz
        grads[k + t - 1] = grads[k + t - 1] + dz @ U.T
        if len(taps) == 2:
            grads[k + t - 2] = grads[k + t - 2] + 0.5 * grads[k + t]
    return [dxs[::-1] if go_backwards else dxs, dW, dU]


OPTIONS = {
    "plain": ([-1], False, -1, None),
    "go_backwards": ([-1], True, -1, None),
    "taps -2 and -1": ([-2, -1], False, -1, None),
    "truncate_gradient": ([-1], False, 2, None),
    "until": ([-1], False, -1, 3),
}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_gated_gradient_matches_numpy_backpropagation(name):
    taps, go_backwards, truncate, stop_after = options = OPTIONS[name]
    x, h0, W, U = (
        T.tensor3("x"),
        T.matrix("h0") if len(taps) == 1 else T.tensor3("h0"),
        *(T.matrix(n) for n in "WU"),
    )
    values = [uniform(5, 2, 3), uniform(2, 4) if len(taps) == 1 else uniform(2, 2, 4)]
    values += [uniform(3, 4), uniform(4, 4)]
    grads = symgraph.grad(gated(x, h0, W, U, *options), [x, W, U])
    expected = gated_numpy(*values, *options)
    for mode in MODES:
        got = symgraph.function([x, h0, W, U], grads, mode=mode)(*values)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12, err_msg=mode)
    if truncate == -1:
        symgraph.verify_grad(
            lambda x, W, U: gated(x, values[1], W, U, *options),
            [values[0], *values[2:]],
            rng=np.random.default_rng(3),
        )


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_what_the_gated_backward_loop_computes_again(name):
    # Saved, the forward products leave the backward step (dz U.T, dz W.T, x.T dz and
    # h.T dz remain); a loop with a condition saves only its outputs and computes z
    # again.
    options = OPTIONS[name]
    x, W, U = T.tensor3("x"), T.matrix("W"), T.matrix("U")
    h0 = T.matrix("h0") if len(options[0]) == 1 else T.tensor3("h0")
    grads = symgraph.grad(gated(x, h0, W, U, *options), [W, U])
    *forward, backward = loops(grads)
    until = options[3] is not None
    assert len(forward) == (1 if until else 2)
    assert n_products(backward.op) == (6 if until else 4)


@SETTINGS
@given(
    name=st.sampled_from(sorted(OPTIONS)),
    steps=st.integers(0, 4),
    batch=st.integers(1, 3),
    n_hidden=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_gated_gradient_on_drawn_shapes(name, steps, batch, n_hidden, seed):
    rng = np.random.default_rng(seed)
    taps, *_ = options = OPTIONS[name]
    x, W, U = T.tensor3("x"), T.matrix("W"), T.matrix("U")
    h0 = T.matrix("h0") if len(taps) == 1 else T.tensor3("h0")
    values = [
        rng.uniform(-1, 1, (steps, batch, 2)),
        rng.uniform(-1, 1, (batch, n_hidden) if len(taps) == 1 else (2, batch, n_hidden)),
        rng.uniform(-1, 1, (2, n_hidden)),
        rng.uniform(-1, 1, (n_hidden, n_hidden)),
    ]
    grads = symgraph.grad(gated(x, h0, W, U, *options), [x, W, U])
    expected = gated_numpy(*values, *options)
    for mode in MODES:
        got = symgraph.function([x, h0, W, U], grads, mode=mode)(*values)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12, err_msg=mode)


@pytest.mark.parametrize("mode", MODES)
def test_hessian_vector_product_through_a_loop_saving_its_gates(mode):
    # The gradient's own gradient goes through the copy saving the gates and through
    # the backward loop reading them; against central differences of the gradient.
    inputs = lstm_inputs()
    W, V = inputs[3], T.matrix("V")
    g = symgraph.grad(lstm(*inputs), W)
    hvp = symgraph.grad((g * V).sum(), W)
    f_g = symgraph.function(inputs, g, mode=mode)
    f_hvp = symgraph.function([*inputs, V], hvp, mode=mode)
    values = lstm_values(3)
    direction = uniform(*values[3].shape)
    eps = 1e-6
    before, after = list(values), list(values)
    before[3], after[3] = values[3] - eps * direction, values[3] + eps * direction
    numeric = (f_g(*after) - f_g(*before)) / (2 * eps)
    np.testing.assert_allclose(f_hvp(*values, direction), numeric, rtol=1e-6, atol=1e-8)
