"""Lower a rewritten ``FunctionGraph`` to the source of one Python function.

One line per node, in topological order, each calling NumPy (or a kernel bound by name).
The source is kept (``Function.source``), registered with ``linecache`` so tracebacks show
it, and every line maps back to its node and the user line that built it.
"""

from __future__ import annotations

import itertools
import keyword
import linecache
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symgraph.graph.aliasing import buffer_roots, check_destroys
from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.fgraph import FunctionGraph

_function_ids = itertools.count()
MISSING = type("Missing", (), {"__repr__": lambda self: "<missing>"})()


@dataclass
class Parameter:
    """A user input as the generated function sees it."""

    variable: Variable
    name: str
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

    def build(self):
        code = compile(self.source, self.filename, "exec")
        linecache.cache[self.filename] = (
            len(self.source),
            None,
            self.source.splitlines(True),
            self.filename,
        )
        exec(code, self.namespace)
        return self.namespace[self.function_name]


class EmitContext:
    """Handed to ``Op.emit``: names for outputs, a way to bind Python objects, and a way to
    define helper functions once at module level (above the generated function)."""

    def __init__(self, namespace: dict, taken: set[str]) -> None:
        self.namespace = namespace
        self.taken = taken
        self.outputs: list[str] = []
        self.node: Apply | None = None  # the node being emitted
        self.definitions: list[tuple[str, Apply | None]] = []  # module-level source lines
        self._defined: dict[Any, str] = {}
        self._bound: dict[int, str] = {}
        self._suffixes: dict[str, itertools.count] = {}

    def define(self, key: Any, hint: str, make_lines) -> str:
        """The name of a module-level function for ``key``: ``make_lines(name)`` gives its
        source lines the first time; equal keys share one definition."""
        if key not in self._defined:
            name = self.fresh(hint)
            self._defined[key] = name
            self.definitions.extend((line, self.node) for line in make_lines(name))
        return self._defined[key]

    def bind(self, obj: Any, hint: str) -> str:
        """A global name in the generated module that refers to ``obj``."""
        key = id(obj)
        if key in self._bound:
            return self._bound[key]
        base = _identifier(hint) or "obj"
        name = base
        counter = itertools.count(1)
        while name in self.taken or (name in self.namespace and self.namespace[name] is not obj):
            name = f"{base}_{next(counter)}"
        self.namespace[name] = obj
        self.taken.add(name)
        self._bound[key] = name
        return name

    def fresh(self, hint: str) -> str:
        """A local name not used yet in the generated function."""
        base = _identifier(hint) or "v"
        candidate = base
        # Resume numbering where this base left off: rescanning from 1 made naming
        # quadratic in the number of nodes sharing a hint.
        counter = self._suffixes.setdefault(base, itertools.count(1))
        while candidate in self.taken:
            candidate = f"{base}_{next(counter)}"
        self.taken.add(candidate)
        return candidate


