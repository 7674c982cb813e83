"""The small tutorials compute what they say."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tutorials"))

import filters  # noqa: E402


def test_filters_tutorial_matches_direct_convolution():
    image = filters.synthetic_photo(40, 50)
    assert image.shape == (40, 50, 3) and 0 <= image.min() and image.max() <= 1
    f = filters.build()
    batch = image.transpose(2, 0, 1)[None]
    out = f(batch)
    assert out.shape == (1, 2, 32, 42)
    W = [v for v in f.fgraph.inputs if getattr(v, "name", None) == "W"][0].get_value()
    b = [v for v in f.fgraph.inputs if getattr(v, "name", None) == "b"][0].get_value()
    for k, i, j in [(0, 0, 0), (1, 5, 7), (0, 31, 41)]:
        patch = batch[0, :, i : i + 9, j : j + 9]
        value = (patch * W[k, :, ::-1, ::-1]).sum() + b[k]  # true convolution: flipped
        np.testing.assert_allclose(out[0, k, i, j], 1 / (1 + np.exp(-value)), rtol=1e-10)
