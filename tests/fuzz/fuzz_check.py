"""Running a fuzz graph through symgraph and judging the results.

``check_graph`` compiles the graph in FAST_COMPILE and FAST_RUN, calls each function
twice (the second call sees the shared values the first call's updates wrote), and
checks, against the NumPy interpreter of ``fuzz_reference``:

- values: where the naive formula, evaluated in the graph's dtype, attains the reference
  (finite and within its error radius), both modes must too; where only the stabilised
  forms do (``log(1 + exp(800))``), FAST_RUN must; elsewhere (the reference is not
  finite, or neither formula attains it: the naive formula overflows, or the data do
  not determine the value) nothing is required;
- the updated shared values, the same way;
- inputs are left as they were; results do not share memory with inputs, shared values
  or each other; a second call does not overwrite what the first returned;
- gradients, for graphs drawn with moderate values: both modes' gradients of a random
  weighted sum of the outputs, element by element, against the interpreter's
  reverse-mode gradient and its error bound, where central differences of the
  extended-precision cost along a random direction confirm that gradient (and no kink
  is at hand); agreeing with the reference, the two modes agree with each other.

Failures raise a subclass of ``FuzzFailure`` named after the symptom, so that Hypothesis
tracks (and shrinks) different kinds of failure separately. Each message ends with the
graph as a runnable script.

``SYMGRAPH_FUZZ_EXCLUDE=pass,pass`` runs FAST_RUN without those passes (to see which pass
a failure needs); without ``stabilize`` the stabilised forms are not required.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
from fuzz_graphs import Graph, build
from fuzz_reference import LD, evaluate, gradients, reference, stable_form

import symgraph
import symgraph.tensor as T

# What the checks covered (printed by the long run): graphs, values compared, values
# required to be right, gradients compared with finite differences or skipped.
STATS: Counter = Counter()


class FuzzFailure(AssertionError):
    """A fuzz graph on which symgraph and the reference disagree."""


class FastRunWrongValue(FuzzFailure):
    """FAST_RUN returns a finite wrong value where FAST_COMPILE's formula is right."""


class FastRunNonFinite(FuzzFailure):
    """FAST_RUN returns inf or nan where the graph's own formula is finite and right."""


class FastRunNotStabilised(FuzzFailure):
    """FAST_RUN is wrong where only a stabilised form (which it promises) is right."""


class FastCompileWrongValue(FuzzFailure):
    """FAST_COMPILE does not compute the formula the graph spells."""


class BothModesWrongValue(FuzzFailure):
    """Both modes miss a value the graph's formula attains in its dtype (a kernel's
    accuracy, or the interpreter's)."""


class InputModified(FuzzFailure):
    """A call changed an input array."""


class ResultAliased(FuzzFailure):
    """A result shares memory with an input, a shared value or another result."""


class ResultOverwritten(FuzzFailure):
    """A second call changed the arrays the first call returned."""


class WrongTypeOrShape(FuzzFailure):
    """A result's dtype or shape is not its variable's."""


class FastRunGradientWrong(FuzzFailure):
    """FAST_RUN's gradient misses the reference gradient where FAST_COMPILE's does not."""


class FastCompileGradientWrong(FuzzFailure):
    """FAST_COMPILE's gradient misses the reference gradient where FAST_RUN's does not."""


class BothModesGradientWrong(FuzzFailure):
    """Both modes' gradients miss the reference gradient (at the same element)."""


def fast_run_mode() -> symgraph.Mode:
    excluded = [p for p in os.environ.get("SYMGRAPH_FUZZ_EXCLUDE", "").split(",") if p]
    return symgraph.Mode("FAST_RUN").excluding(*excluded)


def promises_stable_forms(mode: symgraph.Mode) -> bool:
    return "stabilize" in mode.pass_names


# --------------------------------------------------------------------------------------
# running symgraph


@dataclass
class Run:
    """What one compiled function returned on its two calls."""

    mode: str
    first: list[np.ndarray]
    shared_first: dict[int, np.ndarray]
    second: list[np.ndarray]
    shared_second: dict[int, np.ndarray]


def _fail(kind: type[FuzzFailure], graph: Graph, text: str):
    raise kind(f"{kind.__name__}: {text}\n\nThe graph, as a script:\n{graph.script()}")


