"""``theano.function``, ``theano.shared``, ``In``/``Out`` and modes, with Theano's
signatures mapped onto symgraph's.

Theano's optimizer tags, as ``Mode.including`` / ``excluding`` / ``requiring`` and the
``optimizer_excluding`` / ``_including`` / ``_requiring`` flags take them, name these
symgraph passes (``THEANO_TAGS``)::

    fast_run                                  every pass
    fast_compile                              none
    merge                                     merge
    constant_folding                          constant_fold
    canonicalize, stabilize, specialize       the pass of the same name
    elemwise_fusion, local_elemwise_fusion,
    composite_elemwise_fusion                 fusion
    inplace, inplace_opt, inplace_elemwise_opt inplace
    scan                                      scan_trivial, scan_hoist, scan_prune,
                                              scan_merge, scan_equal_outputs,
                                              scan_keep_last
    scanOp_pushout_nonseqs_ops                scan_hoist
    scanOp_remove_constants_and_unused_inputs0,
    scanop_remove_constants_and_unused_inputs2 scan_prune
    scanOp_merge                              scan_merge
    scanOp_save_mem                           scan_keep_last

A symgraph pass name stands for itself. Every other Theano tag (``gpu``, ``gpuarray``,
``conv_dnn``, ``cudnn``, ``conv_gemm``, ``uncanonicalize``, ``local_remove_all_assert``,
``ShapeOpt``...) names work symgraph does not do: it is ignored with a warning.
"""

from __future__ import annotations

import copy

import numpy as np

import symgraph
from symgraph.compat.theano._util import deprecated, ignore_arguments, warn
from symgraph.compat.theano.configparser import config
from symgraph.compat.theano.tensor.raw_random import random_state_shared
from symgraph.compile import Mode as _Mode
from symgraph.compile import Out, SharedVariable
from symgraph.compile.function import Function as _Function
from symgraph.compile.io import _NO_VALUE
from symgraph.compile.io import In as _In
from symgraph.rewrite.pipeline import list_passes
from symgraph.tensor.shared import shared as _shared
from symgraph.tensor.variable import as_tensor

__all__ = [
    "Function",
    "In",
    "Mode",
    "Out",
    "Param",
    "SharedVariable",
    "TensorSharedVariable",
    "as_op",
    "function",
    "get_default_mode",
    "get_mode",
    "ops",
    "shared",
]


class In(_In):
    """Theano's ``In``: ``borrow=True`` keeps the default ``value`` itself rather than a
    copy (changing that array then changes the default, as in Theano). ``update``, an
    expression, makes the input a piece of state: after each call the function keeps its
    value as the input's new default (computed from the value the call used, given or
    default), so ``value`` must be given. ``mutable`` and ``implicit`` have no effect:
    inputs are never overwritten here, and shared variables are never explicit inputs."""

    def __init__(
        self,
        variable,
        name=None,
        value=_NO_VALUE,
        borrow=False,
        mutable=False,
        strict=False,
        allow_downcast=None,
        implicit=False,
        update=None,
    ) -> None:
        ignore_arguments("In", [n for n, v in (("mutable", mutable), ("implicit", implicit)) if v])
        if update is not None and value is _NO_VALUE:
            raise TypeError(
                f"In({variable}, update=...): an input with an update needs value= (the "
                "state it starts from)"
            )
        super().__init__(
            variable, name=name, value=value, strict=strict, allow_downcast=allow_downcast
        )
        self.update = None if update is None else _checked_update(variable, update)
        self.borrow = bool(borrow)
        self.mutable = mutable
        self.implicit = implicit

    def stored_default(self, value):
        return value if self.borrow else super().stored_default(value)


def _checked_update(variable, update):
    update = as_tensor(update)
    if update.type.ndim != variable.type.ndim or update.dtype != variable.dtype:
        raise TypeError(
            f"In({variable}, update=...): the update must have the input's type "
            f"{variable.type.describe()}, got {update.type.describe()}"
        )
    return update


class TensorSharedVariable(SharedVariable):
    """What ``theano.shared`` makes: a shared variable whose ``get_value`` takes Theano's
    ``return_internal_type`` (the value is a NumPy array either way, the internal type of
    Theano's CPU variables)."""

    def get_value(self, borrow=False, return_internal_type=False):
        return super().get_value(borrow=borrow)


