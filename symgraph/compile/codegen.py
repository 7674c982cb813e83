"""Lower a rewritten ``FunctionGraph`` to the source of one Python function.

One line per node, in topological order, each calling NumPy (or a kernel bound by name).
The source is kept (``Function.source``), registered with ``linecache`` while the
function lives so tracebacks show it, and every line maps back to its node and the user
line that built it.

Identifiers in the generated source never come from user text. A variable named ``np``
would shadow NumPy, one named like a bound helper would replace it, and Python folds
identifiers by NFKC (``µ`` and ``μ``, ``ℓ`` and ``l`` are one name). So every name is a
fixed ASCII prefix and a counter (``a0`` the first input, ``s0`` a shared variable's
value, ``c0`` a constant, ``t0`` a local, ``k0_prod`` a bound object, ``h0_fused_kernel``
a helper), which needs no search for a free name. User names appear only in comments,
always passed through :func:`comment_text`, and in error messages.
"""

from __future__ import annotations

import itertools
import linecache
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symgraph.graph.aliasing import buffer_roots, check_destroys
from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.emit import (
    EmitContext,
    check_one_line_each,
    comment_text,
    emitted_statements,
)
from symgraph.graph.fgraph import FunctionGraph

_function_ids = itertools.count()
MISSING = type("Missing", (), {"__repr__": lambda self: "<missing>"})()

# The only names generated code uses besides the prefixed ones: none is a letter run
# followed by digits, so none can equal a generated name.
FUNCTION_NAME = "compiled_function"
_FIXED_GLOBALS = {"np": np, "ndarray": np.ndarray, "MISSING": MISSING}


@dataclass
class Parameter:
    """A user input as the generated function sees it: ``name`` is the keyword it may be
    passed by (user text, or None), never an identifier in the generated code."""

    variable: Variable
    name: str | None
    check: Any  # callable(value) -> filtered value, raising TypeError with a clear message
    default_slot: int | None = None


@dataclass
class Program:
    """What ``generate`` produces: the source, its namespace and the line -> node map."""

    source: str
    namespace: dict
    filename: str
    function_name: str
    line_nodes: dict[int, Apply] = field(default_factory=dict)
    names: dict[Variable, str] = field(default_factory=dict)
    node_order: list[Apply] = field(default_factory=list)
    profile_slots: list[Apply] = field(default_factory=list)
    label: str = FUNCTION_NAME  # the user's name for the function, for printing
    profile_seconds: list[float] | None = None
    profile_calls: list[int] | None = None

    def build(self):
        """Compile and run the source; return the generated function. Its source stays in
        ``linecache`` (for tracebacks) exactly as long as the function object lives."""
        code = compile(self.source, self.filename, "exec")
        linecache.cache[self.filename] = (
            len(self.source),
            None,
            self.source.splitlines(True),
            self.filename,
        )
        exec(code, self.namespace)
        # Dropped from its own globals so that nothing but its owner keeps it: no cycle,
        # so the source leaves linecache as soon as the Function is deleted.
        fn = self.namespace.pop(self.function_name)
        release = weakref.finalize(fn, linecache.cache.pop, self.filename, None)
        release.atexit = False  # nothing to tidy when the interpreter exits
        return fn


