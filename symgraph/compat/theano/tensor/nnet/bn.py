"""``theano.tensor.nnet.bn``: batch normalization from given statistics."""

from __future__ import annotations

from symgraph.tensor.ops import math as _math

__all__ = ["batch_normalization"]


def batch_normalization(inputs, gamma, beta, mean, std, mode="low_mem"):
    """``(inputs - mean) * (gamma / std) + beta``, all broadcasting element-wise.

    ``mode`` ('low_mem' or 'high_mem') chose between two Theano kernels with the same
    result; both give this expression here.
    """
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f'mode must be either "low_mem", "high_mem", got {mode!r}')
    scaled = _math.mul(_math.sub(inputs, mean), _math.true_div(gamma, std))
    return _math.add(scaled, beta)
