"""The tensor ops, one family per module; a module imports only those listed before it.

- ``dimshuffle``: reorder, add and drop broadcastable axes (a view);
- ``elemwise``: ``Elemwise`` (one op for every element-wise function), ``ScalarOp``,
  broadcasting rules, casts;
- ``shape``: shape, reshape, flatten, concatenate/stack, arange, alloc, rebroadcast;
- ``math``: the element-wise table (one row per function: kernel, dtype rule, gradient),
  reductions, argmax, logsumexp, cumsum;
- ``subtensor``: indexing, ``set_subtensor``/``inc_subtensor``, ``take``;
- ``blas``: ``dot``, ``outer``, ``tensordot``;
- ``nnet``: softmax, log-softmax, cross-entropies;
- ``extra``: functions built from the ops above, with no op of their own;
- ``linalg``: inverse, determinant, decompositions, solves, least squares, diagonals and
  traces;
- ``sort``: sort, argsort, nonzero, repeat with symbolic counts;
- ``neighbours``: ``images2neibs`` and its transpose ``neibs2images``;
- ``conv_kernels``, ``conv``: conv2d, conv3d and their gradients (the NumPy kernels, then
  the ops);
- ``pool_kernels``, ``pool``: pooling over the last 1, 2 or 3 axes and its gradients (the
  same);
- ``random``: draws from random distributions.

An op's gradient or shape may need an op defined further down the list; it builds it
with the variables' methods (``gz.sum(axis)``, ``x[i]``, ``x.astype(dtype)``), which
``symgraph.tensor.operators`` installs once every op exists.
"""