def generate(
    fgraph: FunctionGraph,
    parameters: Sequence[Parameter],
    shared_inputs: Sequence[Variable],
    n_outputs: int,
    output_borrow: Sequence[bool],
    update_targets: Sequence[Variable],
    unpack_single: bool,
    defaults: list,
    name: str | None = None,
    profile: bool = False,
) -> Program:
    """Generate the Python function computing ``fgraph``'s outputs.

    ``fgraph.outputs`` are the ``n_outputs`` user outputs followed by the new values of
    ``update_targets``; updates are checked against their shared variables' static shapes
    and stored only after everything else is computed and checked, so a call that fails
    leaves every shared variable as it was. ``defaults`` is the list the function reads
    omitted arguments' values from (its owner may change it later).
    """
    label = name or FUNCTION_NAME
    filename = f"<symgraph-fn-{next(_function_ids)}:{comment_text(label)}>"
    namespace: dict[str, Any] = dict(_FIXED_GLOBALS)
    ctx = EmitContext(namespace)
    names: dict[Variable, str] = {}
    titled = f" '{comment_text(name)}'" if name is not None else ""
    header = [f"# symgraph function{titled}; the generated names stand for:"]

    signature = []
    for position, parameter in enumerate(parameters):
        p = f"a{position}"
        names[parameter.variable] = p
        signature.append(p if parameter.default_slot is None else f"{p}=MISSING")
        default = "" if parameter.default_slot is None else ", has a default"
        header.append(
            f"# {p}: input {_user_label(parameter.variable, parameter.name)} "
            f"({parameter.variable.type.describe()}{default})"
        )
    lines = [f"def {FUNCTION_NAME}({', '.join(signature)}):"]
    if name is not None:
        lines[0] += f"  # {comment_text(name)}"
    body: list[str] = []
    defaults_name = ctx.bind(defaults, "defaults")
    for parameter in parameters:
        p = names[parameter.variable]
        if parameter.default_slot is not None:
            body.append(f"if {p} is MISSING: {p} = {defaults_name}[{parameter.default_slot}]")
        ttype = parameter.variable.type
        dtype_name = ctx.bind(ttype.numpy_dtype, ttype.dtype)
        check = ctx.bind(parameter.check, "check")
        fast = [
            f"{p}.__class__ is not ndarray",
            f"{p}.dtype is not {dtype_name}",
            f"{p}.ndim != {ttype.ndim}",
        ]
        fast += [
            f"{p}.shape[{axis}] != {size}"
            for axis, size in enumerate(ttype.shape)
            if size is not None
        ]
        body.append(f"if {' or '.join(fast)}: {p} = {check}({p})")

    containers: dict[Variable, str] = {}
    locals_of_shared: dict[Variable, str] = {}
    updated = set(update_targets)
    for variable in [*shared_inputs, *update_targets]:
        if variable not in containers:
            local = f"s{len(containers)}"
            containers[variable] = f"{local}_storage"  # the one-item list holding the value
            namespace[containers[variable]] = variable.container
            locals_of_shared[variable] = local
            header.append(
                f"# {local}: shared variable {_user_label(variable, variable.name)} "
                f"({variable.type.describe()}){', updated' if variable in updated else ''}"
            )
    for variable in shared_inputs:
        names[variable] = locals_of_shared[variable]
        body.append(f"{names[variable]} = {containers[variable]}[0]")

    order = fgraph.toposort()
    for variable in _constants_in(fgraph, order):
        names[variable] = ctx.bind(variable.data)
    roots = buffer_roots(order)
    external = set(fgraph.inputs) | {v for v in names if isinstance(v, Constant)}
    outputs = list(fgraph.outputs)
    last_use: dict[Variable, int] = {}
    for position, node in enumerate(order):
        for variable in node.inputs:
            last_use[variable] = position
    keep = set(outputs)
    check_destroys(order, roots, external, keep)

    line_nodes: dict[int, Apply] = {}
    profile_slots: list[Apply] = []
    profile_seconds = profile_calls = None
    if profile:
        profile_seconds, profile_calls = [0.0] * len(order), [0]
        timings = ctx.bind(profile_seconds, "node_seconds")
        clock = ctx.bind(time.perf_counter, "perf_counter")
        started = ctx.fresh()
        body.insert(0, f"{ctx.bind(profile_calls, 'call_count')}[0] += 1")
    for position, node in enumerate(order):
        ctx.outputs = [ctx.fresh() for _ in node.outputs]
        for variable, out_name in zip(node.outputs, ctx.outputs):
            names[variable] = out_name
        ctx.node = node
        code = node.op.emit(node, [names[v] for v in node.inputs], ctx)
        if code is None:  # the op implements perform instead
            kernel = ctx.bind(_perform_kernel(node), f"perform_{type(node.op).__name__}")
            code = f"{kernel}(({', '.join(names[v] for v in node.inputs)},))"
            statements = [f"{', '.join(ctx.outputs)}, = {code}"]
        else:
            statements = emitted_statements(code, ctx.outputs)
        comment = _node_comment(node)
        if profile:
            body.append(f"{started} = {clock}()")
        for index, statement in enumerate(statements):
            line_nodes[len(lines) + len(body) + 1] = node
            body.append(statement + (f"  {comment}" if comment and index == 0 else ""))
        if profile:
            body.append(f"{timings}[{position}] += {clock}() - {started}")
            profile_slots.append(node)
        dead = [
            names[v]
            for v in dict.fromkeys(node.inputs)
            if last_use.get(v) == position and v.owner is not None and v not in keep and v.ndim > 0
        ]
        if dead:
            body.append(f"del {', '.join(dead)}")

    # Outputs must not alias inputs, shared values, constants or each other; 0-d results
    # are returned as 0-d arrays (NumPy hands back scalars).
    claimed: set[Variable] = set()
    results = []

    def finished(variable: Variable, borrow: bool) -> str:
        root = roots.get(variable, variable)
        copy = not borrow and (root in external or root in claimed)
        claimed.add(root)
        if variable.ndim == 0:
            return f"np.array({names[variable]})" if copy else f"np.asarray({names[variable]})"
        return f"{names[variable]}.copy()" if copy else names[variable]

    for variable, borrow in zip(outputs[:n_outputs], output_borrow):
        results.append(finished(variable, borrow))
    update_values = list(zip(outputs[n_outputs:], update_targets))
    # Every check before the first store: a refused update changes no shared variable.
    for variable, target in update_values:
        check = _update_shape_check(variable, target, names[variable], ctx)
        if check is not None:
            body.append(check)
    for variable, target in update_values:
        body.append(f"{containers[target]}[0] = {finished(variable, False)}")
    if unpack_single:
        body.append(f"return {results[0]}")
    else:
        body.append(f"return [{', '.join(results)}]")

    for constant_name, data in ctx.constants.items():
        header.append(f"# {constant_name} = {_constant_text(data)}")
    helpers = [line for line, _ in ctx.definitions] + ([""] if ctx.definitions else [])
    source_lines = header + helpers + lines + ["    " + line for line in body]
    source = "\n".join(source_lines) + "\n"
    check_one_line_each(source_lines, source)
    offset = len(header) + len(helpers)
    line_nodes = {line + offset: node for line, node in line_nodes.items()}
    for index, (_, node) in enumerate(ctx.definitions):  # errors inside helper functions
        if node is not None:
            line_nodes[len(header) + index + 1] = node
    return Program(
        source,
        namespace,
        filename,
        FUNCTION_NAME,
        line_nodes,
        names,
        order,
        profile_slots,
        label,
        profile_seconds,
        profile_calls,
    )