def run_mode(graph: Graph, built: dict, leaves: dict, mode, label: str) -> Run:
    inputs = [built[i] for i in graph.inputs]
    outputs = [built[i] for i in graph.outputs]
    updates = [(built[s], built[e]) for s, e in graph.updates]
    for s in graph.shared:
        built[s].set_value(leaves[s].copy())
    f = symgraph.function(inputs, outputs, updates=updates, mode=mode, on_unused_input="ignore")
    args = [leaves[i].copy() for i in graph.inputs]
    calls = []
    for call in (1, 2):
        results = list(f(*args))
        for position, (arg, index) in enumerate(zip(args, graph.inputs)):
            if not np.array_equal(arg, leaves[index], equal_nan=True):
                _fail(
                    InputModified,
                    graph,
                    f"{label} call {call} changed input {position} "
                    f"({graph.name(index)}): {leaves[index]!r} became {arg!r}",
                )
        _check_results(graph, built, results, args, label, call)
        shared = {s: built[s].get_value() for s in graph.shared}
        calls.append((results, shared))
        if call == 1:
            kept = [np.array(r, copy=True) for r in results]
    for index, (before, after) in enumerate(zip(kept, calls[0][0])):
        if not np.array_equal(before, after, equal_nan=True):
            _fail(
                ResultOverwritten,
                graph,
                f"{label}: the second call changed result {index} "
                f"of the first from {before!r} to {after!r}",
            )
    return Run(label, kept, calls[0][1], calls[1][0], calls[1][1])


def _check_results(graph, built, results, args, label, call) -> None:
    others = [(f"input {graph.name(i)}", a) for i, a in zip(graph.inputs, args)]
    others += [(f"shared {graph.name(s)}", built[s].get_value(borrow=True)) for s in graph.shared]
    for position, (index, value) in enumerate(zip(graph.outputs, results)):
        node = graph.nodes[index]
        where = f"{label} call {call}, output {position} ({graph.name(index)})"
        if not isinstance(value, np.ndarray) or value.dtype != np.dtype(node.dtype):
            _fail(
                WrongTypeOrShape,
                graph,
                f"{where}: expected a {node.dtype} array, got "
                f"{type(value).__name__} {getattr(value, 'dtype', '')}",
            )
        if value.shape != node.shape:
            _fail(WrongTypeOrShape, graph, f"{where}: shape {value.shape}, expected {node.shape}")
        for name, other in others + [
            (f"output {k}", r) for k, r in enumerate(results) if k != position
        ]:
            if np.shares_memory(value, other):
                _fail(ResultAliased, graph, f"{where} shares memory with {name}")


# --------------------------------------------------------------------------------------
# comparing values


@dataclass
class Expected:
    """For every record: the reference, error radii, and the float formulas' values."""

    ref: object
    naive: list[np.ndarray]
    stable: list[np.ndarray]


def expected(graph: Graph, leaves: dict, promise: bool) -> Expected:
    ref = reference(graph, leaves)
    naive = evaluate(graph, leaves)
    has_forms = promise and any(stable_form(graph, i) for i in range(len(graph.nodes)))
    stable = evaluate(graph, leaves, stable=True) if has_forms else naive
    if not promise:  # the stabilised forms are neither required nor used for radii
        ref.tol_stable = ref.tol_naive
    return Expected(ref, naive, stable)


def _close(got, ref, radius) -> np.ndarray:
    with np.errstate(all="ignore"):
        diff = np.abs(np.asarray(got).astype(LD) - ref).astype(np.float64)
        return (diff <= radius) | (np.asarray(got).astype(LD) == ref)


def _attains(value, ref, radius, dtype) -> np.ndarray:
    """Where a float evaluation is finite and within ``radius`` of a finite reference
    whose whole interval is well inside the dtype's range."""
    if np.asarray(ref).dtype == bool:
        return (np.asarray(radius) == 0) & (np.asarray(value) == ref)
    limit = float(np.finfo(dtype).max) / 16
    with np.errstate(all="ignore"):
        inside = np.isfinite(ref) & (np.abs(ref) + radius.astype(LD) < limit) & (radius < limit)
    return inside & np.isfinite(value) & _close(value, ref, radius)


@dataclass
class Verdict:
    """Elements a mode got wrong, by kind, for one compared value."""

    wrong: np.ndarray  # where a required value was missed
    naive_ok: np.ndarray
    stable_ok: np.ndarray


