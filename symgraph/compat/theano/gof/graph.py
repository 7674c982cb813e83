"""``theano.gof.graph``: the node classes and Theano's graph walks, in Theano's order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from symgraph.graph.basic import Apply as CoreApply
from symgraph.graph.basic import Constant, Type, Variable
from symgraph.graph.traversal import ancestors as _ancestors
from symgraph.graph.traversal import clone_replace, graph_signature

__all__ = ["Apply", "Constant", "Variable", "ancestors", "inputs", "is_same_graph"]


class Apply(CoreApply):
    """Theano's ``Apply(op, inputs, outputs)``: the outputs are fresh variables
    (``x.type()``, as Theano's ``make_node`` writes them), which the node adopts; types
    are accepted too (symgraph's spelling)."""

    def __init__(self, op, inputs, outputs) -> None:
        given = list(outputs)
        for index, output in enumerate(given):
            if isinstance(output, Variable) and output.owner is not None:
                raise ValueError(
                    f"{op}: output {index} ({output}) already belongs to {output.owner.op}; "
                    "give make_node's Apply fresh variables, such as x.type()"
                )
            if not isinstance(output, (Variable, Type)):
                raise TypeError(f"{op}: output {index} is {output!r}, not a variable or type")
        super().__init__(op, inputs, [o.type if isinstance(o, Variable) else o for o in given])
        for index, output in enumerate(given):
            if isinstance(output, Variable):
                output.owner, output.index = self, index
                self.outputs[index] = output


def ancestors(variable_list: Iterable[Variable], blockers: Iterable[Variable] | None = None):
    """The variables ``variable_list`` depends on (themselves included), in Theano's order:
    a depth-first search that takes the *last* given variable first and, below each
    variable, its owner's inputs from the first to the last; ``blockers`` are not expanded.
    """
    return _ancestors(variable_list, blockers or (), first_input_first=True)


def inputs(variable_list: Iterable[Variable], blockers: Iterable[Variable] | None = None):
    """The ownerless variables (graph inputs, shared variables and constants) the given
    variables depend on, in the order of :func:`ancestors`, as Theano lists them."""
    return [v for v in ancestors(variable_list, blockers) if v.owner is None]


def is_same_graph(
    var1: Variable, var2: Variable, givens: Mapping | None = None, debug: bool = False
) -> bool:
    """Whether ``var1`` and ``var2`` compute the same thing the same way: equal ops applied
    in the same structure to the same inputs or equal constants (``x * (y * z)`` is not
    ``(x * y) * z``). ``givens`` maps variables to those standing for them, in both
    graphs (``is_same_graph(x + 1, y + 1, givens={x: y})`` is True)."""
    pairs = dict(givens.items() if hasattr(givens, "items") else (givens or ()))
    first, second = clone_replace([var1, var2], pairs)
    shared_inputs = [
        v for v in inputs([first, second]) if not isinstance(v, Constant)
    ]  # one list for both, so that an input matches only itself
    return graph_signature(shared_inputs, [first]) == graph_signature(shared_inputs, [second])
