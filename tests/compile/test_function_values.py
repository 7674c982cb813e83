"""Values crossing into symgraph keep the types the graph was built for.

A shared variable's static shape and broadcast pattern are promises the rewrites rely on:
an update or ``set_value`` that breaks them is refused, and a refused update changes no
shared variable. Inputs, defaults and shared values are stored as plain ``ndarray``s:
``np.matrix`` keeps two dimensions through reductions, a masked array's mask would be
dropped silently, and a foreign buffer must not stay aliased unless borrowed.
"""

import array

import numpy as np
import pytest

import symgraph.tensor as T
from symgraph import In, function, shared

# np.matrix is what these tests feed in; NumPy warns about its use.
pytestmark = pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")


class TestUpdatesKeepStaticShapes:
    def test_update_longer_than_the_static_length_is_refused(self):
        s = shared(np.zeros(3), shape=(3,), name="s")
        v = T.dvector("v")
        f = function([v], [], updates=[(s, v)])
        with pytest.raises(TypeError) as info:
            f(np.ones(4))
        message = str(info.value)
        assert "'s'" in message and "(3,)" in message and "(4,)" in message
        np.testing.assert_array_equal(s.get_value(), np.zeros(3))
        mean_and_length = function([], [s.mean(), s.shape[0]])()
        assert mean_and_length[0] == 0.0 and mean_and_length[1] == 3
        f(np.arange(3.0))
        np.testing.assert_array_equal(s.get_value(), [0.0, 1.0, 2.0])

    def test_broadcastable_bias_refuses_more_rows(self):
        bias = shared(np.zeros((1, 3)), broadcastable=(True, False), name="bias")
        m = T.dmatrix("m")
        f = function([m], [], updates=[(bias, m)])
        with pytest.raises(TypeError, match=r"'bias'.*\(1, \?\).*\(2, 3\)"):
            f(np.ones((2, 3)))
        assert bias.get_value().shape == (1, 3)
        with pytest.raises(TypeError, match=r"'bias'.*\(1, \?\).*\(2, 3\)"):
            bias.set_value(np.ones((2, 3)))
        assert bias.get_value().shape == (1, 3)
        x = T.dmatrix("x")
        add = function([x], x + bias)
        np.testing.assert_array_equal(add(np.ones((2, 3))), np.ones((2, 3)))

    @pytest.mark.parametrize("bad_first", [True, False])
    def test_refused_update_changes_no_shared_variable(self, bad_first):
        fixed = shared(np.zeros(2), shape=(2,), name="fixed")
        free = shared(np.zeros(2), name="free")
        counter = shared(np.int64(0), name="counter")
        v = T.dvector("v")
        pairs = [(fixed, v), (free, v * 2), (counter, counter + 1)]
        f = function([v], [], updates=pairs if bad_first else pairs[::-1])
        with pytest.raises(TypeError, match="'fixed'"):
            f(np.ones(5))
        np.testing.assert_array_equal(free.get_value(), [0.0, 0.0])
        assert counter.get_value() == 0


class TestPlainArrays:
    def test_matrix_input_reduces_like_an_ndarray(self):
        x = T.dmatrix("x")
        f = function([x], [x.sum(axis=1).sum(), x.sum(axis=1)])
        value = [[1.0, 2.0], [3.0, 4.0]]
        total, rows = f(np.matrix(value))
        assert total.shape == () and total == 10.0
        assert type(rows) is np.ndarray and rows.shape == (2,)
        np.testing.assert_array_equal(rows, np.array(value).sum(axis=1))

    @pytest.mark.parametrize("borrow", [False, True])
    def test_shared_values_from_matrices_are_ndarrays(self, borrow):
        w = shared(np.matrix([[1.0, 2.0], [0.0, 0.0]]), name="w", borrow=borrow)
        assert type(w.get_value(borrow=True)) is np.ndarray
        w.set_value(np.matrix([[1.0, 2.0], [3.0, 4.0]]), borrow=borrow)
        assert type(w.get_value(borrow=True)) is np.ndarray
        np.testing.assert_array_equal(function([], w.sum(axis=1))(), [3.0, 7.0])

    def test_matrix_default_is_an_ndarray(self):
        x = T.dmatrix("x")
        f = function([In(x, value=np.matrix([[1.0, 2.0], [3.0, 4.0]]))], x.sum(axis=1))
        assert type(f["x"]) is np.ndarray
        np.testing.assert_array_equal(f(), [3.0, 7.0])
        f["x"] = np.matrix([[1.0, 1.0]])
        assert type(f["x"]) is np.ndarray
        np.testing.assert_array_equal(f(), [2.0])

    def test_set_value_copies_a_foreign_buffer_unless_borrowed(self):
        u = shared(np.zeros(3), name="u")
        for make in (
            lambda: array.array("d", [1.0, 2.0, 3.0]),
            lambda: memoryview(bytearray(np.array([1.0, 2.0, 3.0]).tobytes())).cast("d"),
        ):
            buffer = make()
            u.set_value(buffer)
            buffer[0] = 99.0
            np.testing.assert_array_equal(u.get_value(), [1.0, 2.0, 3.0])
            u.set_value(buffer, borrow=True)  # borrowing is asking for the alias
            buffer[0] = 42.0
            assert u.get_value()[0] == 42.0

    def test_default_is_copied(self):
        x = T.dvector("x")
        value = np.ones(2)
        f = function([In(x, value=value)], x * 2)
        value[0] = 5.0
        np.testing.assert_array_equal(f(), [2.0, 2.0])

    def test_masked_arrays_are_refused(self):
        masked = np.ma.array([1.0, 2.0], mask=[True, False])
        with pytest.raises(TypeError, match="masked"):
            shared(masked, name="m")
        u = shared(np.zeros(2), name="u")
        with pytest.raises(TypeError, match=r"'u'.*masked"):
            u.set_value(masked)
        np.testing.assert_array_equal(u.get_value(), [0.0, 0.0])
        x = T.dvector("x")
        f = function([x], x * 2)
        with pytest.raises(TypeError, match=r"'x'.*masked"):
            f(masked)
        with pytest.raises(TypeError, match=r"'x'.*masked"):
            function([In(x, value=masked)], x * 2)
