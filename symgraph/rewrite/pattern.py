"""A small pattern language for rewrite rules, and the equilibrium driver that applies them.

A rule reads like the algebra it implements::

    x = Var("x")
    Rule("mul_by_one", E.mul(x, Const(1)), x, "x * 1 -> x")
    Rule("log_softmax", E.log(P(Softmax, x)),
         lambda x, node: log_softmax(x, axis=node["softmax"].op.axis), ...)

Patterns: ``Var(name)`` binds any variable (the same name twice must bind the same
variable); ``Const(value)`` matches a constant whose every element equals ``value``;
``E.<scalar op>(...)`` matches an element-wise node (both argument orders for commutative
ops); ``P(OpClass, ..., name=...)`` matches any op of a class. The right-hand side is a
pattern variable or a function of the bindings returning the replacement (or None to
decline). For rules a pattern cannot say, ``Rule.custom`` takes a function of the node.
Below an element-wise pattern, an element-wise pattern also matches through the
left-padding dimshuffle that element-wise ops insert for lower-rank inputs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.fgraph import FunctionGraph
from symgraph.graph.traversal import toposort
from symgraph.tensor.ops.dimshuffle import DimShuffle
from symgraph.tensor.ops.math import SCALAR_OPS


class Pattern:
    """Matches a variable; ``match`` extends ``bindings`` or returns None."""

    def match(self, variable: Variable, bindings: dict) -> dict | None:
        raise NotImplementedError

    def root_keys(self) -> list | None:
        """Keys of the ops this pattern can match at its root (None: any)."""
        return None


@dataclass(frozen=True)
class Var(Pattern):
    """Any variable, bound to ``name``; ``where`` optionally filters it."""

    name: str
    where: Callable[[Variable], bool] | None = None

    def match(self, variable, bindings):
        if self.where is not None and not self.where(variable):
            return None
        bound = bindings.get(self.name)
        if bound is None:
            return {**bindings, self.name: variable}
        return bindings if bound is variable else None


@dataclass(frozen=True)
class Const(Pattern):
    """A constant all of whose elements equal ``value`` (any constant when None)."""

    value: Any = None
    name: str | None = None

    def match(self, variable, bindings):
        if not isinstance(variable, Constant):
            return None
        if self.value is not None:
            data = variable.data
            if data.size == 0 or not np.all(data == self.value):
                return None
        return {**bindings, self.name: variable} if self.name else bindings


def op_key(op) -> Any:
    """How rules are indexed: element-wise ops by scalar op name, others by class."""
    scalar = getattr(op, "scalar_op", None)
    return ("elemwise", scalar.name) if scalar is not None else type(op)


@dataclass(frozen=True)
class P(Pattern):
    """A node whose op satisfies ``op`` (a class, or a predicate on the op), with inputs
    matching ``inputs``; the node is bound to ``name`` when given."""

    op: Any
    inputs: tuple = ()
    name: str | None = None
    commutative: bool = False
    key: Any = None

    def __init__(self, op, *inputs, name=None, commutative=False, key=None):
        object.__setattr__(self, "op", op)
        object.__setattr__(self, "inputs", tuple(inputs))
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "commutative", commutative)
        object.__setattr__(
            self, "key", key if key is not None else (op if isinstance(op, type) else None)
        )

    def _op_ok(self, op) -> bool:
        return isinstance(op, self.op) if isinstance(self.op, type) else bool(self.op(op))

    def match(self, variable, bindings):
        node = variable.owner
        if node is None or not self._op_ok(node.op) or len(node.inputs) != len(self.inputs):
            return None
        orders = [node.inputs]
        if self.commutative and len(node.inputs) == 2:
            orders.append(node.inputs[::-1])
        elementwise = _is_elementwise_key(self.key)
        for inputs in orders:
            result = bindings if self.name is None else {**bindings, self.name: node}
            for pattern, child in zip(self.inputs, inputs):
                matched = pattern.match(child, result)
                if matched is None and elementwise and _is_elementwise_pattern(pattern):
                    # An element-wise op pads lower-rank inputs on the left; so does
                    # broadcasting, so below one the padding can be looked through:
                    # log(exp(matrix) + exp(tensor3)) is log(exp(a) + exp(b)).
                    unpadded = _left_padding_source(child)
                    if unpadded is not None:
                        matched = pattern.match(unpadded, result)
                result = matched
                if result is None:
                    break
            if result is not None:
                return result
        return None

    def root_keys(self):
        return None if self.key is None else [self.key]


def _is_elementwise_key(key) -> bool:
    return isinstance(key, tuple) and len(key) == 2 and key[0] == "elemwise"


def _is_elementwise_pattern(pattern: Pattern) -> bool:
    return isinstance(pattern, P) and _is_elementwise_key(pattern.key)


def _left_padding_source(variable: Variable) -> Variable | None:
    """``v`` when ``variable`` is ``v`` with broadcastable axes added on the left only (the
    dimshuffle element-wise ops insert), else None."""
    node = variable.owner
    if node is None or not isinstance(node.op, DimShuffle):
        return None
    order = node.op.new_order
    pads = len(order) - node.op.input_ndim
    if pads <= 0 or order != ("x",) * pads + tuple(range(node.op.input_ndim)):
        return None
    return node.inputs[0]


class _ElemwisePatterns:
    """``E.mul(a, b)`` matches an element-wise ``mul`` node (either order: it commutes)."""

    def __getattr__(self, scalar_name: str):
        if scalar_name not in SCALAR_OPS:
            raise AttributeError(f"no element-wise op named {scalar_name!r}")
        scalar = SCALAR_OPS[scalar_name]

        def make(*inputs, name=None):
            return P(
                lambda op: getattr(op, "scalar_op", None) == scalar,
                *inputs,
                name=name,
                commutative=scalar.commutative,
                key=("elemwise", scalar_name),
            )

        return make


E = _ElemwisePatterns()


@dataclass
class Rule:
    """A named rewrite: ``pattern`` -> ``replacement``, with a one-line ``doc``."""

    name: str
    pattern: Pattern | None
    replacement: Any
    doc: str
    keys: list | None = field(default=None)

    def __post_init__(self) -> None:
        if self.keys is None and self.pattern is not None:
            self.keys = self.pattern.root_keys()

    @classmethod
    def custom(
        cls, name: str, keys: Iterable, fn: Callable[[Apply], Variable | None], doc: str
    ) -> Rule:
        """A rule written as code: ``fn(node)`` returns the replacement of the node's
        (single) output, or None."""
        return cls(name, None, fn, doc, list(keys))

    def apply(self, node: Apply) -> Variable | None:
        if self.pattern is None:
            return self.replacement(node)
        bindings = self.pattern.match(node.outputs[0], {})
        if bindings is None:
            return None
        if isinstance(self.replacement, Var):
            return bindings[self.replacement.name]
        return self.replacement(**bindings)

    def __str__(self) -> str:
        return f"{self.name}: {self.doc}"


class RuleSet:
    """Rules indexed by the op at their root; combine sets with ``+``."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules = list(rules)
        names = [r.name for r in self.rules]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"duplicate rule names: {sorted(duplicates)}")
        self._by_key: dict = defaultdict(list)
        self._any: list[Rule] = []
        for rule in self.rules:
            if rule.keys is None:
                self._any.append(rule)
            else:
                for key in rule.keys:
                    self._by_key[key].append(rule)

    def __add__(self, other: RuleSet) -> RuleSet:
        return RuleSet(self.rules + other.rules)

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def for_node(self, node: Apply) -> list[Rule]:
        return self._by_key.get(op_key(node.op), []) + self._any

    def __str__(self) -> str:
        return "\n".join(str(r) for r in self.rules)


