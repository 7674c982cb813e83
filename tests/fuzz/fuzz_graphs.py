"""The fuzzer's expression language: a graph is a list of records.

Each record (``Node``) names an operation, the earlier records it reads (``args``), its
static parameters, and the concrete shape and dtype of its value. The same list is built
as a symgraph graph (``build``), evaluated by the NumPy interpreter of
``fuzz_reference``, and printed as a runnable script (``Graph.script``) that reproduces a
failure on its own.

Broadcasting follows symgraph's (Theano's) rule: an axis broadcasts only when its static
shape is 1. ``Node.bcast`` records those axes; the generator combines two values only
when every pair of aligned axes has equal lengths or one of them is such an axis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import symgraph
import symgraph.tensor as T

UNARY = (
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "sqr",
    "neg",
    "abs",
    "tanh",
    "sin",
    "cos",
    "sigmoid",
    "softplus",
    "floor",
    "sign",
)
BINARY = ("add", "sub", "mul", "div", "maximum", "minimum", "pow")
COMPARE = ("gt", "lt")
REDUCE = ("sum", "mean", "max", "min", "prod")
VIEWS = ("dimshuffle", "slice", "reshape", "flatten")
ELEMWISE = UNARY + BINARY + COMPARE + ("switch",)

_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
_T_NAMES = {"div": "true_div"}


@dataclass(frozen=True)
class Values:
    """How a leaf's value is made: its elements listed (small arrays, which shrink well),
    or drawn from a seeded generator with a few listed overrides (large arrays)."""

    shape: tuple[int, ...]
    dtype: str
    elements: tuple[float, ...] | None = None
    seed: int = 0
    low: float = -3.0
    high: float = 3.0
    overrides: tuple[tuple[int, float], ...] = ()

    def make(self) -> np.ndarray:
        if self.elements is not None:
            return np.array(self.elements, dtype=self.dtype).reshape(self.shape)
        size = int(np.prod(self.shape, dtype=np.int64))
        flat = np.random.default_rng(self.seed).uniform(self.low, self.high, size)
        flat = flat.astype(self.dtype)
        for index, value in self.overrides:
            flat[index % size] = value
        return flat.reshape(self.shape)

    def source(self) -> str:
        if self.elements is not None:
            body = f"np.array({list(self.elements)!r}, dtype={self.dtype!r})"
            return (
                body if self.shape == (len(self.elements),) else (f"{body}.reshape({self.shape!r})")
            )
        text = (
            f"_seeded({self.shape!r}, {self.dtype!r}, {self.seed}, {self.low!r}, "
            f"{self.high!r}, {list(self.overrides)!r})"
        )
        return text


SEEDED_HELPER = """\
def _seeded(shape, dtype, seed, low, high, overrides):
    size = int(np.prod(shape))
    flat = np.random.default_rng(seed).uniform(low, high, size).astype(dtype)
    for index, value in overrides:
        flat[index % size] = value
    return flat.reshape(shape)
