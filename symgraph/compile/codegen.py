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

from symgraph.graph.aliasing import buffer_roots, unsafe_destroys
from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.emit import (
    EmitContext,
    check_one_line_each,
    comment_text,
    emitted_statements,
)
from symgraph.graph.fgraph import FunctionGraph
from symgraph.graph.perform import PerformGuard

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

    def explain(self, error: Exception) -> str | None:
        """A note naming the node whose line of this program raised ``error``, the shapes
        of its inputs and the user line that built it (None when no line of it did)."""
        tb = error.__traceback__
        frame_tb = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.filename:
                frame_tb = tb
            tb = tb.tb_next
        if frame_tb is None:
            return None
        node = self.line_nodes.get(frame_tb.tb_lineno)
        if node is None:
            return None
        local_values = frame_tb.tb_frame.f_locals
        described = []
        for variable in node.inputs:
            value = local_values.get(self.names.get(variable))
            if value is not None:
                described.append(f"{variable}: {np.asarray(value).dtype}{list(np.shape(value))}")
        note = f"symgraph: this error happened computing {node.op} on ({', '.join(described)})"
        if node.source is not None:
            note += f"\n  that node was built at {node.source}"
        return note

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
    compile_inner=None,
) -> Program:
    """Generate the Python function computing ``fgraph``'s outputs.

    ``fgraph.outputs`` are the ``n_outputs`` user outputs followed by the new values of
    ``update_targets``; updates are checked against their shared variables' static shapes
    and stored only after everything else is computed and checked, so a call that fails
    leaves every shared variable as it was. ``defaults`` is the list the function reads
    omitted arguments' values from (its owner may change it later). ``compile_inner``
    compiles the inner graphs of ops that hold one (a loop body), see ``EmitContext``.
    """
    writer = _SourceWriter(fgraph, name, profile, compile_inner)
    writer.take_parameters(parameters, defaults)
    writer.read_shared_values(shared_inputs, update_targets)
    writer.compute_nodes()
    writer.return_results(n_outputs, output_borrow, update_targets, unpack_single)
    return writer.program()


