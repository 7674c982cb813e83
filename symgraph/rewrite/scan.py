"""Loop rewrites: the passes that edit ``Scan`` nodes.

Each pass takes a plain scan apart into a :class:`Loop` (its outer inputs next to the
inner slots standing for them, by role), edits that description, and builds the new
node with :func:`rebuild_scan`, the one place a rewritten ``Scan`` is made. The new op's
step is compiled, and so optimized, by the inner compiler like any step.

Only scans that :func:`is_plain_scan` accepts are touched: a loop with a stopping
condition or with states it updates in place means more than these rewrites know. The
last pass, :func:`keep_only_read_rows`, only changes how many rows an output stores, so
it also takes loops with update states (their updates read the last row).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.fgraph import FunctionGraph
from symgraph.graph.traversal import (
    ancestors,
    clone_replace,
    graph_inputs,
    graph_signature,
    toposort,
)
from symgraph.rewrite.passes import merge
from symgraph.rewrite.pattern import inherit_source
from symgraph.scan.op import Scan, is_deterministic
from symgraph.tensor.ops.math import maximum
from symgraph.tensor.ops.shape import concatenate, zeros
from symgraph.tensor.ops.subtensor import Subtensor

# The props of the Scan these rewrites were written for. A prop added later must be at
# an "off" value (None, False, 0, empty) for a node to count as plain.
_KNOWN_PROPS = frozenset(
    ("signature", "n_seqs", "state_taps", "n_non_seqs", "truncate_gradient", "kept_rows")
)
# Attributes that mean the loop stops early (``until``, its ``condition``) or carries
# shared variables' updates through its steps (``n_updates``), and names such features
# could take in a later Scan: any of them set turns every loop rewrite off.
_FEATURES_NOT_UNDERSTOOD = (
    "until",
    "condition",
    "n_updates",
    "as_while",
    "update_states",
    "n_update_states",
    "updates",
)


def _is_off(value) -> bool:
    """Whether an optional feature's value says it is unused."""
    if value is None or value is False:
        return True
    return isinstance(value, (int, tuple, list, dict, frozenset, set, str)) and not value


def is_plain_scan(op) -> bool:
    """Whether ``op`` is a :class:`Scan` the loop rewrites fully understand: exactly the
    class (no subclass), no stopping condition, no update states, every output keeping
    all its rows, no other prop switched on, and inner inputs and outputs laid out as its
    props say. Every attribute is read
    with a default, so that the check keeps answering (no) when Scan grows new ones."""
    if type(op) is not Scan:
        return False
    if not all(_is_off(getattr(op, name, None)) for name in _FEATURES_NOT_UNDERSTOOD):
        return False
    extra_props = [p for p in getattr(op, "__props__", ()) if p not in _KNOWN_PROPS]
    if not all(_is_off(getattr(op, name, None)) for name in extra_props):
        return False
    if any(getattr(op, "kept_rows", None) or ()):
        return False  # outputs returning only their last rows: rebuild_scan keeps all
    try:
        n_inner_inputs = op.n_seqs + sum(len(taps) for taps in op.state_taps) + op.n_non_seqs
        laid_out = len(op.inner_inputs) == n_inner_inputs
        return laid_out and len(op.inner_outputs) == len(op.state_taps)
    except (AttributeError, TypeError):
        return False


# Taking a loop apart and building it again --------------------------------------------


@dataclass(frozen=True)
class Slot:
    """An outer input and the inner variable standing for it (for a sequence, one row)."""

    outer: Variable
    inner: Variable
    label: str | None = None  # how errors name a sequence


@dataclass(frozen=True)
class LoopOutput:
    """One output: its inner value, its taps (empty: not fed back) and, for a state, its
    initial rows and the inner variable of each tap."""

    inner: Variable
    taps: tuple[int, ...] = ()
    initial: Variable | None = None
    tap_slots: tuple[Variable, ...] = ()

    @property
    def rows(self) -> int:
        return -min(self.taps) if self.taps else 0


