"""``FunctionGraph``: a graph with fixed inputs and outputs that rewrites may edit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.collector import collector_paused
from symgraph.graph.text import graph_to_text
from symgraph.graph.traversal import clone_graph, toposort

OUTPUT = "output"  # the client of a graph output: (OUTPUT, position)


class Clients(dict):
    """The uses of one variable, ``(node, input_position)`` pairs in the order they were
    added; reads like a list of them (iterate, ``len``, index, ``==`` a list).

    An ordered set, so that removing one use costs the same however many there are:
    merged constants (a ``0.5`` in every layer) have uses all over the graph, and each
    rewrite that drops a node removes one of them. A dict itself (pair -> None) rather than
    a wrapper around one: every variable of a graph has one, and the garbage collector's
    work grows with the number of objects. Read it as a sequence: ``Counter(clients)``
    would take it for a mapping of counts.
    """

    __slots__ = ()

    # ``setdefault(pair)`` stores ``pair -> None``: an append, at the C level's speed (it
    # runs once per use of every variable when a graph is imported).
    append = dict.setdefault

    def remove(self, pair: tuple) -> None:
        """Forget one use (ValueError if it is not there, as for a list)."""
        try:
            del self[pair]
        except KeyError:
            raise ValueError(f"{pair!r} is not a client") from None

    def __getitem__(self, index):
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (dict, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # mutable, like a list

    def __repr__(self) -> str:
        return repr(list(self))


class FunctionGraph:
    """Owns a private copy of the nodes between ``inputs`` and ``outputs``.

    ``clients[v]`` lists ``(node, input_position)`` for every use of ``v`` and
    ``(OUTPUT, i)`` when ``v`` is the graph's i-th output. ``replace`` rewires every use of a
    variable to another and drops nodes nothing depends on any more; edit the graph only
    through it (the topological order is kept until the next edit).
    """

    @collector_paused()
    def __init__(
        self, inputs: Sequence[Variable], outputs: Sequence[Variable], clone: bool = True
    ) -> None:
        self.inputs = list(inputs)
        if clone:
            outputs, self.memo = clone_graph(outputs, self.inputs)
        else:
            self.memo = {}
        self.outputs = list(outputs)
        self.clients: dict[Variable, Clients] = defaultdict(Clients)
        self.apply_nodes: set[Apply] = set()
        self._input_set = set(self.inputs)
        # The topological order and the outputs it was computed for, until the next edit:
        # most passes and the code generator ask for it, and many passes change nothing.
        self._order: list[Apply] | None = None
        self._order_outputs: list[Variable] = []
        for node in self.toposort():
            self._import_node(node)
        for position, output in enumerate(self.outputs):
            self.clients[output].append((OUTPUT, position))
        self._check_inputs_known()

    def _import_node(self, node: Apply) -> None:
        self.apply_nodes.add(node)
        for position, variable in enumerate(node.inputs):
            self.clients[variable].append((node, position))

    def _check_inputs_known(self) -> None:
        inputs = self._input_set
        for variable in list(self.clients):
            if (
                variable.owner is None
                and variable not in inputs
                and not isinstance(variable, Constant)
            ):
                raise MissingInputError(variable)

    def toposort(self) -> list[Apply]:
        """The nodes, each after those it depends on (a new list each call)."""
        if self._order is None or self._order_outputs != self.outputs:
            self._order = toposort(self.outputs, blockers=self._input_set)
            self._order_outputs = list(self.outputs)
        return list(self._order)

    def variables(self) -> list[Variable]:
        seen = dict.fromkeys(self.inputs)
        for node in self.toposort():
            seen.update(dict.fromkeys(node.inputs))
            seen.update(dict.fromkeys(node.outputs))
        seen.update(dict.fromkeys(self.outputs))
        return list(seen)

    def replace(self, old: Variable, new: Variable, reason: str | None = None) -> None:
        """Make every user of ``old`` use ``new`` instead (dropping what becomes dead)."""
        if old is new:
            return
        if old.type != new.type and not old.type.is_super(new.type):
            raise TypeError(
                f"replacing {old} ({old.type}) by {new} ({new.type}) changes its type"
                + (f" (rewrite {reason})" if reason else "")
            )
        self._order = None
        self._import_graph(new)
        for client, position in self.clients.pop(old, []):
            if client == OUTPUT:
                self.outputs[position] = new
            else:
                client.inputs[position] = new
            self.clients[new].append((client, position))
        if old.owner is not None:
            self._prune_from(old.owner)

    def replace_all(self, pairs: Sequence[tuple[Variable, Variable]], reason=None) -> None:
        for old, new in pairs:
            self.replace(old, new, reason)

    def missing_nodes(self, variable: Variable) -> list[Apply]:
        """The nodes computing ``variable`` that this graph does not have yet (walks only
        those, so it costs the size of the new part, not of the graph)."""
        inputs = self._input_set
        new_nodes: list[Apply] = []
        seen: set[Apply] = set()
        stack = [variable]
        while stack:
            v = stack.pop()
            node = v.owner
            if node is None:
                if v not in inputs and not isinstance(v, Constant):
                    raise MissingInputError(v)
                continue
            if v in inputs or node in self.apply_nodes or node in seen:
                continue
            seen.add(node)
            new_nodes.append(node)
            stack.extend(node.inputs)
        return new_nodes

    def _import_graph(self, variable: Variable) -> None:
        for node in self.missing_nodes(variable):
            self._import_node(node)

    def _prune_from(self, node: Apply) -> None:
        """Remove ``node`` if nothing uses its outputs, then its inputs' producers likewise."""
        stack = [node]
        while stack:
            node = stack.pop()
            if node not in self.apply_nodes or any(self.clients.get(o) for o in node.outputs):
                continue
            self.apply_nodes.discard(node)
            for output in node.outputs:
                self.clients.pop(output, None)
            for position, variable in enumerate(node.inputs):
                uses = self.clients.get(variable)
                if uses is not None:
                    try:
                        uses.remove((node, position))
                    except ValueError:
                        pass
                    if not uses and variable not in self._input_set:
                        del self.clients[variable]
                if variable.owner is not None:
                    stack.append(variable.owner)

    def __str__(self) -> str:
        return graph_to_text(self)


class MissingInputError(ValueError):
    """A graph uses an ownerless variable that is not among the function's inputs."""

    def __init__(self, variable: Variable) -> None:
        name = f"'{variable.name}'" if variable.name else f"an unnamed {variable.type}"
        where = ""
        super().__init__(
            f"the graph needs {name}, which is not an input of the function{where}; "
            "pass it in the inputs list or substitute it with givens"
        )
        self.variable = variable
