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


def shares_buffer_with_other_input(node: Apply, position: int, roots: dict) -> bool:
    """Whether another input of ``node`` (even the same variable again) lives in the buffer
    of input ``position``.

    A node that overwrites that input must not read the buffer through another name: a
    fused kernel writes its first step into the buffer and reads the other input in a later
    step, and threaded row blocks write rows that another block still reads through a
    transposed or reversed view.
    """
    victim = node.inputs[position]
    root = roots.get(victim, victim)
    return any(
        other_position != position and roots.get(other, other) is root
        for other_position, other in enumerate(node.inputs)
    )


def unsafe_destroys(
    order: Sequence[Apply], roots: dict, external: set, keep: set
) -> list[tuple[Apply, int, str]]:
    """Each overwrite (``destroy_map``) in ``order`` that would corrupt a value: the node,
    the position of the input it overwrites, and why that is unsafe. An overwrite is safe
    when the buffer is not an input, constant or output (``external``/``keep``), the
    overwriting node reads it through no other input, and nothing reads it, or a view of
    it, after the overwriting node."""
    last_read: dict[Variable, int] = {}
    for position, node in enumerate(order):
        for variable in node.inputs:
            last_read[roots.get(variable, variable)] = position
    unsafe = []
    for position, node in enumerate(order):
        for destroyed_positions in node.op.destroy_map.values():
            for input_position in destroyed_positions:
                victim = node.inputs[input_position]
                root = roots.get(victim, victim)
                if root in external or victim in keep or root in keep:
                    why = f"{node.op} would overwrite {victim}, which the caller or the outputs own"
                elif shares_buffer_with_other_input(node, input_position, roots):
                    why = f"{node.op} overwrites {victim} while reading it through another input"
                elif last_read.get(root, position) > position:
                    later = order[last_read[root]]
                    why = f"{node.op} overwrites {victim} but {later.op} reads it later"
                else:
                    continue
                unsafe.append((node, input_position, why))
    return unsafe


def check_destroys(order: Sequence[Apply], roots: dict, external: set, keep: set) -> None:
    """Raise AssertionError unless every overwrite (``destroy_map``) in ``order`` is safe
    (see :func:`unsafe_destroys`)."""
    unsafe = unsafe_destroys(order, roots, external, keep)
    if unsafe:
        raise AssertionError(unsafe[0][2])
