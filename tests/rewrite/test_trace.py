"""Pass traces (``function(..., trace=True)``): golden texts, one record per pass."""

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
