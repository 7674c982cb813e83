"""Semantics of compiled functions: inputs, outputs, updates, givens, defaults, errors."""

import copy

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph import In, Out, function, shared
from symgraph.compile.function import UnusedInputError
from symgraph.graph import MissingInputError

MODES = ["FAST_RUN", "FAST_COMPILE"]


@pytest.mark.parametrize("mode", MODES)
def test_single_and_list_outputs(mode):
    x, y = T.dvector("x"), T.dvector("y")
    a, b = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    f = function([x, y], x * y, mode=mode)
    np.testing.assert_array_equal(f(a, b), a * b)
    g = function([x, y], [x + y, x - y], mode=mode)
    result = g(a, b)
    assert isinstance(result, list) and len(result) == 2
    np.testing.assert_array_equal(result[0], a + b)
    np.testing.assert_array_equal(result[1], a - b)
    h = function([x, y], [x + y], mode=mode)
    assert isinstance(h(a, b), list)


def test_no_outputs_returns_empty_list():
    x = T.dscalar("x")
    counter = shared(0.0, name="counter")
    f = function([x], updates=[(counter, counter + x)])
    assert f(2.0) == []
    assert counter.get_value() == 2.0


def test_scalar_output_is_zero_dim_array():
    x = T.dvector("x")
    f = function([x], x.sum())
    out = f(np.arange(4.0))
    assert isinstance(out, np.ndarray) and out.shape == () and out == 6.0


@pytest.mark.parametrize("mode", MODES)
def test_updates_use_values_from_before_the_call(mode):
    a = shared(1.0, name="a")
    b = shared(10.0, name="b")
    # Both updates read the old values: a <- b, b <- a + b
    f = function([], [a, b], updates=[(a, b), (b, a + b)], mode=mode)
    out_a, out_b = f()
    assert (out_a, out_b) == (1.0, 10.0)
    assert a.get_value() == 10.0 and b.get_value() == 11.0
    f()
    assert a.get_value() == 11.0 and b.get_value() == 21.0


def test_updates_accept_dict_and_pairs():
    w = shared(np.zeros(3), name="w")
    x = T.dvector("x")
    function([x], [], updates={w: w + x})(np.ones(3))
    function([x], [], updates=[(w, w + x)])(np.ones(3))
    np.testing.assert_array_equal(w.get_value(), [2, 2, 2])


def test_givens_with_shared_dataset_slices():
    data = shared(np.arange(20.0).reshape(10, 2), name="data")
    labels = shared(np.arange(10, dtype="int32"), name="labels")
    index = T.lscalar("index")
    x, y = T.dmatrix("x"), T.ivector("y")
    batch = 3
    f = function(
        [index],
        [x.sum(axis=1), y],
        givens={
            x: data[index * batch : (index + 1) * batch],
            y: labels[index * batch : (index + 1) * batch],
        },
    )
    sums, ys = f(1)
    np.testing.assert_array_equal(sums, np.arange(20.0).reshape(10, 2)[3:6].sum(axis=1))
    np.testing.assert_array_equal(ys, [3, 4, 5])


def test_givens_replaces_a_shared_variable():
    w = shared(np.array([1.0, 2.0]), name="w")
    v = T.dvector("v")
    f = function([v], (w * 2).sum(), givens={w: v})
    assert f(np.array([5.0, 5.0])) == 20.0
    assert w.get_value().tolist() == [1.0, 2.0]


def test_givens_type_mismatch_names_both():
    x = T.dmatrix("x")
    y = T.fmatrix("y")
    with pytest.raises(TypeError, match="'x'.*float64 matrix.*float32 matrix"):
        function([y], x.sum(), givens={x: y})


def test_defaults_and_keywords():
    x = T.dscalar("x")
    lr = T.dscalar("lr")
    f = function([x, In(lr, value=0.5)], x * lr)
    assert f(2.0) == 1.0
    assert f(2.0, 3.0) == 6.0
    assert f(x=2.0, lr=0.25) == 0.5
    f["lr"] = 2.0
    assert f(2.0) == 4.0
    assert f["lr"] == 2.0


