"""``theano.gpuarray.dnn``: cuDNN is never present here."""

from __future__ import annotations


def dnn_present() -> bool:
    """False: symgraph does not use cuDNN."""
    return False


def dnn_available(context_name=None) -> bool:
    """False: symgraph does not use cuDNN (on any context)."""
    del context_name
    return False
