"""``scan``'s forward semantics against a plain NumPy loop written here, and its errors."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from helpers import MODES, SETTINGS
from hypothesis import given, settings
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T

# --------------------------------------------------------------------------------------
# the reference: Theano's semantics as a Python loop


def reference_scan(sequences, outputs, n_steps, go_backwards, w):
    """``sequences``: (array, taps); ``outputs``: ('none' | 'state', initial, taps).

    Each tap of a sequence reads a shifted slice (reversed with go_backwards); the loop
    runs the shortest slice's length, or n_steps when given (None, the error, when a
    slice is shorter). Output j at step t is
    ``tanh(sum of the sequence rows + w * sum of its own earlier values + j)``.
    """
    slices = []
    for x, taps in sequences:
        low, high = min(min(taps), 0), max(max(taps), 0)
        for tap in taps:
            piece = x[tap - low : len(x) - (high - tap)] if len(x) >= high - low else x[:0]
            slices.append(piece[::-1] if go_backwards else piece)
    n = n_steps if n_steps is not None else min(len(s) for s in slices)
    if any(len(s) < n for s in slices):
        return None, n  # a given n_steps longer than a sequence: an error
    buffers = []
    for kind, initial, taps in outputs:
        if kind == "state":
            depth = -min(taps)
            buffers.append([initial] if taps == [-1] else list(initial[:depth]))
        else:
            buffers.append([])
    for t in range(n):
        seq_total = sum((s[t] for s in slices), np.zeros_like(w))
        new = []
        for j, (kind, _, taps) in enumerate(outputs):
            if kind == "state":
                depth = -min(taps)
                own = sum(buffers[j][t + depth + tap] for tap in taps)
                new.append(np.tanh(seq_total + w * own + j))
            else:
                new.append(np.tanh(seq_total * w + j))
        for j, value in enumerate(new):
            buffers[j].append(value)
    results = []
    for (kind, _, taps), buffer in zip(outputs, buffers):
        rows = buffer[-min(taps) :] if kind == "state" else buffer
        results.append(np.array(rows).reshape((len(rows), len(w))))
    return results, n


def step_function(n_seq_args, outputs):
    """The step of ``reference_scan``, taking Theano's argument order."""

    def step(*args):
        args = list(args)
        seq_args, args = args[:n_seq_args], args[n_seq_args:]
        own = []
        for kind, _, taps in outputs:
            if kind == "state":
                own.append(args[: len(taps)])
                args = args[len(taps) :]
            else:
                own.append(None)
        (w,) = args
        seq_total = T.zeros_like(w)
        for value in seq_args:
            seq_total = seq_total + value
        results = []
        for j, values in enumerate(own):
            if values is None:
                results.append(T.tanh(seq_total * w + j))
            else:
                total = values[0]
                for value in values[1:]:
                    total = total + value
                results.append(T.tanh(seq_total + w * total + j))
        return results

    return step


SEQUENCE_TAPS = st.lists(st.sampled_from([-2, -1, 0, 1, 2]), min_size=1, max_size=3, unique=True)
STATE_TAPS = st.sampled_from([[-1], [-2, -1], [-1, -3], [-2]])


def with_a_condition(step, counter, shared_count):
    """``step`` made to stop after the step whose index is the last non-sequence: it counts
    its steps in a state of its own (``counter='state'``, the last output) or in the
    shared variable ``shared_count``, updated from inside the loop (``'shared'``)."""

    def stopping_step(*args):
        *args, stop = args
        if counter == "state":
            *args, count, w = args
            new_count = count + 1
            return [*step(*args, w), new_count], symgraph.until(new_count > stop)
        new_count = shared_count + 1
        return step(*args), {shared_count: new_count}, symgraph.until(new_count > stop)

    return stopping_step


