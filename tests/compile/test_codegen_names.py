"""User names never become identifiers in generated code; calls by keyword still work.

Every identifier in ``f.source`` is a fixed ASCII prefix and a counter, so an input named
after something the generated code uses (``np``, a helper, the defaults sentinel), two
names that Python's NFKC folding makes equal, or any other user text cannot change what
the function computes. Names appear only in the (escaped) header comments.
"""

import io
import keyword
import re
import tokenize

import numpy as np
import pytest

import symgraph.tensor as T
from symgraph import In, function, grad, shared

# Names the generated code uses for itself, and names of its other parts (old and new
# naming schemes): an input with one of these names must not change the result.
HOSTILE_NAMES = [
    "np",
    "ndarray",
    "MISSING",
    "compiled_function",
    "defaults",
    "check_x",
    "float64_dtype",
    "run_elementwise",
    "fused_kernel",
    "broadcast_error",
    "_start",
    "perf_counter",
    "node_seconds",
    "call_count",
    "a0",
    "a1",
    "s0",
    "s0_storage",
    "c0",
    "t0",
    "t1",
    "k0_defaults",
    "h0_fused_kernel",
    "i0",
    "out",
    "None",
    "lambda",
    "__builtins__",
    "x y",
    "0x",
    "ｎｐ",  # fullwidth: NFKC turns it into np
]

# Pairs of distinct names that NFKC normalisation of identifiers makes equal.
NFKC_PAIRS = [("µ", "μ"), ("l", "ℓ"), ("np", "ｎｐ"), ("ﬁ", "fi")]


def identifiers(source: str) -> set[str]:
    """Names the code refers to: NAME tokens outside comments, except attributes
    (``np.add``) and keyword arguments or parameter defaults (``out=``)."""
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)
    ]
    found = set()
    for before, token, after in zip([None, *tokens], tokens, [*tokens[1:], None]):
        if token.type != tokenize.NAME or keyword.iskeyword(token.string):
            continue
        if before is not None and before.string == ".":
            continue
        if after is not None and after.string == "=":
            continue
        found.add(token.string)
    return found


GENERATED = re.compile(r"(a|s|c|t|k|h)\d+(_[A-Za-z0-9_]+)?")
FIXED = {"np", "ndarray", "MISSING", "compiled_function", "out"}


def assert_generated_names_only(source: str) -> None:
    for name in identifiers(source):
        assert GENERATED.fullmatch(name) or name in FIXED or re.fullmatch(r"i\d+", name), (
            name,
            source,
        )


