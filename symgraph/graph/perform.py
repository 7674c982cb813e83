"""Running an op's ``perform`` safely: the guard every Python-implemented op gets.

An op that writes no code (``Op.emit`` returns None) is trusted only as far as it declares
itself. Its inputs are handed over read-only unless ``destroy_map`` says it overwrites them,
so an op that writes into an input it did not declare fails at once, naming itself, instead
of silently changing a buffer that another node, the caller or a constant still owns. An
output that shares memory with an input the op did not declare (in ``view_map`` or
``destroy_map``) is copied, so a later in-place kernel that overwrites that output cannot
reach the input. And each output value is checked against its variable's type, so a wrong
dtype or rank is reported at the op that made it, not three nodes later.

The compiled function calls :func:`run_perform` for such ops; constant folding calls it for
every op, so a folded node cannot write into a constant's data either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from symgraph.graph.basic import Apply
from symgraph.graph.type import TensorType


class PerformOutputError(TypeError):
    """An op's ``perform`` produced a value that does not fit its output's type."""


def run_perform(node: Apply, inputs: Sequence[Any], owns_inputs: bool = True) -> list[Any]:
    """The values of ``node``'s outputs, computed by its op's ``perform`` on ``inputs``.

    ``owns_inputs`` says whether the op may overwrite the inputs its ``destroy_map`` names
    (the compiled function has made sure they are its own temporaries); when False (constant
    folding) those inputs are copied first. Every other input is passed as a read-only view.
    """
    op = node.op
    destroyed = {position for positions in op.destroy_map.values() for position in positions}
    handed = [
        _handed_input(value, position in destroyed, owns_inputs)
        for position, value in enumerate(inputs)
    ]
    try:
        outputs = op.perform(node, handed)
    except ValueError as error:
        if "read-only" in str(error):
            error.add_note(
                f"symgraph: {op}.perform wrote into an input it does not declare in "
                "destroy_map; declare the overwritten inputs (destroy_map = {output: "
                "[input]}) or write into a copy"
            )
        raise
    outputs = list(outputs)
    if len(outputs) != len(node.outputs):
        raise PerformOutputError(
            f"{op}.perform returned {len(outputs)} values for {len(node.outputs)} outputs"
        )
    for index, value in enumerate(outputs):
        _check_output(node, index, value)
        outputs[index] = _unaliased(node, index, value, inputs)
    return outputs


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
    where = f"{node.op}.perform: output {index} ({ttype.describe()})"
    if value is None:
        raise PerformOutputError(f"{where} was not computed (the value is None)")
    if ttype.ndim == 0:
        if isinstance(value, (bool, int, float, complex)):
            return  # generated code's 0-d results may be Python scalars
        if isinstance(value, np.generic):
            value = np.asarray(value)
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
    if any(size is not None and size != actual for size, actual in zip(ttype.shape, value.shape)):
        raise PerformOutputError(f"{where} has shape {value.shape}")


def _unaliased(node: Apply, index: int, value: Any, inputs: Sequence) -> Any:
    """``value``, or a copy of it when it shares memory with an input the op does not
    declare it may alias; a declared view of a writable input stays writable."""
    if not isinstance(value, np.ndarray):
        return value
    op = node.op
    declared = set(op.view_map.get(index, ())) | set(op.destroy_map.get(index, ()))
    for position, original in enumerate(inputs):
        if not isinstance(original, np.ndarray) or not np.may_share_memory(value, original):
            continue
        if position not in declared:
            return value.copy()
        if not value.flags.writeable and original.flags.writeable:
            value.flags.writeable = True  # the read-only wrapper, not the buffer, forbids it
    return value