def _constants_in(fgraph: FunctionGraph, order: list[Apply]) -> list[Constant]:
    seen = dict.fromkeys(v for node in order for v in node.inputs if isinstance(v, Constant))
    seen.update(dict.fromkeys(v for v in fgraph.outputs if isinstance(v, Constant)))
    return list(seen)


def _user_label(variable: Variable, name: str | None) -> str:
    """How the header shows a user variable: its name quoted and escaped, else its type."""
    if name:
        return f"'{comment_text(name)}'"
    return f"<unnamed {variable.type}>"


def _update_shape_check(variable: Variable, target: Variable, value: str, ctx) -> str | None:
    """A statement refusing an update whose value does not fit ``target``'s static shape;
    None when the value's static type already guarantees it."""
    conditions = [
        f"{value}.shape[{axis}] != {size}"
        for axis, (size, known) in enumerate(zip(target.type.shape, variable.type.shape))
        if size is not None and known != size
    ]
    if not conditions:
        return None
    refuse = ctx.bind(_UpdateRefusal(target), "refuse_update")
    return f"if {' or '.join(conditions)}: {refuse}({value})"


class _UpdateRefusal:
    """Raises the error for an update value that does not fit its shared variable."""

    def __init__(self, target: Variable) -> None:
        self.target = target

    def __call__(self, value) -> None:
        target = self.target
        label = f"'{target.name}'" if target.name else f"<unnamed {target.type}>"
        raise TypeError(
            f"update of shared variable {label}: expected {target.type.describe()}, "
            f"got a value of shape {np.shape(value)}; no shared variable was changed"
        )


def _perform_kernel(node: Apply):
    op = node.op

    def kernel(inputs):
        return op.perform(node, inputs)

    return kernel


def _node_comment(node: Apply) -> str:
    location = node.source
    if location is None:
        return ""
    filename = str(location.filename).rsplit("/", 1)[-1]
    return f"# {comment_text(f'{filename}:{location.lineno}')}"


def _constant_text(data: np.ndarray) -> str:
    if data.size <= 4:
        text = repr(np.asarray(data).tolist())
    else:
        text = f"array of shape {data.shape}"
    return comment_text(f"{data.dtype} {text}")