def test_in_name_overrides_variable_name():
    x = T.dscalar("x")
    y = T.dscalar()
    f = function([x, In(y, name="step", value=1.0)], x + y)
    assert f(1.0, step=2.0) == 3.0


def test_wrong_argument_count_names_inputs():
    x, y = T.dvector("x"), T.dvector("y")
    f = function([x, y], x + y)
    with pytest.raises(TypeError) as info:
        f(np.ones(2))
    assert "('x', 'y')" in str(info.value) and "missing 'y' (position 1)" in str(info.value)


def test_wrong_ndim_names_variable():
    x = T.dvector("x")
    f = function([x], x * 2, name="double")
    with pytest.raises(
        TypeError,
        match=r"double: bad argument for input 'x' \(position 0\).*"
        r"expected 1 dimension",
    ):
        f(np.ones((2, 2)))


def test_downcast_refused_unless_allowed():
    x = T.fvector("x")
    f = function([x], x * 2)
    with pytest.raises(TypeError, match="'x'.*float64"):
        f(np.ones(3, dtype="float64"))
    g = function([x], x * 2, allow_input_downcast=True)
    out = g(np.ones(3, dtype="float64"))
    assert out.dtype == np.float32


def test_safe_upcast_and_python_values_accepted():
    x = T.dvector("x")
    f = function([x], x * 2)
    np.testing.assert_array_equal(f(np.ones(2, dtype="float32")), [2, 2])
    np.testing.assert_array_equal(f([1, 2]), [2, 4])
    s = T.fscalar("s")
    g = function([s], s * 2)
    assert g(0.1).dtype == np.float32  # a Python float may go to float32 (Theano's rule)
    i = T.ivector("i")
    h = function([i], i + 1)
    with pytest.raises(TypeError, match="'i'"):
        h(np.array([1.5]))


def test_static_shape_checked():
    x = T.tensor("float64", shape=(None, 3), name="x")
    f = function([x], x.sum())
    assert f(np.ones((2, 3))) == 6
    with pytest.raises(TypeError, match="'x'.*axis 1 must have size 3"):
        f(np.ones((2, 4)))


def test_unused_input_policy():
    x, y = T.dvector("x"), T.dvector("y")
    with pytest.raises(UnusedInputError, match="'y' \\(position 1\\)"):
        function([x, y], x * 2)
    with pytest.warns(UserWarning, match="'y'"):
        function([x, y], x * 2, on_unused_input="warn")
    f = function([x, y], x * 2, on_unused_input="ignore")
    np.testing.assert_array_equal(f(np.ones(1), np.ones(1)), [2])


def test_missing_input_named():
    x, y = T.dvector("x"), T.dvector("y")
    with pytest.raises(MissingInputError, match="'y'"):
        function([x], x + y)


def test_update_type_mismatch():
    w = shared(np.zeros(3), name="w")
    x = T.fvector("x")
    with pytest.raises(TypeError, match="update of 'w'.*float64 vector.*float32"):
        function([x], [], updates=[(w, x)])
    with pytest.raises(TypeError, match="numbers of dimensions"):
        function(
            [],
            [],
            updates=[(w, T.dmatrix("m").sum(axis=0, keepdims=True))],
            on_unused_input="ignore",
        )


def test_same_shared_updated_twice():
    w = shared(np.zeros(3), name="w")
    with pytest.raises(ValueError, match="'w' is updated twice"):
        function([], [], updates=[(w, w + 1), (w, w + 2)])


def test_update_target_must_be_shared():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="shared"):
        function([x], [], updates=[(x, x + 1)])


def test_shared_variable_as_explicit_input_refused():
    w = shared(np.zeros(3), name="w")
    with pytest.raises(TypeError, match="'w' cannot be an explicit input"):
        function([w], w * 2)


