"""``theano.tensor.nnet.abstract_conv``: Theano 1.0's shape helpers (values computed by
hand from its formulas) and bilinear upsampling (against a NumPy interpolation written
here, and by finite differences)."""

import numpy as np
import pytest

import symgraph
import symgraph.compat.theano as compat
from symgraph.compat.theano.tensor.nnet import abstract_conv as A
from symgraph.compile.function import function
from symgraph.tensor import constructors as T
from symgraph.tensor.variable import constant


@pytest.mark.parametrize(
    "image, kernel, border_mode, subsample, dilation, expected",
    [
        # out = (image + 2 * pad - dilated_kernel) // subsample + 1
        ((2, 3, 7, 9), (4, 3, 3, 5), "valid", (1, 1), None, (2, 4, 5, 5)),
        ((2, 3, 7, 9), (4, 3, 3, 5), "full", (1, 1), None, (2, 4, 9, 13)),
        ((2, 3, 7, 9), (4, 3, 3, 5), "half", (1, 1), None, (2, 4, 7, 9)),
        ((2, 3, 7, 9), (4, 3, 3, 5), (1, 2), (2, 3), None, (2, 4, 4, 3)),
        ((2, 3, 7, 9), (4, 3, 3, 3), 0, (1, 1), (2, 3), (2, 4, 3, 3)),
        # kernels larger than the image: Theano returned the formula's size, not an error
        ((2, 3, 3, 3), (4, 3, 5, 5), "valid", (1, 1), None, (2, 4, -1, -1)),
        ((1, 1, 2, 4), (1, 1, 3, 4), "valid", (1, 1), None, (1, 1, 0, 1)),
        ((1, 1, 2, 2), (1, 1, 5, 5), "valid", (2, 2), None, (1, 1, -1, -1)),
        # unknown sizes stay unknown
        ((None, 3, None, 9), (4, 3, 3, None), "valid", (1, 1), None, (None, 4, None, None)),
        # 3-d
        ((2, 3, 5, 6, 7), (4, 3, 3, 3, 3), "half", (1, 2, 1), None, (2, 4, 5, 3, 7)),
    ],
)
def test_get_conv_output_shape(image, kernel, border_mode, subsample, dilation, expected):
    assert A.get_conv_output_shape(image, kernel, border_mode, subsample, dilation) == expected


def test_get_conv_output_shape_on_symbolic_sizes():
    rows = T.lscalar("rows")
    shape = A.get_conv_output_shape((2, 3, rows, 8), (4, 3, 3, 3), "valid", (2, 1))
    assert shape[:2] == (2, 4) and shape[3] == 6
    assert function([rows], shape[2])(11) == (11 - 3) // 2 + 1
    with pytest.raises(ValueError, match=">= 0"):
        A.get_conv_shape_1axis(5, 3, -1, 1)


@pytest.mark.parametrize(
    "kernel, top, border_mode, subsample, dilation, expected",
    [
        ((4, 3, 3, 5), (2, 4, 5, 5), "valid", (1, 1), None, (2, 3, 7, 9)),
        ((4, 3, 3, 5), (2, 4, 9, 13), "full", (1, 1), None, (2, 3, 7, 9)),
        ((4, 3, 3, 5), (2, 4, 7, 9), "half", (1, 1), None, (2, 3, 7, 9)),
        ((4, 3, 3, 3), (2, 4, 5, 5), (1, 2), (1, 1), None, (2, 3, 5, 3)),
        ((4, 3, 3, 3), (2, 4, 3, 3), "valid", (1, 1), (2, 3), (2, 3, 7, 9)),
        # a subsample above 1: several image sizes fit, so None
        ((4, 3, 3, 3), (2, 4, 3, 3), "valid", (2, 1), None, (2, 3, None, 5)),
    ],
)
def test_get_conv_gradinputs_shape(kernel, top, border_mode, subsample, dilation, expected):
    assert A.get_conv_gradinputs_shape(kernel, top, border_mode, subsample, dilation) == expected


