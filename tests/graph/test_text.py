"""The text form of graphs (``graph_to_text``): a golden text."""

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
