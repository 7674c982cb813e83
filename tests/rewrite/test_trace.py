"""Pass traces (``function(..., trace=True)``): golden texts, one record per pass."""

import numpy as np
from helpers import text_node_changes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T


def test_trace_golden_for_a_small_graph():
    v = T.dvector("v")
    f = symgraph.function([v], T.log(1 + v**2) * 1.0, trace=True)
    record = f.trace["canonicalize"]
    assert record.rewrites["mul_by_one"] == 1
    assert (
        record.after == "v:f64[?] ->\n  t0:f64[?] = pow(v, 2.0)\n  t1:f64[?] = add(1.0, t0)\n"
        "  t2:f64[?] = log(t1)\n-> t2"
    )
    # variables keep their names from pass to pass; new ones get the next free number
    assert (
        f.trace["stabilize"].after == "v:f64[?] ->\n  t0:f64[?] = pow(v, 2.0)\n"
        "  t4:f64[?] = log1p(t0)\n-> t4"
    )
    assert (
        f.trace["specialize"].after == "v:f64[?] ->\n  t5:f64[?] = sqr(v)\n"
        "  t4:f64[?] = log1p(t5)\n-> t4"
    )


def test_trace_records_each_pass():
    x = T.dvector("x")
    y = T.exp(x) + T.exp(x)
    f = symgraph.function([x], y, trace=True)
    assert [r.name for r in f.trace] == symgraph.list_passes()
    merge = f.trace["merge"]
    assert merge.rewrites["merge_nodes"] == 1
    assert merge.before.count("exp(x)") == 2 and merge.after.count("exp(x)") == 1
    assert "-" in merge.diff() and "merge" in str(f.trace)


def test_trace_records_the_passes_of_a_loop_body():
    x = T.dvector("x")
    h0 = T.dscalar("h0")
    hs, _ = symgraph.scan(lambda xt, h: h + xt * 1.0, sequences=x, outputs_info=h0, name="acc")
    f = symgraph.function([x, h0], hs, trace=True)
    assert [inner.label for inner in f.trace.inner] == ["Scan{acc} (scan_step)"]
    body = f.trace.inner[0].trace
    assert [r.name for r in body] == symgraph.list_passes()
    assert body["canonicalize"].rewrites["mul_by_one"] == 1
    assert "inner graph of Scan{acc} (scan_step):" in str(f.trace)
    assert list(f([1.0, 2.0, 3.0], 0.5)) == [1.5, 3.5, 6.5]


def test_trace_records_nested_loop_bodies_and_none_without_trace():
    m = T.dmatrix("m")

    def row_total(row):
        totals, _ = symgraph.scan(lambda v, s: s + v, sequences=row, outputs_info=T.constant(0.0))
        return totals[-1]

    sums, _ = symgraph.scan(row_total, sequences=m, name="rows")
    f = symgraph.function([m], sums, trace=True)
    labels = [inner.label for inner in f.trace.inner]
    assert len(labels) == 2 and "Scan{rows} (scan_step)" in labels
    assert f([[1.0, 2.0], [3.0, 4.0]]).tolist() == [3.0, 7.0]
    assert symgraph.function([m], sums).trace is None


def test_each_record_keeps_the_graph_structure_matching_its_text():
    x, y = T.dvector("x"), T.dvector("y")
    out = T.exp(x) * 1.0 + T.exp(x) + T.log(1 + y**2)
    f = symgraph.function([x, y], out, trace=True)
    for previous, record in zip(f.trace, f.trace[1:]):
        assert previous.graph_after is record.graph_before
    for record in f.trace:
        for text, snapshot in (
            (record.before, record.graph_before),
            (record.after, record.graph_after),
        ):
            rebuilt = [
                ", ".join(f"{snapshot.name(v)}:{v.type}" for v in entry.outputs)
                + f" = {entry.op}({', '.join(snapshot.name(v) for v in entry.inputs)})"
                for entry in snapshot.nodes
            ]
            assert [line.strip() for line in text.splitlines()[1:-1]] == rebuilt


def _outputs_text(entries) -> set:
    return {
        ", ".join(f"{name}:{v.type}" for name, v in zip(e.output_names, e.outputs)) for e in entries
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_node_changes_match_the_text_diff(data):
    x, y = T.dvector("x"), T.dvector("y")
    pool = [x, y]
    unary = [
        T.exp,
        T.log1p,
        T.tanh,
        lambda v: v * 1.0,
        lambda v: v + 0.0,
        lambda v: T.neg(T.neg(v)),
    ]
    binary = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b]
    for _ in range(data.draw(st.integers(1, 8), label="nodes")):
        if data.draw(st.booleans(), label="unary"):
            op = data.draw(st.sampled_from(unary))
            pool.append(op(data.draw(st.sampled_from(pool))))
        else:
            op = data.draw(st.sampled_from(binary))
            pool.append(op(data.draw(st.sampled_from(pool)), data.draw(st.sampled_from(pool))))
    f = symgraph.function([x, y], pool[-1], trace=True, on_unused_input="ignore")
    for record in f.trace:
        changes = record.changes()
        added, removed, rewritten = text_node_changes(record.before, record.after)
        assert _outputs_text(changes.added) == added, record.name
        assert _outputs_text(changes.removed) == removed, record.name
        assert _outputs_text(changes.rewritten) == rewritten, record.name
    values = [np.linspace(-1, 1, 5), np.linspace(0, 2, 5)]
    reference = symgraph.function([x, y], pool[-1], mode="FAST_COMPILE", on_unused_input="ignore")
    np.testing.assert_allclose(f(*values), reference(*values))
