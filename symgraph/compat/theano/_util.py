"""Warnings shared by the Theano compatibility modules, attributed to the user's line."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable

from symgraph.graph.basic import is_user_file


class TheanoDeprecationWarning(DeprecationWarning, UserWarning):
    """A Theano spelling that still works but is deprecated.

    Theano raised these as plain user warnings, shown by default; being a
    ``DeprecationWarning`` too lets ``-W error::DeprecationWarning`` catch them.
    """


def _is_internal(filename: str) -> bool:
    return (
        not is_user_file(filename)
        or filename.startswith("<frozen importlib")
        or (os.sep + "importlib" + os.sep) in filename
    )


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn at the innermost line outside symgraph and the import system (the user's call,
    or the user's import for warnings raised while a module loads)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and _is_internal(frame.f_code.co_filename):
        frame = frame.f_back
    module_globals = frame.f_globals
    warnings.warn_explicit(
        message,
        category,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=module_globals.get("__name__", "<unknown>"),
        registry=module_globals.setdefault("__warningregistry__", {}),
    )


def deprecated(message: str) -> None:
    """Warn, as Theano did, that a spelling is deprecated."""
    warn(f"DEPRECATION: {message}", TheanoDeprecationWarning)


def ignore_arguments(function: str, names: Iterable[str]) -> None:
    """Warn that keyword arguments Theano accepted are ignored here."""
    names = sorted(names)
    if names:
        warn(f"{function}: ignoring the argument(s) {', '.join(names)} (no effect in symgraph)")


class CoversCoreClass(type):
    """Metaclass of a compat class standing for a core class under Theano's name.

    The class defines ``core_class`` (a class or a tuple of classes) and, optionally,
    ``excluded_class``; ``isinstance`` and ``issubclass`` then hold for every instance of
    the core class that is not an excluded one (the nodes the core builds are Theano's op
    objects, the core's types Theano's types; a shared variable is not Theano's
    ``TensorVariable``). A user's subclass of the compat class checks as any class does:
    only its own instances."""

    def __instancecheck__(cls, instance) -> bool:
        if "core_class" not in cls.__dict__:
            return super().__instancecheck__(instance)
        return cls.__subclasscheck__(type(instance))

    def __subclasscheck__(cls, subclass) -> bool:
        if "core_class" not in cls.__dict__:
            return super().__subclasscheck__(subclass)
        excluded = cls.__dict__.get("excluded_class")
        return issubclass(subclass, cls.core_class) and not (
            excluded is not None and issubclass(subclass, excluded)
        )
