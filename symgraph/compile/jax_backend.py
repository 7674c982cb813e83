"""The JAX backend: a rewritten graph lowered to one ``jax.jit``-compiled function.

Each op lowers itself (``Op.jax(node, inputs, jx)``, next to its NumPy code); this module
walks the graph in topological order calling those lowerings on traced values, so the
walk runs once per input shape (while ``jax.jit`` traces) and never per call. The
function's semantics are the NumPy backend's (``symgraph.compile.codegen``):

- inputs are checked and converted as there, and never modified;
- shared variables keep their value on the device between calls
  (``SharedStorage.device``), and a NumPy function reading one copies it back once;
- updates are computed with the outputs and stored only after the whole call succeeded;
  the old buffers of updated shared variables are donated to XLA (``donate_argnums``),
  so a training step does not hold its parameters twice;
- the graph computes in the dtypes it declares: JAX's 64-bit types are enabled while the
  function is traced and called (``jax.enable_x64``, a scoped setting: the rest of the
  program's JAX is left as configured).

JAX is imported when the first JAX function is compiled, never by ``import symgraph``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from symgraph.compile.codegen import MISSING, Parameter, _UpdateRefusal
from symgraph.graph.basic import Apply, Constant, Op, Variable
from symgraph.graph.emit import comment_text
from symgraph.graph.fgraph import FunctionGraph
from symgraph.graph.traversal import toposort

BATCH_AXIS = "batch"


@dataclass(frozen=True)
class JaxLib:
    """What a lowering may use: the JAX modules and a lowerer for inner graphs (a loop
    body), passed to ``Op.jax`` so that no op module imports JAX."""

    jax: Any
    numpy: Any  # jax.numpy
    lax: Any  # jax.lax
    random: Any  # jax.random
    scipy: Any  # jax.scipy, with jax.scipy.linalg imported
    lower_graph: Callable[[Sequence[Variable], Sequence[Variable]], Callable]


_LIB: list[JaxLib] = []


def load_jax() -> JaxLib:
    """The JAX modules (imported on first use) as a :class:`JaxLib`."""
    if not _LIB:
        try:
            jax = importlib.import_module("jax")
        except ImportError as error:
            raise ImportError(
                "mode='JAX' needs JAX, which is not installed: pip install 'symgraph[jax]'"
            ) from error
        importlib.import_module("jax.scipy.linalg")  # jax.scipy.linalg, an attribute now
        _LIB.append(
            JaxLib(
                jax=jax,
                numpy=importlib.import_module("jax.numpy"),
                lax=importlib.import_module("jax.lax"),
                random=importlib.import_module("jax.random"),
                scipy=jax.scipy,
                lower_graph=lower_graph,
            )
        )
    return _LIB[0]


def has_lowering(op: Op) -> bool:
    """Whether ``op``'s class declares a JAX lowering."""
    return type(op).jax is not Op.jax


def _where_built(node: Apply) -> str:
    return f" (the node was built at {node.source})" if node.source is not None else ""


def lower_node(node: Apply, values: Sequence[Any], jx: JaxLib) -> list:
    """``node``'s output values computed by its op's JAX lowering, in its outputs' dtypes."""
    if not has_lowering(node.op):
        raise NotImplementedError(
            f"the JAX backend has no lowering for op {node.op} ({type(node.op).__name__})"
            f"{_where_built(node)}; give its class a jax(self, node, inputs, jx) method, or "
            "compile this function with the NumPy backend (mode='FAST_RUN')"
        )
    if _is_static(node, values):
        # Shape arithmetic (x.shape[0] // 2, a reshape's target) on values known while
        # tracing runs in NumPy, the op's own kernel: jnp would stage it into the traced
        # program, and shapes must be Python values.
        return [np.asarray(v) for v in node.op.perform(node, list(values))]
    try:
        result = node.op.jax(node, list(values), jx)
    except Exception as error:
        where = _where_built(node)
        error.add_note(f"symgraph: this error happened lowering {node.op} to JAX{where}")
        raise
    results = list(result) if len(node.outputs) > 1 else [result]
    if len(results) != len(node.outputs):
        raise ValueError(f"the JAX lowering of {node.op} gave {len(results)} outputs")
    typed = []
    for variable, value in zip(node.outputs, results):
        if isinstance(value, (np.ndarray, np.generic, int, float, bool)):
            value = np.asarray(value)  # known while tracing (a shape): kept static
        else:
            value = jx.numpy.asarray(value)
        if value.dtype != variable.type.numpy_dtype:
            value = value.astype(variable.type.numpy_dtype)
        typed.append(value)
    return typed


