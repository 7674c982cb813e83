"""``scan``: Theano's loop, its arguments turned into one :class:`~symgraph.scan.op.Scan`.

What happens outside the op, as in Theano: each tap of a sequence becomes a shifted slice
of it (reversed with ``go_backwards``); the number of steps is the shortest of those
slices, unless ``n_steps`` is given; each state's initial rows are cut from its initial value; the
user sees each state's rows after the initial ones.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

from symgraph.graph.basic import Constant, variable_label
from symgraph.scan.op import build_loop
from symgraph.tensor.ops.math import minimum
from symgraph.tensor.variable import as_tensor


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _taps(taps, what: str, title: str) -> list[int]:
    taps = _as_list(taps)
    if not all(isinstance(k, (numbers.Integral,)) and not isinstance(k, bool) for k in taps):
        raise TypeError(f"{title}: the taps of {what} must be integers, got {taps!r}")
    return [int(k) for k in taps]


def scan(
    fn: Callable,
    sequences=None,
    outputs_info=None,
    non_sequences=None,
    n_steps=None,
    truncate_gradient: int = -1,
    go_backwards: bool = False,
    mode=None,
    name: str | None = None,
    strict: bool = False,
    return_list: bool = False,
):
    """Run ``fn`` in a symbolic loop; return ``(outputs, updates)`` as Theano did.

    ``fn`` receives, in order: each sequence's row at each of its taps (a sequence is a
    variable, tap 0, or ``dict(input=x, taps=[-1, 0, 1])``), each output's earlier values
    at each of its taps (``outputs_info`` entries: None for an output not fed back, an
    initial value for tap -1, or ``dict(initial=x0, taps=[-2, -1])`` whose ``x0`` holds
    one row per earlier step), then the ``non_sequences``. Outer variables ``fn`` uses
    without being given them (shared variables included) are captured. The loop runs as
    many steps as the shortest sequence after its taps, or ``n_steps`` when given (then
    every sequence must be at least that long);
    ``go_backwards`` reads the sequences from the end. ``outputs`` holds one row per
    step for each output (a list, or one variable when there is one and not
    ``return_list``); ``updates`` is an ordered dict for ``function(updates=...)``.
    ``fn`` may return updates of shared variables with its outputs (``(outputs,
    updates)``) and a stopping condition last (``(outputs, until(c))``,
    ``(outputs, updates, until(c))``): the loop then stops after the first step where
    ``c`` holds, at most ``n_steps`` (or the sequences' length) steps, and the outputs
    have a row per step that ran. A shared variable updated by ``fn``, or read by it with
    a ``default_update`` made inside ``fn`` (a random draw), takes at each step the value
    the previous step gave it; ``updates`` maps it to its value after the last step.
    ``truncate_gradient=k`` backpropagates through the last ``k`` steps only. ``mode``
    is accepted for Theano's signature: the loop's step is compiled with the mode of the
    function that contains it.
    """
    title = f"scan '{name}'" if name else "scan"
    truncate_gradient = int(truncate_gradient)
    if truncate_gradient != -1 and truncate_gradient <= 0:
        raise ValueError(f"{title}: truncate_gradient must be -1 (no truncation) or positive")

    seq_inputs, descriptions, lengths = [], [], []
    for position, entry in enumerate(_as_list(sequences)):
        if isinstance(entry, dict):
            if "input" not in entry:
                raise ValueError(f"{title}: sequence {position} is a dict without 'input'")
            x = as_tensor(entry["input"])
            taps = _taps(entry.get("taps", [0]), f"sequence {variable_label(x)}", title)
        else:
            x, taps = as_tensor(entry), [0]
        if x.ndim == 0:
            raise TypeError(
                f"{title}: sequence {position} ({variable_label(x)}) is a scalar; a sequence is "
                "looped over along its first axis"
            )
        if not taps:
            continue
        low, high = min(min(taps), 0), max(max(taps), 0)
        for tap in taps:
            # Row t of this slice is x[t + tap] counted from the first row every tap can read.
            if tap == low == high:  # the only tap, 0: the sequence itself
                piece = x
            elif tap == high:
                piece = x[tap - low :]
            else:
                piece = x[tap - low : tap - high]
            if go_backwards:
                piece = piece[::-1]
            seq_inputs.append(piece)
            lengths.append(piece.shape[0])
            descriptions.append(f"sequence {variable_label(x)} at tap {tap}")

    if n_steps is not None:
        steps = as_tensor(n_steps)
        if steps.ndim != 0 or steps.type.numpy_dtype.kind not in "iu":
            raise TypeError(f"{title}: n_steps must be an integer scalar, got {steps.type}")
        if isinstance(steps, Constant) and int(steps.data) < 0:
            raise ValueError(f"{title}: n_steps is negative ({int(steps.data)})")
        # As in Theano, a given n_steps is the number of steps, whatever the sequences'
        # lengths: a sequence too short for it is an error when the loop starts.
        n = steps
    elif not lengths:
        raise ValueError(
            f"{title}: give sequences or n_steps, so that the number of steps is known"
        )
    else:
        n = lengths[0]
        for length in lengths[1:]:
            n = minimum(n, length)

    states, state_labels, rows = None, None, []
    if outputs_info is not None:
        states, state_labels = [], []
        for position, entry in enumerate(_as_list(outputs_info)):
            state = _state(entry, position, title)
            states.append(None if state is None else state[:2])
            state_labels.append(None if state is None else state[2])
            rows.append(0 if state is None else -min(state[1]))
            if state is not None:
                label = state[2]
                descriptions += [f"output {position} ({label}) at tap {tap}" for tap in state[1]]
    non_seqs = [as_tensor(w) for w in _as_list(non_sequences)]
    descriptions += [f"non-sequence {variable_label(w)}" for w in non_seqs]

    buffers, updates = build_loop(
        fn,
        seq_inputs,
        states,
        non_seqs,
        n,
        truncate_gradient=truncate_gradient,
        name=name,
        strict=strict,
        descriptions=descriptions,
        state_labels=state_labels,
    )
    rows = rows or [0] * len(buffers)
    outputs = [buffer[k:] if k else buffer for buffer, k in zip(buffers, rows)]
    if len(outputs) == 1 and not return_list:
        return outputs[0], updates
    return outputs, updates


def _state(entry, position: int, title: str):
    """An ``outputs_info`` entry as (initial rows, taps, label), or None."""
    if entry is None:
        return None
    if isinstance(entry, dict):
        initial = entry.get("initial")
        if initial is None:
            if entry.get("taps"):
                raise ValueError(
                    f"{title}: outputs_info entry {position} has taps but no initial value"
                )
            return None
        taps = _taps(entry.get("taps", [-1]), f"output {position}", title)
    else:
        initial, taps = entry, [-1]
    initial = as_tensor(initial)
    label = variable_label(initial)
    if not taps:
        raise ValueError(f"{title}: output {position} has an initial value but no taps")
    if any(tap >= 0 for tap in taps):
        raise ValueError(
            f"{title}: the taps of output {position} ({label}) are {taps}; an output's "
            "taps must be negative (a step reads the outputs of earlier steps)"
        )
    if len(set(taps)) != len(taps):
        raise ValueError(f"{title}: the taps of output {position} ({label}) repeat: {taps}")
    if taps == [-1]:
        return initial.dimshuffle("x", *range(initial.ndim)), (-1,), label
    depth = -min(taps)
    if initial.ndim == 0:
        raise ValueError(
            f"{title}: output {position} has taps {taps}, so its initial value {label} "
            f"needs a first axis holding the {depth} earlier steps; it is a scalar"
        )
    return initial[:depth], tuple(taps), label


__all__ = ["scan"]
