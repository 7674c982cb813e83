"""``theano.sandbox.cuda.dnn``: cuDNN is never available here."""

from __future__ import annotations


def dnn_available() -> bool:
    """False: symgraph does not use cuDNN."""
    return False
