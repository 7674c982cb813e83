"""Hypothesis strategies drawing fuzz graphs (``graphs()``).

A graph starts from a few leaves (symbolic inputs, shared variables) whose values mix
ordinary numbers with extreme ones (1e-300, 800, 1e4...), then applies a drawn number of
steps. Each step reads earlier records, preferring recent ones (so chains grow deep) but
reaching back to any (so one intermediate feeds several consumers, directly and through
views): element-wise ops, operations with constants (large and tiny ones included),
views (transpose/dimshuffle, reversed and strided slices, reshape, flatten, broadcast
axes), reductions, ``dot``, ``switch``, diamonds (one intermediate read by two branches,
element-wise ops or views of it, that meet again: ``f(t) op g(t)``), and the idioms the
rewrite rules target (``log(1 + exp(x))``, ``(x * c1) * c2``, ``x / c``...). Every end
of the graph (a record nothing reads) is an output, sometimes with a leaf or a middle
record too; shared variables may get updates. Choices are ordered so that Hypothesis
shrinks towards small, shallow, float64 graphs with ordinary values.

Graphs drawn for gradient checks keep values and constants moderate; about one graph in
sixteen is "large" (200 x 200 arrays), where fused kernels run on several threads.
"""

from __future__ import annotations

import math

import numpy as np
from fuzz_graphs import BINARY, REDUCE, UNARY, Graph, Node, Values
from hypothesis import strategies as st

SPECIALS = {
    "float64": (
        0.0,
        1.0,
        -1.0,
        0.5,
        2.0,
        800.0,
        -800.0,
        1e4,
        -1e4,
        30.0,
        -30.0,
        1e-300,
        -1e-300,
        1e-310,
        1e200,
        -1e200,
        1e-20,
        100.0,
        710.0,
    ),
    "float32": (
        0.0,
        1.0,
        -1.0,
        0.5,
        2.0,
        100.0,
        -100.0,
        1e4,
        -1e4,
        30.0,
        -30.0,
        1e-30,
        1e-39,
        1e30,
        -1e30,
        1e-20,
        90.0,
    ),
}
# A leaf's values are ordinary numbers times one of these (the first most often): data
# in other units, where x / 1e-310 or (x * 1e200) * 1e200 is finite.
MAGNITUDES = {
    "float64": (1.0, 1.0, 1.0, 1e-300, 1e-150, 1e150, 1e200, 100.0),
    "float32": (1.0, 1.0, 1.0, 1e-30, 1e-20, 1e20, 1e30, 30.0),
}
GRAD_SPECIALS = (0.0, 1.0, -1.0, 0.5, -0.5, 2.0)
# Constants: ordinary ones, or (as often) extreme ones whose products, quotients and
# reciprocals leave the dtype's range.
CONSTANTS = {
    "float64": (1.0, 2.0, 0.5, -1.0, 3.0, 0.0, 1e4, 1e-4, 0.1, 800.0),
    "float32": (1.0, 2.0, 0.5, -1.0, 3.0, 0.0, 1e4, 0.1, 100.0),
}
EXTREME_CONSTANTS = {
    "float64": (1e200, 1e-200, 1e-310, 1e300, 1e-300, 1e150, -1e200),
    "float32": (1e30, 1e-30, 1e-39, 1e20, 1e-20, 1e38, -1e30),
}
GRAD_CONSTANTS = (1.0, 2.0, 0.5, -1.0, 3.0, 0.1, 1.5)
EXPONENTS = (2.0, 0.5, -1.0, 3.0, 1.0)
# Idioms and diamonds are listed twice: they are where the rewrites and the in-place pass
# have most to get wrong.
STEPS = (
    "unary",
    "binary",
    "constant",
    "view",
    "reduce",
    "dot",
    "idiom",
    "switch",
    "diamond",
    "idiom",
    "diamond",
)
IDIOMS = (
    "log_1_plus_exp",
    "log1p_exp",
    "log_exp_plus_exp",
    "log_sigmoid",
    "log_1_minus_sigmoid",
    "exp_minus_1",
    "log_1_plus",
    "mul_chain",
    "add_chain",
    "div_const",
)
VIEW_KINDS = ("transpose", "reverse", "stride", "reshape", "flatten", "newaxis", "dropaxis")
LARGE = 200  # 200 x 200 = 40000 elements: over the size where fused kernels use threads
SMALL_ARRAY = 64  # arrays up to this size list their elements (they shrink element-wise)


