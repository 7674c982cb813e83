"""Library-wide settings, read once at import.

Only user-facing defaults live here: ``floatX``, ``keep_freed_memory`` and
``compute_test_value`` (read when a node is built, never when it runs). Ops never read
this module: the tensor constructors resolve ``floatX`` when a variable is *created*, so a graph's
meaning never changes because a setting changed later.

Every option is declared once in ``OPTIONS`` with the function that checks a new value;
``SYMGRAPH_FLAGS`` entries and assignments (``config.floatX = ...``) go through that check,
and any other name, private-looking ones included, is an error listing the known options.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, NamedTuple

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


def _float_dtype(value) -> str:
    if not isinstance(value, str) or value not in _FLOAT_DTYPES:
        raise ValueError(f"floatX must be one of {_FLOAT_DTYPES}, got {value!r}")
    return next(d for d in _FLOAT_DTYPES if d == value)  # the exact str, not a subclass


def _flag(value) -> bool:
    if isinstance(value, str):
        if value.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"keep_freed_memory must be True or False, got {value!r}")
        return value.lower() in ("true", "1")
    if value not in (True, False):  # 0 and 1 compare equal to False and True
        raise ValueError(f"keep_freed_memory must be True or False, got {value!r}")
    return bool(value)


TEST_VALUE_MODES = ("off", "ignore", "warn", "raise")


def _test_value_mode(value) -> str:
    if not isinstance(value, str) or value not in TEST_VALUE_MODES:
        raise ValueError(f"compute_test_value must be one of {TEST_VALUE_MODES}, got {value!r}")
    return next(m for m in TEST_VALUE_MODES if m == value)


class Option(NamedTuple):
    """One setting: its default, the check turning a given value (or flag text) into the
    stored value, and what it does."""

    default: Any
    check: Callable[[Any], Any]
    doc: str


OPTIONS: dict[str, Option] = {
    "floatX": Option(
        "float64",
        _float_dtype,
        "dtype of float variables and constants made without an explicit dtype",
    ),
    "keep_freed_memory": Option(
        True,
        _flag,
        "whether function() asks the C allocator to keep freed memory for reuse "
        "(see symgraph.compile.memory)",
    ),
    "compute_test_value": Option(
        "off",
        _test_value_mode,
        "a debugging aid: when not 'off', building a node computes its outputs' "
        "tag.test_value from its inputs' (constants and shared variables hold theirs), so a "
        "shape error is raised at the line that built the node; an input without one is "
        "skipped silently ('ignore'), with a warning ('warn') or an error ('raise')",
    ),
}


class ConfigError(ValueError):
    """An unknown option name or an invalid value, in ``SYMGRAPH_FLAGS`` or in code."""


def _unknown(name: str, where: str) -> str:
    return f"{where}unknown symgraph config option {name!r}; known options: {', '.join(OPTIONS)}"


class Config:
    """Mutable settings object; ``symgraph.config.floatX = 'float32'`` changes the default.

    ``flags`` is ``SYMGRAPH_FLAGS``' text: ``name=value`` entries separated by commas.
    """

    __slots__ = ("_values",)

    def __init__(self, flags: str = "") -> None:
        object.__setattr__(self, "_values", {n: o.default for n, o in OPTIONS.items()})
        for item in filter(None, (part.strip() for part in flags.split(","))):
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep:
                raise ConfigError(f"SYMGRAPH_FLAGS entry {item!r} is not of the form key=value")
            if key not in OPTIONS:
                raise ConfigError(_unknown(key, "SYMGRAPH_FLAGS: "))
            try:
                self._values[key] = OPTIONS[key].check(value.strip())
            except ValueError as error:
                raise ConfigError(f"SYMGRAPH_FLAGS: {error}") from None

    def __getattr__(self, name: str):
        # Only reached for names that are not slots or methods.
        values = object.__getattribute__(self, "_values")
        if name in OPTIONS:
            return values[name]
        raise AttributeError(_unknown(name, ""))

    def __setattr__(self, name: str, value) -> None:
        if name not in OPTIONS:
            raise AttributeError(_unknown(name, ""))
        try:
            self._values[name] = OPTIONS[name].check(value)
        except ValueError as error:
            raise ConfigError(str(error)) from None

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"symgraph config options cannot be deleted ({name!r})")

    def __dir__(self):
        return [*OPTIONS, "change_flags"]

    def change_flags(self, **values):
        """Temporarily set options: ``with config.change_flags(floatX='float32'): ...``."""
        for name in values:
            if name not in OPTIONS:
                raise AttributeError(_unknown(name, ""))
        return temporarily_set(self, **values)

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={value!r}" for name, value in self._values.items())
        return f"Config({settings})"


config = Config(os.environ.get("SYMGRAPH_FLAGS", ""))