"""


@dataclass(frozen=True)
class Node:
    """One record: ``op`` applied to the records ``args``.

    ``params`` by op: input/shared: (Values,); const: (value, python_float) where a Python
    float is written inline (``x * 0.5``) instead of ``T.constant``; dimshuffle: (order,);
    slice: (index tuple of (start, stop, step)); reshape: (shape,); flatten: (ndim,);
    reductions: (axis tuple or None, keepdims). ``style`` picks between spellings of the
    same operation (``a + b`` or ``T.add(a, b)``, ``x.T`` or ``x.dimshuffle(1, 0)``...).
    """

    op: str
    args: tuple[int, ...]
    params: tuple
    shape: tuple[int, ...]
    bcast: tuple[bool, ...]
    dtype: str
    style: int = 0

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def is_leaf(self) -> bool:
        return self.op in ("input", "shared", "const")


@dataclass
class Graph:
    """A drawn graph: records, outputs, updates, and whether gradients are checked."""

    dtype: str
    nodes: list[Node] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    updates: list[tuple[int, int]] = field(default_factory=list)
    gradient: bool = False
    grad_seed: int = 0

    @property
    def inputs(self) -> list[int]:
        return [i for i, n in enumerate(self.nodes) if n.op == "input"]

    @property
    def shared(self) -> list[int]:
        return [i for i, n in enumerate(self.nodes) if n.op == "shared"]

    def leaf_values(self) -> dict[int, np.ndarray]:
        return {
            i: n.params[0].make() for i, n in enumerate(self.nodes) if n.op in ("input", "shared")
        }

    def name(self, index: int) -> str:
        node = self.nodes[index]
        prefix = {"input": "x", "shared": "s", "const": "c"}.get(node.op, "n")
        return f"{prefix}{index}"

    def expression(self, index: int) -> str:
        """Python source building record ``index`` from the names of its arguments."""
        node = self.nodes[index]
        args = [self.operand(a) for a in node.args]
        op, p = node.op, node.params
        if op == "input":
            static = tuple(1 if b else None for b in node.bcast)
            return f"T.tensor({node.dtype!r}, shape={static!r}, name={self.name(index)!r})"
        if op == "shared":
            return f"symgraph.shared({p[0].source()}, name={self.name(index)!r})"
        if op == "const":
            return f"T.constant(np.asarray({float(p[0])!r}, dtype={node.dtype!r}))"
        if op in _OPERATORS and node.style == 0:
            return f"{args[0]} {_OPERATORS[op]} {args[1]}"
        if op == "neg" and node.style == 0:
            return f"-{args[0]}"
        if op in ELEMWISE and op not in ("gt", "lt", "switch"):
            return f"T.{_T_NAMES.get(op, op)}({', '.join(args)})"
        if op in ("gt", "lt"):
            return f"T.{op}({args[0]}, {args[1]})"
        if op == "switch":
            return f"T.switch({', '.join(args)})"
        if op == "dimshuffle":
            (order,) = p
            if order == (1, 0) and node.style == 1:
                return f"{args[0]}.T"
            return f"{args[0]}.dimshuffle({', '.join(repr(a) for a in order)})"
        if op == "slice":
            return f"{args[0]}[{_index_text(p[0])}]"
        if op == "reshape":
            if node.style == 1:
                return f"T.reshape({args[0]}, {p[0]!r})"
            return f"{args[0]}.reshape({p[0]!r})"
        if op == "flatten":
            return f"T.flatten({args[0]}, ndim={p[0]})"
        if op in REDUCE:
            axis, keepdims = p
            axis_text = "None" if axis is None else repr(axis)
            if node.style == 1 and op in ("sum", "mean", "max"):
                return f"{args[0]}.{op}(axis={axis_text}, keepdims={keepdims})"
            return f"T.{op}({args[0]}, axis={axis_text}, keepdims={keepdims})"
        if op == "dot":
            return f"T.dot({args[0]}, {args[1]})"
        raise ValueError(f"unknown record op {op!r}")

    def operand(self, index: int) -> str:
        node = self.nodes[index]
        if node.op == "const" and node.params[1]:
            return repr(float(node.params[0]))
        return self.name(index)

    def script(self) -> str:
        """A runnable script building the graph, compiling it in both modes and printing
        what each returns: the failing case as a regression test in the making."""
        lines = ["import numpy as np", "import symgraph", "import symgraph.tensor as T", ""]
        if any(n.op in ("input", "shared") and n.params[0].elements is None for n in self.nodes):
            lines += [SEEDED_HELPER]
        for index, node in enumerate(self.nodes):
            if node.op == "const" and node.params[1]:
                continue  # written inline where it is used
            lines.append(f"{self.name(index)} = {self.expression(index)}")
        names = ", ".join(self.name(i) for i in self.outputs)
        updates = ", ".join(f"({self.name(s)}, {self.name(e)})" for s, e in self.updates)
        inputs = ", ".join(self.name(i) for i in self.inputs)
        values = ", ".join(self.nodes[i].params[0].source() for i in self.inputs)
        lines += [
            f"outputs = [{names}]",
            f"updates = [{updates}]",
            f"values = [{values}]",
            "for mode in ('FAST_COMPILE', 'FAST_RUN'):",
        ]
        for index in self.shared:
            lines.append(
                f"    {self.name(index)}.set_value({self.nodes[index].params[0].source()})"
            )
        lines += [
            f"    f = symgraph.function([{inputs}], outputs, updates=updates, mode=mode,"
            " on_unused_input='ignore')",
            "    print(mode, f(*values))",
        ]
        for index, _ in self.updates:
            lines.append(f"    print('  {self.name(index)} ->', {self.name(index)}.get_value())")
        if self.gradient:
            lines.append(f"# gradients checked with grad_seed={self.grad_seed}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<fuzz graph, {len(self.nodes)} records>\n{self.script()}\n"

    def _repr_pretty_(self, printer, cycle) -> None:  # how Hypothesis shows an example
        printer.text(repr(self))


def _index_text(index: tuple) -> str:
    parts = []
    for start, stop, step in index:
        text = ("" if start is None else str(start)) + ":" + ("" if stop is None else str(stop))
        if step is not None:
            text += f":{step}"
        parts.append(text)
    return ", ".join(parts)


class ModelError(AssertionError):
    """The fuzzer's shape model and symgraph's static types disagree (a fuzzer bug, or a
    static-shape bug in symgraph)."""


def build(graph: Graph) -> dict[int, object]:
    """The symgraph variables of every record (Python floats for inline constants)."""
    built: dict[int, object] = {}
    namespace = {"T": T, "np": np, "symgraph": symgraph}
    helper: dict = {}
    exec(SEEDED_HELPER, {"np": np}, helper)
    namespace["_seeded"] = helper["_seeded"]
    for index, node in enumerate(graph.nodes):
        if node.op == "input":
            static = tuple(1 if b else None for b in node.bcast)
            built[index] = T.tensor(node.dtype, shape=static, name=graph.name(index))
        elif node.op == "shared":
            built[index] = symgraph.shared(node.params[0].make(), name=graph.name(index))
        elif node.op == "const" and node.params[1]:
            built[index] = float(node.params[0])
        else:
            local = {graph.operand(a): built[a] for a in node.args}
            built[index] = eval(graph.expression(index), namespace, local)  # noqa: S307
        variable = built[index]
        if isinstance(variable, float):
            continue
        _check_type(graph, index, variable)
    return built


def _check_type(graph: Graph, index: int, variable) -> None:
    node = graph.nodes[index]
    static = variable.type.shape
    problem = None
    if variable.dtype != node.dtype:
        problem = f"dtype {variable.dtype}, expected {node.dtype}"
    elif len(static) != node.ndim:
        problem = f"rank {len(static)}, expected shape {node.shape}"
    elif any(s is not None and s != n for s, n in zip(static, node.shape)):
        problem = f"static shape {static} contradicts the actual shape {node.shape}"
    elif any(b and s != 1 for s, b in zip(static, node.bcast)):
        problem = f"static shape {static} does not broadcast where expected {node.bcast}"
    if problem:
        raise ModelError(f"{graph.name(index)} = {graph.expression(index)}: {problem}")