def shared(value, name=None, strict=False, allow_downcast=None, **kwargs) -> TensorSharedVariable:
    """``theano.shared``: Theano's argument order (``strict`` third); ``borrow``,
    ``broadcastable`` and ``shape`` by keyword."""
    if isinstance(value, np.random.RandomState):
        return random_state_shared(value, name, strict, allow_downcast)
    variable = _shared(value, name=name, strict=strict, allow_downcast=allow_downcast, **kwargs)
    return TensorSharedVariable(
        variable.type,
        variable.get_value(borrow=True),
        name=name,
        strict=strict,
        allow_downcast=allow_downcast,
    )


class Function(_Function):
    """A compiled function whose ``copy`` takes Theano's ``share_memory``."""

    def copy(self, share_memory=False, swap=None, delete_updates=False, name=None, profile=None):
        """Theano's ``Function.copy``; ``share_memory`` has no effect (a compiled function
        here keeps no intermediate storage to share)."""
        if share_memory:
            ignore_arguments("Function.copy", ["share_memory"])
        copied = super().copy(swap=swap, delete_updates=delete_updates, name=name, profile=profile)
        return _as_theano_function(copied)


def _as_theano_function(compiled: _Function) -> Function:
    # The compiled object is symgraph's in every respect but copy()'s signature, and the
    # subclass adds no state, so the object changes class instead of being built again.
    compiled.__class__ = Function
    return compiled


def _fast_compile_optimizer(optimizer) -> bool:
    """Whether a Theano ``optimizer`` setting ran only what execution needs (None too)."""
    return str(optimizer) in ("None", "fast_compile", "o1", "merge")


# Theano's optimizer tags (the names ``including`` / ``excluding`` / ``requiring`` and the
# ``optimizer_*`` flags took) mapped onto the symgraph passes doing that work. A symgraph
# pass name is accepted as itself; any other Theano tag (``'gpu'``, ``'conv_dnn'``,
# ``'conv_gemm'``, ``'uncanonicalize'``, ``'local_remove_all_assert'``...) names work
# symgraph does not do and is ignored with a warning.
THEANO_TAGS: dict[str, tuple[str, ...]] = {
    "fast_run": tuple(list_passes()),
    "fast_compile": (),
    "merge": ("merge",),
    "constant_folding": ("constant_fold",),
    "canonicalize": ("canonicalize",),
    "stabilize": ("stabilize",),
    "specialize": ("specialize",),
    "elemwise_fusion": ("fusion",),
    "local_elemwise_fusion": ("fusion",),
    "composite_elemwise_fusion": ("fusion",),
    "inplace": ("inplace",),
    "inplace_opt": ("inplace",),
    "inplace_elemwise_opt": ("inplace",),
    "scan": (
        "scan_trivial",
        "scan_hoist",
        "scan_prune",
        "scan_merge",
        "scan_equal_outputs",
        "scan_keep_last",
    ),
    "scanOp_pushout_nonseqs_ops": ("scan_hoist",),
    "scanOp_remove_constants_and_unused_inputs0": ("scan_prune",),
    "scanop_remove_constants_and_unused_inputs2": ("scan_prune",),
    "scanOp_merge": ("scan_merge",),
    "scanOp_save_mem": ("scan_keep_last",),
}


def passes_for_tag(tag: str) -> tuple[str, ...] | None:
    """The symgraph passes a Theano optimizer tag stands for; None when there are none."""
    if tag in THEANO_TAGS:
        return THEANO_TAGS[tag]
    return (tag,) if tag in list_passes() else None


