"""Aliasing: which variables share memory (``view_map``) and the rule for overwriting
(``destroy_map``)."""

from __future__ import annotations

from collections.abc import Sequence

from symgraph.graph.basic import Apply, Variable


def buffer_roots(order: Sequence[Apply]) -> dict[Variable, Variable]:
    """For each view (``view_map``), the variable that owns its memory.

    An op that overwrites an input (``destroy_map``) makes its output the new owner of that
    buffer: the overwritten variable is dead from then on, so it does not alias the output.
    """
    root: dict[Variable, Variable] = {}
    for node in order:
        for out_index, sources in node.op.view_map.items():
            source = node.inputs[sources[0]]
            root[node.outputs[out_index]] = root.get(source, source)
    return root


def check_destroys(order: Sequence[Apply], roots: dict, external: set, keep: set) -> None:
    """Raise AssertionError unless every overwrite (``destroy_map``) in ``order`` is safe:
    the buffer is not an input, constant or output (``external``/``keep``), and nothing
    reads it, or a view of it, after the overwriting node."""
    last_read: dict[Variable, int] = {}
    for position, node in enumerate(order):
        for variable in node.inputs:
            last_read[roots.get(variable, variable)] = position
    for position, node in enumerate(order):
        for destroyed_positions in node.op.destroy_map.values():
            for input_position in destroyed_positions:
                victim = node.inputs[input_position]
                root = roots.get(victim, victim)
                if root in external or victim in keep or root in keep:
                    raise AssertionError(
                        f"{node.op} would overwrite {victim}, which the caller or the outputs own"
                    )
                if last_read.get(root, position) > position:
                    later = order[last_read[root]]
                    raise AssertionError(
                        f"{node.op} overwrites {victim} but {later.op} reads it later"
                    )