@given(data=st.data())
@settings(SETTINGS, max_examples=80)
def test_scan_matches_a_python_loop(data):
    """Every combination of sequence taps, state taps, outputs not fed back, n_steps,
    go_backwards and a stopping condition (none, firing at a drawn step, or never), the
    condition's step counter kept in a state or in a shared variable the loop updates."""
    dtype = data.draw(st.sampled_from(["float64", "float32"]))
    width = data.draw(st.integers(1, 3))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    sequences, seq_vars, seq_args, seq_values = [], [], [], []
    for k in range(data.draw(st.integers(0, 2))):
        length = data.draw(st.integers(0, 5), label="length")
        taps = data.draw(SEQUENCE_TAPS)
        value = rng.uniform(-1, 1, (length, width)).astype(dtype)
        x = T.matrix(f"x{k}", dtype=dtype)
        sequences.append((value, taps))
        seq_vars.append(x)
        seq_values.append(value)
        plain = taps == [0] and data.draw(st.booleans(), label="plain")
        seq_args.append(x if plain else {"input": x, "taps": taps})
    outputs, outputs_info, init_vars, init_values = [], [], [], []
    for j in range(data.draw(st.integers(1, 2))):
        if data.draw(st.booleans(), label="not fed back"):
            outputs.append(("none", None, [-1]))
            outputs_info.append(None)
            continue
        taps = data.draw(STATE_TAPS)
        if taps == [-1]:
            value = rng.uniform(-1, 1, width).astype(dtype)
            h = T.vector(f"h{j}", dtype=dtype)
            entry = h if data.draw(st.booleans(), label="plain") else {"initial": h, "taps": [-1]}
        else:
            value = rng.uniform(-1, 1, (-min(taps), width)).astype(dtype)
            h = T.matrix(f"h{j}", dtype=dtype)
            entry = {"initial": h, "taps": taps}
        outputs.append(("state", value, taps))
        outputs_info.append(entry)
        init_vars.append(h)
        init_values.append(value)
    n_steps = (
        data.draw(st.none() | st.integers(0, 4)) if sequences else data.draw(st.integers(0, 4))
    )
    symbolic_steps = n_steps is not None and data.draw(st.booleans(), label="symbolic n_steps")
    go_backwards = data.draw(st.booleans(), label="go_backwards")
    w_value = rng.uniform(-1, 1, width).astype(dtype)
    w = T.vector("w", dtype=dtype)
    steps_var = T.lscalar("n") if symbolic_steps else None
    n_seq_args = sum(len(taps) for _, taps in sequences)
    step = step_function(n_seq_args, outputs)
    non_sequences, extra_inputs, extra_values = [w], [], []
    stop_after = data.draw(st.none() | st.integers(0, 5) | st.just(10**6), label="stop after")
    counter = None if stop_after is None else data.draw(st.sampled_from(["state", "shared"]))
    count = symgraph.shared(np.int64(0), name="count")
    if counter is not None:
        stop = T.lscalar("stop")
        non_sequences.append(stop)
        extra_inputs.append(stop)
        extra_values.append(np.int64(stop_after))
        step = with_a_condition(step, counter, count)
        if counter == "state":
            start = T.lscalar("start")
            outputs_info.append(start)
            extra_inputs.append(start)
            extra_values.append(np.int64(0))
    result, updates = symgraph.scan(
        step,
        sequences=seq_args,
        outputs_info=outputs_info,
        non_sequences=non_sequences,
        n_steps=steps_var if symbolic_steps else n_steps,
        go_backwards=go_backwards,
        return_list=True,
    )
    assert list(updates) == ([count] if counter == "shared" else [])
    expected, n = reference_scan(sequences, outputs, n_steps, go_backwards, w_value)
    ran = n if stop_after is None else min(n, stop_after + 1)
    if expected is not None:
        expected = [rows[:ran] for rows in expected]
        if counter == "state":
            expected.append(np.arange(1, ran + 1))
    inputs = seq_vars + init_vars + [w] + ([steps_var] if symbolic_steps else []) + extra_inputs
    values = seq_values + init_values + [w_value] + ([np.int64(n_steps)] if symbolic_steps else [])
    values += extra_values
    tol = {"float64": 1e-12, "float32": 1e-5}[dtype]
    for mode in MODES:
        f = symgraph.function(inputs, result, updates=updates, mode=mode, on_unused_input="ignore")
        count.set_value(np.int64(0))
        if expected is None:
            with pytest.raises(ValueError, match="gives .* rows but the loop runs"):
                f(*values)
            continue
        got = f(*values)
        assert len(got) == len(expected)
        dtypes = [dtype] * len(outputs) + (["int64"] if counter == "state" else [])
        for a, b, expected_dtype in zip(got, expected, dtypes):
            assert a.dtype == expected_dtype
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=mode)
        assert count.get_value() == (ran if counter == "shared" else 0)


def test_one_output_comes_back_alone_unless_return_list():
    x = T.vector("x")
    ys, updates = symgraph.scan(lambda v: v * 2, sequences=x)
    assert isinstance(ys, T.TensorVariable) and isinstance(updates, dict)
    (ys,), _ = symgraph.scan(lambda v: v * 2, sequences=x, return_list=True)
    np.testing.assert_allclose(symgraph.function([x], ys)(np.arange(3.0)), [0, 2, 4])


def test_n_steps_without_sequences_symbolic_or_constant():
    a = T.scalar("a")
    n = T.iscalar("n")
    powers, _ = symgraph.scan(
        lambda p, a: p * a, outputs_info=T.ones_like(a), non_sequences=a, n_steps=n
    )
    f = symgraph.function([a, n], powers)
    np.testing.assert_allclose(f(2.0, 4), [2, 4, 8, 16])
    assert f(2.0, 0).shape == (0,)
    fixed, _ = symgraph.scan(lambda p: p + 1, outputs_info=T.zeros(()), n_steps=3)
    np.testing.assert_allclose(fixed.eval(), [1, 2, 3])