class Mode(_Mode):
    """Theano's ``Mode(linker=None, optimizer='default')``: ``optimizer=None`` (or
    'fast_compile') gives FAST_COMPILE's passes, anything else FAST_RUN's; the linker
    has no equivalent here (code is always generated Python) and is ignored.

    ``including``, ``excluding`` and ``requiring`` take Theano's optimizer tags (see
    ``THEANO_TAGS``) or symgraph pass names and return a new compat ``Mode``; a tag with
    no symgraph pass is ignored with a warning, so Theano code that names GPU or C
    optimizations still compiles.
    """

    def __init__(self, linker=None, optimizer="default", backend=None) -> None:
        if optimizer == "default":
            optimizer = config.optimizer
        fast_compile = _fast_compile_optimizer(optimizer)
        if backend == "jax" or backend is None and _jax_requested():
            super().__init__("JAX", passes=() if fast_compile else None)
        else:
            super().__init__("FAST_COMPILE" if fast_compile else "FAST_RUN")
        self.linker, self.optimizer = linker, optimizer

    def _passes(self, tags) -> list[str]:
        passes = []
        for tag in tags:
            found = passes_for_tag(tag)
            if found is None:
                warn(f"optimizer tag {tag!r} has no symgraph pass; ignored")
            else:
                passes.extend(found)
        return passes

    def _with_passes(self, passes) -> Mode:
        mode = copy.copy(self)
        mode.pass_names = tuple(name for name in list_passes() if name in passes)
        return mode

    def excluding(self, *tags: str) -> Mode:
        dropped = self._passes(tags)
        return self._with_passes([p for p in self.pass_names if p not in dropped])

    def including(self, *tags: str) -> Mode:
        return self._with_passes([*self.pass_names, *self._passes(tags)])

    def requiring(self, *tags: str) -> Mode:
        """Keep only the passes the tags name (all of them when no tag names a pass)."""
        required = self._passes(tags)
        if not any(passes_for_tag(t) is not None for t in tags):
            return self._with_passes(self.pass_names)
        return self._with_passes([p for p in self.pass_names if p in required])

    def __repr__(self) -> str:
        return (
            f"theano Mode(linker={self.linker!r}, optimizer={self.optimizer!r}, "
            f"passes={list(self.pass_names)}, backend={self.backend!r})"
        )


def _jax_requested() -> bool:
    """``THEANO_FLAGS`` asking for a GPU (``device=cuda...``) or ``mode=JAX``: old scripts
    then run on the JAX backend, which uses the device JAX has."""
    return config.mode == "JAX" or str(config.device).startswith(("cuda", "gpu", "opencl"))


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
        return _default_mode()
    if mode == "JAX":
        return Mode(optimizer="fast_run", backend="jax")
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


def _default_mode() -> Mode:
    # As Theano did, the optimizer_* flags (tags separated by ':') shape the default mode.
    mode = get_mode("FAST_COMPILE" if _fast_compile_optimizer(config.optimizer) else config.mode)
    for method, flag in (
        (Mode.excluding, config.optimizer_excluding),
        (Mode.including, config.optimizer_including),
        (Mode.requiring, config.optimizer_requiring),
    ):
        if flag:
            mode = method(mode, *flag.split(":"))
    return mode


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
    options = dict(
        mode=mode,
        updates=updates,
        givens=givens,
        no_default_updates=no_default_updates,
        name=name,
        allow_input_downcast=allow_input_downcast,
        profile=profile,
        on_unused_input=on_unused_input,
    )
    stateful = [spec for spec in inputs or () if isinstance(spec, In) and spec.update is not None]
    if stateful:
        return _stateful_function(stateful, inputs, outputs, **options)
    return _compile(inputs, outputs, **options)


def _compile(inputs, outputs, *, mode, on_unused_input, profile, **options) -> Function:
    compiled = symgraph.function(
        inputs,
        outputs,
        mode=get_mode(mode),
        on_unused_input=on_unused_input or config.on_unused_input,
        profile=bool(profile),
        **options,
    )
    return _as_theano_function(compiled)


class StatefulFunction(Function):
    """A function with inputs given ``In(..., update=...)``: it computes their updates as
    extra outputs, which a call stores as those inputs' new defaults and does not return."""

    def __call__(self, *args, **kwargs):
        results = super().__call__(*args, **kwargs)
        kept, new_states = results[: self.n_user_outputs], results[self.n_user_outputs :]
        for (slot, check), value in zip(self.state_slots, new_states):
            self.defaults[slot] = check(value)
        return kept[0] if self.single_output else kept


def _stateful_function(stateful, inputs, outputs, **options) -> StatefulFunction:
    single = outputs is not None and not isinstance(outputs, (list, tuple))
    user_outputs = [] if outputs is None else [outputs] if single else list(outputs)
    compiled = _compile(inputs, user_outputs + [spec.update for spec in stateful], **options)
    compiled.__class__ = StatefulFunction
    compiled.n_user_outputs = len(user_outputs)
    compiled.single_output = single
    by_variable = {parameter.variable: parameter for parameter in compiled.inputs}
    compiled.state_slots = [
        (by_variable[spec.variable].default_slot, by_variable[spec.variable].check)
        for spec in stateful
    ]
    return compiled


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
        implicit=implicit,
        **kwargs,
    )


from symgraph.compat.theano.compile import mode, ops  # noqa: E402
from symgraph.compat.theano.compile.ops import as_op  # noqa: E402, F401
