"""A pytest plugin printing NumPy values as NumPy 1.13 did (``True``, ``array([[  0.,   1.``),
the format Lasagne 0.1's doctests were written against."""

import numpy as np

np.set_printoptions(legacy="1.13")
