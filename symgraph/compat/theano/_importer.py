"""Make ``import theano...`` load the compat modules (``install``/``uninstall``).

A meta-path finder maps every ``theano.x.y`` import to ``symgraph.compat.theano.x.y`` and
registers that very module object under the ``theano`` name, so ``import theano.tensor as T``
gives ``symgraph.compat.theano.tensor`` itself: isinstance checks and pickles agree whichever
name the code used. Submodules are aliased when first imported, as Theano loaded them (the
deprecated ``downsample`` module warns at import, as it did).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

_ALIAS = "theano"
_REAL = "symgraph.compat.theano"


def _real_name(alias: str) -> str:
    return _REAL + alias[len(_ALIAS) :]


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, real_name: str) -> None:
        self.real_name = real_name
        self.real_spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.real_name)
        self.real_spec = module.__spec__
        return module

    def exec_module(self, module) -> None:
        # The import system gave the module the alias's spec; it keeps its own (reload,
        # runpy and pickle look at it).
        module.__spec__ = self.real_spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != _ALIAS and not fullname.startswith(_ALIAS + "."):
            return None
        real_name = _real_name(fullname)
        try:
            real_spec = importlib.util.find_spec(real_name)
        except ModuleNotFoundError:
            return None
        if real_spec is None:
            return None  # not provided: the usual ModuleNotFoundError names the theano module
        return importlib.util.spec_from_loader(
            fullname,
            _AliasLoader(real_name),
            is_package=real_spec.submodule_search_locations is not None,
        )


_FINDER = _AliasFinder()


def _is_alias(name: str) -> bool:
    return name == _ALIAS or name.startswith(_ALIAS + ".")


def install() -> None:
    """Make ``import theano`` (and every ``theano.*`` submodule) load the compat modules,
    in this process, from now on (for notebooks; the ``python -m symgraph.compat.theano``
    runner calls it). A real Theano already imported is set aside."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    for name in [n for n in sys.modules if _is_alias(n)]:
        if not getattr(sys.modules[name], "__name__", "").startswith(_REAL):
            del sys.modules[name]
    for name, module in list(sys.modules.items()):
        if name == _REAL or name.startswith(_REAL + "."):
            sys.modules.setdefault(_ALIAS + name[len(_REAL) :], module)


def uninstall() -> None:
    """Undo ``install``: ``import theano`` no longer finds the compat modules."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if _is_alias(n)]:
        if getattr(sys.modules[name], "__name__", "").startswith(_REAL):
            del sys.modules[name]


def installed() -> bool:
    """Whether ``install`` is in effect."""
    return _FINDER in sys.meta_path