def judge(mode_kind: str, got, index: int, exp: Expected, dtype: str) -> Verdict:
    """Which elements of ``got`` (record ``index``, computed by FAST_RUN or FAST_COMPILE)
    miss what is required of that mode."""
    ref = exp.ref.values[index]
    tol_n = np.asarray(exp.ref.tol_naive[index])
    tol_s = np.asarray(exp.ref.tol_stable[index])
    naive_ok = _attains(exp.naive[index], ref, tol_n, dtype)
    stable_ok = _attains(exp.stable[index], ref, tol_s, dtype)
    got = np.asarray(got)
    if ref.dtype == bool:
        certain = tol_n == 0
        wrong = certain & naive_ok & (got != ref)
        return Verdict(wrong, naive_ok, stable_ok)
    if mode_kind == "FAST_COMPILE":
        # Elsewhere FAST_COMPILE runs the naive formula into inf or nan, or past the
        # accuracy the data determine: any value is what that formula may give.
        return Verdict(naive_ok & ~_close(got, ref, tol_n), naive_ok, stable_ok)
    radius = np.where(
        naive_ok & stable_ok, np.maximum(tol_n, tol_s), np.where(naive_ok, tol_n, tol_s)
    )
    wrong = (naive_ok | stable_ok) & ~_close(got, ref, radius)
    return Verdict(wrong, naive_ok, stable_ok)


def _describe(graph, label, index, got, exp, verdict, other=None, limit=4) -> str:
    node = graph.nodes[index]
    ref = exp.ref.values[index]
    bad = np.argwhere(np.broadcast_to(verdict.wrong, node.shape))
    lines = [f"{label}: {graph.name(index)} is wrong at {len(bad)} of {max(1, ref.size)} elements"]
    for position in bad[:limit]:
        at = tuple(int(p) for p in position)
        line = (
            f"  at {at}: got {np.asarray(got)[at]!r}, reference {ref[at]!r} "
            f"(allowed error {np.asarray(exp.ref.tol_naive[index])[at]:.3g} naive, "
            f"{np.asarray(exp.ref.tol_stable[index])[at]:.3g} stabilised); "
            f"{node.dtype} naive formula {exp.naive[index][at]!r}, "
            f"stabilised {exp.stable[index][at]!r}"
        )
        if other is not None:
            line += f"; {other[0]} gave {np.asarray(other[1])[at]!r}"
        lines.append(line)
    return "\n".join(lines)


def _targets(graph: Graph, run: Run, call: int) -> list[tuple[str, int, np.ndarray]]:
    """(description, record, value) of everything a call produced."""
    results = run.first if call == 1 else run.second
    shared = run.shared_first if call == 1 else run.shared_second
    found = [
        (f"output {k} ({graph.name(i)})", i, v)
        for k, (i, v) in enumerate(zip(graph.outputs, results))
    ]
    found += [
        (f"the update of {graph.name(s)} ({graph.name(e)})", e, shared[s]) for s, e in graph.updates
    ]
    return found


def compare_values(graph: Graph, leaves: dict, runs: dict[str, Run], promise: bool) -> None:
    """Check both calls of both modes against the interpreter."""
    first = expected(graph, leaves, promise)
    for call in (1, 2):
        per_mode = {}
        for kind, run in runs.items():
            exp = first
            if call == 2 and graph.updates:  # the second call reads the updated values
                second_leaves = dict(leaves)
                second_leaves.update(run.shared_first)
                exp = expected(graph, second_leaves, promise)
            per_mode[kind] = exp
        fc, fr = runs["FAST_COMPILE"], runs["FAST_RUN"]
        fc_targets, fr_targets = _targets(graph, fc, call), _targets(graph, fr, call)
        for (what, index, got_fc), (_, _, got_fr) in zip(fc_targets, fr_targets):
            v_fc = judge("FAST_COMPILE", got_fc, index, per_mode["FAST_COMPILE"], graph.dtype)
            v_fr = judge("FAST_RUN", got_fr, index, per_mode["FAST_RUN"], graph.dtype)
            STATS["values"] += int(np.size(v_fr.naive_ok))
            STATS["values required (naive formula attains the reference)"] += int(
                np.sum(v_fr.naive_ok)
            )
            STATS["values required (only the stabilised form attains it)"] += int(
                np.sum(v_fr.stable_ok & ~v_fr.naive_ok)
            )
            context = f"call {call}, {what}"

            # v_fr.wrong is read when the text is made: after it is narrowed below
            describe_fast_run = functools.partial(
                _describe,
                graph,
                f"FAST_RUN, {context}",
                index,
                got_fr,
                per_mode["FAST_RUN"],
                v_fr,
                ("FAST_COMPILE", got_fc),
            )
            both = v_fc.wrong & v_fr.wrong
            if np.any(both):
                v_fr.wrong = both
                _fail(BothModesWrongValue, graph, describe_fast_run())
            if np.any(v_fr.wrong):
                text = describe_fast_run()
                bad = np.broadcast_to(v_fr.wrong, np.shape(v_fr.naive_ok))
                if not np.any(bad & v_fr.naive_ok):
                    _fail(FastRunNotStabilised, graph, text)
                finite = np.isfinite(np.broadcast_to(np.asarray(got_fr, dtype=float), bad.shape))
                if np.any(bad & v_fr.naive_ok & ~finite):
                    _fail(FastRunNonFinite, graph, text)
                _fail(FastRunWrongValue, graph, text)
            if np.any(v_fc.wrong):
                _fail(
                    FastCompileWrongValue,
                    graph,
                    _describe(
                        graph,
                        f"FAST_COMPILE, {context}",
                        index,
                        got_fc,
                        per_mode["FAST_COMPILE"],
                        v_fc,
                        ("FAST_RUN", got_fr),
                    ),
                )


