"""``images2neibs`` / ``neibs2images``: every mode against Theano's loops written here, in
both modes; gradients against finite differences; the two ops are each other's transpose."""

import numpy as np
import pytest
from helpers import neighbours_reference
from hypothesis import given, settings
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T

MODES = ["FAST_RUN", "FAST_COMPILE"]


def fitting(data, mode):
    """A patch shape, steps and an image shape the mode accepts."""
    odd = st.sampled_from([1, 3])
    neib = (
        (data.draw(odd), data.draw(odd))
        if mode == "wrap_centered"
        else (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    )
    step = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    sizes = []
    for patch, stride in zip(neib, step):
        if mode in ("valid", "half", "full"):
            pad = {"half": patch // 2, "full": patch - 1}.get(mode, 0)
            grid = data.draw(st.integers(1, 3))
            size = (grid - 1) * stride + patch - 2 * pad
            if size < patch:  # the modes also need the image at least as big as a patch
                size += ((patch - size + stride - 1) // stride) * stride
        else:
            size = data.draw(st.integers(patch, patch + 4))
        sizes.append(size)
    shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)), *sizes)
    return neib, step, shape


@pytest.mark.parametrize("compile_mode", MODES)
@pytest.mark.parametrize("mode", ["valid", "ignore_borders", "half", "full", "wrap_centered"])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_patches_match_theanos_loops(mode, compile_mode, data):
    neib, step, shape = fitting(data, mode)
    value = np.random.default_rng(0).normal(size=shape)
    x = T.dtensor4("x")
    out = T.images2neibs(x, neib, step, mode)
    result, size = symgraph.function([x], [out, out.shape], mode=compile_mode)(value)
    expected = neighbours_reference(value, neib, step, mode)
    np.testing.assert_array_equal(result, expected)
    assert tuple(size) == expected.shape


@pytest.mark.parametrize("mode", ["valid", "ignore_borders", "half", "full", "wrap_centered"])
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_neibs2images_is_the_transpose(mode, data):
    # <images2neibs(x), y> == <x, neibs2images(y)> for all x, y
    neib, step, shape = fitting(data, mode)
    rng = np.random.default_rng(1)
    image, x, y = rng.normal(size=shape), T.dtensor4("x"), T.dmatrix("y")
    rows = symgraph.function([x], T.images2neibs(x, neib, step, mode))(image)
    other = rng.normal(size=rows.shape)
    back = symgraph.function([y], T.neibs2images(y, neib, shape, mode, step))(other)
    assert back.shape == shape
    np.testing.assert_allclose(np.sum(rows * other), np.sum(image * back))


def test_neibs2images_inverts_disjoint_neighbours_reference():
    value = np.arange(2 * 3 * 4 * 6, dtype=float).reshape(2, 3, 4, 6)
    x = T.dtensor4("x")
    rows = T.images2neibs(x, (2, 3))
    rebuilt = T.neibs2images(rows, (2, 3), x.shape)
    np.testing.assert_array_equal(rebuilt.eval({x: value}), value)
    # ignore_borders: the cells no patch covers come back as zeros
    odd = np.arange(1 * 1 * 5 * 7, dtype=float).reshape(1, 1, 5, 7)
    rebuilt = T.neibs2images(
        T.images2neibs(x, (2, 3), mode="ignore_borders"), (2, 3), x.shape, "ignore_borders"
    )
    expected = odd.copy()
    expected[:, :, 4:, :] = 0
    expected[:, :, :, 6:] = 0
    np.testing.assert_array_equal(rebuilt.eval({x: odd}), expected)


@pytest.mark.parametrize("compile_mode", MODES)
@pytest.mark.parametrize(
    "mode, neib, step, shape",
    [
        ("valid", (2, 2), None, (2, 1, 4, 4)),
        ("valid", (2, 3), (1, 2), (1, 2, 4, 5)),
        ("ignore_borders", (2, 2), (2, 3), (1, 1, 5, 6)),
        ("half", (3, 2), (1, 1), (1, 1, 4, 3)),
        ("full", (2, 2), (1, 2), (1, 1, 3, 4)),
        ("wrap_centered", (3, 3), (2, 2), (1, 2, 4, 5)),
    ],
)
def test_gradients(mode, neib, step, shape, compile_mode):
    rng = np.random.default_rng(2)
    image = rng.normal(size=shape)
    symgraph.verify_grad(
        lambda x: T.images2neibs(x, neib, step, mode) ** 2, [image], rng=rng, mode=compile_mode
    )
    rows = neighbours_reference(image, neib, step or neib, mode)
    symgraph.verify_grad(
        lambda y: T.neibs2images(y, neib, shape, mode, step) ** 2,
        [rows],
        rng=rng,
        mode=compile_mode,
    )


def test_errors_name_the_variable_and_the_shapes():
    x = T.tensor(dtype="float64", shape=(1, 1, 5, 5), name="photos")
    with pytest.raises(ValueError, match="photos.*ignore_borders|ignore_borders.*photos"):
        T.images2neibs(x, (2, 2))
    with pytest.raises(TypeError, match="'m'|m \\("):
        T.images2neibs(T.dmatrix("m"), (2, 2))
    with pytest.raises(ValueError, match="odd"):
        T.images2neibs(x, (2, 3), mode="wrap_centered")
    with pytest.raises(ValueError, match="mode"):
        T.images2neibs(x, (2, 2), mode="same")
    y = T.dtensor4("y")
    f = symgraph.function([y], T.images2neibs(y, (2, 2)))
    with pytest.raises(ValueError, match="do not fit"):
        f(np.zeros((1, 1, 5, 4)))


def test_theano_module():
    import importlib

    neighbours = importlib.import_module("symgraph.compat.theano.tensor.nnet.neighbours")
    from symgraph.compat.theano.tensor import nnet

    assert neighbours.images2neibs is T.images2neibs is nnet.images2neibs
    assert nnet.neibs2images is T.neibs2images
