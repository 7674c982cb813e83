"""``theano.tensor``'s plural constructors behave as Theano 1.0's did."""

import pytest

from symgraph.compat.theano import tensor as T


def test_a_lone_string_is_a_sequence_of_one_letter_names():
    x, y = T.dmatrices("xy")
    assert (x.name, y.name) == ("x", "y")
    assert x.type == T.dmatrix().type and x is not y


def test_a_single_name_gives_the_variable_itself():
    w = T.fvectors("w")
    assert not isinstance(w, list) and w.name == "w" and w.type == T.fvector().type


def test_several_names_and_a_count():
    a, b = T.iscalars("a", "b")
    assert (a.name, b.name) == ("a", "b") and a.dtype == "int32"
    unnamed = T.tensor4s(3)
    assert len(unnamed) == 3 and all(v.name is None and v.ndim == 4 for v in unnamed)


@pytest.mark.parametrize("name", ["scalars", "matrices", "rows", "cols", "ltensor3s", "btensor4s"])
def test_every_plural_is_theanos(name):
    made = getattr(T, name)("pq")
    assert [v.name for v in made] == ["p", "q"]
    assert (
        made[0].type
        == getattr(T, name[:-3] + "x" if name.endswith("matrices") else name[:-1])().type
    )