def broadcast(*nodes: Node) -> tuple[tuple[int, ...], tuple[bool, ...]] | None:
    """Shape and broadcast axes of an element-wise op of ``nodes``, None if invalid."""
    rank = max(n.ndim for n in nodes)
    shape, bcast = [], []
    for axis in range(-rank, 0):
        sizes = {n.shape[axis] for n in nodes if n.ndim >= -axis and not n.bcast[axis]}
        if len(sizes) > 1:
            return None
        bcast.append(not sizes)  # every operand broadcasts along this axis
        shape.append(sizes.pop() if sizes else 1)
    return tuple(shape), tuple(bcast)


class _Builder:
    def __init__(self, draw, dtype: str, dims: tuple[int, ...], gradient: bool, large: bool):
        self.draw = draw
        self.graph = Graph(dtype)
        self.dtype = dtype
        self.dims = dims
        self.gradient = gradient
        self.large = large

    @property
    def nodes(self) -> list[Node]:
        return self.graph.nodes

    def add(self, op, args, params, shape, bcast, dtype=None, style=0) -> int:
        node = Node(
            op, tuple(args), tuple(params), tuple(shape), tuple(bcast), dtype or self.dtype, style
        )
        self.nodes.append(node)
        return len(self.nodes) - 1

    def pick(self, accept=None, allow_const=False) -> int | None:
        """An earlier record; drawing 0 means the most recent, so chains shrink short."""
        candidates = [
            i
            for i, n in enumerate(self.nodes)
            if n.dtype == self.dtype
            and (allow_const or n.op != "const")
            and (accept is None or accept(n))
        ]
        if not candidates:
            return None
        return candidates[-1 - self.draw(st.integers(0, len(candidates) - 1))]

    # leaves ---------------------------------------------------------------------------

    def shape(self, allow_bcast: bool) -> tuple[tuple[int, ...], tuple[bool, ...]]:
        ranks = [2, 1] if self.large else [2, 1, 0, 3]
        rank = self.draw(st.sampled_from(ranks))
        shape, bcast = [], []
        for _ in range(rank):
            if allow_bcast and not self.large and self.draw(st.integers(0, 5)) == 5:
                shape.append(1)
                bcast.append(True)
            else:
                shape.append(self.draw(st.sampled_from(self.dims)))
                bcast.append(False)
        return tuple(shape), tuple(bcast)

    def values(self, shape) -> Values:
        size = math.prod(shape)
        width = 32 if self.dtype == "float32" else 64
        if self.gradient:
            moderate = st.floats(-2, 2, width=width).map(lambda v: v if abs(v) > 1e-3 else 0.0)
            element = st.one_of(moderate, st.sampled_from(GRAD_SPECIALS))
            low, high, specials, scale = -2.0, 2.0, GRAD_SPECIALS, 1.0
        else:
            ordinary = st.floats(-4, 4, width=width)
            element = st.one_of(ordinary, ordinary, st.sampled_from(SPECIALS[self.dtype]))
            low, high, specials = -3.0, 3.0, SPECIALS[self.dtype]
            scale = self.draw(st.sampled_from(MAGNITUDES[self.dtype]))
        limit = float(np.finfo(self.dtype).max)
        if size <= SMALL_ARRAY:
            elements = self.draw(st.lists(element, min_size=size, max_size=size))
            elements = [e * scale if abs(e * scale) < limit else e for e in elements]
            return Values(shape, self.dtype, elements=tuple(float(e) for e in elements))
        seed = self.draw(st.integers(0, 2**16))
        overrides = self.draw(
            st.lists(st.tuples(st.integers(0, size - 1), st.sampled_from(specials)), max_size=4)
        )
        return Values(shape, self.dtype, None, seed, low * scale, high * scale, tuple(overrides))

    def leaf(self, op: str) -> int:
        shape, bcast = self.shape(allow_bcast=op == "input")
        return self.add(op, (), (self.values(shape),), shape, bcast)

    def const(self, value: float | None = None, shape=()) -> int:
        if value is None:
            if self.gradient:
                table = GRAD_CONSTANTS
            elif self.draw(st.booleans()):
                table = EXTREME_CONSTANTS[self.dtype]
            else:
                table = CONSTANTS[self.dtype]
            value = self.draw(st.sampled_from(table))
        exact = float(np.asarray(value, dtype=self.dtype)) == value
        inline = exact and self.draw(st.booleans())
        return self.add("const", (), (float(value), inline), (), ())

    # steps ------------------------------------------------------------------------------

    def elemwise(self, op: str, *args: int, style=None) -> int:
        shape, bcast = broadcast(*(self.nodes[a] for a in args))
        if style is None:
            style = self.draw(st.integers(0, 1))
        dtype = "bool" if op in ("gt", "lt") else self.dtype
        return self.add(op, args, (), shape, bcast, dtype, style)

    def partner(self, x: int, allow_const=True) -> int:
        """A record that combines element-wise with ``x`` (a new constant if none)."""
        node = self.nodes[x]
        y = self.pick(lambda n: broadcast(node, n) is not None, allow_const=allow_const)
        return y if y is not None else self.const()

    def unary(self) -> int:
        x = self.pick()
        op = self.draw(st.sampled_from(UNARY))
        if op in ("log", "sqrt", "log1p"):
            guard = self.draw(st.sampled_from([None, "abs", "exp", "sqr", "softplus"]))
            if guard is not None:
                x = self.elemwise(guard, x)
        return self.elemwise(op, x)

    def binary(self) -> int:
        x = self.pick()
        op = self.draw(st.sampled_from([b for b in BINARY if b != "pow"]))
        y = self.partner(x)
        if self.draw(st.booleans()):
            x, y = y, x
        return self.elemwise(op, x, y)

    def constant(self) -> int:
        x = self.pick()
        op = self.draw(st.sampled_from(["mul", "add", "div", "sub", "pow", "maximum"]))
        if op == "pow":
            return self.elemwise("pow", x, self.const(self.draw(st.sampled_from(EXPONENTS))))
        c = self.const()
        if op in ("sub", "div") and self.draw(st.booleans()):
            return self.elemwise(op, c, x)
        return self.elemwise(op, x, c)

    def view(self, x: int | None = None) -> int:
        x = self.pick() if x is None else x
        node = self.nodes[x]
        kind = self.draw(st.sampled_from(VIEW_KINDS))
        if kind == "transpose" and node.ndim >= 2:
            order = tuple(self.draw(st.permutations(range(node.ndim))))
            style = self.draw(st.integers(0, 1)) if order == (1, 0) else 0
            return self.add(
                "dimshuffle",
                (x,),
                (order,),
                [node.shape[a] for a in order],
                [node.bcast[a] for a in order],
                style=style,
            )
        free = [a for a in range(node.ndim) if not node.bcast[a]]
        if kind in ("reverse", "stride") and free:
            axis = self.draw(st.sampled_from(free))
            if kind == "reverse":
                part = (None, None, -1)
            else:
                part = (
                    self.draw(st.sampled_from([None, 1])),
                    None,
                    self.draw(st.sampled_from([2, -2, -1, 1])),
                )
            size = len(range(node.shape[axis])[slice(*part)])
            if size > 0:
                index = ((None, None, None),) * axis + (part,)
                shape = list(node.shape)
                shape[axis] = size
                return self.add("slice", (x,), (index,), shape, node.bcast)
        if kind == "flatten" and node.ndim >= 2:
            ndim = self.draw(st.integers(1, node.ndim - 1))
            shape = node.shape[: ndim - 1] + (math.prod(node.shape[ndim - 1 :]),)
            return self.add("flatten", (x,), (ndim,), shape, (False,) * ndim)
        if kind == "newaxis" and node.ndim <= 2:
            position = self.draw(st.integers(0, node.ndim))
            order = list(range(node.ndim))
            order.insert(position, "x")
            shape = [1 if a == "x" else node.shape[a] for a in order]
            bcast = [a == "x" or node.bcast[a] for a in order]
            return self.add("dimshuffle", (x,), (tuple(order),), shape, bcast)
        if kind == "dropaxis" and any(node.bcast):
            drop = self.draw(st.sampled_from([a for a in range(node.ndim) if node.bcast[a]]))
            order = tuple(a for a in range(node.ndim) if a != drop)
            return self.add(
                "dimshuffle",
                (x,),
                (order,),
                [node.shape[a] for a in order],
                [node.bcast[a] for a in order],
            )
        # reshape: also the fallback when the drawn kind does not apply to x
        size = math.prod(node.shape)
        options = [(size,), tuple(reversed(node.shape))]
        options += [(d, size // d) for d in range(2, size) if size % d == 0][:4]
        if size % 4 == 0 and size > 4:
            options.append((2, 2, size // 4))
        shape = self.draw(st.sampled_from(options))
        written = shape
        if len(shape) > 0 and self.draw(st.booleans()):
            position = self.draw(st.integers(0, len(shape) - 1))
            written = shape[:position] + (-1,) + shape[position + 1 :]
        return self.add(
            "reshape",
            (x,),
            (written,),
            shape,
            (False,) * len(shape),
            style=self.draw(st.integers(0, 1)),
        )

    def reduce(self) -> int:
        x = self.pick(lambda n: n.ndim >= 1)
        if x is None:
            return self.unary()
        node = self.nodes[x]
        op = self.draw(st.sampled_from(REDUCE))
        if self.draw(st.booleans()):
            axis = None
            axes = tuple(range(node.ndim))
        else:
            axes = tuple(
                sorted(
                    self.draw(
                        st.lists(st.integers(0, node.ndim - 1), min_size=1, max_size=2, unique=True)
                    )
                )
            )
            axis = axes
        keepdims = self.draw(st.booleans())
        if keepdims:
            shape = [1 if a in axes else s for a, s in enumerate(node.shape)]
            bcast = [a in axes or b for a, b in enumerate(node.bcast)]
        else:
            shape = [s for a, s in enumerate(node.shape) if a not in axes]
            bcast = [b for a, b in enumerate(node.bcast) if a not in axes]
        style = self.draw(st.integers(0, 1))
        return self.add(op, (x,), (axis, keepdims), shape, bcast, style=style)

    def dot(self) -> int:
        x = self.pick(lambda n: n.ndim in (1, 2) and not n.bcast[-1])
        if x is None:
            return self.reduce()
        a = self.nodes[x]
        k = a.shape[-1]
        y = self.pick(lambda n: n.ndim in (1, 2) and n.shape[0] == k and not n.bcast[0])
        if y is None:
            if a.ndim == 1:
                y = x
            else:
                y = self.add("dimshuffle", (x,), ((1, 0),), a.shape[::-1], a.bcast[::-1], style=1)
        b = self.nodes[y]
        shape = a.shape[:-1] + b.shape[1:]
        bcast = a.bcast[:-1] + b.bcast[1:]
        return self.add("dot", (x, y), (), shape, bcast)

    def switch(self) -> int:
        x = self.pick()
        y = self.partner(x)
        condition = self.elemwise(self.draw(st.sampled_from(["gt", "lt"])), x, y)
        cond_node = self.nodes[condition]
        a = self.pick(lambda n: broadcast(cond_node, n) is not None)
        a = a if a is not None else x
        b = self.pick(
            lambda n: broadcast(cond_node, self.nodes[a], n) is not None, allow_const=True
        )
        b = b if b is not None else self.const()
        return self.elemwise("switch", condition, a, b, style=0)

    def idiom(self) -> int:
        kind = self.draw(st.sampled_from(IDIOMS))
        x = self.pick()
        if kind in ("log_1_plus_exp", "log1p_exp", "log_exp_plus_exp"):
            e = self.elemwise("exp", x)
            if kind == "log1p_exp":
                return self.elemwise("log1p", e)
            if kind == "log_1_plus_exp":
                one = self.const(1.0)
                s = self.elemwise("add", *((one, e) if self.draw(st.booleans()) else (e, one)))
            else:
                y = self.partner(x, allow_const=False)
                s = self.elemwise("add", e, self.elemwise("exp", y))
            return self.elemwise("log", s)
        if kind == "log_sigmoid":
            return self.elemwise("log", self.elemwise("sigmoid", x))
        if kind == "log_1_minus_sigmoid":
            s = self.elemwise("sub", self.const(1.0), self.elemwise("sigmoid", x))
            return self.elemwise("log", s)
        if kind == "exp_minus_1":
            return self.elemwise("sub", self.elemwise("exp", x), self.const(1.0))
        if kind == "log_1_plus":
            one = self.const(1.0)
            return self.elemwise("log", self.elemwise("add", one, x))
        if kind in ("mul_chain", "add_chain"):
            op = "mul" if kind == "mul_chain" else "add"
            inner = self.elemwise(op, x, self.const())
            return self.elemwise(op, inner, self.const())
        return self.elemwise("div", x, self.const())

    def diamond(self) -> int:
        """One intermediate read by two branches (each an element-wise op or a view of it)
        that meet again in a binary op: ``f(t) op g(t)``."""
        # an intermediate when there is one: inputs are never overwritten in place
        t = self.pick(lambda n: not n.is_leaf)
        t = self.pick() if t is None else t
        branches = []
        for _ in range(2):
            kind = self.draw(st.sampled_from(["unary", "constant", "view", "itself"]))
            if kind == "unary":
                branches.append(self.elemwise(self.draw(st.sampled_from(UNARY)), t))
            elif kind == "constant":
                op = self.draw(st.sampled_from(["mul", "add", "sub", "div"]))
                branches.append(self.elemwise(op, t, self.const()))
            elif kind == "view":
                branches.append(self.view(t))
            else:
                branches.append(t)
        left, right = branches
        if broadcast(self.nodes[left], self.nodes[right]) is None:
            return right
        op = self.draw(st.sampled_from([b for b in BINARY if b != "pow"]))
        return self.elemwise(op, left, right)

    def update(self, shared: int) -> tuple[int, int] | None:
        target = self.nodes[shared]
        if not self.draw(st.booleans()):
            return None
        same = [
            i
            for i, n in enumerate(self.nodes)
            if i != shared
            and n.op != "const"
            and n.dtype == self.dtype
            and n.shape == target.shape
            and not any(n.bcast)
        ]
        if same and self.draw(st.booleans()):
            return shared, same[-1 - self.draw(st.integers(0, len(same) - 1))]
        # an SGD-like step: s - c * sum(last record)
        last = self.pick()
        total = self.add("sum", (last,), (None, False), (), ())
        step = self.elemwise("mul", self.const(), total)
        return shared, self.elemwise("sub", shared, step)


@st.composite
def graphs(draw, max_steps: int = 10, gradient: bool | None = None) -> Graph:
    """A random fuzz graph (see the module docstring); ``gradient`` forces whether it is
    drawn for gradient checks."""
    dtype = draw(st.sampled_from(["float64", "float32"]))
    large = gradient is not True and draw(st.integers(0, 15)) == 15
    if gradient is None:
        gradient = not large and draw(st.booleans())
    if large:
        dims: tuple[int, ...] = (LARGE,)
    else:
        a = draw(st.integers(2, 4))
        dims = (a, draw(st.sampled_from([a, 2, 3, 4, 5])))
    b = _Builder(draw, dtype, dims, gradient, large)
    b.graph.gradient = gradient
    b.graph.grad_seed = draw(st.integers(0, 2**16)) if gradient else 0
    for _ in range(draw(st.integers(1, 3))):
        b.leaf("input")
    for _ in range(draw(st.integers(0, 2))):
        b.leaf("shared")
    steps = draw(st.integers(1, max_steps))
    for _ in range(steps):
        getattr(b, draw(st.sampled_from(STEPS)))()
    nodes = b.nodes
    read = {a for n in nodes for a in n.args}
    # every end of the graph is an output, so that no record is dead code
    outputs = [i for i, n in enumerate(nodes) if not n.is_leaf and i not in read]
    others = [i for i, n in enumerate(nodes) if n.op != "const" and i not in outputs]
    if others and draw(st.integers(0, 3)) == 0:  # sometimes also a leaf or a middle record
        outputs.append(others[-1 - draw(st.integers(0, len(others) - 1))])
    b.graph.outputs = outputs
    for shared in b.graph.shared:
        update = b.update(shared)
        if update is not None:
            b.graph.updates.append(update)
    return b.graph
