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


CONV_SETTINGS = [
    # border_mode, subsample, filter_dilation, filter_flip
    ("valid", (1, 1), (1, 1), True),
    ("full", (2, 1), (1, 1), False),
    ("half", (1, 2), (2, 1), True),
    ((1, 2), (2, 2), (1, 2), False),
    (1, (1, 1), (2, 2), True),
]


def conv_reference(image, kernel, pads, subsample, dilation, flip):
    """A plain-loop 2-d convolution (Theano's semantics), written here as the reference."""
    if flip:
        kernel = kernel[:, :, ::-1, ::-1]
    image = np.pad(image, ((0, 0), (0, 0), (pads[0], pads[0]), (pads[1], pads[1])))
    batch, _, rows, cols = image.shape
    out_channels, channels, krows, kcols = kernel.shape
    span = ((krows - 1) * dilation[0] + 1, (kcols - 1) * dilation[1] + 1)
    out = np.zeros(
        (
            batch,
            out_channels,
            (rows - span[0]) // subsample[0] + 1,
            (cols - span[1]) // subsample[1] + 1,
        )
    )
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            r, c = i * subsample[0], j * subsample[1]
            patch = image[:, :, r : r + span[0] : dilation[0], c : c + span[1] : dilation[1]]
            out[:, :, i, j] = np.einsum("bchw,ochw->bo", patch, kernel)
    return out