class _SourceWriter:
    """The generated function, written in the order it runs: the header naming every
    generated name, the parameters and their checks, the shared values, one statement
    per node, then the results and the updates."""

    def __init__(
        self, fgraph: FunctionGraph, name: str | None, profile: bool, compile_inner=None
    ) -> None:
        self.fgraph = fgraph
        self.name = name
        self.label = name or FUNCTION_NAME
        self.filename = f"<symgraph-fn-{next(_function_ids)}:{comment_text(self.label)}>"
        self.namespace: dict[str, Any] = dict(_FIXED_GLOBALS)
        self.ctx = EmitContext(self.namespace, compile_inner)
        self.names: dict[Variable, str] = {}
        titled = f" '{comment_text(name)}'" if name is not None else ""
        self.header = [f"# symgraph function{titled}; the generated names stand for:"]
        self.lines: list[str] = []  # the def line
        self.body: list[str] = []
        self.containers: dict[Variable, str] = {}  # shared variable -> its storage's name
        self.order = fgraph.toposort()
        self.line_nodes: dict[int, Apply] = {}
        self.profile = profile
        self.profile_slots: list[Apply] = []
        self.profile_seconds: list[float] | None = None
        self.profile_calls: list[int] | None = None

    def take_parameters(self, parameters: Sequence[Parameter], defaults: list) -> None:
        """The def line, and per input: its default when omitted, and the check that
        converts (or refuses) a value that is not already an ndarray of its type."""
        signature = []
        for position, parameter in enumerate(parameters):
            p = f"a{position}"
            self.names[parameter.variable] = p
            signature.append(p if parameter.default_slot is None else f"{p}=MISSING")
            default = "" if parameter.default_slot is None else ", has a default"
            self.header.append(
                f"# {p}: input {_user_label(parameter.variable, parameter.name)} "
                f"({parameter.variable.type.describe()}{default})"
            )
        self.lines = [f"def {FUNCTION_NAME}({', '.join(signature)}):"]
        if self.name is not None:
            self.lines[0] += f"  # {comment_text(self.name)}"
        ctx = self.ctx
        defaults_name = ctx.bind(defaults, "defaults")
        for parameter in parameters:
            p = self.names[parameter.variable]
            if parameter.default_slot is not None:
                self.body.append(
                    f"if {p} is MISSING: {p} = {defaults_name}[{parameter.default_slot}]"
                )
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
            self.body.append(f"if {' or '.join(fast)}: {p} = {check}({p})")

    def read_shared_values(
        self, shared_inputs: Sequence[Variable], update_targets: Sequence[Variable]
    ) -> None:
        """Each shared variable's storage (a one-item list) bound by name; the values
        read are those at the start of the call."""
        locals_of_shared: dict[Variable, str] = {}
        updated = set(update_targets)
        for variable in [*shared_inputs, *update_targets]:
            if variable not in self.containers:
                local = f"s{len(self.containers)}"
                self.containers[variable] = f"{local}_storage"
                self.namespace[self.containers[variable]] = variable.container
                locals_of_shared[variable] = local
                self.header.append(
                    f"# {local}: shared variable {_user_label(variable, variable.name)} "
                    f"({variable.type.describe()}){', updated' if variable in updated else ''}"
                )
        for variable in shared_inputs:
            self.names[variable] = locals_of_shared[variable]
            self.body.append(f"{self.names[variable]} = {self.containers[variable]}[0]")

    def compute_nodes(self) -> None:
        """One statement (or a few) per node in topological order, each mapped back to its
        node; arrays are deleted after their last use so their memory can be reused."""
        ctx, names, body, order = self.ctx, self.names, self.body, self.order
        for variable in _constants_in(self.fgraph, order):
            names[variable] = ctx.bind(variable.data)
        self.roots = buffer_roots(order)
        self.external = set(self.fgraph.inputs) | {v for v in names if isinstance(v, Constant)}
        keep = set(self.fgraph.outputs)
        # An op that overwrites a buffer it may not (a user's op declaring destroy_map on
        # a function input, or on a value another node still reads) overwrites a copy of
        # it instead. The in-place pass only picks safe buffers (``check_graph`` asserts
        # that), so the functions it rewrites copy nothing here.
        self.private_copies = {
            (node, position)
            for node, position, _ in unsafe_destroys(order, self.roots, self.external, keep)
        }
        last_use: dict[Variable, int] = {}
        for position, node in enumerate(order):
            for variable in node.inputs:
                last_use[variable] = position
        if self.profile:
            self.profile_seconds, self.profile_calls = [0.0] * len(order), [0]
            timings = ctx.bind(self.profile_seconds, "node_seconds")
            clock = ctx.bind(time.perf_counter, "perf_counter")
            started = ctx.fresh()
            body.insert(0, f"{ctx.bind(self.profile_calls, 'call_count')}[0] += 1")
        for position, node in enumerate(order):
            if self.profile:
                body.append(f"{started} = {clock}()")
            comment = _node_comment(node)
            for index, statement in enumerate(self._statements(node)):
                self.line_nodes[len(self.lines) + len(body) + 1] = node
                body.append(statement + (f"  {comment}" if comment and index == 0 else ""))
            if self.profile:
                body.append(f"{timings}[{position}] += {clock}() - {started}")
                self.profile_slots.append(node)
            dead = [
                names[v]
                for v in dict.fromkeys(node.inputs)
                if last_use.get(v) == position
                and v.owner is not None
                and v not in keep
                and v.ndim > 0
            ]
            if dead:
                body.append(f"del {', '.join(dead)}")

    def _statements(self, node: Apply) -> list[str]:
        """The statements computing ``node``: its op's emitted code, or a call of its
        ``perform`` for an op that writes no code."""
        ctx, names = self.ctx, self.names
        ctx.outputs = [ctx.fresh() for _ in node.outputs]
        for variable, out_name in zip(node.outputs, ctx.outputs):
            names[variable] = out_name
        ctx.node = node
        input_names, copies = [], []
        for position, variable in enumerate(node.inputs):
            input_names.append(names[variable])
            if (node, position) in self.private_copies:
                input_names[-1] = ctx.fresh()
                copies.append(f"{input_names[-1]} = {names[variable]}.copy()")
        code = node.op.emit(node, input_names, ctx)
        if code is not None:
            return copies + emitted_statements(code, ctx.outputs)
        kernel = ctx.bind(PerformGuard(node), f"perform_{type(node.op).__name__}")
        arguments = ", ".join(input_names)
        return [*copies, f"{', '.join(ctx.outputs)}, = {kernel}(({arguments},))"]

    def return_results(
        self,
        n_outputs: int,
        output_borrow: Sequence[bool],
        update_targets: Sequence[Variable],
        unpack_single: bool,
    ) -> None:
        """Copy where an output would alias an input, a shared value, a constant or another
        output; check every update, then store them all; return the outputs."""
        outputs = list(self.fgraph.outputs)
        claimed: set[Variable] = set()

        def finished(variable: Variable, borrow: bool) -> str:
            name = self.names[variable]
            root = self.roots.get(variable, variable)
            copy = not borrow and (root in self.external or root in claimed)
            claimed.add(root)
            if variable.ndim == 0:  # returned as 0-d arrays: NumPy hands back scalars
                return f"np.array({name})" if copy else f"np.asarray({name})"
            return f"{name}.copy()" if copy else name

        results = [finished(v, borrow) for v, borrow in zip(outputs[:n_outputs], output_borrow)]
        update_values = list(zip(outputs[n_outputs:], update_targets))
        # Every check before the first store: a refused update changes no shared variable.
        for variable, target in update_values:
            check = _update_shape_check(variable, target, self.names[variable], self.ctx)
            if check is not None:
                self.body.append(check)
        for variable, target in update_values:
            self.body.append(f"{self.containers[target]}[0] = {finished(variable, False)}")
        if unpack_single:
            self.body.append(f"return {results[0]}")
        else:
            self.body.append(f"return [{', '.join(results)}]")

    def program(self) -> Program:
        """The source (header, helper definitions, the function) and its line map."""
        ctx, header = self.ctx, self.header
        for constant_name, data in ctx.constants.items():
            header.append(f"# {constant_name} = {_constant_text(data)}")
        helpers = [line for line, _ in ctx.definitions] + ([""] if ctx.definitions else [])
        source_lines = header + helpers + self.lines + ["    " + line for line in self.body]
        source = "\n".join(source_lines) + "\n"
        check_one_line_each(source_lines, source)
        offset = len(header) + len(helpers)
        line_nodes = {line + offset: node for line, node in self.line_nodes.items()}
        for index, (_, node) in enumerate(ctx.definitions):  # errors inside helper functions
            if node is not None:
                line_nodes[len(header) + index + 1] = node
        return Program(
            source,
            self.namespace,
            self.filename,
            FUNCTION_NAME,
            line_nodes,
            self.names,
            self.order,
            self.profile_slots,
            self.label,
            self.profile_seconds,
            self.profile_calls,
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