# Values known while tracing that are computed in NumPy instead: small ones (shapes and
# indices), so that a big constant product is still left to XLA.
_STATIC_SIZE = 64


def _is_static(node: Apply, values: Sequence[Any]) -> bool:
    return (
        not getattr(node.op, "nondeterministic", False)
        and all(isinstance(v, (np.ndarray, np.generic)) for v in values)
        and all(np.size(v) <= _STATIC_SIZE for v in values)
        and all(o.type.ndim <= 1 for o in node.outputs)
    )


def lower_graph(inputs: Sequence[Variable], outputs: Sequence[Variable]) -> Callable:
    """A function of JAX values computing ``outputs`` from ``inputs`` (a traceable Python
    function: use it inside ``jax.jit``, ``lax.scan`` or ``jax.vjp``)."""
    order = toposort(list(outputs), blockers=list(inputs))
    jx = load_jax()

    def run(*values):
        env: dict[Variable, Any] = dict(zip(inputs, values))

        def value_of(variable):
            if variable in env:
                return env[variable]
            if isinstance(variable, Constant):
                return variable.data  # kept concrete: shapes and indices stay static
            raise ValueError(f"the JAX lowering met {variable} without a value")

        for node in order:
            if all(o in env for o in node.outputs):
                continue
            results = lower_node(node, [value_of(v) for v in node.inputs], jx)
            env.update(zip(node.outputs, results))
        return [jx.numpy.asarray(value_of(v)) for v in outputs]

    return run


class JaxProgram:
    """The readable form of a JAX function (``Function.source``): the lowered nodes in
    the order the lowering runs them."""

    def __init__(self, fgraph: FunctionGraph, name: str | None, devices) -> None:
        names: dict[Variable, str] = {}
        for position, variable in enumerate(fgraph.inputs):
            names[variable] = f"a{position}"
        lines = [
            f"# symgraph JAX function '{comment_text(name or 'compiled_function')}': one "
            "jax.jit of these lowerings" + ("" if devices is None else f", devices={devices!r}")
        ]
        count = 0
        for node in fgraph.toposort():
            outs = []
            for variable in node.outputs:
                names[variable] = f"t{count}"
                outs.append(names[variable])
                count += 1
            args = [names.get(v, "<constant>") for v in node.inputs]
            lines.append(f"{', '.join(outs)} = jax[{comment_text(node.op)}]({', '.join(args)})")
        outputs = [names.get(v, "<constant>") for v in fgraph.outputs]
        lines.append(f"return {', '.join(outputs)}")
        self.source = "\n".join(lines) + "\n"
        self.label = name or "compiled_function"

    def explain(self, error: Exception) -> str | None:
        return None  # lower_node's note names the node already


def _check_value(parameter: Parameter, value):
    ttype = parameter.variable.type
    if (
        type(value) is np.ndarray
        and value.dtype == ttype.numpy_dtype
        and value.ndim == ttype.ndim
        and all(s is None or s == n for s, n in zip(ttype.shape, value.shape))
    ):
        return value
    return parameter.check(value)


