"""nnet: softmax, log_softmax, categorical_crossentropy (integer labels and distribution
targets), binary_crossentropy, against NumPy references written here, with gradients."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import (
    MODES,
    SETTINGS,
    assert_close,
    assert_no_float64,
    compile_and_run,
)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph
import symgraph.tensor as T


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _verify_grad_both_modes(fun, point, **kwargs):
    for mode in MODES:
        symgraph.verify_grad(fun, point, rng=np.random.default_rng(0), mode=mode, **kwargs)


@pytest.mark.parametrize("name, ref", [("softmax", np_softmax), ("log_softmax", np_log_softmax)])
@SETTINGS
@given(data=st.data())
def test_softmax_family_matches_numpy(name, ref, data):
    ndim = data.draw(st.integers(1, 3), label="ndim")
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    dtype = data.draw(st.sampled_from(["float64", "float32"]), label="dtype")
    value = data.draw(
        hnp.arrays(
            dtype, shape, elements=st.floats(-50, 50, width=32 if dtype == "float32" else 64)
        ),
        label="x",
    )
    x = T.tensor(
        dtype, shape=tuple(s if data.draw(st.booleans()) else None for s in shape), name="x"
    )
    out = getattr(T.nnet, name)(x, axis=axis)
    assert out.dtype == dtype and out.type.shape == x.type.shape
    result = compile_and_run([x], out, [value])
    assert_close(
        result,
        ref(value.astype(np.float64), axis=axis),
        dtype,
        atol=1e-5 if dtype == "float32" else 1e-12,
    )


def test_softmax_defaults_to_the_last_axis_and_is_stable():
    x = T.matrix("x")
    value = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    sm, lsm = T.nnet.softmax(x), T.nnet.log_softmax(x)
    results = compile_and_run([x], [sm, lsm], [value])
    assert np.all(np.isfinite(results[0])) and np.all(np.isfinite(results[1]))
    assert_close(results[0], np_softmax(value))
    assert_close(results[1], np_log_softmax(value))
    assert_close(results[0].sum(axis=1), np.ones(2))
    assert T.nnet.logsoftmax is T.nnet.log_softmax
    assert T.softmax is T.nnet.softmax and T.log_softmax is T.nnet.log_softmax


def test_softmax_of_integers_is_float():
    x = T.ivector("x")
    out = T.nnet.softmax(x)
    assert out.dtype == "float64"
    value = np.array([1, 2, 3], dtype=np.int32)
    assert_close(compile_and_run([x], out, [value]), np_softmax(value.astype(np.float64)))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_family_grad(name, axis):
    rng = np.random.default_rng(0)
    fun = getattr(T.nnet, name)
    _verify_grad_both_modes(lambda x: fun(x, axis=axis), [rng.normal(size=(3, 4))])
    symgraph.verify_grad(lambda x: fun(x, axis=axis), [rng.normal(size=(3, 4)).astype(np.float32)])
    _verify_grad_both_modes(lambda x: fun(x, axis=axis), [rng.normal(size=(2, 3, 2))])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_second_derivative(name):
    """The gradient graph is itself differentiable (Hessian-vector products of a
    classifier go through it)."""
    rng = np.random.default_rng(1)
    weights = rng.normal(size=(3, 4))
    fun = getattr(T.nnet, name)

    def gradient(x):
        return symgraph.grad((fun(x) * weights).sum() + (fun(x) ** 2).sum(), x)

    _verify_grad_both_modes(gradient, [rng.normal(size=(3, 4))])


# --------------------------------------------------------------------------------------
# cross-entropies


def test_categorical_crossentropy_with_integer_labels():
    p = T.matrix("p")
    y = T.ivector("y")
    out = T.nnet.categorical_crossentropy(p, y)
    assert out.type.shape == (None,) and out.dtype == "float64"
    pv = np_softmax(np.random.default_rng(0).normal(size=(5, 4)))
    yv = np.array([0, 3, 1, 1, 2], dtype=np.int32)
    expected = -np.log(pv[np.arange(5), yv])
    assert_close(compile_and_run([p, y], out, [pv, yv]), expected)
    ly = T.lvector("ly")
    out = T.nnet.categorical_crossentropy(p, ly)
    assert_close(compile_and_run([p, ly], out, [pv, yv.astype(np.int64)]), expected)
    labels = yv.copy()
    _verify_grad_both_modes(lambda q: T.nnet.categorical_crossentropy(q, labels), [pv])


@pytest.mark.parametrize("target", ["one_hot", "soft"])
def test_categorical_crossentropy_with_distribution_targets(target):
    rng = np.random.default_rng(1)
    pv = np_softmax(rng.normal(size=(4, 3)))
    if target == "one_hot":
        tv = np.eye(3)[[2, 0, 1, 2]]
    else:
        tv = np_softmax(rng.normal(size=(4, 3)))
    p, t = T.matrix("p"), T.matrix("t")
    out = T.nnet.categorical_crossentropy(p, t)
    assert out.ndim == 1
    expected = -(tv * np.log(pv)).sum(axis=1)
    assert_close(compile_and_run([p, t], out, [pv, tv]), expected)
    _verify_grad_both_modes(T.nnet.categorical_crossentropy, [pv, tv])


def test_crossentropy_of_softmax_classifier_float32():
    """The tutorials' cost: mean cross-entropy of softmax(x W + b) with integer labels."""
    rng = np.random.default_rng(2)
    xv = rng.normal(size=(6, 5)).astype(np.float32)
    wv = (rng.normal(size=(5, 3)) * 0.1).astype(np.float32)
    bv = np.zeros(3, dtype=np.float32)
    yv = np.array([0, 1, 2, 2, 1, 0], dtype=np.int32)
    x, w, b, y = T.fmatrix("x"), T.fmatrix("W"), T.fvector("b"), T.ivector("y")
    p = T.nnet.softmax(T.dot(x, w) + b)
    cost = T.nnet.categorical_crossentropy(p, y).mean()
    assert cost.dtype == "float32"
    gw, gb = symgraph.grad(cost, [w, b])
    assert gw.dtype == gb.dtype == "float32"
    assert_no_float64([cost, gw, gb])
    results = compile_and_run([x, w, b, y], [cost, gw, gb], [xv, wv, bv, yv])
    logits = xv.astype(np.float64) @ wv + bv
    probs = np_softmax(logits)
    expected_cost = -np.log(probs[np.arange(6), yv]).mean()
    delta = probs.copy()
    delta[np.arange(6), yv] -= 1.0
    delta /= 6
    assert_close(results[0], expected_cost, "float32")
    assert_close(results[1], xv.T.astype(np.float64) @ delta, "float32", atol=1e-5)
    assert_close(results[2], delta.sum(axis=0), "float32", atol=1e-5)
    symgraph.verify_grad(
        lambda w, b: T.nnet.categorical_crossentropy(T.nnet.softmax(T.dot(xv, w) + b), yv),
        [wv, bv],
    )


