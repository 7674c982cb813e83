"""``theano.function``, ``theano.shared``, ``In``/``Out`` and modes, with Theano's
signatures mapped onto symgraph's."""

from __future__ import annotations

import symgraph
from symgraph.compat.theano._util import deprecated, warn
from symgraph.compat.theano.configparser import config
from symgraph.compile import In, Out, SharedVariable, shared
from symgraph.compile import Mode as _Mode
from symgraph.compile.function import Function
from symgraph.rewrite.pipeline import pass_named

__all__ = [
    "Function",
    "In",
    "Mode",
    "Out",
    "Param",
    "SharedVariable",
    "function",
    "get_default_mode",
    "get_mode",
    "shared",
]


def _fast_compile_optimizer(optimizer) -> bool:
    """Whether a Theano ``optimizer`` setting ran only what execution needs (None too)."""
    return str(optimizer) in ("None", "fast_compile", "o1", "merge")


class Mode(_Mode):
    """Theano's ``Mode(linker=None, optimizer='default')``: ``optimizer=None`` (or
    'fast_compile') gives FAST_COMPILE's passes, anything else FAST_RUN's; the linker
    has no equivalent here (code is always generated Python) and is ignored.

    ``excluding`` / ``including`` take symgraph pass names; Theano's optimizer tags that
    have no pass here (``'conv_dnn'``, ``'gpu'``...) are ignored with a warning.
    """

    def __init__(self, linker=None, optimizer="default") -> None:
        if optimizer == "default":
            optimizer = config.optimizer
        super().__init__("FAST_COMPILE" if _fast_compile_optimizer(optimizer) else "FAST_RUN")
        self.linker, self.optimizer = linker, optimizer

    def _known(self, names) -> tuple[str, ...]:
        known = []
        for name in names:
            try:
                pass_named(name)
            except ValueError:
                warn(f"optimizer tag {name!r} has no symgraph pass; ignored")
            else:
                known.append(name)
        return tuple(known)

    def excluding(self, *names: str) -> _Mode:
        return super().excluding(*self._known(names))

    def including(self, *names: str) -> _Mode:
        return super().including(*self._known(names))


# Theano's mode names; those that only added checking (DebugMode, NanGuardMode) or
# profiling run the normal pipeline here.
_FAST_COMPILE = {"FAST_COMPILE"}
_FAST_RUN = {
    "FAST_RUN",
    "Mode",
    "ProfileMode",
    "PROFILE_MODE",
    "DebugMode",
    "DEBUG_MODE",
    "NanGuardMode",
}
_WARNED_MODES: set[str] = set()


def get_mode(mode) -> Mode:
    """A symgraph ``Mode`` for a Theano mode (a name, a Mode or None: ``config.mode``)."""
    if isinstance(mode, _Mode):
        return mode
    if mode is None:
        mode = config.mode
        if _fast_compile_optimizer(config.optimizer):
            mode = "FAST_COMPILE"
    if mode in _FAST_COMPILE:
        return Mode(optimizer=None)
    if mode in _FAST_RUN:
        if mode not in ("FAST_RUN", "Mode") and mode not in _WARNED_MODES:
            _WARNED_MODES.add(mode)
            warn(f"mode {mode!r} is not supported by symgraph; using FAST_RUN")
        return Mode(optimizer="fast_run")
    raise ValueError(
        f"unknown mode {mode!r}; Theano's modes are {', '.join(sorted(_FAST_COMPILE | _FAST_RUN))}"
    )


def get_default_mode() -> Mode:
    """The mode ``theano.function`` uses when given none (``config.mode``)."""
    return get_mode(None)


def function(
    inputs,
    outputs=None,
    mode=None,
    updates=None,
    givens=None,
    no_default_updates=False,
    accept_inplace=False,
    name=None,
    rebuild_strict=True,
    allow_input_downcast=None,
    profile=None,
    on_unused_input=None,
) -> Function:
    """``theano.function``: Theano's argument order (``mode`` is third) and defaults.

    ``accept_inplace`` and ``rebuild_strict`` have no effect here.
    """
    return symgraph.function(
        inputs,
        outputs,
        updates=updates,
        givens=givens,
        mode=get_mode(mode),
        name=name,
        on_unused_input=on_unused_input or config.on_unused_input,
        allow_input_downcast=allow_input_downcast,
        profile=bool(profile),
        no_default_updates=no_default_updates,
    )


def Param(  # noqa: N802 - Theano's name
    variable,
    default=None,
    name=None,
    mutable=False,
    strict=False,
    allow_downcast=None,
    implicit=None,
    borrow=None,
):
    """Theano's deprecated ``Param``: an ``In`` (``default`` becomes its ``value``)."""
    deprecated("theano.Param is deprecated; use theano.In (Param's default is In's value)")
    kwargs = {} if default is None else {"value": default}
    return In(
        variable,
        name=name,
        mutable=mutable,
        strict=strict,
        allow_downcast=allow_downcast,
        borrow=bool(borrow),
        **kwargs,
    )