class JaxFunction:
    """The callable behind a ``Function`` compiled with ``Mode("JAX")``."""

    def __init__(
        self,
        fgraph: FunctionGraph,
        parameters: Sequence[Parameter],
        shared_inputs: Sequence[Variable],
        n_outputs: int,
        update_targets: Sequence[Variable],
        unpack_single: bool,
        defaults: list,
        devices=None,
    ) -> None:
        self.jx = jx = load_jax()
        self.parameters = list(parameters)
        self.defaults = defaults
        self.n_outputs = n_outputs
        self.unpack_single = unpack_single
        self.update_targets = list(update_targets)
        self.shared_inputs = list(shared_inputs)
        n_explicit = len(parameters)
        run = lower_graph(fgraph.inputs, fgraph.outputs)
        updated = [t.container for t in update_targets]
        # One argument per storage (clones of a shared variable share one): the storages
        # read and updated are donated, their old values being dead once the step ran.
        storages: list = []
        for variable in shared_inputs:
            if not any(s is variable.container for s in storages):
                storages.append(variable.container)
        self.kept = [s for s in storages if not any(s is u for u in updated)]
        self.donated = [s for s in storages if any(s is u for u in updated)]
        slot_of = [
            next(
                (("kept", k) for k, s in enumerate(self.kept) if s is v.container),
                None,
            )
            or next(("donated", k) for k, s in enumerate(self.donated) if s is v.container)
            for v in shared_inputs
        ]
        targets = self.update_targets

        def step(explicit, kept, donated):
            shared = [kept[k] if kind == "kept" else donated[k] for kind, k in slot_of]
            results = run(*explicit, *shared)
            outputs, news = results[:n_outputs], results[n_outputs:]
            for value, target in zip(news, targets):
                shape = target.type.shape
                if any(s is not None and s != n for s, n in zip(shape, value.shape)):
                    _UpdateRefusal(target)(np.empty(value.shape, dtype=np.int8))
            return outputs, news

        self.devices = devices
        self.mesh = None
        if devices is not None:
            self.mesh = _mesh(jx, devices)
        self.n_explicit = n_explicit
        self.jitted = jx.jax.jit(step, donate_argnums=(2,))

    def _put(self, value):
        jax = self.jx.jax
        if self.mesh is None:
            return jax.device_put(value)
        return jax.device_put(value, _replicated(self.jx, self.mesh))

    def _put_input(self, value: np.ndarray):
        if self.mesh is None or value.ndim == 0:
            return value if self.mesh is None else self._put(value)
        jx = self.jx
        n = self.mesh.devices.size
        if value.shape[0] % n:
            raise ValueError(
                f"devices={self.devices!r}: the batch axis (axis 0) of every input must split "
                f"evenly over {n} devices, got an input of shape {value.shape}"
            )
        sharding = jx.jax.sharding.NamedSharding(
            self.mesh, jx.jax.sharding.PartitionSpec(BATCH_AXIS)
        )
        return jx.jax.device_put(value, sharding)

    def __call__(self, *args):
        parameters = self.parameters
        if len(args) > len(parameters):
            raise TypeError(f"takes {len(parameters)} inputs, got {len(args)}")
        jax = self.jx.jax
        with jax.enable_x64(True):  # device_put too: float64 stays float64
            values = []
            for position, parameter in enumerate(parameters):
                value = args[position] if position < len(args) else MISSING
                if value is MISSING:
                    if parameter.default_slot is None:
                        raise TypeError(f"missing input at position {position}")
                    value = self.defaults[parameter.default_slot]
                values.append(self._put_input(_check_value(parameter, value)))
            kept = [s.device_value(self._put) for s in self.kept]
            donated = [s.device_value(self._put) for s in self.donated]
            if self.mesh is not None:
                kept = [self._put(v) for v in kept]
                donated = [self._put(v) for v in donated]
            outputs, news = self.jitted(values, kept, donated)
        for target, value in zip(self.update_targets, news):
            target.container.set_device(value)
        results = [np.array(o, copy=True) for o in outputs]
        return results[0] if self.unpack_single else results


def _mesh(jx: JaxLib, devices):
    available = jx.jax.devices()
    count = len(available) if devices == "all" else devices
    if count > len(available):
        raise ValueError(
            f"devices={devices!r}: only {len(available)} JAX device(s) are available "
            f"({available[0].platform}); on CPU, set "
            f"XLA_FLAGS=--xla_force_host_platform_device_count={count} before JAX is imported"
        )
    return jx.jax.sharding.Mesh(np.array(available[:count]), (BATCH_AXIS,))


def _replicated(jx: JaxLib, mesh):
    return jx.jax.sharding.NamedSharding(mesh, jx.jax.sharding.PartitionSpec())