@dataclass(frozen=True)
class Loop:
    """A plain scan node taken apart (see :func:`loop_of`)."""

    n_steps: Variable
    sequences: tuple[Slot, ...]
    outputs: tuple[LoopOutput, ...]
    non_sequences: tuple[Slot, ...]
    truncate_gradient: int = -1
    name: str | None = None


def loop_of(node: Apply) -> Loop:
    """The description of a plain scan node."""
    op: Scan = node.op
    n_steps, seqs, inits, non_seqs = op.split_outer(node.inputs)
    inner_seqs, inner_taps, inner_non_seqs = op.split_inner()
    labels = list(getattr(op, "sequence_labels", None) or [])
    sequences = tuple(
        Slot(outer, inner, labels[k] if k < len(labels) else None)
        for k, (outer, inner) in enumerate(zip(seqs, inner_seqs))
    )
    state_parts = dict(zip(op.states, zip(inits, inner_taps)))
    outputs = []
    for i, (inner, taps) in enumerate(zip(op.inner_outputs, op.state_taps)):
        if taps:
            initial, slots = state_parts[i]
            outputs.append(LoopOutput(inner, tuple(taps), initial, tuple(slots)))
        else:
            outputs.append(LoopOutput(inner))
    return Loop(
        n_steps,
        sequences,
        tuple(outputs),
        tuple(Slot(o, i) for o, i in zip(non_seqs, inner_non_seqs)),
        op.truncate_gradient,
        op.name,
    )


def _fresh_slots(slots: Sequence[Slot], renamed: dict) -> list[Slot]:
    """New inner variables for ``slots``, one per distinct (outer, inner type): an outer
    variable passed twice is read once. Fills ``renamed`` (old inner -> new inner)."""
    kept: dict = {}
    result = []
    for slot in slots:
        key = (slot.outer, slot.inner.type)
        if key in kept:
            renamed[slot.inner] = kept[key].inner
            continue
        fresh = slot.inner.type.make_variable(slot.inner.name)
        renamed[slot.inner] = fresh
        kept[key] = replace(slot, inner=fresh)
        result.append(kept[key])
    return result


def rebuild_scan(loop: Loop) -> list[Variable]:
    """The outputs of a new :class:`Scan` computing ``loop``: the one helper every loop
    rewrite builds its node with. The inner graph is copied onto fresh inner inputs, so
    the new op shares no inner variable with the one it replaces."""
    renamed: dict = {}
    sequences = _fresh_slots(loop.sequences, renamed)
    non_sequences = _fresh_slots(loop.non_sequences, renamed)
    tap_slots = []
    for output in loop.outputs:
        for slot in output.tap_slots:
            renamed[slot] = slot.type.make_variable(slot.name)
            tap_slots.append(renamed[slot])
    inner_inputs = [s.inner for s in sequences] + tap_slots + [s.inner for s in non_sequences]
    inner_outputs = clone_replace([o.inner for o in loop.outputs], renamed)
    known = set(inner_inputs)
    stray = [
        v
        for v in graph_inputs(inner_outputs, blockers=known)
        if v not in known and not isinstance(v, Constant)
    ]
    if stray:  # a rewrite dropped an input the step still reads: a bug, never the user's
        raise ValueError(f"loop rewrite left the step reading {stray} without passing it")
    op = Scan(
        inner_inputs,
        inner_outputs,
        len(sequences),
        [o.taps for o in loop.outputs],
        len(non_sequences),
        truncate_gradient=loop.truncate_gradient,
        name=loop.name,
        sequence_labels=[s.label or f"sequence {k}" for k, s in enumerate(sequences)],
    )
    initials = [o.initial for o in loop.outputs if o.taps]
    outer = [s.outer for s in sequences] + initials + [s.outer for s in non_sequences]
    return list(op.make_node(loop.n_steps, *outer).outputs)


def _replace_outputs(fgraph: FunctionGraph, pairs, node: Apply, reason: str) -> None:
    """Replace each ``(old, new)`` of ``pairs``, the new nodes attributed to ``node``'s
    user line."""
    for old, new in pairs:
        if old in fgraph.clients:
            inherit_source(fgraph, new, node)
            fgraph.replace(old, new, reason=reason)


