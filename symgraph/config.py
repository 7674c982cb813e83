"""Library-wide settings, read once at import.

Only user-facing defaults live here: ``floatX`` and ``keep_freed_memory``. Ops never read
this module: the tensor constructors resolve ``floatX`` when a variable is *created*, so a graph's
meaning never changes because a setting changed later.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

_FLOAT_DTYPES = ("float32", "float64")


@contextmanager
def temporarily_set(settings, **values):
    """Set attributes of ``settings`` for the duration of a ``with`` block, then restore."""
    old = {name: getattr(settings, name) for name in values}
    try:
        for name, value in values.items():
            setattr(settings, name, value)
        yield settings
    finally:
        for name, value in old.items():
            setattr(settings, name, value)


class Config:
    """Mutable settings object; ``symgraph.config.floatX = 'float32'`` changes the default."""

    def __init__(self, flags: str = "") -> None:
        self._floatX = "float64"
        self._keep_freed_memory = True
        for item in filter(None, (part.strip() for part in flags.split(","))):
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"SYMGRAPH_FLAGS entry {item!r} is not of the form key=value")
            setattr(self, key.strip(), value.strip())

    @property
    def floatX(self) -> str:  # noqa: N802 - Theano's spelling, kept for porting
        return self._floatX

    @floatX.setter
    def floatX(self, value: str) -> None:  # noqa: N802
        if value not in _FLOAT_DTYPES:
            raise ValueError(f"floatX must be one of {_FLOAT_DTYPES}, got {value!r}")
        self._floatX = value

    @property
    def keep_freed_memory(self) -> bool:
        """Whether ``function()`` asks the C allocator to keep freed memory for reuse
        (see ``symgraph.compile.memory``); ``SYMGRAPH_FLAGS=keep_freed_memory=False``."""
        return self._keep_freed_memory

    @keep_freed_memory.setter
    def keep_freed_memory(self, value) -> None:
        if isinstance(value, str):
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(f"keep_freed_memory must be True or False, got {value!r}")
            value = value.lower() in ("true", "1")
        self._keep_freed_memory = bool(value)

    def __setattr__(self, name: str, value) -> None:
        if not name.startswith("_") and name not in type(self).__dict__:
            raise AttributeError(
                f"unknown symgraph config option {name!r}; known: floatX, keep_freed_memory"
            )
        object.__setattr__(self, name, value)

    def change_flags(self, **values):
        """Temporarily set options: ``with config.change_flags(floatX='float32'): ...``."""
        return temporarily_set(self, **values)

    def __repr__(self) -> str:
        return f"Config(floatX={self.floatX!r}, keep_freed_memory={self.keep_freed_memory!r})"


config = Config(os.environ.get("SYMGRAPH_FLAGS", ""))