@pytest.mark.parametrize(
    "image, top, border_mode, subsample, dilation, expected",
    [
        ((2, 3, 7, 9), (2, 4, 5, 5), "valid", (1, 1), None, (4, 3, 3, 5)),
        ((2, 3, 7, 9), (2, 4, 9, 13), "full", (1, 1), None, (4, 3, 3, 5)),
        ((2, 3, 7, 9), (2, 4, 7, 9), (1, 2), (1, 1), None, (4, 3, 3, 5)),
        ((2, 3, 7, 9), (2, 4, 3, 3), "valid", (1, 1), (2, 3), (4, 3, 3, 3)),
        # 'half' and subsample above 1 do not determine the kernel size
        ((2, 3, 7, 9), (2, 4, 7, 9), "half", (1, 1), None, (4, 3, None, None)),
        ((2, 3, 7, 9), (2, 4, 3, 5), "valid", (2, 1), None, (4, 3, None, 5)),
    ],
)
def test_get_conv_gradweights_shape(image, top, border_mode, subsample, dilation, expected):
    assert A.get_conv_gradweights_shape(image, top, border_mode, subsample, dilation) == expected


def test_shape_helpers_agree_with_the_convolution():
    rng = np.random.default_rng(0)
    x = T.tensor4("x")
    w = T.tensor4("w")
    image, kernel = (2, 3, 8, 7), (4, 3, 3, 2)
    for border_mode in ("valid", "full", "half", (1, 2)):
        out = compat.tensor.nnet.conv2d(x, w, border_mode=border_mode)
        value = function([x, w], out)(rng.normal(size=image), rng.normal(size=kernel))
        shape = A.get_conv_output_shape(image, kernel, border_mode, (1, 1))
        assert value.shape == shape
        assert A.get_conv_gradinputs_shape(kernel, shape, border_mode, (1, 1)) == image
        if border_mode != "half":
            assert A.get_conv_gradweights_shape(image, shape, border_mode, (1, 1)) == kernel


def test_check_conv_gradinputs_shape():
    image, kernel = (2, 3, 7, 9), (4, 3, 3, 5)
    assert A.check_conv_gradinputs_shape(image, kernel, (2, 4, 5, 5), "valid", (1, 1))
    assert not A.check_conv_gradinputs_shape(image, kernel, (2, 4, 5, 6), "valid", (1, 1))
    assert not A.check_conv_gradinputs_shape(image, kernel, (2, 5, 5, 5), "valid", (1, 1))
    # unknown and symbolic sizes cannot be refuted
    assert A.check_conv_gradinputs_shape(image, kernel, (None, 4, T.lscalar(), 5), "valid", (1, 1))
    assert A.check_conv_gradinputs_shape(
        image, kernel, (2, 4, constant(np.int64(5)), 5), "valid", (1, 1)
    )
    assert not A.check_conv_gradinputs_shape(
        image, kernel, (2, 4, constant(np.int64(4)), 5), "valid", (1, 1)
    )
    # ranks that do not fit
    assert not A.check_conv_gradinputs_shape(image, kernel, (2, 4, 5), "valid", (1, 1))
    assert not A.check_conv_gradinputs_shape(image, kernel, (2, 4, 5, 5), "valid", (1, 1, 1))
    assert not A.check_conv_gradinputs_shape(image, kernel, (2, 4, 5, 5), "valid", (1, 1), (1,))


def test_assert_conv_shape():
    assert A.assert_conv_shape((0, 3, 5, 1)) == (0, 3, 5, 1)
    with pytest.raises(ValueError, match=r"invalid shape \(dim\[1\]: -1 < 0\)"):
        A.assert_conv_shape((2, -1, 5, 5))
    with pytest.raises(ValueError, match=r"invalid shape \(dim\[3\]: 0 <= 0\)"):
        A.assert_conv_shape((2, 3, 5, 0))
    rows = T.lscalar("rows")
    checked = A.assert_conv_shape((2, 3, rows - 4, 5))
    assert checked[0] == 2 and checked[3] == 5
    f = function([rows], checked[2])
    assert f(7) == 3
    with pytest.raises(AssertionError, match=r"invalid shape \(dim\[2\] <= 0\)"):
        f(4)


def test_assert_shape():
    x = T.dmatrix("x")
    checked = A.assert_shape(x, (None, 3), "wrong width")
    f = function([x], checked)
    np.testing.assert_array_equal(f(np.ones((5, 3))), np.ones((5, 3)))
    with pytest.raises(AssertionError, match="wrong width"):
        f(np.ones((5, 2)))
    assert A.assert_shape(x, (None, None)) is x and A.assert_shape(x, None) is x