def _plain_scans(fgraph: FunctionGraph) -> Iterator[Apply]:
    """The plain scan nodes in topological order, each one still in the graph when it is
    reached (a rewrite of an earlier one may have dropped it)."""
    for node in fgraph.toposort():
        if node in fgraph.apply_nodes and is_plain_scan(node.op):
            yield node


# Loops of 0 or 1 steps -----------------------------------------------------------------


def _constant_steps(n_steps: Variable) -> int | None:
    return int(n_steps.data) if isinstance(n_steps, Constant) else None


def _static_rows(variable: Variable) -> int | None:
    return variable.type.shape[0] if variable.ndim else None


def _unrolled(loop: Loop, n: int) -> list[Variable] | None:
    """The outputs of ``loop`` run ``n`` (0 or 1) times, built without a loop, or None
    where that could change what the loop checks: every state's initial value must be
    known to hold its rows, each sequence to have a row per step, and an output not fed
    back must have a known row shape when no step runs to give it one."""
    if any(o.taps and _static_rows(o.initial) != o.rows for o in loop.outputs):
        return None  # the loop's own check names a wrong initial value; inlining would not
    if n == 0:
        results = []
        for output in loop.outputs:
            if output.taps:
                results.append(output.initial)
            elif None in output.inner.type.shape:
                return None
            else:
                results.append(zeros((0, *output.inner.type.shape), dtype=output.inner.dtype))
        return results
    if any((_static_rows(s.outer) or 0) < n for s in loop.sequences):
        return None  # the loop names a too short sequence; seq[0] would raise IndexError
    values = {s.inner: s.outer[0] for s in loop.sequences}
    values.update({s.inner: s.outer for s in loop.non_sequences})
    for output in loop.outputs:
        for tap, slot in zip(output.taps, output.tap_slots):
            values[slot] = output.initial[output.rows + tap]
    step = clone_replace([o.inner for o in loop.outputs], values)
    results = []
    for output, value in zip(loop.outputs, step):
        row = value.dimshuffle("x", *range(value.ndim))
        results.append(concatenate([output.initial, row]) if output.taps else row)
    return results


def inline_trivial_loops(fgraph: FunctionGraph) -> Counter:
    """Replace a plain scan of a constant 0 steps by its initial rows (and empty buffers),
    and one of a constant 1 step by its step's graph applied once."""
    fired: Counter = Counter()
    for node in _plain_scans(fgraph):
        n = _constant_steps(node.inputs[0])
        if n not in (0, 1):
            continue
        results = _unrolled(loop_of(node), n)
        if results is None:
            continue
        reason = f"scan_{'empty' if n == 0 else 'one_step'}"
        _replace_outputs(fgraph, zip(node.outputs, results), node, reason)
        fired[reason] += 1
    return fired


# Hoisting what does not change from step to step ---------------------------------------


def loop_invariants(loop: Loop) -> list[Variable]:
    """The inner variables to compute before the loop: those computed by deterministic
    ops from non-sequences (and constants) alone, that a step-dependent node or an
    output reads. Their ancestors inside the step go with them. What is computed from
    constants alone stays: the step's compiler folds it."""
    non_sequences = {s.inner for s in loop.non_sequences}
    inner_outputs = [o.inner for o in loop.outputs]
    inner_inputs = [s.inner for s in loop.sequences]
    inner_inputs += [t for o in loop.outputs for t in o.tap_slots]
    order = toposort(inner_outputs, blockers=inner_inputs + list(non_sequences))
    invariant, hoistable = set(non_sequences), set()
    for node in order:
        if is_deterministic(node.op) and all(
            isinstance(v, Constant) or v in invariant for v in node.inputs
        ):
            invariant.update(node.outputs)
            if any(v in non_sequences or v in hoistable for v in node.inputs):
                hoistable.update(node.outputs)
    frontier = dict.fromkeys(v for v in inner_outputs if v in hoistable)
    for node in order:
        if not invariant.issuperset(node.outputs):
            frontier.update(dict.fromkeys(v for v in node.inputs if v in hoistable))
    return list(frontier)


