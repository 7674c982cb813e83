"""The pass pipeline: its named passes and the modes selecting them; FAST_RUN and
FAST_COMPILE agree; every pass keeps the graph valid."""

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph import Mode
from symgraph.graph import FunctionGraph


def test_list_passes_and_modes():
    names = symgraph.list_passes()
    assert names[0] == "merge" and "inplace" in names
    assert Mode("FAST_RUN").pass_names == tuple(names)
    assert "inplace" not in Mode("FAST_RUN").excluding("inplace").pass_names
    with pytest.raises(ValueError, match="unknown pass 'fuson'.*merge"):
        Mode("FAST_RUN").excluding("fuson")
    with pytest.raises(ValueError, match="unknown mode"):
        Mode("FAST_EVERYTHING")


def test_fast_run_and_fast_compile_agree_on_mlp_step():
    rng = np.random.default_rng(0)
    x = T.dmatrix("x")
    y = T.ivector("y")
    w = T.dmatrix("w")
    p = T.nnet.softmax(T.tanh(T.dot(x, w)))
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    g = symgraph.grad(cost, w)
    args = (rng.random((4, 3)), np.array([0, 2, 1, 1], dtype="int32"), rng.random((3, 3)))
    fast = symgraph.function([x, y, w], [cost, g], mode="FAST_RUN")(*args)
    slow = symgraph.function([x, y, w], [cost, g], mode="FAST_COMPILE")(*args)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def _model_graphs():
    rng = np.random.default_rng(0)
    x, y = T.dmatrix("x"), T.ivector("y")
    w1 = symgraph.shared(rng.random((4, 5)), name="w1")
    b1 = symgraph.shared(np.zeros(5), name="b1")
    w2 = symgraph.shared(rng.random((5, 3)), name="w2")
    p = T.nnet.softmax(T.dot(T.tanh(T.dot(x, w1) + b1), w2))
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y]) + 1e-3 * (w1**2).sum()
    params = [w1, b1, w2]
    grads = symgraph.grad(cost, params)
    mlp = ([x, y, *params], [cost, *[q - 0.1 * g for q, g in zip(params, grads)]])
    images = T.dtensor4("images")
    filters = symgraph.shared(rng.random((2, 1, 3, 3)), name="filters")
    conv = T.tanh(T.pool_2d(T.conv2d(images, filters), (2, 2)) + 1.0)
    conv_cost = conv.sum()
    conv_graph = ([images, filters], [conv_cost, symgraph.grad(conv_cost, filters)])
    return {"mlp": mlp, "convnet": conv_graph}


@pytest.mark.parametrize("name", ["mlp", "convnet"])
def test_every_pass_keeps_the_graph_valid(name):
    from symgraph.graph import check_graph
    from symgraph.rewrite.pipeline import PIPELINE

    inputs, outputs = _model_graphs()[name]
    fg = FunctionGraph(inputs, outputs)
    check_graph(fg)
    for p in PIPELINE:
        p.run(fg)
        check_graph(fg)  # types, order, clients and aliasing still consistent