def reference_pads(border_mode, kernel_shape, dilation):
    if isinstance(border_mode, int):
        border_mode = (border_mode, border_mode)
    span = [(k - 1) * d + 1 for k, d in zip(kernel_shape[2:], dilation)]
    if border_mode == "valid":
        return (0, 0)
    if border_mode == "full":
        return tuple(s - 1 for s in span)
    if border_mode == "half":
        return tuple(s // 2 for s in span)
    return border_mode


@pytest.mark.parametrize("border_mode, subsample, dilation, flip", CONV_SETTINGS)
def test_abstract_conv2d_ops_against_the_core_and_plain_loops(
    border_mode, subsample, dilation, flip
):
    rng = np.random.default_rng(3)
    image_shape, kernel_shape = (2, 3, 9, 8), (4, 3, 3, 2)
    settings = dict(
        border_mode=border_mode, subsample=subsample, filter_flip=flip, filter_dilation=dilation
    )
    x, w, gy = T.tensor4("x"), T.tensor4("w"), T.tensor4("gy")
    image, kernel = rng.normal(size=image_shape), rng.normal(size=kernel_shape)

    forward = A.AbstractConv2d(imshp=image_shape, kshp=kernel_shape, **settings)(x, w)
    out = function([x, w], forward)(image, kernel)
    pads = reference_pads(border_mode, kernel_shape, dilation)
    np.testing.assert_allclose(
        out, conv_reference(image, kernel, pads, subsample, dilation, flip), atol=1e-10
    )
    core = function([x, w], compat.tensor.nnet.conv2d(x, w, **settings))(image, kernel)
    np.testing.assert_allclose(out, core, atol=1e-12)

    # The two gradients are the transposes of the forward conv: symgraph.grad's.
    top = rng.normal(size=out.shape)
    cost = (symgraph.tensor.conv2d(x, w, **settings) * gy).sum()
    grad_x, grad_w = symgraph.grad(cost, [x, w])
    expected_x, expected_w = function([x, w, gy], [grad_x, grad_w])(image, kernel, top)
    grad_inputs = A.AbstractConv2d_gradInputs(imshp=image_shape, kshp=kernel_shape, **settings)
    grad_weights = A.AbstractConv2d_gradWeights(imshp=image_shape, kshp=kernel_shape, **settings)
    got_x = function([w, gy], grad_inputs(w, gy, image_shape[2:]))(kernel, top)
    got_w = function([x, gy], grad_weights(x, gy, kernel_shape[2:]))(image, top)
    np.testing.assert_allclose(got_x, expected_x, atol=1e-10)
    np.testing.assert_allclose(got_w, expected_w, atol=1e-10)
    # ... and the core's own functions
    core_x = A.conv2d_grad_wrt_inputs(gy, w, image_shape, **settings)
    core_w = A.conv2d_grad_wrt_weights(x, gy, kernel_shape, **settings)
    np.testing.assert_allclose(got_x, function([w, gy], core_x)(kernel, top), atol=1e-12)
    np.testing.assert_allclose(got_w, function([x, gy], core_w)(image, top), atol=1e-12)


def test_abstract_conv2d_gradients_by_finite_differences():
    rng = np.random.default_rng(5)
    op = A.AbstractConv2d(border_mode="half", subsample=(2, 1), filter_flip=False)
    symgraph.verify_grad(
        op, [rng.normal(size=(1, 2, 5, 4)), rng.normal(size=(3, 2, 3, 3))], rng=rng
    )
    grad_inputs = A.AbstractConv2d_gradInputs(border_mode=1, subsample=(2, 2))
    symgraph.verify_grad(
        lambda w, top: grad_inputs(w, top, (5, 6)),
        [rng.normal(size=(3, 2, 3, 3)), rng.normal(size=(1, 3, 3, 3))],
        rng=rng,
    )


def test_transposed_conv_layer_as_a_layer_library_builds_it():
    # A transposed convolution layer: the weights are (input channels, output channels,
    # rows, cols) of the forward conv it transposes; the output size comes from the
    # input's symbolic shape.
    rng = np.random.default_rng(11)
    stride, pad, weights_shape = (2, 2), (1, 1), (3, 5, 4, 4)
    W = T.tensor4("W")
    x = T.tensor4("x")
    output_size = [(x.shape[2 + i] - 1) * stride[i] - 2 * pad[i] + 4 for i in range(2)]
    op = A.AbstractConv2d_gradInputs(
        imshp=(None, 5, None, None),
        kshp=weights_shape,
        border_mode=pad,
        subsample=stride,
        filter_flip=False,
    )
    layer = function([W, x], op(W, x, output_size))
    kernel, inputs = rng.normal(size=weights_shape), rng.normal(size=(2, 3, 4, 3))
    out = layer(kernel, inputs)
    assert out.shape == (2, 5, 8, 6)
    # Every output pixel is the sum of the input pixels scattered onto it (plain loops).
    expected = np.zeros((2, 5, 8 + 2, 6 + 2))
    for i in range(inputs.shape[2]):
        for j in range(inputs.shape[3]):
            r, c = i * stride[0], j * stride[1]
            expected[:, :, r : r + 4, c : c + 4] += np.einsum(
                "bi,iohw->bohw", inputs[:, :, i, j], kernel
            )
    np.testing.assert_allclose(out, expected[:, :, 1:-1, 1:-1], atol=1e-10)
    # a symbolic shape vector works too, as Theano's grad passed ``bottom.shape[-2:]``
    like = T.tensor4("like")
    from_vector = function([W, x, like], op(W, x, like.shape[-2:]))
    np.testing.assert_allclose(from_vector(kernel, inputs, np.zeros((2, 5, 8, 6))), out)


def test_abstract_conv2d_settings_equality_and_text():
    op = A.AbstractConv2d(border_mode=(0, 0), subsample=[2, 1])
    assert op == A.AbstractConv2d(subsample=(2, 1)) and op.border_mode == "valid"
    assert hash(op) == hash(A.AbstractConv2d(subsample=(2, 1)))
    assert op != A.AbstractConv2d(subsample=(2, 1), filter_flip=False)
    assert op != A.AbstractConv2d_gradWeights(subsample=(2, 1))
    assert A.AbstractConv2d(border_mode=2).border_mode == (2, 2)
    assert str(A.AbstractConv2d_gradInputs(kshp=(4, 3, 3, 3))) == (
        "AbstractConv2d_gradInputs{convdim=2, border_mode='valid', subsample=(1, 1), "
        "filter_flip=True, imshp=(None, None, None, None), kshp=(4, 3, 3, 3), "
        "filter_dilation=(1, 1), num_groups=1, unshared=False}"
    )


def test_abstract_conv2d_bad_settings_and_shapes():
    with pytest.raises(ValueError, match="'valid', 'full', 'half'"):
        A.AbstractConv2d(border_mode="same")
    with pytest.raises(ValueError, match="exactly 2 values"):
        A.AbstractConv2d(border_mode=(1, 1, 1))
    with pytest.raises(ValueError, match="subsample must have 2"):
        A.AbstractConv2d(subsample=(1, 1, 1))
    with pytest.raises(ValueError, match="imshp should be None or a tuple of constant"):
        A.AbstractConv2d(imshp=(None, 3, T.lscalar("rows"), 5))
    with pytest.raises(NotImplementedError, match="unshared"):
        A.AbstractConv2d_gradWeights(unshared=True)
    with pytest.raises(ValueError, match="shape must hold the 2 spatial sizes"):
        A.AbstractConv2d_gradInputs()(T.tensor4("w"), T.tensor4("top"), (1, 2, 5, 5))
    w, top = T.tensor4("w"), T.tensor4("top")
    f = function([w, top], A.AbstractConv2d_gradInputs(kshp=(4, 3, 3, 3))(w, top, (5, 5)))
    with pytest.raises(AssertionError, match="does not match given kshp"):
        f(np.ones((4, 3, 2, 2)), np.ones((1, 4, 4, 4)))
    x = T.tensor4("x")
    g = function([x, w], A.AbstractConv2d(imshp=(1, 3, 5, 5))(x, w))
    with pytest.raises(ValueError, match="input_shape"):
        g(np.ones((1, 3, 6, 5)), np.ones((4, 3, 3, 3)))