def hoist_invariants(fgraph: FunctionGraph) -> Counter:
    """Compute once, before a plain scan, what its step reads from non-sequences and
    constants only (``W.T``, ``dot(W, U)``), passing the results in as new non-sequences.
    Random draws stay in the loop. A hoisted computation runs even when the loop runs no
    step (an error it raises then is raised before the loop, not never)."""
    fired: Counter = Counter()
    for node in _plain_scans(fgraph):
        loop = loop_of(node)
        hoisted = loop_invariants(loop)
        if not hoisted:
            continue
        outer_of = {s.inner: s.outer for s in loop.non_sequences}
        outer = clone_replace(hoisted, outer_of)
        added = tuple(Slot(o, i) for o, i in zip(outer, hoisted))
        results = rebuild_scan(replace(loop, non_sequences=loop.non_sequences + added))
        _replace_outputs(fgraph, zip(node.outputs, results), node, "scan_hoist")
        fired["scan_hoist_invariant"] += len(hoisted)
    if fired:
        fired.update(merge(fgraph))  # two loops hoisting the same W.T compute it once
    return fired


# Dropping what nothing reads -----------------------------------------------------------


def needed_outputs(loop: Loop, read: set[int]) -> list[int]:
    """The outputs to keep when those at the positions ``read`` are read outside: those,
    and every state that a kept output's step reads through its taps."""
    needed = set(read)
    while True:
        reached = set(ancestors([loop.outputs[i].inner for i in needed]))
        more = {
            i
            for i, o in enumerate(loop.outputs)
            if i not in needed and any(t in reached for t in o.tap_slots)
        }
        if not more:
            return sorted(needed)
        needed |= more


def drop_unused_outputs(fgraph: FunctionGraph) -> Counter:
    """Remove from a plain scan the outputs nothing outside reads and no kept output
    depends on through a state (their step computation goes with them), and the
    non-sequences the remaining step does not read."""
    fired: Counter = Counter()
    for node in _plain_scans(fgraph):
        read = {i for i, v in enumerate(node.outputs) if fgraph.clients.get(v)}
        if not read:
            continue  # the node is dead: the graph drops it
        loop = loop_of(node)
        kept = needed_outputs(loop, read)
        reached = set(ancestors([loop.outputs[i].inner for i in kept]))
        non_sequences = tuple(s for s in loop.non_sequences if s.inner in reached)
        n_outputs, n_non_seqs = len(loop.outputs) - len(kept), len(loop.non_sequences)
        n_non_seqs -= len(non_sequences)
        if not n_outputs and not n_non_seqs:
            continue
        smaller = replace(
            loop,
            outputs=tuple(loop.outputs[i] for i in kept),
            non_sequences=non_sequences,
        )
        results = rebuild_scan(smaller)
        pairs = [(node.outputs[i], new) for i, new in zip(kept, results)]
        _replace_outputs(fgraph, pairs, node, "scan_prune")
        if n_outputs:
            fired["scan_drop_output"] += n_outputs
        if n_non_seqs:
            fired["scan_drop_non_sequence"] += n_non_seqs
    return fired


# Merging independent loops --------------------------------------------------------------


def _can_merge(first: Apply, second: Apply, fgraph: FunctionGraph) -> bool:
    """``second`` (after ``first`` in topological order) runs the same number of steps,
    and nothing it reads comes from ``first``."""
    if first.inputs[0] is not second.inputs[0]:
        return False
    if first.op.truncate_gradient != second.op.truncate_gradient:
        return False
    upstream = ancestors(second.inputs, blockers=fgraph.inputs)
    return not set(first.outputs).intersection(upstream)


