"""``theano.tensor.nnet.neighbours``: patches of images as rows, and back."""

from __future__ import annotations

from symgraph.tensor.ops.neighbours import Images2Neibs, images2neibs, neibs2images

__all__ = ["Images2Neibs", "images2neibs", "neibs2images"]
