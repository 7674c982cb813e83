"""Pickling: shared variables, graphs, every op, and compiled functions round-trip."""

import importlib
import os
import pickle
import pkgutil
import sys

import numpy as np
import pytest
from helpers import USER_OP_BASES

import symgraph
import symgraph.tensor as T
from symgraph.compat.theano.compile.ops import as_op
from symgraph.compat.theano.gradient import UndefinedGrad
from symgraph.compat.theano.printing import Print
from symgraph.compat.theano.sandbox.rng_mrg import MRG_RandomStreams
from symgraph.compat.theano.tensor.opt import Assert
from symgraph.compat.theano.tensor.shared_randomstreams import RandomStreams as TheanoRandomStreams
from symgraph.compat.theano.tensor.signal.pool import DownsampleFactorMaxGradGrad
from symgraph.graph.basic import Op
from symgraph.graph.traversal import graph_inputs, toposort
from symgraph.tensor.ops.elemwise import ScalarOp, cast_scalar_op
from symgraph.tensor.ops.math import SCALAR_OPS
from symgraph.tensor.random import RandomStreams

TUTORIALS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tutorials")


def roundtrip(obj):
    return pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def named_input(graph, name):
    (found,) = [v for v in graph_inputs([graph]) if v.name == name]
    return found


def test_shared_variable_roundtrip():
    W = symgraph.shared(np.arange(6.0).reshape(2, 3), name="W", strict=True)
    W2 = roundtrip(W)
    assert W2.name == "W" and W2.type == W.type and W2.strict
    np.testing.assert_array_equal(W2.get_value(), W.get_value())
    W2.set_value(np.zeros((2, 3)))
    assert W.get_value()[1, 2] == 5.0  # an independent copy


def test_shared_storage_stays_shared_within_one_pickle():
    W = symgraph.shared(np.ones(3), name="W")
    alias = W.clone()
    W2, alias2 = roundtrip((W, alias))
    W2.set_value(np.full(3, 7.0))
    np.testing.assert_array_equal(alias2.get_value(), np.full(3, 7.0))


@pytest.mark.parametrize(
    "build",
    [
        lambda x: T.tanh(x).sum(),
        lambda x: T.nnet.softmax(T.dot(x, x.T) + 1).mean(axis=0),
        lambda x: T.argmax(x * 2 - T.exp(-x), axis=1),
        lambda x: T.cast(x[1:, ::2] ** 2, "float32").flatten(),
        lambda x: T.set_subtensor(x[0], T.sigmoid(x[1])).max(axis=1),
        lambda x: symgraph.grad(T.log(T.nnet.softmax(x))[T.arange(2), [0, 1]].sum(), x),
    ],
    ids=["tanh_sum", "softmax", "argmax", "cast_slice", "set_subtensor", "grad"],
)
def test_graph_roundtrip_computes_the_same(build):
    x = T.matrix("x")
    graph = build(x)
    graph2 = roundtrip(graph)
    x2 = named_input(graph2, "x")
    value = np.arange(12.0).reshape(3, 4) / 10
    if graph2.owner is not None:
        assert str(graph2.owner.op) == str(graph.owner.op)
    np.testing.assert_allclose(
        symgraph.function([x2], graph2)(value), symgraph.function([x], graph)(value)
    )


def test_scalar_ops_pickle_by_name():
    for op in SCALAR_OPS.values():
        assert roundtrip(op) is op
    cast = cast_scalar_op("float32")
    assert roundtrip(cast) is cast
    stray = ScalarOp("not_in_table", 1, np.negative, grad=lambda i, o, g: [g])
    with pytest.raises((TypeError, pickle.PicklingError)):
        pickle.dumps(stray)


def _all_op_classes():
    for module in pkgutil.walk_packages(symgraph.__path__, "symgraph."):
        if not module.name.startswith("symgraph.compat"):  # its ops are imported above
            importlib.import_module(module.name)
    found, stack = set(), [Op]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if (
                not sub.__name__.startswith("_")
                and sub.__module__.startswith("symgraph.")
                and sub not in USER_OP_BASES
            ):
                found.add(sub)
    return found


@as_op(itypes=[T.ivector], otypes=[T.ivector])
def _labels_kept(labels):
    return labels.copy()


def _positive_definite(h):
    square = T.dot(h.T, h)[:3, :3]
    return square + 3 * T.eye(3)


def _linalg_terms(h):
    m = _positive_definite(h)
    return (
        T.sum(T.matrix_inverse(m))
        + T.det(m)
        + T.sum(T.pinv(m[:, :2]))
        + T.sum(T.eigh(m)[1] ** 2) * T.sum(T.eigvalsh(m))
        + T.sum(T.svd(m, compute_uv=False))
        + T.sum(T.cholesky(m))
        + T.sum(T.solve(m, m[0]))
        + T.sum(T.solve_triangular(m, m[:, :2], lower=True))
        + T.trace(m)
        + T.sum(T.expm(m * 0.1))
        + T.sum(T.alloc_diag(m[0], 1))
    )