def test_bilinear_kernels():
    with compat.change_flags(floatX="float32"):
        k2 = A.bilinear_kernel_1D(2).eval()
        assert k2.dtype == np.float32
    np.testing.assert_allclose(k2, [0.5, 1, 0.5])
    np.testing.assert_allclose(A.bilinear_kernel_1D(3).eval(), np.array([1, 2, 3, 2, 1]) / 3)
    np.testing.assert_allclose(A.bilinear_kernel_1D(3, normalize=False).eval(), [1, 2, 3, 2, 1])
    k23 = A.bilinear_kernel_2D((2, 3)).eval()
    np.testing.assert_allclose(k23, np.outer([0.5, 1, 0.5], np.array([1, 2, 3, 2, 1]) / 3))
    np.testing.assert_allclose(
        A.bilinear_kernel_2D(2).eval(), np.outer([0.5, 1, 0.5], [0.5, 1, 0.5])
    )


def interpolate_1d(values, ratio):
    """Bilinear upsampling along the last axis, written directly: output ``i`` sits at
    input coordinate ``(i - (ratio - 1) // 2) / ratio``, clipped to the image (the edge
    repeated), and is the linear interpolation of the two nearest inputs. Worked by hand
    from Theano's padded transposed convolution: ratio 2 gives ``[a, b] -> [a, (a+b)/2,
    b, b]`` (the last value once more than the first, as its docstring says of even
    ratios), ratio 3 ``[a, a, (2a+b)/3, (a+2b)/3, b, b]``."""
    n = values.shape[-1]
    offset = (ratio - 1) // 2  # outputs before the first one that copies input 0
    position = (np.arange(n * ratio) - offset) / ratio  # input coordinate of each output
    position = np.clip(position, 0, n - 1)
    below = np.floor(position).astype(int)
    above = np.minimum(below + 1, n - 1)
    weight = position - below
    return values[..., below] * (1 - weight) + values[..., above] * weight


def bilinear_reference(images, ratio):
    rows = interpolate_1d(np.swapaxes(images, -1, -2), ratio)
    return interpolate_1d(np.swapaxes(rows, -1, -2), ratio)


def test_interpolation_reference_by_hand():
    a, b = 2.0, 6.0
    np.testing.assert_allclose(interpolate_1d(np.array([a, b]), 2), [a, (a + b) / 2, b, b])
    np.testing.assert_allclose(
        interpolate_1d(np.array([a, b]), 3), [a, a, (2 * a + b) / 3, (a + 2 * b) / 3, b, b]
    )


@pytest.mark.parametrize("ratio", [2, 3, 4])
@pytest.mark.parametrize("use_1d", [True, False])
def test_bilinear_upsampling_against_numpy(ratio, use_1d):
    rng = np.random.default_rng(ratio)
    x = T.tensor4("x")
    up = A.bilinear_upsampling(x, ratio, batch_size=2, num_input_channels=3, use_1D_kernel=use_1d)
    value = rng.normal(size=(2, 3, 4, 5))
    result = function([x], up)(value)
    assert result.shape == (2, 3, 4 * ratio, 5 * ratio)
    np.testing.assert_allclose(result, bilinear_reference(value, ratio), atol=1e-12)
    # a constant image stays constant (the kernel is normalized, the edges repeated)
    np.testing.assert_allclose(function([x], up)(np.full((2, 3, 2, 2), 1.5)), 1.5)


def test_bilinear_upsampling_gradient():
    rng = np.random.default_rng(7)
    symgraph.verify_grad(
        lambda v: A.bilinear_upsampling(v, 2), [rng.normal(size=(1, 2, 3, 3))], rng=rng
    )
    symgraph.verify_grad(
        lambda v: A.bilinear_upsampling(v, 3, use_1D_kernel=False),
        [rng.normal(size=(2, 1, 2, 3))],
        rng=rng,
    )


def test_bilinear_upsampling_arguments():
    x = T.tensor4("x")
    with pytest.raises(ValueError, match="No ratio"):
        A.bilinear_upsampling(x)
    with pytest.raises(ValueError, match="together"):
        A.bilinear_upsampling(x, 2, frac_ratio=(3, 2))
    with pytest.raises(NotImplementedError, match="frac_ratio"):
        A.bilinear_upsampling(x, frac_ratio=(3, 2), use_1D_kernel=False)
