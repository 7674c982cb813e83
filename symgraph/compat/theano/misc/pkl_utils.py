"""``theano.misc.pkl_utils``: ``dump`` / ``load`` of models holding shared variables.

Theano wrote a zip file of NumPy arrays plus a pickle; here it is one plain pickle (shared
variables, graphs and compiled functions all pickle), so files written by Theano itself
cannot be read back.
"""

from __future__ import annotations

import pickle

__all__ = ["dump", "load"]


def dump(obj, file_handler, protocol=pickle.HIGHEST_PROTOCOL, persistent_id=None):
    """Pickle ``obj`` into the open binary file ``file_handler``."""
    pickle.dump(obj, file_handler, protocol=protocol)


def load(f, persistent_load=None):
    """Load what :func:`dump` wrote from the open binary file ``f``."""
    return pickle.load(f)