def _acceptable(old: Variable, new: Variable) -> bool:
    return new is not old and (old.type == new.type or old.type.is_super(new.type))


def rewrite_to_equilibrium(fgraph: FunctionGraph, rules: RuleSet, max_rounds: int = 50) -> Counter:
    """Apply ``rules`` to every node until none fires; returns rule name -> fire count.

    A rule whose replacement would change the node's type (dtype, rank, or a static size)
    is skipped, so rewrites never change what a graph computes or its interface.

    One sweep in topological order reaches the fixed point: a rule sees only its node and
    what that node depends on, so it can start to match only after a change upstream of
    it. Nodes are visited after everything they depend on, and the nodes a rule creates
    are visited as soon as it fires (inputs first), before the sweep moves on to their
    users. Rules that undo each other would never settle: the sweep stops once the rules
    have fired ``max_rounds`` times per node of the graph, the work of that many passes.
    """
    fired: Counter = Counter()
    count = 0
    pending = fgraph.toposort()
    pending.reverse()  # a stack: the next node to visit is on top
    while pending and count < max_rounds * len(fgraph.apply_nodes):
        node = pending.pop()
        if node not in fgraph.apply_nodes or len(node.outputs) != 1:
            continue
        for rule in rules.for_node(node):
            new = rule.apply(node)
            if new is None or not _acceptable(node.outputs[0], new):
                continue
            created = inherit_source(fgraph, new, node)
            fgraph.replace(node.outputs[0], new, reason=rule.name)
            fired[rule.name] += 1
            count += 1
            pending.extend(reversed(_inputs_first(created)))
            break
    return fired


def _inputs_first(nodes: list[Apply]) -> list[Apply]:
    """``nodes`` (a connected piece of a graph) in topological order."""
    if len(nodes) < 2:
        return nodes
    inside = set(nodes)
    boundary = {v for node in nodes for v in node.inputs if v.owner not in inside}
    return toposort([out for node in nodes for out in node.outputs], blockers=boundary)


def inherit_source(fgraph: FunctionGraph, new: Variable, node: Apply) -> list[Apply]:
    """Nodes a rule creates are attributed to the user line of the node they replace;
    returns them."""
    created = fgraph.missing_nodes(new)
    for new_node in created:
        new_node.source = node.source
    return created
