"""The fusion pass and ``Fused`` kernels: what fuses, buffers reused, gradients, constants
kept apart, threaded row blocks."""

import numpy as np

import symgraph
import symgraph.tensor as T
from symgraph.graph import FunctionGraph


def test_fusion_fuses_a_tree_and_reuses_buffers():
    from symgraph.rewrite.fusion import fusion

    m = T.dmatrix("m")
    b = T.dvector("b")
    out = T.tanh(m * 2.0 + b)
    fg = FunctionGraph([m, b], [out])
    fired = fusion(fg)
    assert fired["fuse_3_ops"] == 1
    (node,) = [n for n in fg.apply_nodes if type(n.op).__name__ == "Fused"]
    assert str(node.op) == "Fused{tanh(add(mul(i0, 2.0), i1))}"
    f = symgraph.function([m, b], out)
    src = f.source
    # one allocation (the multiply), then add and tanh write into it
    assert "out=" in src and src.count("np.tanh(") == 1
    value = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(f(value, np.ones(3)), np.tanh(value * 2 + 1))


def test_fusion_does_not_absorb_a_shared_intermediate():
    from symgraph.rewrite.fusion import fusion

    m = T.dmatrix("m")
    shared_part = T.exp(m)
    out = T.tanh(shared_part) + shared_part  # exp's result is used twice
    fg = FunctionGraph([m], [out, shared_part])
    fusion(fg)
    fused = [n for n in fg.apply_nodes if type(n.op).__name__ == "Fused"]
    assert len(fused) == 1 and "exp" not in str(fused[0].op)


def test_fused_sgd_update_allocates_once():
    w = symgraph.shared(np.ones((3, 3)), name="w")
    g = T.dmatrix("g")
    f = symgraph.function([g], [], updates=[(w, w - 0.1 * g)])
    lines = [line for line in f.source.splitlines() if "np." in line and "= " in line]
    allocating = [line for line in lines if "out=" not in line]
    assert len(allocating) == 1, f.source  # w - 0.1 * g: the multiply allocates, sub reuses
    f(np.ones((3, 3)))
    np.testing.assert_allclose(w.get_value(), 0.9)


def test_fused_node_gradient_matches_unfused():
    from symgraph.graph.traversal import toposort
    from symgraph.rewrite.fusion import fusion

    m = T.dmatrix("m")
    fg = FunctionGraph([m], [T.tanh(m * 2.0 + 1.0).sum()])
    fusion(fg)
    fused_cost = fg.outputs[0]
    assert any(type(n.op).__name__ == "Fused" for n in toposort([fused_cost]))
    grad = symgraph.grad(fused_cost, m)
    value = np.random.default_rng(0).random((2, 3))
    expected = 2 * (1 - np.tanh(value * 2 + 1) ** 2)
    np.testing.assert_allclose(symgraph.function([m], grad)(value), expected)


def test_fused_nodes_differing_only_in_a_constant_stay_distinct():
    # Their text forms agree ("Constant{(3,)}"): equality must compare the values too, or
    # merge (and the shared kernel definitions) would compute one of them wrongly.
    m = T.dmatrix("m")
    a = T.tanh(m * T.constant(np.array([1.0, 2.0, 3.0])) + 1.0)
    b = T.tanh(m * T.constant(np.array([4.0, 5.0, 6.0])) + 1.0)
    f = symgraph.function([m], [a, b])
    value = np.ones((2, 3))
    got_a, got_b = f(value)
    np.testing.assert_allclose(got_a, np.tanh(value * [1.0, 2.0, 3.0] + 1))
    np.testing.assert_allclose(got_b, np.tanh(value * [4.0, 5.0, 6.0] + 1))


def test_fused_kernel_with_an_array_constant_broadcasts_and_splits_rows():
    # The constant decides the output's shape ((n, 1) against (1, 4)), and a constant as
    # large as the output must be cut into the same row blocks as the threaded kernel's.
    col = T.dcol("c")
    cv = np.arange(3.0).reshape(3, 1)
    small = np.array([[0.0, 1.0, 2.0, 3.0]])
    out = T.exp(col + small) * 2.0
    small_result = symgraph.function([col], out)(cv)
    np.testing.assert_allclose(small_result, np.exp(cv + small) * 2.0)
    rows = np.linspace(0, 1, 300 * 200).reshape(300, 200)
    big_col = np.arange(300.0).reshape(300, 1)
    out = T.tanh(col * rows) + 1.0
    f = symgraph.function([col], out)
    assert any(type(n.op).__name__ == "Fused" for n in f.maker.fgraph.toposort())
    np.testing.assert_allclose(f(big_col), np.tanh(big_col * rows) + 1.0, rtol=1e-12)
