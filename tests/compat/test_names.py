"""Small names Theano-based code imports: ``theano.compat``, the GPU modules reporting no
GPU, ``theano.tensor.subtensor``'s op classes, ``theano.tensor.Variable``."""

import numpy as np


def test_compat_python2_names(theano):
    from theano.compat import OrderedDict, imap, izip

    assert list(izip([1, 2], "ab")) == [(1, "a"), (2, "b")]
    assert list(imap(str, [1])) == ["1"] and OrderedDict is not None


def test_gpu_modules_report_no_gpu(theano):
    import theano.gpuarray
    import theano.sandbox.cuda
    from theano.gpuarray import dnn
    from theano.sandbox.cuda import dnn as cuda_dnn

    assert theano.gpuarray.pygpu_activated is False
    assert dnn.dnn_present() is False and dnn.dnn_available(None) is False
    assert theano.sandbox.cuda.cuda_available is False
    assert cuda_dnn.dnn_available() is False


def test_variable_is_the_graph_variable(theano):
    x = theano.tensor.dmatrix()
    assert isinstance(x, theano.tensor.Variable) and isinstance(x + 1, theano.tensor.Variable)
    assert not isinstance(np.ones(2), theano.tensor.Variable)


def test_subtensor_op_classes(theano):
    from theano.tensor.subtensor import AdvancedSubtensor, AdvancedSubtensor1, Subtensor

    T = theano.tensor
    x, rows = T.dmatrix("x"), T.lvector("rows")
    assert isinstance(x[1:].owner.op, Subtensor)
    assert not isinstance(x[1:].owner.op, AdvancedSubtensor)
    assert isinstance(x[rows].owner.op, AdvancedSubtensor)
    assert isinstance(x[rows].owner.op, AdvancedSubtensor1)
    assert not isinstance(np.ones(2), AdvancedSubtensor)
    value = np.arange(12.0).reshape(4, 3)
    picked = theano.function([x, rows], AdvancedSubtensor1()(x, rows))(value, [3, 0, 3])
    np.testing.assert_array_equal(picked, value[[3, 0, 3]])
    cols = T.lvector("cols")
    both = theano.function([x, rows, cols], AdvancedSubtensor()(x, rows, cols))
    np.testing.assert_array_equal(both(value, [1, 2], [0, 2]), value[[1, 2], [0, 2]])


def test_config_warn_subtensor_merge_bug(theano):
    assert theano.config.warn.subtensor_merge_bug in (True, False)