def test_failed_call_leaves_shared_untouched():
    w = shared(np.ones(3), name="w")
    b = shared(np.ones(3), name="b")
    x = T.dvector("x")
    # The update of w succeeds computing, the update of b fails (shape mismatch): neither
    # may be stored.
    f = function([x], [], updates=[(w, w + 1), (b, b + x)])
    with pytest.raises(ValueError):
        f(np.ones(4))
    np.testing.assert_array_equal(w.get_value(), np.ones(3))
    np.testing.assert_array_equal(b.get_value(), np.ones(3))


def test_runtime_error_names_node_and_user_line():
    x, y = T.dvector("x"), T.dvector("y")
    z = T.dot(x, y)  # the line the note must point to
    f = function([x, y], z)
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    notes = "\n".join(info.value.__notes__)
    assert "Dot" in notes and "x: float64[3]" in notes and "y: float64[4]" in notes
    assert "z = T.dot(x, y)" in notes and "test_function.py" in notes


def test_inputs_are_never_modified():
    x = T.dmatrix("x")
    out = T.tanh(x * 2 + 1) * 3
    f = function([x], out)
    value = np.random.default_rng(0).random((4, 5))
    copy = value.copy()
    f(value)
    np.testing.assert_array_equal(value, copy)


def test_outputs_do_not_alias_inputs_or_shared_unless_borrowed():
    x = T.dvector("x")
    w = shared(np.ones(3), name="w")
    f = function([x], [x, x.T, w, w.dimshuffle(0)])
    value = np.zeros(3)
    outs = f(value)
    for out in outs[:2]:
        assert not np.shares_memory(out, value)
    for out in outs[2:]:
        assert not np.shares_memory(out, w.get_value(borrow=True))
    g = function([x], Out(x * 2, borrow=True))
    assert np.array_equal(g(value), value * 2)


def test_two_outputs_of_the_same_variable_do_not_alias():
    x = T.dvector("x")
    y = x * 2
    a, b = function([x], [y, y])(np.ones(2))
    assert not np.shares_memory(a, b)


def test_shared_get_set_value_copy_semantics():
    value = np.zeros(3)
    w = shared(value, name="w")
    value[0] = 5
    assert w.get_value()[0] == 0  # shared() copied
    got = w.get_value()
    got[1] = 7
    assert w.get_value()[1] == 0  # get_value() copied
    w.set_value(np.ones(3))
    assert w.get_value().tolist() == [1, 1, 1]
    borrowed = shared(value, borrow=True)
    assert np.shares_memory(borrowed.get_value(borrow=True), value)
    with pytest.raises(TypeError, match="'w'"):
        w.set_value(np.ones((2, 2)))


def test_eval():
    x = T.dvector("x")
    np.testing.assert_array_equal((x * 3).eval({x: np.ones(2)}), [3, 3])
    assert T.constant(2.0).eval() == 2.0


def test_source_is_readable_python():
    x, y = T.dvector("x"), T.dvector("y")
    f = function([x, y], T.tanh(x + y), name="model")
    src = f.source
    assert "symgraph function 'model'" in src
    assert "# a0: input 'x' (float64 vector)" in src and "# a1: input 'y'" in src
    assert src.count("def compiled_function(a0, a1):  # model") == 1
    assert "np.add(i0, i1" in src and "np.tanh(" in src
    assert "def h0_fused_kernel(i0, i1, out):" in src
    assert "test_function.py" in src
    compile(src, "<check>", "exec")


def test_profile_collects_node_times():
    x = T.dmatrix("x")
    f = function([x], T.tanh(T.dot(x, x.T)), profile=True)
    for _ in range(3):
        f(np.ones((5, 5)))
    assert f.profile.calls == 3
    summary = f.profile.summary()
    assert "Dot" in summary and "tanh" in summary and "3 call(s)" in summary
    by_class = f.profile.by_class()
    assert set(by_class) == {"Dot", "Elemwise", "DimShuffle"}
    assert sum(by_class.values()) == pytest.approx(sum(s for s, _, _ in f.profile.rows()))
    f.profile.reset()
    assert f.profile.calls == 0 and sum(f.profile.by_class().values()) == 0
    f(np.ones((5, 5)))
    assert f.profile.calls == 1


