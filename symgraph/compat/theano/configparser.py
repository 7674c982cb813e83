"""``theano.config``: Theano's settings object, forwarding ``floatX`` to ``symgraph.config``.

``THEANO_FLAGS`` (``floatX=float32,device=cpu,...``) is read once, when the compat layer is
imported, as ``SYMGRAPH_FLAGS`` is. Options that only mattered to Theano's C/GPU back ends
are accepted and kept, so scripts that read or set them still run.
"""

from __future__ import annotations

import os

from symgraph.compat.theano._util import warn
from symgraph.config import Config, temporarily_set
from symgraph.config import config as symgraph_config

# Theano options kept for scripts that read or set them; symgraph does not act on them
# (except ``mode``, ``optimizer`` and ``on_unused_input``, read by ``theano.function``).
_THEANO_OPTIONS = {
    "device": "cpu",
    "force_device": False,
    "mode": "Mode",
    "optimizer": "fast_run",
    "optimizer_including": "",
    "optimizer_excluding": "",
    "on_unused_input": "raise",
    "exception_verbosity": "low",
    "compute_test_value": "off",
    "print_test_value": False,
    "allow_gc": True,
    "openmp": False,
    "warn_float64": "ignore",
    "cast_policy": "custom",
    "int_division": "int",
    "profile": False,
    "deterministic": "default",
    "on_opt_error": "warn",
    "cxx": "",
    "compiledir": "",
    "base_compiledir": "",
    "reoptimize_unpickled_function": False,
    "unpickle_function": True,
}
_FORWARDED = ("floatX",)


class TheanoConfig:
    """Theano's ``config``: ``floatX`` reads and writes ``symgraph.config.floatX`` (one
    setting, two names); the other Theano options are stored here."""

    def __init__(self, target: Config = symgraph_config, flags: str = "") -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_options", dict(_THEANO_OPTIONS))
        object.__setattr__(self, "_sections", {})  # dotted flags: lib.cnmem, dnn.enabled...
        self._apply_flags(flags)

    def _apply_flags(self, flags: str) -> None:
        for item in filter(None, (part.strip() for part in flags.split(","))):
            key, sep, value = item.partition("=")
            key, value = key.strip(), value.strip()
            if not sep:
                raise ValueError(f"THEANO_FLAGS entry {item!r} is not of the form key=value")
            if "." in key or "__" in key:
                self._sections[key.replace("__", ".")] = value  # back-end tuning; no effect
            elif key in _FORWARDED or key in self._options:
                setattr(self, key, _parse(value, self._options.get(key)))
            else:
                warn(f"Theano does not recognise this flag: {key}")

    def __getattr__(self, name: str):
        if name in _FORWARDED:
            return getattr(self._target, name)
        options = object.__getattribute__(self, "_options")
        if name in options:
            return options[name]
        raise AttributeError(f"theano.config has no option {name!r}")

    def __setattr__(self, name: str, value) -> None:
        if name in _FORWARDED:
            setattr(self._target, name, value)
        elif name in self._options:
            if name == "device" and not str(value).startswith("cpu"):
                warn(f"symgraph runs on the CPU only; device={value} is ignored")
            self._options[name] = value
        else:
            raise AttributeError(
                f"theano.config has no option {name!r}; known: "
                f"{', '.join(sorted((*_FORWARDED, *self._options)))}"
            )

    def change_flags(self, **values):
        """Temporarily set options: ``with config.change_flags(floatX='float32'): ...``."""
        return temporarily_set(self, **values)

    def __repr__(self) -> str:
        return f"theano.config(floatX={self.floatX!r}, device={self.device!r})"


def _parse(text: str, default):
    """Flag text as the option's type (bools as Theano wrote them: True/False/1/0)."""
    if isinstance(default, bool):
        return text.lower() in ("true", "1", "yes")
    return text


def change_flags(**values):
    """Theano's ``theano.configparser.change_flags`` (a context manager)."""
    return config.change_flags(**values)


config = TheanoConfig(flags=os.environ.get("THEANO_FLAGS", ""))
