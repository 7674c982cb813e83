"""``theano.tensor.signal.pool``: the op classes called and printed as Theano's,
``Pool.out_shape``, ``pool_3d`` and its deprecated spellings."""

import warnings

import numpy as np
import pytest

from symgraph.compat.theano._util import TheanoDeprecationWarning


def _blocks_max(value, ws):
    """Max pooling of windows that tile the last ``len(ws)`` axes, by reshaping."""
    nd, lead = len(ws), value.shape[: value.ndim - len(ws)]
    shape = lead + sum(((n // w, w) for n, w in zip(value.shape[-nd:], ws)), ())
    axes = tuple(len(lead) + 2 * k + 1 for k in range(nd))
    return value.reshape(shape).max(axis=axes)


def test_op_classes_print_as_theano_did(theano):
    from theano.tensor.signal import pool

    assert str(pool.Pool(ignore_border=True)) == "Pool{ignore_border=True, mode='max', ndim=2}"
    assert (
        str(pool.Pool(False, "average_exc_pad", 3))
        == "Pool{ignore_border=False, mode='average_exc_pad', ndim=3}"
    )
    assert str(pool.MaxPoolGrad(True)) == "MaxPoolGrad{ignore_border=True, mode='max', ndim=2}"
    assert (
        str(pool.AveragePoolGrad(True, mode="sum", ndim=1))
        == "AveragePoolGrad{ignore_border=True, mode='sum', ndim=1}"
    )
    assert (
        str(pool.DownsampleFactorMaxGradGrad(False))
        == "DownsampleFactorMaxGradGrad{ignore_border=False, mode='max', ndim=2}"
    )
    with pytest.raises(ValueError, match="mode 'max' only"):
        pool.DownsampleFactorMaxGradGrad(True, "sum")


def test_ops_called_with_theano_signatures(theano):
    from theano.tensor.signal import pool

    T = theano.tensor
    x, gz = T.dtensor4("x"), T.dtensor4("gz")
    value = np.random.default_rng(0).permutation(2 * 3 * 4 * 6).reshape(2, 3, 4, 6) * 1.0
    y = pool.Pool(ignore_border=True, mode="max", ndim=2)(x, (2, 3), (2, 3), (0, 0))
    gx = pool.MaxPoolGrad(True)(x, y, gz, (2, 3))
    ggy = pool.DownsampleFactorMaxGradGrad(True)(x, y, x, (2, 3))
    avg = pool.AveragePoolGrad(True, mode="average_inc_pad")(x, gz, (2, 3), None, (1, 1))
    f = theano.function([x, gz], [y, gx, ggy, theano.grad((y * gz).sum(), x)])
    gz_value = np.random.default_rng(1).random((2, 3, 2, 2))
    y_v, gx_v, ggy_v, grad_v = f(value, gz_value)
    np.testing.assert_array_equal(y_v, _blocks_max(value, (2, 3)))
    np.testing.assert_array_equal(gx_v, grad_v)
    np.testing.assert_array_equal(ggy_v, y_v)  # the sum of x over each window's max cell
    at_max = value == np.repeat(np.repeat(y_v, 2, axis=2), 3, axis=3)
    np.testing.assert_array_equal(gx_v, at_max * np.repeat(np.repeat(gz_value, 2, 2), 3, 3))
    # padded average (inc. padding): the same as averaging a zero-padded input
    avg_out = pool.Pool(True, "average_inc_pad")(x, (2, 3), None, (1, 1))
    assert theano.function([x], avg_out)(value).shape == (2, 3, 3, 2)
    want = theano.function([x, gz], theano.grad((avg_out * gz).sum(), x))
    gz3 = np.random.default_rng(2).random((2, 3, 3, 2))
    np.testing.assert_allclose(
        theano.function([x, gz], avg)(value, gz3), want(value, gz3), rtol=1e-12
    )
    assert isinstance(y.owner.op, pool.Pool) and isinstance(gx.owner.op, pool.MaxPoolGrad)


def test_out_shape(theano):
    from theano.tensor.signal.pool import Pool

    T = theano.tensor
    assert Pool.out_shape((2, 3, 5, 5), (2, 2), ignore_border=True) == [2, 3, 2, 2]
    assert Pool.out_shape((2, 3, 5, 5), (2, 2), ignore_border=False) == [2, 3, 3, 3]
    assert Pool.out_shape((5, 5), (3, 3), True, (2, 2), (1, 1)) == [3, 3]
    assert Pool.out_shape((4, 7, 8, 9), (2, 3, 4), False, (1, 2, 3), None, 3) == [4, 6, 4, 3]
    with pytest.raises(TypeError, match="at least 3"):
        Pool.out_shape((5, 5), (2, 2, 2), ndim=3)
    # symbolic sizes give symbolic lengths, computed as the op computes them
    x = T.dtensor4("x")
    for ignore_border, stride, pad in [(True, (1, 2), (1, 0)), (False, (3, 1), (0, 0))]:
        shape = Pool.out_shape(x.shape, (2, 2), ignore_border, stride, pad)
        out = Pool(ignore_border)(x, (2, 2), stride, pad)
        value = np.zeros((2, 3, 7, 5))
        got = theano.function([x], T.stack(shape[2:]))(value)
        np.testing.assert_array_equal(got, theano.function([x], out)(value).shape[2:])


def test_pool_3d_and_its_deprecated_spellings(theano):
    from theano.tensor.signal import pool

    T = theano.tensor
    x = T.dtensor4("x")
    value = np.random.default_rng(3).normal(size=(2, 4, 6, 3))
    out = pool.pool_3d(x, (2, 3, 3), ignore_border=True)
    assert out.owner.op == pool.Pool(True, "max", 3)
    np.testing.assert_array_equal(theano.function([x], out)(value), _blocks_max(value, (2, 3, 3)))
    with pytest.warns(TheanoDeprecationWarning) as record:
        old = pool.pool_3d(x, ds=(2, 2, 2), st=(1, 1, 1), padding=(1, 1, 1), ignore_border=True)
    messages = " ".join(str(w.message) for w in record)
    assert all(f"the '{name}' parameter" in messages for name in ("ds", "st", "padding"))
    new = pool.pool_3d(x, ws=(2, 2, 2), stride=(1, 1, 1), pad=(1, 1, 1), ignore_border=True)
    np.testing.assert_array_equal(
        theano.function([x], old)(value), theano.function([x], new)(value)
    )
    with pytest.warns(UserWarning, match=r"pool_3d\(\) will have the parameter ignore_border"):
        unset = pool.pool_3d(x, (2, 2, 2))
    assert unset.owner.op.ignore_border is False
    with pytest.raises(NotImplementedError, match="pool_3d requires a dimension >= 3"):
        pool.pool_3d(T.dmatrix("m"), (2, 2, 2), ignore_border=True)
    # symbolic windows, as Theano's Pool took them
    ws = T.lvector("ws")
    f = theano.function([x, ws], pool.pool_2d(x, ws, ignore_border=True))
    np.testing.assert_array_equal(f(value, [2, 3]), _blocks_max(value, (2, 3)))


def test_downsample_module_keeps_the_gradient_classes(theano):
    with warnings.catch_warnings():  # the module warns when first imported
        warnings.simplefilter("ignore", TheanoDeprecationWarning)
        from theano.tensor.signal import downsample, pool
    assert downsample.DownsampleFactorMaxGradGrad is pool.DownsampleFactorMaxGradGrad
    assert downsample.MaxPoolGrad is pool.MaxPoolGrad