def _graph_using_every_op():
    x4 = T.tensor4("x4")
    W = symgraph.shared(np.random.default_rng(0).normal(size=(2, 1, 3, 3)), name="W")
    conv = T.conv2d(x4, W)
    W3 = symgraph.shared(np.random.default_rng(3).normal(size=(2, 1, 2, 2, 2)), name="W3")
    volume = T.conv3d(conv.dimshuffle(0, "x", 1, 2, 3), W3, border_mode=(0, 1, 1))
    pooled = T.pool_2d(conv, (2, 2), ignore_border=True)
    same = T.max_pool_2d_same_size(conv, (2, 2))
    feat = T.flatten(pooled, 2)
    y = T.ivector("y")
    mask = RandomStreams(0).binomial(size=feat.shape, p=0.9, dtype=feat.dtype)
    # Theano's generators (compat): a RandomState draw and an MRG31k3p one
    mask = mask * TheanoRandomStreams(1).binomial(size=feat.shape, p=0.8, dtype=feat.dtype)
    mrg = MRG_RandomStreams(2)
    mask = mask * mrg.binomial(size=feat.shape, p=0.9, dtype=feat.dtype)
    pvals = T.nnet.softmax(feat[:, :3])
    picks = mrg.multinomial(pvals=pvals).sum() + mrg.choice(size=1, p=pvals, replace=False).sum()
    mask = mask * picks
    h = T.tanh(feat * mask)
    V = symgraph.shared(np.full((8, 3), 0.1), name="V")
    h = symgraph.grad_clip(h, -1.0, 1.0) + T.addbroadcast(T.zeros((1, 8)), 0)
    p = T.nnet.softmax(T.dot(h, V))
    cost = (
        -T.mean(T.log(p)[T.arange(y.shape[0]), y])
        + 0.01 * T.sum(same)
        # pooling over three axes, an average, and Theano's name for the max one's
        # second derivative
        + T.sum(T.pool_3d(conv, (1, 2, 2), True, pad=(0, 1, 0), mode="average_exc_pad"))
        + T.sum(DownsampleFactorMaxGradGrad(True)(conv, pooled, conv, (2, 2)))
        + T.mean(T.nnet.log_softmax(T.dot(h, V)))
        + T.sum(T.concatenate([T.reshape(h, (-1,)), T.zeros((2,))]))
        + T.max(h)
        + T.sum(T.log(T.exp(h).sum(axis=1)))  # logsumexp, after the stabilize pass
        + T.sum(T.argmax(p, axis=1))
        + T.sum(T.cumsum(p, axis=1))
        + _linalg_terms(h)
        + T.sum(T.cumprod(p, axis=1))
        + T.sum(T.sort(h, axis=0) * T.arange(8))
        + T.sum(T.repeat(h, y.shape[0], axis=0) ** 2)
        + T.sum(T.images2neibs(conv, (2, 2), mode="ignore_borders") ** 2)
        + T.sum(volume**2)
        # a loop over h's rows reading the shared V without it being listed
        + symgraph.scan(
            lambda row, acc: acc + T.dot(row, V).sum(),
            sequences=h,
            outputs_info=T.zeros_like(h[0].sum()),
        )[0][-1]
    )
    cost = Print("cost", attrs=("shape",))(cost)
    square = _positive_definite(h)
    undifferentiated = [*T.qr(square), *T.svd(square), T.argsort(p), *T.nonzero(y)]
    undifferentiated += [*T.eig(square), *T.lstsq(square[:, :2], square[0])]
    grads = symgraph.grad(cost, [W, V, x4, W3])
    updates = [(V, T.set_subtensor(V[0], V[0] - 0.1 * grads[1][0]))]
    # ops that only change gradients or check values, outside the differentiated cost
    labels = Assert("labels are in range")(UndefinedGrad()(y), T.lt(T.max(y), 3))
    labels = _labels_kept(labels)  # an op made of a Python function (Theano's as_op)
    outputs = [cost, *grads, labels, *undifferentiated]
    f = symgraph.function([x4, y], outputs, updates=updates)
    return outputs, f


def test_every_op_class_pickles(capsys):
    outputs, f = _graph_using_every_op()
    ops = {}
    for node in toposort(outputs) + f.fgraph.toposort():
        ops.setdefault(type(node.op), node.op)
    missing = _all_op_classes() - set(ops)
    assert not missing, f"add these ops to _graph_using_every_op: {sorted(map(str, missing))}"
    for op in ops.values():
        assert roundtrip(op) == op, type(op).__name__
    x = np.random.default_rng(1).normal(size=(2, 1, 6, 6))
    y = np.array([0, 2], dtype=np.int32)
    f2 = roundtrip(f)
    for a, b in zip(f(x, y), f2(x, y)):
        np.testing.assert_allclose(a, b)
    assert "cost shape" in capsys.readouterr().out


