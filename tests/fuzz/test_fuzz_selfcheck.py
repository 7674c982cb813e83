"""Checks of the fuzzer itself, independent of what symgraph computes: the error radii
bound NumPy's own float evaluation, the judge notices a wrong element, the reference
gradient agrees with finite differences, and the printed script rebuilds the graph."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
from fuzz_check import _attains, expected, judge, near_kink
from fuzz_graphs import build
from fuzz_reference import LD, evaluate, gradients, reference
from fuzz_strategies import graphs
from hypothesis import HealthCheck, given, settings

SELF = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _quiet():
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore", RuntimeWarning)
    stack.enter_context(np.errstate(all="ignore"))
    return stack


@SELF
@given(graphs(gradient=True))
def test_radii_bound_numpy_float_evaluation(graph):
    """With moderate values, wherever no value leaves the dtype's range, NumPy's float
    evaluation of the naive formula lies within the naive radius of the reference."""
    with _quiet():
        leaves = graph.leaf_values()
        ref = reference(graph, leaves)
        naive = evaluate(graph, leaves)
        limit = float(np.finfo(graph.dtype).max) / 16
        tiny = float(np.finfo(graph.dtype).smallest_normal) * 16
        for index, node in enumerate(graph.nodes):
            if node.dtype == "bool":
                continue
            magnitudes = np.abs(
                np.concatenate(
                    [
                        np.ravel(ref.values[i])
                        for i in range(index + 1)
                        if graph.nodes[i].dtype != "bool"
                    ]
                )
            )
            magnitudes = magnitudes[magnitudes != 0]
            if (
                not np.all(np.isfinite(magnitudes))
                or np.any(magnitudes > limit)
                or np.any(magnitudes < tiny)
            ):
                break  # from here on, overflow or underflow may decide
            radius = np.asarray(ref.tol_naive[index])
            ok = _attains(naive[index], ref.values[index], radius, graph.dtype)
            assert np.all(ok | np.isinf(radius)), (
                f"{graph.name(index)} = {graph.expression(index)}: NumPy's float result "
                f"{naive[index]!r} is outside the radius {radius!r} of {ref.values[index]!r}"
                f"\n{graph.script()}"
            )


@SELF
@given(graphs())
def test_judge_flags_a_wrong_element_and_accepts_the_formulas(graph):
    """The judge accepts NumPy's naive evaluation from FAST_COMPILE and the stabilised
    one from FAST_RUN, and flags a required element moved beyond its radius."""
    with _quiet():
        leaves = graph.leaf_values()
        exp = expected(graph, leaves, promise=True)
        for index in graph.outputs:
            node = graph.nodes[index]
            results = {"FAST_COMPILE": exp.naive[index], "FAST_RUN": exp.stable[index]}
            for mode, result in results.items():
                verdict = judge(mode, np.asarray(result), index, exp, graph.dtype)
                assert not np.any(verdict.wrong), f"{mode}, {graph.name(index)}"
            if node.dtype == "bool":
                continue
            required = judge("FAST_RUN", results["FAST_RUN"], index, exp, graph.dtype)
            mask = np.broadcast_to(required.naive_ok, node.shape)
            if not np.any(mask):
                continue
            position = tuple(np.argwhere(mask)[0])
            radius = np.broadcast_to(exp.ref.tol_naive[index], node.shape)[position]
            for mode, result in results.items():
                wrong = np.array(result, copy=True)
                wrong[position] += 2 * radius + abs(wrong[position]) + 1
                assert judge(mode, wrong, index, exp, graph.dtype).wrong[position], mode


@SELF
@given(graphs(gradient=True))
def test_reference_gradient_matches_finite_differences(graph):
    """The interpreter's reverse-mode gradient, along a random direction, equals central
    differences of its extended-precision cost (where the cost is smooth)."""
    with _quiet():
        leaves = graph.leaf_values()
        ref = reference(graph, leaves)
        floats = [i for i in graph.outputs if graph.nodes[i].dtype == graph.dtype]
        if not floats or near_kink(graph, ref):
            return
        rng = np.random.default_rng(graph.grad_seed)
        weights = {i: rng.uniform(-1, 1, graph.nodes[i].shape) for i in floats}
        grads, _ = gradients(graph, ref, weights)
        wrt = [i for i in graph.inputs + graph.shared if grads[i] is not None]
        direction = {i: rng.uniform(-1, 1, graph.nodes[i].shape).astype(LD) for i in wrt}

        def cost(t):
            moved = dict(leaves)
            moved.update({i: leaves[i].astype(LD) + LD(t) * direction[i] for i in wrt})
            values = reference(graph, moved, tolerances=False).values
            return sum(np.sum(values[i] * weights[i].astype(LD)) for i in floats)

        h = 1e-7
        c0, cp, cm = cost(0.0), cost(h), cost(-h)
        if not (np.isfinite(c0) and np.isfinite(cp) and np.isfinite(cm)):
            return
        slope = sum(np.sum(grads[i] * direction[i]) for i in wrt)
        size = sum(np.sum(np.abs(grads[i] * direction[i])) for i in wrt)
        if abs((cp - c0) - (c0 - cm)) > 1e-6 * h * (size + abs(c0)):
            return  # curved or kinked at this scale
        fd = (cp - cm) / (2 * h)
        assert abs(fd - slope) <= 1e-6 * (size + abs(fd)) + 1e-12, (
            f"reference slope {slope!r}, central differences {fd!r}\n{graph.script()}"
        )


@settings(SELF, max_examples=15)
@given(graphs())
def test_script_rebuilds_the_graph(graph):
    """The printed reproducer runs and computes what the records describe."""
    namespace: dict = {}
    with _quiet(), contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(graph.script(), namespace)  # noqa: S102
    built = build(graph)
    assert len(namespace["outputs"]) == len(graph.outputs)
    for variable, index in zip(namespace["outputs"], graph.outputs):
        assert variable.type.shape == built[index].type.shape
        assert variable.dtype == graph.nodes[index].dtype
    assert "FAST_RUN" in printed.getvalue()
