"""``debugprint``: a golden text, and a compiled function's updates."""

import numpy as np

import symgraph
import symgraph.tensor as T


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
