"""Printers: golden texts for debugprint and the text form; networkx export."""

import numpy as np

import symgraph
import symgraph.tensor as T
from symgraph.printing import graph_to_text


def test_text_form_golden():
    x = T.dvector("x")
    w = T.dmatrix("w")
    y = T.tanh(T.dot(w, x) + 1.0).sum()
    assert graph_to_text(y) == (
        "w:f64[?,?], x:f64[?] ->\n"
        "  t0:f64[?] = Dot(w, x)\n"
        "  t1:f64[?] = add(t0, 1.0)\n"
        "  t2:f64[?] = tanh(t1)\n"
        "  t3:f64[] = Sum{axis=[0]}(t2)\n"
        "-> t3"
    )


def test_debugprint_golden():
    x = T.dvector("x")
    a = T.exp(x)
    y = a * a
    text = symgraph.debugprint(y, file="str")
    assert text == (
        "mul [id A] f64[?]\n |exp [id B] f64[?]\n | |x [id C] f64[?]\n |exp [id B] f64[?]\n"
    )


def test_debugprint_function_shows_updates():
    x = T.dvector("x")
    w = symgraph.shared(np.zeros(2), name="w")
    f = symgraph.function([x], (x * w).sum(), updates=[(w, w + x)])
    text = symgraph.debugprint(f, file="str")
    assert "update of w:" in text and "Dot" in text  # sum(x * w) was specialized


def test_to_networkx_structure():
    x = T.dvector("x")
    y = T.exp(x) + x
    g = symgraph.to_networkx(y)
    apply_nodes = [n for n, d in g.nodes(data=True) if d["kind"] == "apply"]
    labels = sorted(g.nodes[n]["label"] for n in apply_nodes)
    assert labels == ["add", "exp"]
    (x_key,) = [n for n, d in g.nodes(data=True) if d.get("name") == "x"]
    assert g.out_degree(x_key) == 2
    import networkx as nx

    assert nx.is_directed_acyclic_graph(g)
    outputs = [n for n, d in g.nodes(data=True) if d.get("is_output")]
    assert len(outputs) == 1 and g.out_degree(outputs[0]) == 0


def test_trace_records_each_pass():
    x = T.dvector("x")
    y = T.exp(x) + T.exp(x)
    f = symgraph.function([x], y, trace=True)
    assert [r.name for r in f.trace] == symgraph.list_passes()
    merge = f.trace["merge"]
    assert merge.rewrites["merge_nodes"] == 1
    assert merge.before.count("exp(x)") == 2 and merge.after.count("exp(x)") == 1
    assert "-" in merge.diff() and "merge" in str(f.trace)
