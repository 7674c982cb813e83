"""Running an op's ``perform`` safely: the guard every Python-implemented op gets.

An op that writes no code (``Op.emit`` returns None) is trusted only as far as it declares
itself. Its inputs are handed over read-only unless ``destroy_map`` says it overwrites them,
so an op that writes into an input it did not declare fails at once, naming itself, instead
of silently changing a buffer that another node, the caller or a constant still owns. An
output that shares memory with an input the op did not declare (in ``view_map`` or
``destroy_map``) is copied, so a later in-place kernel that overwrites that output cannot
reach the input. And each output value is checked against its variable's type, so a wrong
dtype or rank is reported at the op that made it, not three nodes later.

The compiled function calls a :class:`PerformGuard` for such ops; constant folding calls
:func:`run_perform` for every op, so a folded node cannot write into a constant's data
either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from symgraph.graph.basic import Apply
from symgraph.graph.type import TensorType


class PerformOutputError(TypeError):
    """An op's ``perform`` produced a value that does not fit its output's type."""


class PerformGuard:
    """Calls ``node``'s ``perform`` behind the checks, with what they need about the node
    worked out once (the compiled function binds one per node and calls it each time).

    ``owns_inputs`` says whether the op may overwrite the inputs its ``destroy_map`` names
    (the compiled function has made sure they are its own temporaries); when False
    (constant folding) those inputs are copied first. Every other input is passed as a
    read-only view.
    """

    def __init__(self, node: Apply, owns_inputs: bool = True) -> None:
        op = node.op
        self.node = node
        self.owns_inputs = owns_inputs
        self.destroyed = frozenset(p for positions in op.destroy_map.values() for p in positions)
        self.declared = [
            frozenset(op.view_map.get(i, ())) | frozenset(op.destroy_map.get(i, ()))
            for i in range(len(node.outputs))
        ]

    def __call__(self, inputs: Sequence[Any]) -> list[Any]:
        node = self.node
        handed = [
            _handed_input(value, position in self.destroyed, self.owns_inputs)
            for position, value in enumerate(inputs)
        ]
        try:
            outputs = list(node.op.perform(node, handed))
        except ValueError as error:
            if "read-only" in str(error):
                error.add_note(
                    f"symgraph: {node.op}.perform wrote into an input it does not declare "
                    "in destroy_map; declare the overwritten inputs (destroy_map = {output: "
                    "[input]}) or write into a copy"
                )
            raise
        if len(outputs) != len(node.outputs):
            raise PerformOutputError(
                f"{node.op}.perform returned {len(outputs)} values for {len(node.outputs)} outputs"
            )
        for index, value in enumerate(outputs):
            _check_output(node, index, value)
            if isinstance(value, np.ndarray):
                outputs[index] = _unaliased(value, self.declared[index], inputs)
        return outputs


def run_perform(node: Apply, inputs: Sequence[Any], owns_inputs: bool = True) -> list[Any]:
    """The values of ``node``'s outputs, computed by its op's ``perform`` on ``inputs``
    behind the checks (see :class:`PerformGuard`)."""
    return PerformGuard(node, owns_inputs)(inputs)


def _handed_input(value: Any, destroyed: bool, owns_inputs: bool) -> Any:
    if not isinstance(value, np.ndarray):
        return value
    if destroyed:
        return value if owns_inputs else value.copy()
    view = value.view()
    view.flags.writeable = False
    return view


def _check_output(node: Apply, index: int, value: Any) -> None:
    """Refuse an output value whose dtype, rank or static sizes contradict its type."""
    ttype = node.outputs[index].type
    if not isinstance(ttype, TensorType):
        return
    if ttype.ndim == 0 and isinstance(value, (bool, int, float, complex)):
        return  # generated code's 0-d results may be Python scalars
    if isinstance(value, np.generic) and ttype.ndim == 0:
        value = np.asarray(value)
    if (
        isinstance(value, np.ndarray)
        and value.dtype == ttype.numpy_dtype
        and value.ndim == ttype.ndim
        and all(size is None or size == n for size, n in zip(ttype.shape, value.shape))
    ):
        return
    where = f"{node.op}.perform: output {index} ({ttype.describe()})"
    if value is None:
        raise PerformOutputError(f"{where} was not computed (the value is None)")
    if not isinstance(value, np.ndarray):
        raise PerformOutputError(
            f"{where} is a {type(value).__name__}, not a numpy.ndarray; wrap it with "
            f"numpy.asarray(value, dtype='{ttype.dtype}')"
        )
    if value.dtype != ttype.numpy_dtype or value.ndim != ttype.ndim:
        raise PerformOutputError(
            f"{where} is a {value.dtype} array with {value.ndim} dimensions "
            f"(shape {value.shape}); expected {ttype.dtype} with {ttype.ndim}"
        )
    raise PerformOutputError(f"{where} has shape {value.shape}")


def _unaliased(value: np.ndarray, declared: frozenset, inputs: Sequence) -> np.ndarray:
    """``value``, or a copy of it when it shares memory with an input the op does not
    declare (``declared``) it may alias; a declared view of a writable input stays
    writable."""
    for position, original in enumerate(inputs):
        if not isinstance(original, np.ndarray) or not np.may_share_memory(value, original):
            continue
        if position not in declared:
            return value.copy()
        if not value.flags.writeable and original.flags.writeable:
            value.flags.writeable = True  # the read-only wrapper, not the buffer, forbids it
    return value
