"""``theano.tensor.xlogx``: ``x * log(x)`` and ``x * log(y)`` taken as 0 where ``x`` is 0
(the limit), as entropy terms need. Built from ``switch``, so both differentiate."""

from __future__ import annotations

from symgraph.tensor.ops.math import eq, log, mul, switch, zeros_like
from symgraph.tensor.variable import as_tensor

__all__ = ["xlogx", "xlogy0"]


def xlogx(x):
    """``x * log(x)``, and 0 where ``x`` is 0."""
    x = as_tensor(x)
    is_zero = eq(x, 0)
    # log of a stand-in 1 where x is 0: the unused branch must not be -inf, or its
    # gradient (0 * -inf) would be nan there
    safe = switch(is_zero, 1, x)
    return switch(is_zero, zeros_like(safe), mul(safe, log(safe)))


def xlogy0(x, y):
    """``x * log(y)``, and 0 where ``x`` is 0 (whatever ``y`` is there)."""
    x, y = as_tensor(x), as_tensor(y)
    is_zero = eq(x, 0)
    safe_y = switch(is_zero, 1, y)
    product = mul(x, log(safe_y))
    return switch(is_zero, zeros_like(product), product)
