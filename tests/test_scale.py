"""Big graphs: deep ones pickle, print, clone and compile under the default recursion
limit, and the passes' work grows linearly with the graph.

CI builds chains 2,000 nodes deep (past what any recursive walk survives under the
default limit); ``--runslow`` runs the same tests on 100,000 nodes. Cloning, exporting
and compiling already walked graphs without recursion; their tests keep it so at this
size. Speed is measured by ``benchmarks/compile_scale.py``, not asserted here.
"""

import copy
import gc
import pickle
import sys

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph.compat.theano.printing import pp
from symgraph.graph import FunctionGraph, check_graph, clone_graph, clone_replace, toposort
from symgraph.graph.basic import Constant
from symgraph.printing import debugprint, graph_to_text, pprint, to_dot, to_networkx

SHORT_DEPTH = 2_000
FULL_DEPTH = 100_000


@pytest.fixture
def depth(runslow) -> int:
    return FULL_DEPTH if runslow else SHORT_DEPTH


@pytest.fixture(autouse=True)
def default_recursion_limit():
    """Every test here runs under CPython's default limit, whatever the runner set."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(previous)


def chain(depth: int):
    """``x`` through ``depth`` cheap element-wise nodes (tanh, * 0.5, + 0.25 in turn)."""
    x = T.dvector("x")
    y = x
    for i in range(depth):
        y = T.tanh(y) if i % 3 == 0 else (y * 0.5 if i % 3 == 1 else y + 0.25)
    return x, y


def chain_value(depth: int, value: np.ndarray) -> np.ndarray:
    y = value
    for i in range(depth):
        y = np.tanh(y) if i % 3 == 0 else (y * 0.5 if i % 3 == 1 else y + 0.25)
    return y


def named(graph, name: str):
    (found,) = [v for v in symgraph.graph.graph_inputs([graph]) if v.name == name]
    return found


VALUE = np.array([-2.0, 0.3, 5.0])


@pytest.mark.slow
def test_deep_graph_pickles_and_the_copy_computes_the_same(depth):
    x, y = chain(depth)
    z = T.exp(y)  # depends on y: the copy must share y's copy, not duplicate it
    for protocol in (0, pickle.HIGHEST_PROTOCOL):
        y2, z2 = pickle.loads(pickle.dumps((y, z), protocol=protocol))
        assert z2.owner.inputs[0] is y2
        assert len(toposort([y2])) == depth
        assert not any(key.startswith("_pickle") for key in vars(y2))
    x2 = named(y2, "x")
    expected = chain_value(depth, VALUE)
    f2 = symgraph.function([x2], [y2, z2], mode="FAST_COMPILE")
    np.testing.assert_allclose(f2(VALUE)[0], expected)
    np.testing.assert_allclose(f2(VALUE)[1], np.exp(expected))


@pytest.mark.slow
def test_deep_graph_deepcopies(depth):
    x, y = chain(depth)
    y2 = copy.deepcopy(y)
    x2 = named(y2, "x")
    assert x2 is not x and len(toposort([y2])) == depth
    np.testing.assert_allclose(
        symgraph.function([x2], y2, mode="FAST_COMPILE")(VALUE), chain_value(depth, VALUE)
    )


def test_shared_variable_with_a_deep_default_update_pickles():
    x, y = chain(SHORT_DEPTH)
    w = symgraph.shared(np.ones(3), name="w")
    w.default_update = w + y
    w2 = pickle.loads(pickle.dumps(w))
    assert w2.default_update.owner.inputs[0] is w2
    assert len(toposort([w2.default_update])) == SHORT_DEPTH + 1


@pytest.mark.slow
def test_deep_graph_debugprints_with_short_lines(depth):
    x, y = chain(depth)
    text = debugprint(y, file="str")
    lines = text.splitlines()
    # One line per node and per input it reads: the node's inputs, x and the constants.
    assert len(lines) == sum(1 + len(node.inputs) for node in toposort([y])) - depth + 1
    assert max(map(len, lines)) < 140  # at most 50 bars: deeper ones are elided
    # The deepest line is x's, ``depth`` levels down: 10 bars, how many are hidden, 10 bars.
    (deepest,) = [line for line in lines if "x [id" in line]
    assert deepest.startswith(" |" * 10 + f" ~{depth - 20} levels~" + " |" * 10 + "x [id ")
    assert debugprint([y, y], file="str").count("\n") == len(lines) + 1
    assert pp is pprint  # the compat name prints the same way


def test_debugprint_bars_below_the_elision_depth_are_unchanged():
    x = T.dvector("x")
    y = x
    for _ in range(3):
        y = T.exp(y)
    assert debugprint(y, file="str", print_type=False) == (
        "exp [id A]\n |exp [id B]\n | |exp [id C]\n | | |x [id D]\n"
    )


@pytest.mark.slow
def test_deep_graph_pprints_and_has_a_text_form(depth):
    x, y = chain(depth)
    expected = "x"
    for i in range(depth):
        expected = (
            f"tanh({expected})"
            if i % 3 == 0
            else (f"({expected} * 0.5)" if i % 3 == 1 else f"({expected} + 0.25)")
        )
    assert pprint(y) == expected
    assert pp(y) == expected
    text = graph_to_text(y)
    assert text.startswith("x:f64[?] ->") and text.count("\n") == depth + 1


@pytest.mark.slow
def test_deep_graph_exports(depth):
    x, y = chain(depth)
    graph = to_networkx(y)
    assert sum(1 for _, d in graph.nodes(data=True) if d["kind"] == "apply") == depth
    assert to_dot(y).count(" -> ") == graph.number_of_edges()


@pytest.mark.slow
def test_deep_graph_clones_and_checks(depth):
    x, y = chain(depth)
    (y2,), memo = clone_graph([y])
    assert len(memo) == depth and len(toposort([y2])) == depth
    x_new = T.dvector("x_new")
    (y3,) = clone_replace([y], {x: x_new})
    assert named(y3, "x_new") is x_new
    fgraph = FunctionGraph([x], [y])
    check_graph(fgraph)
    assert len(fgraph.apply_nodes) == depth


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_deep_graph_compiles_and_computes(depth, mode):
    x, y = chain(depth)
    f = symgraph.function([x], y, mode=mode)
    np.testing.assert_allclose(f(VALUE), chain_value(depth, VALUE))
    check_graph(f.fgraph)
    assert debugprint(f, file="str").count("\n") >= len(f.fgraph.apply_nodes)


@pytest.mark.slow
def test_gradient_of_a_deep_graph_compiles(runslow):
    depth = FULL_DEPTH // 2 if runslow else SHORT_DEPTH
    x, y = chain(depth)
    g = symgraph.grad(y.sum(), x)
    assert len(toposort([g])) > 2 * depth
    f = symgraph.function([x], g)
    eps = 1e-6
    numeric = [
        (chain_value(depth, VALUE + eps * e).sum() - chain_value(depth, VALUE - eps * e).sum())
        / (2 * eps)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(f(VALUE), numeric, rtol=1e-5, atol=1e-9)


# --- the passes' work -------------------------------------------------------------------


def test_fusion_makes_kernels_of_bounded_size():
    # One kernel for a whole chain had a name (and compile time) quadratic in its length.
    from symgraph.rewrite.fusion import MAX_FUSED_NODES

    x, y = chain(3 * MAX_FUSED_NODES + 5)
    f = symgraph.function([x], y)
    sizes = [len(n.op.order) for n in f.fgraph.toposort() if type(n.op).__name__ == "Fused"]
    assert len(sizes) >= 4 and max(sizes) <= MAX_FUSED_NODES
    assert sum(sizes) == 3 * MAX_FUSED_NODES + 5
    np.testing.assert_allclose(f(VALUE), chain_value(3 * MAX_FUSED_NODES + 5, VALUE))


def test_rewrites_reach_their_fixed_point_however_deep_the_cascade():
    # Each firing makes a new node the rule matches again, 60 times in a row; the engine
    # used to revisit new nodes only in its next full round, and stopped after 50 rounds.
    from symgraph.rewrite.pattern import Const, E, Rule, RuleSet, Var, rewrite_to_equilibrium

    a = Var("a")
    c = Const(name="c")

    def halve(a, c):
        k = c.data.item()
        if k <= 2 or k % 2:
            return None
        return (a * (k / 2)) * 2.0

    rules = RuleSet([Rule("halve", E.mul(a, c), halve, "x * 2k -> (x * k) * 2")])
    x = T.dvector("x")
    fgraph = FunctionGraph([x], [x * float(2**60)])
    fired = rewrite_to_equilibrium(fgraph, rules)
    assert fired["halve"] == 59
    factors = [
        v.data.item() for n in fgraph.apply_nodes for v in n.inputs if isinstance(v, Constant)
    ]
    assert factors == [2.0] * 60


def test_rewrite_rules_that_undo_each_other_stop():
    from symgraph.rewrite.pattern import Const, E, Rule, RuleSet, Var, rewrite_to_equilibrium

    a = Var("a")
    rules = RuleSet(
        [
            Rule("to_add", E.mul(a, Const(2.0)), lambda a: a + a, "x * 2 -> x + x"),
            Rule("to_mul", E.add(a, a), lambda a: a * 2.0, "x + x -> x * 2"),
        ]
    )
    x = T.dvector("x")
    fgraph = FunctionGraph([x], [T.exp(x * 2.0)])
    fired = rewrite_to_equilibrium(fgraph, rules, max_rounds=5)
    assert fired["to_add"] + fired["to_mul"] == 5 * 2  # five firings per node, then stop
    check_graph(fgraph)


def test_function_graph_sorts_once_until_a_replacement(monkeypatch):
    import symgraph.graph.fgraph as fgraph_module

    x = T.dvector("x")
    fgraph = FunctionGraph([x], [T.exp(T.tanh(x))])
    calls = []
    original = fgraph_module.toposort

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(fgraph_module, "toposort", counting)
    first = fgraph.toposort()
    first.append("scribbled on by a caller")
    assert fgraph.toposort() == first[:-1] and len(calls) == 0  # sorted when built
    (exp_node,) = [n for n in fgraph.apply_nodes if n.op.scalar_op.name == "exp"]
    fgraph.replace(exp_node.outputs[0], T.log(exp_node.inputs[0]))
    assert [n.op.scalar_op.name for n in fgraph.toposort()] == ["tanh", "log"]
    assert len(calls) == 1


def test_removing_one_use_of_a_much_used_variable_keeps_the_others_in_order():
    x, w = T.dvectors("x", "w")
    uses = [x * w for _ in range(5)]
    fgraph = FunctionGraph([x, w], uses, clone=False)
    clients = fgraph.clients[w]
    assert clients == [(u.owner, 1) for u in uses]
    fgraph.replace(uses[2], T.exp(x))
    assert clients == [(u.owner, 1) for u in uses[:2] + uses[3:]]
    assert repr(clients) == repr(list(clients)) and clients[-1] == (uses[4].owner, 1)
    with pytest.raises(ValueError):
        clients.remove((uses[2].owner, 1))


@pytest.mark.parametrize(
    "build",
    [
        lambda x, y: symgraph.function([x], y),
        lambda x, y: FunctionGraph([x], [y]),
        lambda x, y: clone_graph([y]),
        lambda x, y: clone_replace([y], {x: T.dvector("z")}),
    ],
    ids=["function", "FunctionGraph", "clone_graph", "clone_replace"],
)
def test_graph_building_runs_no_garbage_collection_and_restores_the_collector(build):
    x, y = chain(SHORT_DEPTH)
    collections = []

    def record(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(record)
    try:
        build(x, y)
        during = list(collections)
    finally:
        gc.callbacks.remove(record)
    assert gc.isenabled()
    # The collections held back run at most once per generation, as the collector resumes.
    assert len(during) <= 3
    gc.disable()
    try:
        build(x, y)
        assert not gc.isenabled()  # a program's own choice is kept
    finally:
        gc.enable()
