"""``theano.compile.mode``: the compilation modes (``Mode``, ``get_mode``,
``get_default_mode``) under the module name Theano code imports them from."""

from __future__ import annotations

from symgraph.compat.theano.compile import Mode, get_default_mode, get_mode

__all__ = ["Mode", "get_default_mode", "get_mode"]