def test_n_steps_shorter_than_the_sequences_with_go_backwards():
    x = T.vector("x")
    ys, _ = symgraph.scan(lambda v: v, sequences=x, n_steps=2, go_backwards=True)
    np.testing.assert_allclose(symgraph.function([x], ys)(np.arange(5.0)), [4, 3])


def test_fn_may_return_outputs_and_an_updates_dict_in_either_order():
    x = T.vector("x")
    for returned in (lambda v: (v * 2, {}), lambda v: ({}, [v * 2]), lambda v: [v * 2]):
        ys, updates = symgraph.scan(returned, sequences=x)
        assert not updates
        np.testing.assert_allclose(ys.eval({x: np.arange(3.0)}), [0, 2, 4])


def test_shared_variables_used_in_fn_are_captured_and_read_at_call_time():
    W = symgraph.shared(np.eye(2), name="W")
    x = T.matrix("x")
    ys, _ = symgraph.scan(lambda row: T.dot(row, W), sequences=x)
    f = symgraph.function([x], ys)
    value = np.arange(4.0).reshape(2, 2)
    np.testing.assert_allclose(f(value), value)
    W.set_value(2 * np.eye(2))
    np.testing.assert_allclose(f(value), 2 * value)
    # an outer symbolic variable is captured too
    scale = T.scalar("scale")
    zs, _ = symgraph.scan(lambda row: row * scale, sequences=x)
    np.testing.assert_allclose(symgraph.function([x, scale], zs)(value, 3.0), 3 * value)


def test_strict_refuses_variables_fn_was_not_given():
    W = symgraph.shared(np.eye(2), name="W")
    x = T.matrix("x")
    with pytest.raises(ValueError, match="strict=True.*'W'"):
        symgraph.scan(lambda row: T.dot(row, W), sequences=x, strict=True)
    ys, _ = symgraph.scan(lambda row, W: T.dot(row, W), sequences=x, non_sequences=W, strict=True)
    assert ys.ndim == 2


def test_generated_code_is_a_readable_loop_calling_the_step():
    x = T.matrix("x")
    h0 = T.vector("h0")
    hs, _ = symgraph.scan(lambda v, h: T.tanh(h + v), sequences=x, outputs_info=h0, name="rnn")
    f = symgraph.function([x, h0], hs)
    assert "for t in range(n):" in f.source
    assert "= step(x0[t], o0[t])" in f.source
    assert "# Scan{rnn}" in f.source


def test_user_text_reaches_the_source_only_in_comments():
    x = T.vector("x")
    ys, _ = symgraph.scan(lambda v: v + 1, sequences=x, name="a\nb = 1")
    source = symgraph.function([x], ys).source
    assert "a\\nb = 1" in source and "\nb = 1" not in source


# --------------------------------------------------------------------------------------
# errors


def test_wrong_number_of_fn_arguments_lists_what_scan_passes():
    x = T.vector("x")
    h0 = T.scalar("h0")
    with pytest.raises(
        TypeError,
        match=r"cannot take the 2 arguments.*sequence 'x' at tap 0, "
        r"output 0 \('h0'\) at tap -1",
    ):
        symgraph.scan(lambda v: v, sequences=x, outputs_info=h0)


def test_output_type_differing_from_its_initial_state_names_both_and_says_cast():
    x = T.vector("x", dtype="float64")
    h0 = T.scalar("h0", dtype="float32")
    with pytest.raises(TypeError, match=r"float64 scalar.*'h0' gives float32 scalar.*astype"):
        symgraph.scan(lambda v, h: h + v, sequences=x, outputs_info=h0)
    with pytest.raises(TypeError, match="numbers of dimensions differ"):
        symgraph.scan(lambda h: T.stack([h, h]), outputs_info=T.zeros(()), n_steps=2)


def test_output_taps_must_be_negative():
    h0 = T.vector("h0")
    with pytest.raises(ValueError, match=r"taps of output 0 \('h0'\) are \[0\]"):
        symgraph.scan(lambda h: h, outputs_info={"initial": h0, "taps": [0]}, n_steps=2)
    with pytest.raises(ValueError, match="needs a first axis"):
        symgraph.scan(
            lambda a, b: a, outputs_info={"initial": T.scalar(), "taps": [-2, -1]}, n_steps=2
        )


def test_initial_value_too_short_for_its_taps_fails_at_run_time():
    h0 = T.matrix("h0")
    ys, _ = symgraph.scan(
        lambda a, b: a + b, outputs_info={"initial": h0, "taps": [-3, -1]}, n_steps=2, name="fib"
    )
    f = symgraph.function([h0], ys)
    with pytest.raises(ValueError, match="scan 'fib'.*has 2 rows.*taps \\[-3, -1\\] need 3"):
        f(np.ones((2, 1)))


