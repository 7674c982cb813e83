"""Values crossing into symgraph keep the types the graph was built for.

A shared variable's static shape and broadcast pattern are promises the rewrites rely on:
an update or ``set_value`` that breaks them is refused, and a refused update changes no
shared variable.
"""

import numpy as np
import pytest

import symgraph.tensor as T
from symgraph import function, shared


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