def _identifier(text: str | None) -> str | None:
    if not text:
        return None
    name = re.sub(r"\W", "_", text)
    if name[0].isdigit():
        name = "_" + name
    return None if keyword.iskeyword(name) else name


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
    ``update_targets``; updates are stored only after everything else is computed, so a call
    that fails leaves every shared variable as it was. ``defaults`` is the list the function
    reads omitted arguments' values from (its owner may change it later).
    """
    function_name = _identifier(name) or "compiled_function"
    filename = f"<symgraph-fn-{next(_function_ids)}:{function_name}>"
    namespace: dict[str, Any] = {"np": np, "ndarray": np.ndarray, "MISSING": MISSING}
    taken = set(namespace) | {function_name}
    ctx = EmitContext(namespace, taken)
    names: dict[Variable, str] = {}
    fresh = ctx.fresh

    for parameter in parameters:
        names[parameter.variable] = parameter.name
        taken.add(parameter.name)
    lines: list[str] = []
    line_nodes: dict[int, Apply] = {}
    signature = []
    for parameter in parameters:
        signature.append(
            parameter.name if parameter.default_slot is None else f"{parameter.name}=MISSING"
        )
    lines.append(f"def {function_name}({', '.join(signature)}):")
    body: list[str] = []
    defaults_name = ctx.bind(defaults, "defaults")
    for parameter in parameters:
        p = parameter.name
        if parameter.default_slot is not None:
            body.append(f"if {p} is MISSING: {p} = {defaults_name}[{parameter.default_slot}]")
        ttype = parameter.variable.type
        dtype_name = ctx.bind(ttype.numpy_dtype, f"{ttype.dtype}_dtype")
        check = ctx.bind(parameter.check, f"check_{p}")
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
    for variable in [*shared_inputs, *update_targets]:
        if variable not in containers:
            hint = _identifier(variable.name) or "shared"
            containers[variable] = ctx.bind(variable.container, f"{hint}_storage")
    for variable in shared_inputs:
        local = fresh(variable.name or "shared")
        names[variable] = local
        body.append(f"{local} = {containers[variable]}[0]")
    for variable in fgraph.variables():
        if isinstance(variable, Constant) and variable not in names:
            names[variable] = ctx.bind(variable.data, fresh("c"))

    order = fgraph.toposort()
    roots = buffer_roots(order)
    external = set(fgraph.inputs) | {v for v in names if isinstance(v, Constant)}
    outputs = list(fgraph.outputs)
    last_use: dict[Variable, int] = {}
    for position, node in enumerate(order):
        for variable in node.inputs:
            last_use[variable] = position
    keep = set(outputs)
    check_destroys(order, roots, external, keep)

    temp_ids = itertools.count()
    profile_slots: list[Apply] = []
    if profile:
        namespace["perf_counter"] = __import__("time").perf_counter
        timings = ctx.bind([0.0] * len(order), "node_seconds")
        body.insert(0, f"{ctx.bind([0], 'call_count')}[0] += 1")
    for position, node in enumerate(order):
        ctx.outputs = [fresh(f"t{next(temp_ids)}") for _ in node.outputs]
        for variable, out_name in zip(node.outputs, ctx.outputs):
            names[variable] = out_name
        ctx.node = node
        code = node.op.emit(node, [names[v] for v in node.inputs], ctx)
        if code is None:
            kernel = ctx.bind(_perform_kernel(node), f"perform_{type(node.op).__name__}")
            code = f"{kernel}(({', '.join(names[v] for v in node.inputs)},))"
            statements = [f"{', '.join(ctx.outputs)}, = {code}"]
        elif isinstance(code, str):
            statements = [f"{', '.join(ctx.outputs)} = {code}"]
        else:
            statements = list(code)
        comment = _node_comment(node)
        if profile:
            body.append("_start = perf_counter()")
        for index, statement in enumerate(statements):
            line_nodes[len(lines) + len(body) + 1] = node
            body.append(statement + (f"  # {comment}" if comment and index == 0 else ""))
        if profile:
            body.append(f"{timings}[{position}] += perf_counter() - _start")
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
    for variable, target in zip(outputs[n_outputs:], update_targets):
        body.append(f"{containers[target]}[0] = {finished(variable, False)}")
    if unpack_single:
        body.append(f"return {results[0]}")
    else:
        body.append(f"return [{', '.join(results)}]")
    header = _constant_header(names).splitlines()
    helpers = [line for line, _ in ctx.definitions] + ([""] if ctx.definitions else [])
    source = "\n".join(header + helpers + lines + ["    " + line for line in body]) + "\n"
    offset = len(header) + len(helpers)
    line_nodes = {line + offset: node for line, node in line_nodes.items()}
    for index, (_, node) in enumerate(ctx.definitions):  # errors inside helper functions
        if node is not None:
            line_nodes[len(header) + index + 1] = node
    return Program(
        source, namespace, filename, function_name, line_nodes, names, order, profile_slots
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
    return f"{location.filename.rsplit('/', 1)[-1]}:{location.lineno}"


def _constant_header(names: dict) -> str:
    rows = []
    for variable, name in names.items():
        if isinstance(variable, Constant):
            data = variable.data
            if data.size <= 4:
                text = repr(np.asarray(data).tolist())
            else:
                text = f"array of shape {data.shape}"
            rows.append(f"# {name} = {variable.type.dtype} {text}")
    return "".join(row + "\n" for row in sorted(rows))