def _with_fresh_inner_inputs(loop: Loop) -> Loop:
    """``loop`` with its step copied onto new inner inputs. Two nodes of one op (a loop
    cloned onto other inputs) share their inner inputs, and :func:`rebuild_scan` maps
    each inner input once: merged as they are, both steps would read the second's."""
    renamed: dict = {}

    def fresh(slot: Variable) -> Variable:
        renamed[slot] = slot.type.make_variable(slot.name)
        return renamed[slot]

    sequences = tuple(replace(s, inner=fresh(s.inner)) for s in loop.sequences)
    non_sequences = tuple(replace(s, inner=fresh(s.inner)) for s in loop.non_sequences)
    tap_slots = [tuple(fresh(slot) for slot in o.tap_slots) for o in loop.outputs]
    steps = clone_replace([o.inner for o in loop.outputs], renamed)
    outputs = tuple(
        replace(o, inner=step, tap_slots=slots)
        for o, step, slots in zip(loop.outputs, steps, tap_slots)
    )
    return replace(loop, sequences=sequences, outputs=outputs, non_sequences=non_sequences)


def _merged(first: Loop, second: Loop) -> Loop:
    # A loop merged with a copy of itself (a gradient's) keeps its name.
    names = list(dict.fromkeys(n for n in (first.name, second.name) if n))
    second = _with_fresh_inner_inputs(second)
    return replace(
        first,
        sequences=first.sequences + second.sequences,
        outputs=first.outputs + second.outputs,
        non_sequences=first.non_sequences + second.non_sequences,
        name="+".join(names) if names else None,
    )


def merge_loops(fgraph: FunctionGraph) -> Counter:
    """Run two plain scans with the same number of steps (the same variable), neither
    reading the other's outputs, as one loop; their users read the merged node's
    outputs. A sequence or non-sequence both read is passed once.

    One difference remains when the loops run no step: the rows of an output not fed
    back take their shape from a trial step on zeros, and when one of the two steps
    fails on zeros the merged loop falls back to static shapes for both."""
    fired: Counter = Counter()
    while True:
        scans = list(_plain_scans(fgraph))
        pair = next(
            (
                (a, b)
                for k, a in enumerate(scans)
                for b in scans[k + 1 :]
                if _can_merge(a, b, fgraph)
            ),
            None,
        )
        if pair is None:
            return fired
        first, second = pair
        results = rebuild_scan(_merged(loop_of(first), loop_of(second)))
        n_first = len(first.outputs)
        _replace_outputs(fgraph, zip(first.outputs, results[:n_first]), first, "scan_merge")
        _replace_outputs(fgraph, zip(second.outputs, results[n_first:]), second, "scan_merge")
        fired["scan_merge"] += 1


# Computing equal outputs once ----------------------------------------------------------


def equal_outputs(loop: Loop) -> dict[int, int]:
    """The outputs of ``loop`` equal at every step to an earlier one: position -> the
    earliest equal position.

    Two states are equal when they start from the same initial rows, with the same taps,
    and their steps compute the same from equal inputs. Found by refining classes: states
    start grouped by initial value, taps and type; each state's taps are read as those of
    the first state of its class, and a class splits while its states' steps then differ.
    Outputs not fed back are equal when their steps are, their taps read the same way."""
    inputs = [s.inner for s in loop.sequences]
    inputs += [slot for o in loop.outputs for slot in o.tap_slots]
    inputs += [s.inner for s in loop.non_sequences]
    states = [i for i, o in enumerate(loop.outputs) if o.taps]
    classes: dict[int, tuple] = {
        i: (loop.outputs[i].initial, loop.outputs[i].taps, loop.outputs[i].inner.type)
        for i in states
    }
    while True:
        first: dict = {}
        for i in states:
            first.setdefault(classes[i], i)
        as_first = {
            slot: loop.outputs[first[classes[i]]].tap_slots[k]
            for i in states
            for k, slot in enumerate(loop.outputs[i].tap_slots)
        }
        steps = clone_replace([o.inner for o in loop.outputs], as_first)
        refined = {i: (classes[i], graph_signature(inputs, [steps[i]])) for i in states}
        if len(set(refined.values())) == len(set(classes.values())):
            break
        classes = refined
    earliest: dict = {}
    equal = {}
    for i, step in enumerate(steps):
        key = classes[i] if i in classes else ("not fed back", graph_signature(inputs, [step]))
        j = earliest.setdefault(key, i)
        if j != i:
            equal[i] = j
    return equal


