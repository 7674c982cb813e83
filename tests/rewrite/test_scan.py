"""The loop rewrites (``symgraph/rewrite/scan.py``): each fires where it should and not
where it must not, and every rewritten graph computes what FAST_COMPILE and a plain
Python loop written here compute, values and gradients."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import MODES, SETTINGS, compile_and_run
from hypothesis import given, settings
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T
from symgraph.compile.mode import Mode
from symgraph.compile.verify import numeric_grad
from symgraph.graph.fgraph import FunctionGraph
from symgraph.graph.traversal import clone_replace, toposort
from symgraph.graph.type import TensorType
from symgraph.rewrite.scan import is_plain_scan
from symgraph.rewrite.trace import trace_pipeline
from symgraph.scan.op import Scan
from symgraph.tensor.random import RandomStreams

RNG = np.random.default_rng(7)


def uniform(*shape):
    return RNG.uniform(-0.8, 0.8, shape)


def scan_nodes(f) -> list:
    return [n for n in f.fgraph.toposort() if isinstance(n.op, Scan)]


def fired(f, pass_name: str) -> dict:
    return dict(f.trace[pass_name].rewrites)


def inner_ops(node) -> list[str]:
    return [type(n.op).__name__ for n in toposort(node.op.inner_outputs, node.op.inner_inputs)]


def check_gradients(inputs, cost, reference_cost, values, wrt_positions):
    """The gradient of ``cost`` in both modes equals central differences of the plain
    NumPy ``reference_cost`` (and the modes agree with each other)."""
    wrt = [inputs[k] for k in wrt_positions]
    grads = symgraph.grad(cost, wrt)

    def reference_of_wrt(*chosen):
        full = list(values)
        for k, v in zip(wrt_positions, chosen):
            full[k] = v
        return reference_cost(*full)

    expected = numeric_grad(reference_of_wrt, [values[k] for k in wrt_positions], 1e-6)
    for mode in MODES:
        got = symgraph.function(inputs, grads, mode=mode, on_unused_input="ignore")(*values)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7, err_msg=mode)


# Reference loops ------------------------------------------------------------------------


def rnn_reference(x, h0, W, U):
    """h[t] = tanh(x[t] @ W + h[t-1] @ U), rows after h0."""
    h, rows = h0, []
    for xt in x:
        h = np.tanh(xt @ W + h @ U)
        rows.append(h)
    return np.array(rows).reshape((len(x), *h0.shape))


# Hoisting -------------------------------------------------------------------------------


def rnn_with_invariants(x, h0, W, U):
    """The step transposes U and multiplies W by U.T.U: both depend on non-sequences only."""

    def step(xt, h, W, U):
        gram = T.dot(U.T, U)
        return T.tanh(T.dot(xt, W) + T.dot(h, U.T) + 0.01 * T.dot(h, gram))

    hs, _ = symgraph.scan(step, sequences=x, outputs_info=h0, non_sequences=[W, U])
    return hs


def rnn_with_invariants_reference(x, h0, W, U):
    h, rows = h0, []
    for xt in x:
        h = np.tanh(xt @ W + h @ U.T + 0.01 * (h @ (U.T @ U)))
        rows.append(h)
    return np.array(rows).reshape((len(x), *h0.shape))


def test_hoist_fires_on_step_invariants_and_they_leave_the_step():
    x, h0, W, U = T.matrix("x"), T.vector("h0"), T.matrix("W"), T.matrix("U")
    hs = rnn_with_invariants(x, h0, W, U)
    f = symgraph.function([x, h0, W, U], hs, trace=True)
    assert fired(f, "scan_hoist")["scan_hoist_invariant"] == 2  # U.T and dot(U.T, U)
    (node,) = scan_nodes(f)
    assert "DimShuffle" not in inner_ops(node)  # U.T is read, not made, by each step
    assert inner_ops(node).count("Dot") == 3  # xt.W, h.U^T, h.gram; not U^T.U
    values = [uniform(5, 3), uniform(4), uniform(3, 4), uniform(4, 4)]
    result = compile_and_run([x, h0, W, U], hs, values)
    np.testing.assert_allclose(result, rnn_with_invariants_reference(*values), rtol=1e-10)
    check_gradients(
        [x, h0, W, U],
        hs.sum(),
        lambda *v: rnn_with_invariants_reference(*v).sum(),
        values,
        [0, 1, 2, 3],
    )


def test_hoisted_gradient_matches_finite_differences():
    for mode in MODES:
        symgraph.verify_grad(
            lambda x, h0, W, U: rnn_with_invariants(x, h0, W, U),
            [uniform(4, 3), uniform(4), uniform(3, 4), uniform(4, 4)],
            mode=mode,
        )


def test_hoist_does_not_fire_on_step_dependent_work():
    x, h0 = T.matrix("x"), T.vector("h0")
    hs, _ = symgraph.scan(lambda xt, h: T.tanh(xt * h + 1.0), sequences=x, outputs_info=h0)
    f = symgraph.function([x, h0], hs, trace=True)
    assert fired(f, "scan_hoist") == {}
    values = [uniform(5, 3), uniform(3)]
    result = compile_and_run([x, h0], hs, values)
    expected, h = [], values[1]
    for xt in values[0]:
        h = np.tanh(xt * h + 1.0)
        expected.append(h)
    np.testing.assert_allclose(result, np.array(expected), rtol=1e-12)


def test_hoist_leaves_random_draws_in_the_loop():
    srng = RandomStreams(3)
    x, W = T.matrix("x"), T.matrix("W")
    noise = srng.normal((3, 3))  # drawn from the stream's state, a non-sequence

    def step(xt, W):
        return T.dot(xt, W * noise)

    ys, _ = symgraph.scan(step, sequences=x, non_sequences=W)
    f = symgraph.function([x, W], ys, trace=True, no_default_updates=True)
    (node,) = scan_nodes(f)
    assert "RandomVariable" in inner_ops(node)
    assert "scan_hoist_invariant" not in fired(f, "scan_hoist")


# Dropping unused outputs ----------------------------------------------------------------


def two_outputs(x, h0, W, U, *unused):
    """A state and a per-step output; ``unused`` are non-sequences no step reads."""

    def step(xt, h, W, U, *unused):
        new = T.tanh(T.dot(xt, W) + T.dot(h, U))
        return [new, T.dot(xt, W).sum() * 2.0]

    (hs, ys), _ = symgraph.scan(
        step, sequences=x, outputs_info=[h0, None], non_sequences=[W, U, *unused]
    )
    return hs, ys


def rnn_inputs():
    return [T.matrix("x"), T.vector("h0"), T.matrix("W"), T.matrix("U")]


def rnn_values():
    return [uniform(5, 3), uniform(4), uniform(3, 4), uniform(4, 4)]


def test_prune_fires_on_unread_output_and_unread_non_sequence():
    unused = T.vector("unused")
    inputs = [*rnn_inputs(), unused]
    hs, ys = two_outputs(*inputs)
    f = symgraph.function(inputs, hs, trace=True)
    assert fired(f, "scan_prune") == {"scan_drop_output": 1, "scan_drop_non_sequence": 1}
    (node,) = scan_nodes(f)
    assert len(node.outputs) == 1
    assert "Sum" not in inner_ops(node)
    assert f.fgraph.inputs[4] not in node.inputs
    values = [*rnn_values(), uniform(2)]
    result = compile_and_run(inputs, hs, values)
    np.testing.assert_allclose(result, rnn_reference(*values[:4]), rtol=1e-10)
    check_gradients(inputs, hs.sum(), lambda *v: rnn_reference(*v[:4]).sum(), values, [0, 1, 2, 3])


def test_prune_keeps_a_state_another_kept_output_reads():
    x, a0, b0 = T.vector("x"), T.scalar("a0"), T.scalar("b0")

    def step(xt, a, b):
        return [a * 0.5 + xt, b + a]  # b reads a through a's tap

    (as_, bs), _ = symgraph.scan(step, sequences=x, outputs_info=[a0, b0])
    f = symgraph.function([x, a0, b0], bs, trace=True)
    assert fired(f, "scan_prune") == {}
    (node,) = scan_nodes(f)
    assert len(node.outputs) == 2
    values = [uniform(6), np.float64(0.3), np.float64(-0.2)]

    def reference(x, a, b):
        rows = []
        for xt in x:
            a, b = a * 0.5 + xt, b + a
            rows.append(b)
        return np.array(rows)

    np.testing.assert_allclose(compile_and_run([x, a0, b0], bs, values), reference(*values))
    check_gradients([x, a0, b0], bs.sum(), lambda *v: reference(*v).sum(), values, [0, 1, 2])


def test_prune_does_not_fire_when_every_output_and_input_is_read():
    inputs = rnn_inputs()
    hs, ys = two_outputs(*inputs)
    f = symgraph.function(inputs, [hs, ys], trace=True)
    assert fired(f, "scan_prune") == {}
    values = rnn_values()
    got_hs, got_ys = compile_and_run(inputs, [hs, ys], values)
    np.testing.assert_allclose(got_hs, rnn_reference(*values))
    np.testing.assert_allclose(got_ys, (values[0] @ values[2]).sum(axis=1) * 2.0)
    check_gradients(
        inputs,
        hs.sum() + ys.sum(),
        lambda *v: rnn_reference(*v).sum() + (v[0] @ v[2]).sum() * 2.0,
        values,
        [0, 1, 2, 3],
    )


# Merging loops ----------------------------------------------------------------------------


def test_merge_fires_on_independent_loops_of_the_same_steps():
    x, h0, W, U = T.matrix("x"), T.vector("h0"), T.matrix("W"), T.matrix("U")
    hs, _ = symgraph.scan(
        lambda xt, h, W, U: T.tanh(T.dot(xt, W) + T.dot(h, U)),
        sequences=x,
        outputs_info=h0,
        non_sequences=[W, U],
    )
    cs, _ = symgraph.scan(lambda xt, c: c + xt.sum(), sequences=x, outputs_info=T.zeros(()))
    cost = hs.sum() + (cs**2).sum()
    inputs = [x, h0, W, U]
    f = symgraph.function(inputs, [hs, cs, cost], trace=True)
    assert fired(f, "scan_merge") == {"scan_merge": 1}
    (node,) = scan_nodes(f)
    assert node.op.n_seqs == 1  # x, read by both, is passed once
    values = [uniform(5, 3), uniform(4), uniform(3, 4), uniform(4, 4)]
    got_hs, got_cs, got_cost = compile_and_run(inputs, [hs, cs, cost], values)

    def reference(x, h0, W, U):
        return rnn_reference(x, h0, W, U).sum() + (np.cumsum(x.sum(axis=1)) ** 2).sum()

    np.testing.assert_allclose(got_hs, rnn_reference(*values))
    np.testing.assert_allclose(got_cs, np.cumsum(values[0].sum(axis=1)))
    np.testing.assert_allclose(got_cost, reference(*values))
    check_gradients(inputs, cost, reference, values, [0, 1, 2, 3])


def test_merge_does_not_fire_when_one_loop_reads_the_other():
    x, h0 = T.matrix("x"), T.vector("h0")
    hs, _ = symgraph.scan(lambda xt, h: T.tanh(xt + h), sequences=x, outputs_info=h0)
    # n_steps is x's length for both loops, but the second reads the first's rows
    ys, _ = symgraph.scan(lambda ht: ht * 2.0, sequences=hs, n_steps=x.shape[0])
    f = symgraph.function([x, h0], ys, trace=True)
    assert fired(f, "scan_merge") == {}
    assert len(scan_nodes(f)) == 2
    values = [uniform(5, 3), uniform(3)]
    h, expected = values[1], []
    for xt in values[0]:
        h = np.tanh(xt + h)
        expected.append(h * 2.0)
    np.testing.assert_allclose(compile_and_run([x, h0], ys, values), np.array(expected))


def test_merge_does_not_fire_on_different_numbers_of_steps():
    x, y = T.vector("x"), T.vector("y")
    xs, _ = symgraph.scan(lambda v: v * 2.0, sequences=x)
    ys, _ = symgraph.scan(lambda v: v + 1.0, sequences=y)
    f = symgraph.function([x, y], [xs, ys], trace=True)
    assert fired(f, "scan_merge") == {}
    values = [uniform(4), uniform(6)]
    got_x, got_y = compile_and_run([x, y], [xs, ys], values)
    np.testing.assert_allclose(got_x, values[0] * 2.0)
    np.testing.assert_allclose(got_y, values[1] + 1.0)


def test_merged_nodes_of_one_op_keep_their_own_states():
    # A loop cloned onto another initial value is a second node of the same op: its
    # step's inner inputs are the first's, and merged as they were both steps read one.
    x, h0, h1 = T.matrix("x"), T.vector("h0"), T.vector("h1")
    hs, _ = symgraph.scan(lambda xt, h: T.tanh(xt + h), sequences=x, outputs_info=h0)
    (hs_again,) = clone_replace([hs], {h0: h1})
    assert hs_again.owner.inputs[0].owner.op is hs.owner.inputs[0].owner.op
    f = symgraph.function([x, h0, h1], [hs, hs_again], trace=True)
    assert fired(f, "scan_merge") == {"scan_merge": 1}
    assert fired(f, "scan_equal_outputs") == {}  # different initial values
    values = [uniform(5, 3), uniform(3), uniform(3) + 2]
    got = compile_and_run([x, h0, h1], [hs, hs_again], values)
    for rows, h in zip(got, values[1:]):
        np.testing.assert_allclose(rows, rnn_reference(values[0], h, np.eye(3), np.eye(3)))


# Outputs equal at every step ----------------------------------------------------------


def test_equal_outputs_fires_on_a_loop_and_its_copy_returning_more():
    # As a gradient builds it: the same loop, also returning a value of its step. The
    # two are different ops (merge leaves them); merged, the state is computed once.
    x, h0, W, U = T.matrix("x"), T.vector("h0"), T.matrix("W"), T.matrix("U")

    def rnn(x, more: bool):
        def step(xt, h, W, U):
            z = T.dot(xt, W) + T.dot(h, U)
            return [T.tanh(z), z] if more else T.tanh(z)

        rows, _ = symgraph.scan(
            step,
            sequences=x,
            outputs_info=[h0, None] if more else h0,
            non_sequences=[W, U],
        )
        return rows

    first, (second, zs) = rnn(x, False), rnn(x, True)
    cost = first.sum() + (second**2).sum() + zs.sum()
    inputs = [x, h0, W, U]
    f = symgraph.function(inputs, cost, trace=True)
    assert fired(f, "scan_merge") == {"scan_merge": 1}
    assert fired(f, "scan_equal_outputs") == {"scan_merge_equal_outputs": 1}
    (node,) = scan_nodes(f)
    assert len(node.outputs) == 2  # the state, and z
    values = [uniform(5, 3), uniform(4), uniform(3, 4), uniform(4, 4)]

    def reference(x, h0, W, U):
        rows = rnn_reference(x, h0, W, U)
        before = np.concatenate([h0[None], rows[:-1]])
        return rows.sum() + (rows**2).sum() + (x @ W + before @ U).sum()

    np.testing.assert_allclose(compile_and_run(inputs, cost, values), reference(*values))
    check_gradients(inputs, cost, reference, values, [0, 1, 2, 3])


def counters(n_steps, h0):
    """Five states from h0: a + 1, b + 1, c + 2, d = a + 1 and e = c + 1. a, b and d are
    equal at every step; c is not, and neither is e (equal to a at the first step only)."""

    def step(a, b, c, d, e):
        return [a + 1, b + 1, c + 2, a + 1, c + 1]

    rows, _ = symgraph.scan(step, outputs_info=[h0] * 5, n_steps=n_steps, return_list=True)
    return rows


def test_equal_outputs_are_found_by_refining_classes():
    n, h0 = T.lscalar("n"), T.vector("h0")
    rows = counters(n, h0)
    f = symgraph.function([n, h0], rows, trace=True)
    # a, b, d: one state; c; e differs from a once c's taps are told from a's.
    assert fired(f, "scan_equal_outputs") == {"scan_merge_equal_outputs": 2}
    (node,) = scan_nodes(f)
    assert len(node.outputs) == 3
    start = uniform(2)
    steps = np.arange(1, 5)[:, None]
    a, c = start + steps, start + 2 * steps
    e = np.concatenate([start[None] + 1, c[:-1] + 1])
    got = compile_and_run([n, h0], rows, [4, start])
    for rows_got, expected in zip(got, [a, a, c, a, e]):
        np.testing.assert_allclose(rows_got, expected)


def test_equal_outputs_does_not_fire_on_states_that_differ():
    # Same initial value and the same kind of step, but each state reads the other
    # differently: nothing is equal.
    n, h0 = T.lscalar("n"), T.vector("h0")

    def step(p, q):
        return [T.tanh(p + 2 * q), T.tanh(q + 2 * p) * 1.5]

    (ps, qs), _ = symgraph.scan(step, outputs_info=[h0, h0], n_steps=n, return_list=True)
    f = symgraph.function([n, h0], [ps, qs], trace=True)
    assert fired(f, "scan_equal_outputs") == {}
    start = uniform(3)
    p, q, expected = start, start, []
    for _ in range(3):
        p, q = np.tanh(p + 2 * q), np.tanh(q + 2 * p) * 1.5
        expected.append((p, q))
    got = compile_and_run([n, h0], [ps, qs], [3, start])
    np.testing.assert_allclose(got[0], [r[0] for r in expected])
    np.testing.assert_allclose(got[1], [r[1] for r in expected])


# Loops of 0 or 1 steps ------------------------------------------------------------------


def counter_loop(n_steps, h0, W):
    """A state and an output not fed back, over ``n_steps`` steps, no sequence."""

    def step(h, W):
        new = T.tanh(T.dot(h, W))
        return [new, new.sum()]

    (hs, ss), _ = symgraph.scan(step, outputs_info=[h0, None], non_sequences=W, n_steps=n_steps)
    return hs, ss


def counter_reference(n, h0, W):
    h, hs, ss = h0, [], []
    for _ in range(n):
        h = np.tanh(h @ W)
        hs.append(h)
        ss.append(h.sum())
    return np.array(hs).reshape((n, *h0.shape)), np.array(ss)


@pytest.mark.parametrize("n", [0, 1])
def test_trivial_loop_is_inlined(n):
    h0, W = T.vector("h0"), T.matrix("W")
    hs, ss = counter_loop(n, h0, W)
    cost = hs.sum() + ss.sum()
    f = symgraph.function([h0, W], [hs, ss, cost], trace=True)
    assert fired(f, "scan_trivial") == {("scan_empty" if n == 0 else "scan_one_step"): 1}
    assert scan_nodes(f) == []
    values = [uniform(3), uniform(3, 3)]
    got_hs, got_ss, got_cost = compile_and_run([h0, W], [hs, ss, cost], values)
    want_hs, want_ss = counter_reference(n, *values)
    np.testing.assert_allclose(got_hs, want_hs)
    np.testing.assert_allclose(got_ss, want_ss)
    np.testing.assert_allclose(got_cost, want_hs.sum() + want_ss.sum())

    def reference(h0, W):
        a, b = counter_reference(n, h0, W)
        return a.sum() + b.sum()

    check_gradients([h0, W], cost, reference, values, [0, 1])


def test_one_step_loop_over_a_sequence_of_known_length_is_inlined():
    x = TensorType("float64", (1, 3)).make_variable("x")
    h0 = T.vector("h0")
    hs, _ = symgraph.scan(lambda xt, h: T.tanh(xt + h), sequences=x, outputs_info=h0)
    f = symgraph.function([x, h0], hs, trace=True)
    assert fired(f, "scan_trivial") == {"scan_one_step": 1}
    values = [uniform(1, 3), uniform(3)]
    got = compile_and_run([x, h0], hs, values)
    np.testing.assert_allclose(got, np.tanh(values[0] + values[1]))


def test_trivial_does_not_fire_on_more_steps_or_unknown_steps():
    h0, W, n = T.vector("h0"), T.matrix("W"), T.lscalar("n")
    for steps in (2, n):
        hs, ss = counter_loop(steps, h0, W)
        inputs = [h0, W] if steps is not n else [n, h0, W]
        f = symgraph.function(inputs, [hs, ss], trace=True)
        assert fired(f, "scan_trivial") == {}
        assert len(scan_nodes(f)) == 1
    values = [np.int64(2), uniform(3), uniform(3, 3)]
    got_hs, got_ss = compile_and_run([n, h0, W], [hs, ss], values)
    want_hs, want_ss = counter_reference(2, *values[1:])
    np.testing.assert_allclose(got_hs, want_hs)
    np.testing.assert_allclose(got_ss, want_ss)


def test_trivial_does_not_fire_when_inlining_would_lose_a_check():
    """A sequence of unknown length (the loop names it when too short) and an initial
    value whose rows are not known (the loop names it when it has too few)."""
    x, h0 = T.matrix("x"), T.matrix("h0")
    hs, _ = symgraph.scan(
        lambda xt, older, old: xt + older * old,
        sequences=x,
        outputs_info=dict(initial=h0, taps=[-2, -1]),
        n_steps=1,
    )
    f = symgraph.function([x, h0], hs, trace=True)
    assert fired(f, "scan_trivial") == {}
    with pytest.raises(ValueError, match="needs 2|need 2"):
        f(uniform(3, 2), uniform(1, 2))
    values = [uniform(3, 2), uniform(2, 2)]
    got = compile_and_run([x, h0], hs, values)
    np.testing.assert_allclose(got, (values[0][0] + values[1][0] * values[1][1])[None])


# What the rewrites leave alone ------------------------------------------------------------


def test_is_plain_scan_refuses_loops_with_features_it_does_not_know():
    x = T.vector("x")
    ys, _ = symgraph.scan(lambda v: v * 2.0, sequences=x)
    op = ys.owner.op
    assert is_plain_scan(op)

    class LoopWithCondition(Scan):
        pass

    assert not is_plain_scan(LoopWithCondition.__new__(LoopWithCondition))
    assert not is_plain_scan(ys.owner.inputs[0].owner.op)  # not a Scan at all
    try:
        op.until = T.scalar("stop")
        assert not is_plain_scan(op)
    finally:
        del op.until
    try:
        op.update_states = (0,)
        assert not is_plain_scan(op)
        op.update_states = ()
        assert is_plain_scan(op)  # present but empty: still plain
    finally:
        del op.update_states


def test_rewrites_leave_loops_with_a_condition_or_updates_alone():
    """Both steps transpose W (hoistable) and both loops run x's length of steps
    (mergeable), but one stops early and the other counts its steps in a shared variable."""
    x, W = T.matrix("x"), T.matrix("W")
    counter = symgraph.shared(np.float64(0.0), name="counter")

    def stopping(xt, W):
        new = T.dot(xt, W.T)
        return new, symgraph.until(new.sum() > 1.0)

    def counting(xt, W):
        return T.dot(xt, W.T).sum(), {counter: counter + 1.0}

    ys, _ = symgraph.scan(stopping, sequences=x, non_sequences=W)
    zs, updates = symgraph.scan(counting, sequences=x, non_sequences=W)
    f = symgraph.function([x, W], [ys, zs], updates=updates, trace=True)
    for name in ("scan_trivial", "scan_hoist", "scan_prune", "scan_merge"):
        assert fired(f, name) == {}, name
    assert len(scan_nodes(f)) == 2
    assert not any(is_plain_scan(node.op) for node in scan_nodes(f))
    values = [uniform(6, 3), uniform(2, 3)]
    rows = values[0] @ values[1].T
    stop = next((t + 1 for t, row in enumerate(rows) if row.sum() > 1.0), len(rows))
    got_ys, got_zs = f(*values)
    np.testing.assert_allclose(got_ys, rows[:stop])
    np.testing.assert_allclose(got_zs, rows.sum(axis=1))
    assert counter.get_value() == len(rows)


def test_rewrites_leave_loops_keeping_only_their_last_rows_alone():
    x, W = T.matrix("x"), T.matrix("W")
    ys, _ = symgraph.scan(lambda xt, W: T.dot(xt, W.T), sequences=x, non_sequences=W)
    op = ys.owner.op
    keeping = Scan(
        op.inner_inputs,
        op.inner_outputs,
        op.n_seqs,
        op.state_taps,
        op.n_non_seqs,
        kept_rows=(2,),
    )
    (last_two,) = keeping.make_node(*ys.owner.inputs).outputs
    assert not is_plain_scan(keeping)
    all_kept = Scan(
        op.inner_inputs,
        op.inner_outputs,
        op.n_seqs,
        op.state_taps,
        op.n_non_seqs,
        kept_rows=(0,),
    )
    assert is_plain_scan(all_kept)  # 0: every row, as without kept_rows
    f = symgraph.function([x, W], last_two, trace=True)
    assert fired(f, "scan_hoist") == {}
    values = [uniform(5, 3), uniform(2, 3)]
    np.testing.assert_allclose(f(*values), (values[0] @ values[1].T)[-2:])


def test_nested_loops_are_rewritten_at_both_levels():
    """The outer step holds a loop whose step transposes W: the outer function hoists
    nothing from it (it reads the outer step's row), the step's own compiler does."""
    x, W = T.tensor3("x"), T.matrix("W")

    def outer_step(block, W):
        rows, _ = symgraph.scan(
            lambda r, h, W: T.tanh(T.dot(h, W.T) + r),
            sequences=block,
            outputs_info=T.zeros_like(block[0]),
            non_sequences=W,
        )
        return rows[-1]

    last, _ = symgraph.scan(outer_step, sequences=x, non_sequences=W)
    f = symgraph.function([x, W], last, trace=True)
    assert fired(f, "scan_hoist") == {}
    (outer,) = scan_nodes(f)
    step_graph = FunctionGraph(outer.op.inner_inputs, outer.op.inner_outputs)
    step_trace = trace_pipeline(step_graph, Mode("FAST_RUN").passes)  # as the step compiles
    assert step_trace["scan_hoist"].rewrites == {"scan_hoist_invariant": 1}
    values = [uniform(3, 4, 2), uniform(2, 2)]

    def reference(x, W):
        result = []
        for block in x:
            h = np.zeros_like(block[0])
            for r in block:
                h = np.tanh(h @ W.T + r)
            result.append(h)
        return np.array(result)

    np.testing.assert_allclose(compile_and_run([x, W], last, values), reference(*values))
    check_gradients([x, W], last.sum(), lambda *v: reference(*v).sum(), values, [0, 1])


# Golden before/after texts ---------------------------------------------------------------


def test_trace_golden_hoist_prune_merge():
    """Two loops over x: the first's step transposes W (hoisted, then W is dropped), and
    both run x's length of steps on x (merged, x passed once)."""
    x, W = T.dmatrix("x"), T.dmatrix("W")
    ys, _ = symgraph.map(lambda xt, W: T.dot(xt, W.T), sequences=x, non_sequences=W)
    zs, _ = symgraph.map(lambda xt: xt * 2.0, sequences=x)
    f = symgraph.function([x, W], [ys, zs], trace=True)
    header, steps = "x:f64[?,?], W:f64[?,?] ->\n", "  t0:i64[] = Shape_i{0}(x)\n"
    assert f.trace["scan_hoist"].before == (
        header + steps + "  t1:f64[?,?] = Scan(t0, x, W)\n  t3:f64[?,?] = Scan(t0, x)\n-> t1, t3"
    )
    transposed = "  t4:f64[?,?] = DimShuffle{1,0}(W)\n"
    assert f.trace["scan_hoist"].after == (
        header + steps + transposed + "  t5:f64[?,?] = Scan(t0, x, W, t4)\n"
        "  t3:f64[?,?] = Scan(t0, x)\n-> t5, t3"
    )
    assert f.trace["scan_prune"].after == (
        header + steps + transposed + "  t6:f64[?,?] = Scan(t0, x, t4)\n"
        "  t3:f64[?,?] = Scan(t0, x)\n-> t6, t3"
    )
    assert f.trace["scan_merge"].after == (
        header + steps + transposed + "  t7:f64[?,?], t8:f64[?,?] = Scan(t0, x, t4)\n-> t7, t8"
    )
    text = symgraph.debugprint(f, file="str")  # the merged loop's step is still shown
    inner = text[text.index("Inner graphs:") :]
    assert "Dot" in inner and "mul" in inner and "DimShuffle" not in inner
    values = [uniform(4, 3), uniform(2, 3)]
    got_ys, got_zs = compile_and_run([x, W], [ys, zs], values)
    np.testing.assert_allclose(got_ys, values[0] @ values[1].T)
    np.testing.assert_allclose(got_zs, values[0] * 2.0)


def test_trace_golden_one_step():
    h0 = T.dvector("h0")
    hs, _ = symgraph.scan(T.tanh, outputs_info=h0, n_steps=1)
    f = symgraph.function([h0], hs, trace=True)
    record = f.trace["scan_trivial"]
    assert record.before == (
        "h0:f64[?] ->\n  t0:f64[1,?] = DimShuffle{x,0}(h0)\n  t1:f64[?,?] = Scan(1, t0)\n"
        "  t2:f64[?,?] = Subtensor{1:}(t1)\n-> t2"
    )
    assert record.after == (
        "h0:f64[?] ->\n  t0:f64[1,?] = DimShuffle{x,0}(h0)\n  t3:f64[?] = Subtensor{0}(t0)\n"
        "  t4:f64[?] = tanh(t3)\n  t5:f64[1,?] = DimShuffle{x,0}(t4)\n"
        "  t6:f64[2,?] = Join{axis=0}(t0, t5)\n  t2:f64[?,?] = Subtensor{1:}(t6)\n-> t2"
    )
    value = uniform(3)
    np.testing.assert_allclose(compile_and_run([h0], hs, [value]), np.tanh(value)[None])


# All rewrites together, on drawn shapes ------------------------------------------------------


@SETTINGS
@given(
    steps=st.integers(0, 4),
    batch=st.integers(1, 3),
    n_in=st.integers(1, 3),
    n_hidden=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_every_rewrite_matches_a_plain_loop(steps, batch, n_in, n_hidden, seed):
    rng = np.random.default_rng(seed)
    x, W, U = T.tensor3("x"), T.matrix("W"), T.matrix("U")
    h0 = T.zeros((x.shape[1], U.shape[0]))

    def step(xt, h, W, U):
        return [T.tanh(T.dot(xt, W) + T.dot(h, U.T)), (h**2).sum()]

    (hs, unread), _ = symgraph.scan(
        step, sequences=x, outputs_info=[h0, None], non_sequences=[W, U]
    )
    cs, _ = symgraph.scan(lambda xt, c: c + xt.sum(), sequences=x, outputs_info=T.zeros(()))
    cost = hs.sum() + cs.sum()
    values = [
        rng.uniform(-1, 1, (steps, batch, n_in)),
        rng.uniform(-1, 1, (n_in, n_hidden)),
        rng.uniform(-1, 1, (n_hidden, n_hidden)),
    ]

    def reference(x, W, U):
        h0 = np.zeros((x.shape[1], U.shape[0]))
        return rnn_reference(x, h0, W, U.T).sum() + np.cumsum(x.sum(axis=(1, 2))).sum()

    got = compile_and_run([x, W, U], cost, values)
    np.testing.assert_allclose(got, reference(*values), rtol=1e-10, atol=1e-12)
    check_gradients([x, W, U], cost, reference, values, [0, 1, 2])


# Keeping only the rows that are read ----------------------------------------------------


def _loops(f):
    return [node.op for node in f.maker.fgraph.toposort() if isinstance(node.op, Scan)]


def test_a_state_read_only_at_its_last_row_keeps_one_row():
    x, h0 = T.matrix("x"), T.vector("h0")
    W = symgraph.shared(np.eye(3) * 0.5, name="W")
    hs, _ = symgraph.scan(
        lambda now, h: T.tanh(T.dot(h, W) + now), sequences=x, outputs_info=h0, name="rnn"
    )
    f = symgraph.function([x, h0], hs[-1], trace=True)
    assert f.trace["scan_keep_last"].rewrites["keep_only_read_rows"] == 1
    assert [op.kept_rows for op in _loops(f)] == [(1,)]
    values = [np.random.default_rng(0).uniform(-1, 1, (6, 3)), np.zeros(3)]
    h = values[1]
    for row in values[0]:
        h = np.tanh(h @ W.get_value() + row)
    np.testing.assert_allclose(f(*values), h)
    g = symgraph.function([x, h0], hs[-1], mode="FAST_COMPILE")
    np.testing.assert_allclose(f(*values), g(*values))


def test_reading_past_the_steps_run_still_fails():
    x, h0 = T.vector("x"), T.scalar("h0")
    hs, _ = symgraph.scan(lambda now, h: h + now, sequences=x, outputs_info=h0)
    f = symgraph.function([x, h0], hs[-2])
    assert [op.kept_rows for op in _loops(f)] == [(2,)]
    assert f([1.0, 2.0, 3.0], 0.0) == 3.0
    for steps in (0, 1):
        with pytest.raises(IndexError):
            f(np.ones(steps), 0.0)
        with pytest.raises(IndexError):
            symgraph.function([x, h0], hs[-2], mode="FAST_COMPILE")(np.ones(steps), 0.0)


def test_the_gradient_loop_keeps_one_row_of_each_sum_and_the_forward_buffer_whole():
    x, h0 = T.matrix("x"), T.vector("h0")
    W = symgraph.shared(np.random.default_rng(1).uniform(-0.5, 0.5, (3, 3)), name="W")
    hs, _ = symgraph.scan(
        lambda now, h: T.tanh(T.dot(h, W) + now), sequences=x, outputs_info=h0, name="rnn"
    )
    cost = (hs[-1] ** 2).sum()
    gW = symgraph.grad(cost, W)
    f = symgraph.function([x, h0], gW)
    kept = {str(op): op.kept_rows for op in _loops(f)}
    assert kept["Scan{rnn}"] == ()  # the backward loop reads every forward state
    assert any(rows for name, rows in kept.items() if name.startswith("Scan{grad of"))
    values = [np.random.default_rng(2).uniform(-1, 1, (5, 3)), np.zeros(3)]
    reference = symgraph.function([x, h0], gW, mode="FAST_COMPILE")(*values)
    np.testing.assert_allclose(f(*values), reference, rtol=1e-12)


def test_whole_buffers_shapes_loops_that_stop_and_outputs_are_left_alone():
    x, h0 = T.vector("x"), T.scalar("h0")
    hs, _ = symgraph.scan(lambda now, h: h + now, sequences=x, outputs_info=h0)
    for reads in ([hs], [hs[-1], hs[1]], [hs[::-1][0]], [hs[-1], hs[-1:]]):
        f = symgraph.function([x, h0], reads)
        assert [op.kept_rows for op in _loops(f)] == [()]
    # The length comes from the number of steps (shape inference), not from the buffer.
    f = symgraph.function([x, h0], [hs[-1], hs.shape[0]])
    assert [op.kept_rows for op in _loops(f)] == [(1,)]
    assert [v.item() for v in f([1.0, 2.0, 3.0], 0.0)] == [6.0, 3]
    stopping, _ = symgraph.scan(
        lambda now, h: (h + now, symgraph.until(h > 2)), sequences=x, outputs_info=h0
    )
    f = symgraph.function([x, h0], stopping[-1])
    assert [op.kept_rows for op in _loops(f)] == [()]
    assert f([1.0, 2.0, 3.0, 4.0], 0.0) == 6.0  # the step reading h = 3 > 2 was the last


@given(data=st.data())
@settings(SETTINGS, max_examples=25)
def test_last_rows_read_match_a_python_loop(data):
    taps = data.draw(st.sampled_from([[-1], [-2, -1], [-1, -3]]), label="taps")
    depth = -min(taps)
    n = data.draw(st.integers(0, 6), label="steps")
    reads = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3), label="rows read")
    x, h0 = T.vector("x"), T.vector("h0")

    def step(now, *earlier):
        return sum(earlier[1:], earlier[0]) * 0.5 + now, now * 2

    [hs, doubled], _ = symgraph.scan(
        step,
        sequences=x,
        # tap -1 alone: the initial value is the state itself, not rows of it
        outputs_info=[dict(initial=h0[-1] if taps == [-1] else h0, taps=taps), None],
    )
    outputs = [hs[-j] for j in reads] + [doubled[-j] for j in reads]
    xs, init = np.arange(1.0, n + 1), np.arange(1.0, depth + 1)
    buffer = list(init)
    for t in range(n):
        buffer.append(sum(buffer[t + depth + k] for k in taps) * 0.5 + xs[t])
    states, twice = buffer[depth:], list(xs * 2)
    expected = [states[-j] if j <= n else None for j in reads]
    expected += [twice[-j] if j <= n else None for j in reads]
    for mode in MODES:
        f = symgraph.function([x, h0], outputs, mode=mode, on_unused_input="ignore")
        if mode == "FAST_RUN":
            assert [op.kept_rows for op in _loops(f)] == [(max(reads + [depth]), max(reads))]
        if None in expected:
            with pytest.raises(IndexError):
                f(xs, init)
        else:
            np.testing.assert_allclose(f(xs, init), expected)


def test_a_state_nothing_outside_reads_keeps_only_its_taps():
    x, h0, c0 = T.vector("x"), T.scalar("h0"), T.scalar("c0")
    [hs, cs], _ = symgraph.scan(
        lambda now, h, c: [h * 0.5 + c, c + now], sequences=x, outputs_info=[h0, c0]
    )
    f = symgraph.function([x, h0, c0], hs[-1])
    assert [op.kept_rows for op in _loops(f)] == [(1, 1)]
    h, c = 1.0, 2.0
    for now in [1.0, 2.0, 3.0]:
        h, c = h * 0.5 + c, c + now
    assert f([1.0, 2.0, 3.0], 1.0, 2.0) == h