def test_input_named_np_computes_the_product_and_leaves_shared_alone():
    a = T.dmatrix("np")
    w_value = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = shared(w_value, name="W")
    f = function([a], T.dot(a, w))
    value = np.array([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(f(value), value @ w_value)
    np.testing.assert_array_equal(w.get_value(), w_value)


def test_input_named_missing_with_a_default_uses_the_default():
    x = T.dscalar("MISSING")
    f = function([In(x, value=3.0)], x * 2)
    assert f() == 6.0
    assert f(5.0) == 10.0
    assert f(MISSING=7.0) == 14.0


@pytest.mark.parametrize("name", ["_start", "perf_counter", "node_seconds", "call_count"])
def test_profiled_function_accepts_inputs_named_like_its_timers(name):
    x, y = T.dvector(name), T.dvector("y")
    f = function([x, y], T.tanh(x) * y, profile=True)
    a, b = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    np.testing.assert_allclose(f(a, b), np.tanh(a) * b)
    assert f.profile.calls == 1


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_hostile_input_names_change_nothing(name, mode):
    x, y = T.dmatrix(name), T.dvector("y")
    w = shared(np.array([[1.0, -1.0], [0.5, 2.0]]), name=name)
    out = T.tanh(T.dot(x, w) + y) * 2.0 + x.sum()
    f = function([x, In(y, value=np.array([0.25, -0.5]))], out, mode=mode, name=name)
    a = np.array([[1.0, 2.0], [3.0, -4.0]])
    b = np.array([0.25, -0.5])
    expected = np.tanh(a @ w.get_value() + b) * 2.0 + a.sum()
    np.testing.assert_allclose(f(a, b), expected)
    np.testing.assert_allclose(f(a), expected)
    np.testing.assert_allclose(f(**{name: a, "y": b}), expected)
    assert_generated_names_only(f.source)


@pytest.mark.parametrize("first, second", NFKC_PAIRS)
def test_names_equal_under_nfkc_stay_distinct_inputs(first, second):
    x, y = T.dvector(first), T.dvector(second)
    f = function([x, y], x - 2 * y)
    a, b = np.array([1.0, 2.0]), np.array([5.0, 7.0])
    np.testing.assert_array_equal(f(a, b), a - 2 * b)
    np.testing.assert_array_equal(f(**{first: a, second: b}), a - 2 * b)


def test_fullwidth_np_input_does_not_shadow_numpy():
    a = T.dmatrix("ｎｐ")
    w_value = np.array([[2.0, 0.0], [1.0, 1.0]])
    w = shared(w_value, name="W")
    f = function([a], T.dot(a, w))
    value = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(f(value), value @ w_value)
    np.testing.assert_array_equal(w.get_value(), w_value)


@pytest.mark.parametrize("name", ["np", "def", "a b", "x\ny", "ｎｐ", ""])
def test_function_name_is_only_shown(name):
    x = T.dvector("x")
    f = function([x], x + 1, name=name)
    np.testing.assert_array_equal(f(np.zeros(2)), [1.0, 1.0])
    assert "def compiled_function(" in f.source
    assert_generated_names_only(f.source)


def test_header_maps_generated_names_to_user_variables():
    x, lr = T.dmatrix("x"), T.dscalar("lr")
    w = shared(np.zeros((2, 2)), name="W")
    f = function([x, In(lr, value=0.5)], (x * 3.0).sum(), updates=[(w, w - lr * x)], name="step")
    header = [line for line in f.source.splitlines() if line.startswith("#")]
    assert header[0] == "# symgraph function 'step'; the generated names stand for:"
    assert "# a0: input 'x' (float64 matrix)" in header
    assert "# a1: input 'lr' (float64 scalar, has a default)" in header
    assert "# s0: shared variable 'W' (float64 matrix), updated" in header


def test_header_escapes_user_names():
    x = T.dvector("evil\nname\u2028")
    f = function([x], x * 2, name="f\rg")
    assert "# a0: input 'evil\\nname\\u2028' (float64 vector)" in f.source
    assert "# symgraph function 'f\\rg';" in f.source
    np.testing.assert_array_equal(f(np.ones(2)), [2.0, 2.0])


def test_header_lists_every_constant_the_body_uses():
    x = T.dmatrix("x")
    w = shared(np.ones((3, 3)), name="w")
    cost = (T.tanh(T.dot(x, w) + 1.5) ** 2).sum() + 3.5 * T.constant(np.arange(10.0)).sum()
    f = function([x], cost, updates=[(w, w - 0.1 * grad(cost, w))])
    lines = f.source.splitlines()
    listed = {m.group(1) for line in lines for m in [re.match(r"# (c\d+) = ", line)] if m}
    used = {name for name in identifiers(f.source) if re.fullmatch(r"c\d+", name)}
    assert used and used <= listed
    assert not [name for name in identifiers(f.source) if re.search(r"_\d+$", name)]


class TestKeywordCalls:
    """Theano's rules: keywords name inputs; a name given twice, an unknown name or a
    missing input is an error naming it; a keyword for a defaulted input lasts one call."""

    def make(self):
        x, y, z = T.dvector("x"), T.dvector("y"), T.dscalar("z")
        return function([x, y, In(z, value=10.0)], x * y + z, name="fn")

    def test_keywords_fill_positions(self):
        f = self.make()
        a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
        np.testing.assert_array_equal(f(y=b, x=a), a * b + 10.0)
        np.testing.assert_array_equal(f(a, y=b, z=1.0), a * b + 1.0)
        np.testing.assert_array_equal(f(a, b), a * b + 10.0)  # the keyword did not stick

    def test_unknown_name_lists_the_inputs(self):
        with pytest.raises(TypeError, match=r"no input named 'w'.*'x', 'y', 'z'"):
            self.make()(np.ones(2), w=np.ones(2))

    def test_value_given_twice(self):
        with pytest.raises(TypeError, match=r"two values for input 'x' \(position 0\)"):
            self.make()(np.ones(2), np.ones(2), x=np.ones(2))

    def test_missing_input(self):
        with pytest.raises(TypeError, match=r"missing input\(s\) 'y' \(position 1\)"):
            self.make()(x=np.ones(2))

    def test_too_many_positional_arguments(self):
        with pytest.raises(TypeError, match=r"takes 2 to 3 input\(s\).*got 4"):
            self.make()(np.ones(2), np.ones(2), 1.0, 2.0)
        with pytest.raises(TypeError, match=r"takes 2 to 3 input\(s\).*got 4"):
            self.make()(np.ones(2), np.ones(2), 1.0, 2.0, z=3.0)

    def test_ambiguous_name(self):
        x1, x2 = T.dscalar("x"), T.dscalar("x")
        f = function([x1, x2], x1 - x2)
        assert f(3.0, 1.0) == 2.0
        with pytest.raises(TypeError, match="ambiguous"):
            f(x=1.0, x2=2.0)

    def test_unnamed_input_only_positional(self):
        x = T.dvector()
        f = function([x], x * 2)
        np.testing.assert_array_equal(f(np.ones(2)), [2.0, 2.0])
        with pytest.raises(TypeError, match="no input named 'a0'"):
            f(a0=np.ones(2))

    def test_in_name_overrides_variable_name(self):
        x = T.dscalar("x")
        f = function([In(x, name="rate")], x + 1)
        assert f(rate=1.0) == 2.0
        with pytest.raises(TypeError, match="no input named 'x'"):
            f(x=1.0)