def test_negative_n_steps():
    with pytest.raises(ValueError, match="n_steps is negative"):
        symgraph.scan(lambda h: h, outputs_info=T.zeros(()), n_steps=-1)
    n = T.lscalar("n")
    ys, _ = symgraph.scan(lambda h: h + 1, outputs_info=T.zeros(()), n_steps=n, name="count")
    with pytest.raises(ValueError, match="scan 'count' was asked to run a negative number"):
        symgraph.function([n], ys)(-2)


def test_a_loop_needs_sequences_or_n_steps():
    with pytest.raises(ValueError, match="give sequences or n_steps"):
        symgraph.scan(lambda h: h, outputs_info=T.zeros(()))


def test_outputs_info_must_have_one_entry_per_output():
    x = T.vector("x")
    with pytest.raises(ValueError, match="fn returned 2 outputs but outputs_info has 1"):
        symgraph.scan(lambda v, h: [h + v, v], sequences=x, outputs_info=[T.zeros(())])


def test_zero_steps_give_rows_of_the_shape_one_step_would():
    x = T.matrix("x")
    ys, _ = symgraph.scan(lambda v: T.concatenate([v, v]), sequences=x)
    assert symgraph.function([x], ys)(np.zeros((0, 3))).shape == (0, 6)


def test_fn_may_return_a_constant_or_an_argument_unchanged():
    x, w = T.vector("x"), T.vector("w")
    ones, _ = symgraph.map(lambda v: T.constant(1.0), x)
    same, _ = symgraph.map(lambda v, w: w, x, non_sequences=w)
    f = symgraph.function([x, w], [ones, same])
    got_ones, got_same = f(np.arange(3.0), np.array([5.0, 6.0]))
    np.testing.assert_allclose(got_ones, [1, 1, 1])
    np.testing.assert_allclose(got_same, [[5, 6]] * 3)


def test_integer_states_and_sequences():
    counts, _ = symgraph.scan(lambda c: c + 1, outputs_info=T.constant(np.int64(0)), n_steps=3)
    np.testing.assert_array_equal(counts.eval(), [1, 2, 3])
    idx = T.ivector("idx")
    W = T.matrix("W")
    rows, _ = symgraph.scan(lambda i, W: W[i] * 2, sequences=idx, non_sequences=W)
    g = symgraph.grad(rows.sum(), W)
    got = symgraph.function([idx, W], g)(np.array([0, 2, 0], dtype="int32"), np.ones((3, 2)))
    np.testing.assert_allclose(got, [[4, 4], [0, 0], [2, 2]])


def test_updates_are_an_ordered_dict_function_accepts():
    x = T.vector("x")
    ys, updates = symgraph.scan(lambda v, acc: acc + v, sequences=x, outputs_info=T.zeros(()))
    assert isinstance(updates, OrderedDict)
    f = symgraph.function([x], ys, updates=updates)
    np.testing.assert_allclose(f(np.arange(3.0)), [0, 1, 3])


def test_debugprint_lists_the_loop_body_after_the_graph():
    x, h0, W = T.matrix("x"), T.vector("h0"), T.matrix("W")
    hs, _ = symgraph.scan(
        lambda v, h, W: T.tanh(T.dot(h, W) + v),
        sequences=x,
        outputs_info=h0,
        non_sequences=W,
        name="rnn",
    )
    text = symgraph.debugprint(hs, file="str")
    outer, inner = text.split("Inner graphs:")
    assert "Scan{rnn} [id B]" in outer
    assert inner.splitlines()[2] == "Scan{rnn} [id B]"
    assert " >tanh" in inner and "h0[t-1]" in inner and "x[t]" in inner


def test_an_error_inside_the_loop_names_the_step_the_inner_node_and_its_line():
    x, W = T.matrix("x"), T.matrix("W")
    ys, _ = symgraph.scan(lambda v, W: T.dot(v, W), sequences=x, non_sequences=W, name="proj")
    f = symgraph.function([x, W], ys)
    with pytest.raises(ValueError) as caught:
        f(np.ones((3, 2)), np.ones((3, 3)))
    notes = "\n".join(caught.value.__notes__)
    assert "in step 0 of scan 'proj'" in notes
    assert "inside the loop, this error happened computing Dot on (x[t]: float64[2]" in notes
    assert "test_loop.py" in notes


def test_a_given_n_steps_longer_than_a_sequence_is_an_error_naming_it():
    x = T.vector("x")
    ys, _ = symgraph.scan(lambda v: v, sequences=dict(input=x, taps=[-1]), n_steps=5)
    with pytest.raises(
        ValueError, match=r"sequence 'x' at tap -1 gives 2 rows but the loop runs 5"
    ):
        symgraph.function([x], ys)(np.arange(3.0))