def test_compiled_function_with_updates_and_defaults():
    x = T.vector("x")
    lr = T.scalar("lr")
    w = symgraph.shared(np.array([1.0, -2.0, 3.0]), name="w")
    cost = T.sum((w * x - 1) ** 2)
    train = symgraph.function(
        [x, symgraph.In(lr, value=0.1)],
        cost,
        updates=[(w, w - lr * symgraph.grad(cost, w))],
        name="train",
    )
    train["lr"] = 0.05
    train(np.ones(3))
    clone = roundtrip(train)
    assert clone.name == "train" and clone["lr"] == 0.05
    np.testing.assert_array_equal(clone.updates[0][0].get_value(), w.get_value())
    data = np.array([0.5, 1.0, 2.0])
    for _ in range(3):
        assert clone(data) == train(data)
    assert clone(data, 0.2) == train(data, 0.2)
    assert "symgraph function 'train'" in clone.source


def test_pickled_function_and_its_shared_variable_stay_linked():
    w = symgraph.shared(np.zeros(2), name="w")
    inc = symgraph.function([], w, updates=[(w, w + 1)])
    inc2, w2 = roundtrip((inc, w))
    inc2()
    inc2()
    np.testing.assert_array_equal(w2.get_value(), [2.0, 2.0])
    np.testing.assert_array_equal(w.get_value(), [0.0, 0.0])


def test_function_with_random_stream_continues_identically():
    srng = RandomStreams(21)
    x = T.matrix("x")
    dropped = x * srng.binomial(size=x.shape, p=0.5, dtype=x.dtype)
    f = symgraph.function([x], [dropped, srng.normal((3,))])
    ones = np.ones((4, 5))
    f(ones)
    f2 = roundtrip(f)
    for _ in range(2):
        for a, b in zip(f(ones), f2(ones)):
            np.testing.assert_array_equal(a, b)


def test_a_loop_with_a_condition_and_updates_pickles_and_continues_identically():
    srng = RandomStreams(8)
    count = symgraph.shared(np.int64(0), name="count")
    x = T.vector("x")

    def step(v, total):
        new = total + v * srng.uniform()
        return new, {count: count + 1}, symgraph.until(new > 2)

    totals, updates = symgraph.scan(step, sequences=x, outputs_info=T.zeros(()))
    op = totals.owner.inputs[0].owner.op  # totals is the buffer after its initial row
    clone = roundtrip(op)
    assert clone == op and clone.until and clone.update_outputs == op.update_outputs == [1, 2]
    f = symgraph.function([x], [totals, symgraph.grad(totals.sum(), x)], updates=updates)
    data = np.linspace(0.5, 1.5, 8)
    f(data)
    f2, count2 = roundtrip((f, count))
    for _ in range(2):
        for a, b in zip(f(data), f2(data)):
            np.testing.assert_array_equal(a, b)
        assert count.get_value() == count2.get_value() > 0


def test_variable_with_cached_eval_pickles():
    x = T.vector("x")
    y = T.tanh(x).sum()
    first = y.eval({x: np.ones(3)})
    y2 = roundtrip(y)  # its tag caches a compiled function whose graph contains y itself
    assert y2.eval({named_input(y2, "x"): np.ones(3)}) == first


def test_in_without_default_stays_without_default():
    spec = roundtrip(symgraph.In(T.scalar("a")))
    assert not spec.has_default
    assert roundtrip(symgraph.In(T.scalar("b"), value=2.0)).value == 2.0


def test_tutorial_logistic_regression_model_pickles():
    sys.path.insert(0, TUTORIALS)
    try:
        from logistic_sgd import LogisticRegression
    finally:
        sys.path.remove(TUTORIALS)
    x, y = T.matrix("x"), T.ivector("y")
    model = LogisticRegression(x, n_in=6, n_out=3)
    rng = np.random.default_rng(0)
    data = rng.normal(size=(20, 6))
    labels = rng.integers(0, 3, size=20).astype(np.int32)
    cost = model.negative_log_likelihood(y)
    gW, gb = symgraph.grad(cost, [model.W, model.b])
    step = symgraph.function(
        [x, y], cost, updates=[(model.W, model.W - 0.5 * gW), (model.b, model.b - 0.5 * gb)]
    )
    for _ in range(5):
        step(data, labels)
    model2 = roundtrip(model)
    np.testing.assert_array_equal(model2.W.get_value(), model.W.get_value())
    predict = symgraph.function([model.input], model.y_pred)
    predict2 = symgraph.function([model2.input], model2.y_pred)
    np.testing.assert_array_equal(predict2(data), predict(data))
    errors2 = symgraph.function([model2.input, y], model2.errors(y))
    assert errors2(data, labels) == symgraph.function([x, y], model.errors(y))(data, labels)


def test_deep_compiled_function_pickles_without_recursion_error():
    x = T.vector("x")
    y = x
    for _ in range(400):  # ~1200 levels: deeper than the default recursion limit
        y = T.tanh(y) * 1.01 + 0.1
    f = symgraph.function([x], y, mode="FAST_COMPILE")
    f2 = roundtrip(f)
    np.testing.assert_array_equal(f2(np.ones(2)), f(np.ones(2)))