def merge_equal_outputs(fgraph: FunctionGraph) -> Counter:
    """A plain scan's outputs equal at every step to an earlier one are computed once;
    their readers read the earlier one. Merging the loop a gradient saves its values from
    (the loop differentiated, also returning those values) with that loop makes them."""
    fired: Counter = Counter()
    for node in _plain_scans(fgraph):
        loop = loop_of(node)
        equal = equal_outputs(loop)
        if not equal:
            continue
        # The steps of the outputs kept read a dropped state's taps as its equal's.
        as_kept = {
            slot: loop.outputs[equal[i]].tap_slots[k]
            for i in equal
            for k, slot in enumerate(loop.outputs[i].tap_slots)
        }
        kept = [i for i in range(len(loop.outputs)) if i not in equal]
        steps = clone_replace([loop.outputs[i].inner for i in kept], as_kept)
        outputs = tuple(replace(loop.outputs[i], inner=step) for i, step in zip(kept, steps))
        results = dict(zip(kept, rebuild_scan(replace(loop, outputs=outputs))))
        pairs = [(old, results[equal.get(i, i)]) for i, old in enumerate(node.outputs)]
        _replace_outputs(fgraph, pairs, node, "scan_merge_equal_outputs")
        fired["scan_merge_equal_outputs"] += len(equal)
    return fired


# Storing only the rows that are read ---------------------------------------------------


def _last_rows_read(fgraph: FunctionGraph, buffer: Variable, initial_rows: int) -> int | None:
    """How many last rows of ``buffer`` (a loop output) its readers need, when every
    reader indexes it with a constant negative integer first (``hs[-1]``, ``hs[-2, 0]``),
    directly or through the slice scan makes to drop the initial rows
    (``buffer[k:][-1]``); None when any reader needs more (the gradient's slices, a
    shape, an output of the function); 0 when nothing outside the loop reads it."""
    deepest = 0
    for reader, position in fgraph.clients[buffer]:
        op = getattr(reader, "op", None)
        if not isinstance(op, Subtensor) or position != 0:
            return None
        first = op.idx_list[0] if op.idx_list else None
        if first == ("slice", initial_rows, None, None) and initial_rows and len(op.idx_list) == 1:
            through = _last_rows_read(fgraph, reader.outputs[0], 0)
            if through is None:
                return None
            deepest = max(deepest, through)
        elif first is not None and first[0] == "int" and isinstance(first[1], int) and first[1] < 0:
            deepest = max(deepest, -first[1])
        else:
            return None
    return deepest


def keep_only_read_rows(fgraph: FunctionGraph) -> Counter:
    """A loop output read only at its last rows (``hs[-1]``, ``result[-2]``, an update's
    final value) keeps only those rows, in a ring, instead of one row per step."""
    fired: Counter = Counter()
    for node in fgraph.toposort():
        op = node.op
        if type(op) is not Scan or op.until or any(op.kept_rows):
            continue
        kept = []
        for i, buffer in enumerate(node.outputs):
            # A state nothing outside reads (the loop still reads its taps) keeps its taps.
            read = _last_rows_read(fgraph, buffer, op.rows(i))
            kept.append(0 if read is None else max(read, op.rows(i), 1))
        if not any(kept):
            continue
        new_node = op.with_kept_rows(kept).make_node(*node.inputs)
        n_steps = node.inputs[0]
        pairs = []
        for i, (old, new) in enumerate(zip(node.outputs, new_node.outputs)):
            if not kept[i]:
                pairs.append((old, new))
                continue
            for reader, _ in list(fgraph.clients[old]):
                if reader.op.idx_list[0][0] == "slice":
                    # The rows after the initial ones: the last min(n, rows kept) of them,
                    # so an index past the steps run fails as it did.
                    start = maximum(new.shape[0] - n_steps, 0)
                    pairs.append((reader.outputs[0], new[start:]))
                else:
                    pairs.append((reader.outputs[0], reader.op(new, *reader.inputs[1:])))
        _replace_outputs(fgraph, pairs, node, "keep_only_read_rows")
        fired["keep_only_read_rows"] += 1
    return fired