# --------------------------------------------------------------------------------------
# gradients

FD_STEP = 1e-6


def _cost_parts(graph: Graph):
    """(record, weights) of the outputs the cost sums: the float ones."""
    rng = np.random.default_rng(graph.grad_seed)
    parts = []
    for index in graph.outputs:
        node = graph.nodes[index]
        if node.dtype == graph.dtype:
            parts.append((index, rng.uniform(-1, 1, node.shape).astype(graph.dtype)))
    return parts


def near_kink(graph: Graph, ref) -> bool:
    """Whether some non-differentiable op sits at (or, to the values' accuracy, next to)
    its kink: ``abs``, ``maximum``/``minimum``, a comparison, ``floor`` or ``sign`` whose
    two cases are not told apart, or a max/min reduction attained by two elements
    (symgraph, like Theano, sends the gradient to every one, which is no derivative when
    they are the same value). Ops of one record with itself (``maximum(x, x)``) are
    smooth."""
    for index, node in enumerate(graph.nodes):
        if node.op in ("max", "min"):
            (a,) = node.args
            axes = tuple(range(graph.nodes[a].ndim)) if node.params[0] is None else node.params[0]
            extremum = (np.max if node.op == "max" else np.min)(
                ref.values[a], axis=axes, keepdims=True
            )
            close = np.abs(ref.values[a] - extremum) <= ref.tol_naive[a] + np.max(
                ref.tol_naive[a], axis=axes, keepdims=True
            )
            if np.any(np.sum(close, axis=axes) > 1):
                return True
        elif node.op in ("maximum", "minimum", "gt", "lt") and node.args[0] != node.args[1]:
            a, b = node.args
            radius = ref.tol_naive[a] + ref.tol_naive[b]
            if np.any(np.abs(ref.values[a] - ref.values[b]) <= radius):
                return True
        elif node.op in ("abs", "sign"):
            (a,) = node.args
            if np.any(np.abs(ref.values[a]) <= ref.tol_naive[a]):
                return True
        elif node.op == "floor":
            (a,) = node.args
            if np.any(np.isinf(ref.tol_naive[index]) | (ref.values[a] == np.floor(ref.values[a]))):
                return True
    return False