def test_binary_crossentropy():
    rng = np.random.default_rng(3)
    ov = rng.uniform(0.05, 0.95, size=(3, 4))
    tv = (rng.uniform(size=(3, 4)) > 0.5).astype(np.float64)
    o, t = T.matrix("o"), T.matrix("t")
    out = T.nnet.binary_crossentropy(o, t)
    assert out.type.shape == (None, None)
    expected = -(tv * np.log(ov) + (1 - tv) * np.log(1 - ov))
    assert_close(compile_and_run([o, t], out, [ov, tv]), expected)
    _verify_grad_both_modes(T.nnet.binary_crossentropy, [ov, rng.uniform(size=(3, 4))])
    fo, ft = T.fvector("fo"), T.fvector("ft")
    assert T.nnet.binary_crossentropy(fo, ft).dtype == "float32"
    assert T.nnet.binary_crossentropy(T.nnet.sigmoid(fo), ft).dtype == "float32"
    symgraph.verify_grad(
        lambda a, b: T.nnet.binary_crossentropy(T.nnet.sigmoid(a), b),
        [rng.normal(size=4).astype(np.float32), rng.uniform(size=4).astype(np.float32)],
    )


def test_sigmoid_binary_crossentropy_is_stable():
    logits, t = T.vector("logits"), T.vector("t")
    out = T.nnet.sigmoid_binary_crossentropy(logits, t)
    lv = np.array([-800.0, -3.0, 0.0, 2.0, 800.0])
    tv = np.array([1.0, 0.0, 1.0, 0.5, 0.0])
    # -(t log s + (1 - t) log(1 - s)) with s = sigmoid(l), written stably in float64
    expected = np.logaddexp(0, lv) - tv * lv
    result = compile_and_run([logits, t], out, [lv, tv])
    assert np.all(np.isfinite(result))
    assert_close(result, expected)
    moderate = lv[1:4]
    assert_close(
        result[1:4],
        compile_and_run(
            [logits, t], T.nnet.binary_crossentropy(T.nnet.sigmoid(logits), t), [moderate, tv[1:4]]
        ),
    )
    _verify_grad_both_modes(
        T.nnet.sigmoid_binary_crossentropy, [np.array([-2.0, 0.5, 3.0]), np.array([0.2, 1.0, 0.0])]
    )


def test_nnet_namespace_has_theano_names():
    x = T.vector("x")
    value = np.array([-1.0, 0.0, 2.0])
    results = compile_and_run([x], [T.nnet.sigmoid(x), T.nnet.softplus(x), T.nnet.relu(x)], [value])
    assert_close(results[0], 1 / (1 + np.exp(-value)))
    assert_close(results[1], np.log1p(np.exp(value)))
    assert_close(results[2], np.maximum(value, 0))


def test_crossentropy_errors_name_the_inputs():
    p = T.matrix("probs")
    with pytest.raises(TypeError) as info:
        T.nnet.categorical_crossentropy(p, T.tensor3("targets"))
    assert "probs" in str(info.value) and "targets" in str(info.value)
    with pytest.raises(ValueError, match="axis"):
        T.nnet.softmax(T.scalar("s"))
