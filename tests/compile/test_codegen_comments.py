"""No captured text can end a comment line of generated code.

Generated lines carry comments with text captured from the user: the file name and line
of the code that built each node, variable names, op names. A line break in any of them
would turn the rest of the text into code, run when the function is called.
"""

import pickle
import sys

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph.graph import SourceLocation
from symgraph.tensor.ops.elemwise import Elemwise, ScalarOp

# What a payload needs: a line break, then a statement indented as the function body
# (or not, as in the reported file name), then a '#' eating what follows.
PAYLOAD = "__import__('os').system('touch MARKER')#"
BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
EVIL_TEXTS = [f"evil\n{PAYLOAD}"] + [f"evil{b}    {PAYLOAD}" for b in BREAKS]


@pytest.fixture
def marker(tmp_path, monkeypatch):
    """The file the payload would create (it runs in the current directory)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "MARKER"


def assert_safe(f, marker, *args):
    """``f`` compiled to source whose lines are the lines Python sees, and calling it ran
    nothing but the computation."""
    source = f.source
    assert len(source.splitlines()) == source.count("\n")
    compile(source, "<check>", "exec")
    result = f(*args)
    assert not marker.exists()
    return result


def test_comment_text_escapes_every_line_break_and_non_printable_character():
    from symgraph.compile.codegen import comment_text

    every_character = "".join(chr(code) for code in range(sys.maxunicode + 1))
    escaped = comment_text(every_character)
    assert escaped.isprintable()
    assert len(f"#{escaped}x".splitlines()) == 1
    assert comment_text("a\\nb") == "a\\\\nb"  # a backslash is escaped: escapes are unambiguous
    assert comment_text("µ = ℓ ×2") == "µ = ℓ ×2"  # printable text stays readable


@pytest.mark.parametrize("filename", EVIL_TEXTS)
def test_file_name_with_line_break_does_not_run(filename, marker):
    namespace = {"T": T}
    src = "x = T.dvector('x')\ny = T.tanh(x) * 2\nz = T.exp(x)\n"
    exec(compile(src, filename, "exec"), namespace)
    f = symgraph.function([namespace["x"]], [namespace["y"], namespace["z"]])
    value = np.array([0.5, -1.0])
    y, z = assert_safe(f, marker, value)
    np.testing.assert_allclose(y, np.tanh(value) * 2)
    np.testing.assert_allclose(z, np.exp(value))


@pytest.mark.parametrize("field", ["filename", "lineno"])
def test_tampered_source_location_in_a_pickle_does_not_run(field, marker):
    x = T.dvector("x")
    w = symgraph.shared(np.ones(2), name="w")
    y = T.exp(x) * w
    location = {"filename": "model.py", "lineno": 3, "function": "build"}
    location[field] = f"{location[field]}\n    {PAYLOAD}"
    y.owner.source = SourceLocation(**location)  # what an edited pickle could hold
    f = symgraph.function([x], y, updates=[(w, w + 1)])
    loaded = pickle.loads(pickle.dumps(f))
    value = np.array([0.0, 1.0])
    np.testing.assert_allclose(assert_safe(loaded, marker, value), np.exp(value))


@pytest.mark.parametrize("name", EVIL_TEXTS)
def test_variable_and_function_names_with_line_breaks(name, marker):
    # The header shows each input's and shared variable's name, escaped.
    x = T.dmatrix(name)
    w = symgraph.shared(np.eye(2), name=name)
    f = symgraph.function([x], T.tanh(T.dot(x, w) + x.sum()), updates=[(w, w * 2)], name=name)
    value = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(assert_safe(f, marker, value), np.tanh(value + value.sum()))
    escaped = name.replace("\n", "\\n").replace("\r", "\\r")
    assert f"# a0: input '{escaped[:4]}\\" in f.source
    assert f"# s0: shared variable '{escaped[:4]}\\" in f.source


def test_op_name_with_line_breaks(marker):
    # A scalar op shows its name in the fused kernel's comment and in the node's comment.
    op = Elemwise(ScalarOp(f"evil\n    {PAYLOAD}", 1, np.negative, code="np.negative"))
    x = T.dvector("x")
    f = symgraph.function([x], T.tanh(op(x)) * 3, mode="FAST_RUN")
    value = np.array([0.5, 2.0])
    np.testing.assert_allclose(assert_safe(f, marker, value), np.tanh(-value) * 3)
