"""``T.nnet``: the neural-network functions under one name, as Theano grouped them.

Softmax and the cross-entropies, the activations and convolution; each is defined
with its op family in ``symgraph.tensor.ops``.
"""

from symgraph.tensor.ops.conv import (
    conv2d,
    conv2d_grad_wrt_inputs,
    conv2d_grad_wrt_weights,
    conv2d_transpose,
    conv3d,
    conv3d_grad_wrt_inputs,
    conv3d_grad_wrt_weights,
)
from symgraph.tensor.ops.math import relu, sigmoid, softplus
from symgraph.tensor.ops.nnet import (
    binary_crossentropy,
    categorical_crossentropy,
    log_softmax,
    logsoftmax,
    sigmoid_binary_crossentropy,
    softmax,
)

__all__ = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "conv2d",
    "conv2d_grad_wrt_inputs",
    "conv2d_grad_wrt_weights",
    "conv2d_transpose",
    "conv3d",
    "conv3d_grad_wrt_inputs",
    "conv3d_grad_wrt_weights",
    "log_softmax",
    "logsoftmax",
    "relu",
    "sigmoid",
    "sigmoid_binary_crossentropy",
    "softmax",
    "softplus",
]