def check_gradients(graph: Graph, built: dict, leaves: dict, fast_run) -> None:
    """Gradients of both modes against the interpreter's reverse-mode gradient, itself
    confirmed by central differences along a random direction (where they disagree, the
    cost is not smooth enough there and nothing is checked)."""
    parts = _cost_parts(graph)
    wrt_records = graph.inputs + graph.shared
    if not parts:
        return
    ref = reference(graph, leaves)
    if near_kink(graph, ref):
        STATS["gradients skipped (near a kink)"] += 1
        return
    naive = evaluate(graph, leaves)
    for index, node in enumerate(graph.nodes):
        value = ref.values[index]
        if node.dtype == "bool":
            continue
        sound = _attains(naive[index], value, np.asarray(ref.tol_naive[index]), graph.dtype)
        if not np.all(sound | ~np.isfinite(value)):
            # the dtype's range does not hold the computation (exp(120) in float32)
            STATS["gradients skipped (a value leaves the dtype's range)"] += 1
            return
    cost = 0
    for index, weights in parts:
        cost = cost + (built[index] * T.constant(weights)).sum()
    wrt = [built[i] for i in wrt_records]
    grads = symgraph.grad(cost, wrt, disconnected_inputs="ignore")
    got = {}
    for label, mode in (("FAST_COMPILE", "FAST_COMPILE"), ("FAST_RUN", fast_run)):
        for s in graph.shared:
            built[s].set_value(leaves[s].copy())
        f = symgraph.function(
            [built[i] for i in graph.inputs], grads, mode=mode, on_unused_input="ignore"
        )
        got[label] = [np.asarray(g) for g in f(*[leaves[i].copy() for i in graph.inputs])]

    expected_grads, bounds = gradients(graph, ref, dict(parts))
    zero = {i: np.zeros(graph.nodes[i].shape, dtype=LD) for i in wrt_records}
    exact = {i: zero[i] if expected_grads[i] is None else expected_grads[i] for i in wrt_records}
    bound = {
        i: np.zeros(graph.nodes[i].shape) if bounds[i] is None else bounds[i] for i in wrt_records
    }

    rng = np.random.default_rng(graph.grad_seed + 1)
    direction = {i: rng.uniform(-1, 1, graph.nodes[i].shape) for i in wrt_records}

    def cost_at(t: float):
        moved = {i: leaves[i].astype(LD) + LD(t) * direction[i].astype(LD) for i in wrt_records}
        values = reference(graph, moved, tolerances=False).values
        return sum(np.sum(values[i] * w.astype(LD)) for i, w in parts)

    h = FD_STEP
    c0, cp, cm, cp2, cm2 = (cost_at(t) for t in (0.0, h, -h, 2 * h, -2 * h))
    if not all(np.isfinite(c) for c in (c0, cp, cm, cp2, cm2)):
        STATS["gradients skipped (cost not finite)"] += 1
        return
    fd = (cp - cm) / (2 * h)
    fd2 = (cp2 - cm2) / (4 * h)
    slope = sum(np.sum(exact[i] * direction[i]) for i in wrt_records)
    size = sum(np.sum(np.abs(exact[i] * direction[i])) for i in wrt_records) + abs(c0)
    if not np.isfinite(slope) or abs(fd - slope) > 10 * abs(fd - fd2) + 1e-9 * size:
        STATS["gradients skipped (finite differences disagree: not smooth)"] += 1
        return
    STATS["gradients checked"] += 1
    wrong = {}
    for label, values in got.items():
        for g, i in zip(values, wrt_records):
            with np.errstate(all="ignore"):
                diff = np.abs(g.astype(LD) - exact[i]).astype(np.float64)
            miss = ~(diff <= bound[i]) & np.isfinite(bound[i])
            wrong[label, i] = miss
    for i in wrt_records:
        fr, fc = wrong["FAST_RUN", i], wrong["FAST_COMPILE", i]
        kind = None
        if np.any(fr & fc):
            kind, mask = BothModesGradientWrong, fr & fc
        elif np.any(fr):
            kind, mask = FastRunGradientWrong, fr
        elif np.any(fc):
            kind, mask = FastCompileGradientWrong, fc
        if kind is None:
            continue
        at = tuple(int(p) for p in np.argwhere(mask)[0])
        g_fr = got["FAST_RUN"][wrt_records.index(i)]
        g_fc = got["FAST_COMPILE"][wrt_records.index(i)]
        _fail(
            kind,
            graph,
            (
                f"gradient of the cost wrt {graph.name(i)} is wrong at {int(np.sum(mask))} of "
                f"{max(1, mask.size)} elements; at {at}: FAST_RUN {g_fr[at]!r}, FAST_COMPILE "
                f"{g_fc[at]!r}, reference {exact[i][at]!r} (allowed error {bound[i][at]:.3g}; "
                f"the reference's directional derivative {float(slope)!r} matches central "
                f"differences {float(fd)!r}). The cost is sum(output * weights) over the float "
                f"outputs, weights = np.random.default_rng({graph.grad_seed}).uniform(-1, 1, "
                f"shape) drawn in output order."
            ),
        )


# --------------------------------------------------------------------------------------


def check_graph(graph: Graph) -> None:
    """Build, compile, run and check one fuzz graph (raises a ``FuzzFailure``)."""
    fast_run = fast_run_mode()
    STATS["graphs"] += 1
    STATS["graphs with gradients"] += graph.gradient
    STATS["graphs with updates"] += bool(graph.updates)
    STATS["large graphs (40000-element arrays)"] += any(
        np.prod(n.shape) >= 40000 for n in graph.nodes
    )
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        built = build(graph)
        leaves = graph.leaf_values()
        runs = {
            "FAST_COMPILE": run_mode(graph, built, leaves, "FAST_COMPILE", "FAST_COMPILE"),
            "FAST_RUN": run_mode(graph, built, leaves, fast_run, "FAST_RUN"),
        }
        compare_values(graph, leaves, runs, promises_stable_forms(fast_run))
        if graph.gradient:
            check_gradients(graph, built, leaves, fast_run)