def test_call_with_list_input_for_matrix():
    x = T.dmatrix("x")
    f = function([x], x.sum())
    assert f([[1, 2], [3, 4]]) == 10


def test_copy_swaps_shared_variables_and_keeps_the_rest():
    state = shared(np.int64(0), name="state")
    inc = T.lscalar("inc")
    accumulate = function(
        [inc, In(T.lscalar("step"), value=10)],
        state,
        updates=[(state, state + inc)],
        on_unused_input="ignore",
    )
    accumulate(1)
    other = shared(np.int64(100), name="other")
    copied = accumulate.copy(swap={state: other}, name="accumulate_other")
    assert copied(5) == 100 and other.get_value() == 105
    assert state.get_value() == 1  # the original's shared variable is left alone
    assert accumulate(2) == 1 and state.get_value() == 3
    assert copied["step"] == 10 and copied.name == "accumulate_other"


def test_copy_without_updates_and_defaults_are_not_shared():
    state = shared(np.float64(1.0), name="state")
    x = T.dscalar("x")
    f = function([In(x, value=2.0)], state * x, updates=[(state, state + 1)])
    g = f.copy(delete_updates=True)
    assert g() == 2.0 and g() == 2.0 and state.get_value() == 1.0
    g["x"] = 5.0
    assert f["x"] == 2.0 and g() == 5.0


def test_copy_swap_checks_types():
    state = shared(np.zeros(3), name="state")
    f = function([], state * 2)
    with pytest.raises(TypeError, match="state"):
        f.copy(swap={state: shared(np.zeros((2, 2)), name="wrong")})
    with pytest.raises(ValueError, match="not used"):
        f.copy(swap={shared(np.zeros(3), name="unrelated"): shared(np.zeros(3))})


def test_maker_exposes_the_compiled_graph():
    x = T.dscalar("x")
    f = function([x], symgraph.grad(x**2, x))
    # ones_like(cost) seeding the gradient is dropped, and x ** (2 - 1) folds away
    assert [str(node.op) for node in f.maker.fgraph.toposort()] == ["mul"]
    assert f.maker.inputs[0].variable is x and f.maker.mode is f.mode
    assert f(4.0) == 8.0


def test_deepcopy_of_a_model_copies_its_functions_onto_its_own_shared_variables():
    """``copy.deepcopy(model)`` of an object holding shared variables and functions that
    update them (the Elman RNN tutorial keeps its best model so): the copies' functions
    read and update the copied variables, a loop inside included, and the original's
    are left alone."""

    class Model:
        def __init__(self):
            self.w = shared(np.array([0.5, -0.25]), name="w")
            xs = T.dmatrix("xs")
            running, _ = symgraph.scan(lambda x, h: T.tanh(x * self.w + h), xs, T.zeros(2))
            cost = running[-1].sum()
            self.train = function(
                [xs], cost, updates=[(self.w, self.w - 0.1 * symgraph.grad(cost, self.w))]
            )
            self.read = function([], self.w * 2)

    xs = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]])

    def reference_step(w):
        h, hs = np.zeros(2), []
        for x in xs:
            h = np.tanh(x * w + h)
            hs.append(h)
        return h.sum()

    model = Model()
    best = copy.deepcopy(model)
    assert best.w is not model.w and best.train is not model.train
    w0 = model.w.get_value()
    np.testing.assert_allclose(best.train(xs), reference_step(w0))
    eps = 1e-6
    numeric = [
        (reference_step(w0 + eps * e) - reference_step(w0 - eps * e)) / (2 * eps) for e in np.eye(2)
    ]
    np.testing.assert_allclose(best.w.get_value(), w0 - 0.1 * np.array(numeric), rtol=1e-6)
    np.testing.assert_array_equal(model.w.get_value(), w0)  # the original is untouched
    np.testing.assert_array_equal(best.read(), best.w.get_value() * 2)
    np.testing.assert_array_equal(model.read(), w0 * 2)
    model.train(xs)
    model.train(xs)
    assert not np.array_equal(model.w.get_value(), best.w.get_value())
