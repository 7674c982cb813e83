"""``Scan``: a loop running a graph of its own (the step) ``n_steps`` times, and its
gradient through time.

The op is deliberately plain; ``symgraph.scan.loop.scan`` turns Theano's arguments into
it. Each *sequence* input is read at ``[t]`` on step ``t`` (a sequence tap is a shifted
slice made outside the loop, so its gradient is the slice's). Each *state* output has an
initial input holding its first ``k`` rows, ``k`` the depth of its deepest tap; the op
returns the whole buffer, those ``k`` rows followed by one row per step, so the gradient
reaching the initial rows is read from the same buffer. An output without taps is
returned row by row. *Non-sequences* (the listed ones, then every outer variable the step
reads, shared variables included) are passed whole to each step.

Outer inputs: ``n_steps, *sequences, *initial (one per state), *non_sequences``.
Inner inputs: one per sequence, one per tap of each state (in the order of the outputs,
taps as listed), one per non-sequence: the order Theano passed them to ``fn``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence

import numpy as np

from symgraph.grad import Lop
from symgraph.graph.basic import Apply, Constant, HasInnerGraph, Op, Variable, variable_label
from symgraph.graph.traversal import clone_replace, graph_inputs, graph_signature, toposort
from symgraph.graph.type import TensorType
from symgraph.tensor.ops.math import minimum, zeros_like
from symgraph.tensor.ops.shape import stack
from symgraph.tensor.ops.subtensor import inc_subtensor, set_subtensor
from symgraph.tensor.variable import as_tensor, constant


class Scan(Op, HasInnerGraph):
    """``n_steps`` applications of the inner graph; see the module docstring for the
    layout. ``state_taps[i]`` lists output ``i``'s taps (all negative), or is empty for
    an output that is not fed back."""

    __props__ = ("signature", "n_seqs", "state_taps", "n_non_seqs", "truncate_gradient")
    show_inner_graph = True

    def __init__(
        self,
        inner_inputs: Sequence[Variable],
        inner_outputs: Sequence[Variable],
        n_seqs: int,
        state_taps: Sequence[Sequence[int]],
        n_non_seqs: int,
        truncate_gradient: int = -1,
        name: str | None = None,
        sequence_labels: Sequence[str] | None = None,
    ) -> None:
        self.inner_inputs = list(inner_inputs)
        # How errors name each sequence (the user's variable and tap): not a prop.
        self.sequence_labels = list(sequence_labels or [])
        self.inner_outputs = list(inner_outputs)
        self.n_seqs = int(n_seqs)
        self.state_taps = tuple(tuple(int(k) for k in taps) for taps in state_taps)
        self.n_non_seqs = int(n_non_seqs)
        self.truncate_gradient = int(truncate_gradient)
        self.name = name  # shown in comments and errors only
        if len(self.inner_outputs) != len(self.state_taps):
            raise ValueError("Scan: one entry of state_taps per inner output")
        if any(k >= 0 for taps in self.state_taps for k in taps):
            raise ValueError("Scan: state taps must be negative")
        expected = self.n_seqs + sum(map(len, self.state_taps)) + self.n_non_seqs
        if len(self.inner_inputs) != expected:
            raise ValueError(f"Scan: {len(self.inner_inputs)} inner inputs, expected {expected}")

    @functools.cached_property
    def signature(self) -> tuple:
        return graph_signature(self.inner_inputs, self.inner_outputs)

    # The layout, derived from the props -----------------------------------------------

    @property
    def states(self) -> list[int]:
        """The indices of the outputs fed back into the loop."""
        return [i for i, taps in enumerate(self.state_taps) if taps]

    def rows(self, output: int) -> int:
        """How many initial rows output ``output`` needs (0 for one not fed back)."""
        taps = self.state_taps[output]
        return -min(taps) if taps else 0

    def split_outer(self, inputs: Sequence) -> tuple:
        """``n_steps, sequences, initial values (one per state), non-sequences``."""
        n_init = len(self.states)
        seqs = list(inputs[1 : 1 + self.n_seqs])
        inits = list(inputs[1 + self.n_seqs : 1 + self.n_seqs + n_init])
        return inputs[0], seqs, inits, list(inputs[1 + self.n_seqs + n_init :])

    def split_inner(self) -> tuple[list, list[list], list]:
        """The inner inputs: sequences, each state's taps (one list per state), non-seqs."""
        inner = self.inner_inputs
        seqs = inner[: self.n_seqs]
        position, taps = self.n_seqs, []
        for i in self.states:
            taps.append(inner[position : position + len(self.state_taps[i])])
            position += len(self.state_taps[i])
        return seqs, taps, inner[position:]

    def __str__(self) -> str:
        return f"Scan{{{self.name}}}" if self.name else "Scan"

    # The node ----------------------------------------------------------------------------

    def make_node(self, n_steps, *inputs) -> Apply:
        n_steps = as_tensor(n_steps)
        if n_steps.ndim != 0 or n_steps.type.numpy_dtype.kind not in "iu":
            raise TypeError(f"{self}: n_steps must be an integer scalar, got {n_steps.type}")
        inputs = [as_tensor(v) for v in inputs]
        n_init = len(self.states)
        if len(inputs) != self.n_seqs + n_init + self.n_non_seqs:
            raise TypeError(f"{self} takes {1 + self.n_seqs + n_init + self.n_non_seqs} inputs")
        _, seqs, inits, non_seqs = self.split_outer([n_steps, *inputs])
        inner_seqs, inner_taps, inner_non_seqs = self.split_inner()
        for outer, inner in zip(seqs + inits, inner_seqs + [taps[0] for taps in inner_taps]):
            if outer.dtype != inner.dtype or outer.ndim != inner.ndim + 1:
                raise TypeError(f"{self}: {outer} ({outer.type}) does not fit {inner.type} rows")
        for outer, inner in zip(non_seqs, inner_non_seqs):
            if outer.dtype != inner.dtype or outer.ndim != inner.ndim:
                raise TypeError(f"{self}: {outer} ({outer.type}) does not fit {inner.type}")
        outputs = []
        init_of = dict(zip(self.states, inits))
        for i, inner_out in enumerate(self.inner_outputs):
            rest = init_of[i].type.shape[1:] if i in init_of else inner_out.type.shape
            outputs.append(TensorType(inner_out.dtype, (None, *rest)))
        return Apply(self, [n_steps, *inputs], outputs)

    def emit(self, node, inputs, ctx):
        """A call of the loop helper (one ``def`` per layout, shown above the function),
        which calls the compiled step once per step and stores its results in the output
        buffers."""
        step = ctx.inner_function(self.inner_inputs, self.inner_outputs, "scan_step")
        errors = ctx.bind(_LoopErrors(self, node), "scan_errors")
        body, parameters = self._loop_lines(node, ctx)
        signature = f"(step, errors, {', '.join(parameters)}):  {ctx.comment(self)}"

        def make_lines(name):
            return [f"def {name}{signature}", *("    " + line for line in body)]

        helper = ctx.define(("scan_loop", signature, tuple(body)), "scan_loop", make_lines)
        return f"{helper}({step}, {errors}, {', '.join(inputs)})"

    def _loop_lines(self, node, ctx) -> tuple[list[str], list[str]]:
        """The loop helper's body and parameter names (fixed names and counters only)."""
        n_outputs = len(self.inner_outputs)
        seqs = [f"x{k}" for k in range(self.n_seqs)]
        inits = {i: f"i{i}" for i in self.states}
        non_seqs = [f"w{k}" for k in range(self.n_non_seqs)]
        parameters = ["n_steps", *seqs, *inits.values(), *non_seqs]
        dtypes = [ctx.bind(out.type.numpy_dtype, f"{out.dtype}_dtype") for out in node.outputs]
        lines = ["n = int(n_steps)", "if n < 0: errors.negative_steps(n)"]
        for k, x in enumerate(seqs):
            lines.append(f"if {x}.shape[0] < n: errors.short_sequence({k}, {x}.shape[0], n)")
        for i, name in inits.items():
            k = self.rows(i)
            lines.append(f"if {name}.shape[0] != {k}: errors.initial_rows({i}, {name}.shape[0])")
            lines.append(f"o{i} = np.empty((n + {k},) + {name}.shape[1:], dtype={dtypes[i]})")
            lines.append(f"o{i}[:{k}] = {name}")
        for i in range(n_outputs):
            if i not in inits:
                lines.append(f"o{i} = None  # allocated once the first step gives its shape")
        arguments = [f"{x}[t]" for x in seqs]
        for i in self.states:
            for tap in self.state_taps[i]:
                offset = self.rows(i) + tap
                arguments.append(f"o{i}[t + {offset}]" if offset else f"o{i}[t]")
        arguments += non_seqs
        results = [f"r{i}" for i in range(n_outputs)]
        lines.append("for t in range(n):")
        lines.append("    try:")
        lines.append(f"        [{', '.join(results)}] = step({', '.join(arguments)})")
        lines.append("    except Exception as error:")
        lines.append("        errors.step_failed(error, t, step)")
        lines.append("        raise")
        for i in range(n_outputs):
            if i in inits:
                lines.append(
                    f"    if r{i}.shape != o{i}.shape[1:]: "
                    f"errors.step_shape(t, {i}, r{i}.shape, o{i}.shape[1:])"
                )
                lines.append(f"    o{i}[t + {self.rows(i)}] = r{i}")
            else:
                lines.append(
                    f"    if o{i} is None: o{i} = np.empty((n,) + r{i}.shape, dtype={dtypes[i]})"
                )
                lines.append(
                    f"    elif r{i}.shape != o{i}.shape[1:]: "
                    f"errors.step_shape(t, {i}, r{i}.shape, o{i}.shape[1:])"
                )
                lines.append(f"    o{i}[t] = r{i}")
        if len(inits) < n_outputs:
            # No step ran: an output's rows have the shape one step would give them.
            shapes = ctx.bind(_step_shapes, "step_shapes")
            dry = [f"np.zeros({x}.shape[1:], {x}.dtype)" for x in seqs] + arguments[len(seqs) :]
            dry = [a.replace("[t + ", "[").replace("[t]", "[0]") for a in dry]
            static = ctx.bind(
                [
                    tuple(0 if s is None else s for s in out.type.shape)
                    for out in self.inner_outputs
                ],
                "static_shapes",
            )
            lines.append(f"if n == 0: shapes = {shapes}(step, [{', '.join(dry)}], {static})")
        for i in range(n_outputs):
            if i not in inits:
                lines.append(
                    f"if o{i} is None: o{i} = np.empty((0, *shapes[{i}]), dtype={dtypes[i]})"
                )
        lines.append(f"return {', '.join(f'o{i}' for i in range(n_outputs))}")
        return lines, parameters

    def infer_shape(self, node, input_shapes):
        """Shapes without running the loop: a state's buffer has ``n_steps`` rows after
        its initial ones, each shaped as the initial value's rows (every step must give
        that shape); an output not fed back has ``n_steps`` rows shaped as the step's
        result, read from the step graph's own shape inference (None for a length it
        cannot tell)."""
        n_steps = node.inputs[0]
        _, seq_shapes, init_shapes, non_seq_shapes = self.split_outer(input_shapes)
        inner_seqs, inner_taps, inner_non_seqs = self.split_inner()
        known = {v: tuple(shape[1:]) for v, shape in zip(inner_seqs, seq_shapes)}
        for taps, shape in zip(inner_taps, init_shapes):
            known.update({v: tuple(shape[1:]) for v in taps})
        known.update({v: tuple(shape) for v, shape in zip(inner_non_seqs, non_seq_shapes)})
        row_shapes = _graph_shapes(self.inner_outputs, known)
        init_of = dict(zip(self.states, init_shapes))
        return [
            (n_steps + self.rows(i), *init_of[i][1:]) if i in init_of else (n_steps, *rows)
            for i, rows in enumerate(row_shapes)
        ]

    # The gradient ------------------------------------------------------------------------

    def grad(self, node, output_grads):
        """Backpropagation through time: a second scan runs the steps backwards (the last
        ``truncate_gradient`` of them when that is not -1), recomputing each step and
        taking its vector-Jacobian product. It carries, per state, the gradient gathered
        so far for the ``k`` buffer rows the remaining steps may read, and per
        differentiable non-sequence the sum of its gradients."""
        n, seqs, inits, non_seqs = self.split_outer(node.inputs)
        outputs = node.outputs
        states = self.states
        nits = [i for i in range(len(outputs)) if i not in states]
        output_grads = [zeros_like(o) if g is None else g for o, g in zip(outputs, output_grads)]
        steps = n if self.truncate_gradient == -1 else minimum(n, self.truncate_gradient)
        start = n - steps
        wanted_seqs = [_is_float(s) for s in seqs]
        wanted_non_seqs = [_is_float(w) for w in non_seqs]

        # Sequences of the backward loop, reversed so that it runs forward in time.
        bw_seqs = [s[start:n][::-1] for s in seqs]
        for i in states:
            k = self.rows(i)
            bw_seqs += [
                outputs[i][start + k + tap : n + k + tap][::-1] for tap in self.state_taps[i]
            ]
        bw_seqs += [output_grads[i][start + self.rows(i) : n + self.rows(i)][::-1] for i in states]
        bw_seqs += [output_grads[i][start:n][::-1] for i in nits]
        windows = [zeros_like(init) for init in inits]
        sums = [zeros_like(w) for w, wanted in zip(non_seqs, wanted_non_seqs) if wanted]
        n_taps = sum(len(self.state_taps[i]) for i in states)

        def backward_step(*args):
            take = _taker(list(args))
            seq_values, tap_values = take(len(seqs)), take(n_taps)
            state_grads, nit_grads = take(len(states)), take(len(nits))
            window_values, sum_values = take(len(windows)), take(len(sums))
            non_seq_values = take(len(non_seqs))
            forward = clone_replace(
                self.inner_outputs,
                dict(zip(self.inner_inputs, seq_values + tap_values + non_seq_values)),
            )
            seeds = {}
            for j, i in enumerate(states):
                seeds[i] = state_grads[j] + window_values[j][self.rows(i) - 1]
            for j, i in enumerate(nits):
                seeds[i] = nit_grads[j]
            float_taps = [v for v in tap_values if _is_float(v)]
            wrt = (
                [v for v, wanted in zip(seq_values, wanted_seqs) if wanted]
                + float_taps
                + [v for v, wanted in zip(non_seq_values, wanted_non_seqs) if wanted]
            )
            grads = _vjp(forward, seeds, wrt)
            take = _taker(grads)
            seq_grads, float_tap_grads = take(sum(wanted_seqs)), take(len(float_taps))
            non_seq_grads = take(sum(wanted_non_seqs))
            by_tap = dict(zip(float_taps, float_tap_grads))
            tap_grads = [by_tap.get(v) for v in tap_values]
            new_windows = []
            take = _taker(tap_grads)
            for j, i in enumerate(states):
                k, window = self.rows(i), window_values[j]
                rows = [zeros_like(window[0])] + [window[r - 1] for r in range(1, k)]
                for tap, g in zip(self.state_taps[i], take(len(self.state_taps[i]))):
                    if g is not None:
                        rows[k + tap] = rows[k + tap] + g
                # One row (a single tap -1): a new axis is a view, stacking would copy.
                new_windows.append(
                    rows[0].dimshuffle("x", *range(rows[0].ndim)) if k == 1 else stack(rows)
                )
            new_sums = [s + g for s, g in zip(sum_values, non_seq_grads)]
            return new_windows + new_sums + seq_grads

        n_wanted_seqs = sum(wanted_seqs)
        results = build_scan(
            backward_step,
            bw_seqs,
            [(w.dimshuffle("x", *range(w.ndim)), (-1,)) for w in windows + sums]
            + [None] * n_wanted_seqs,
            non_seqs,
            steps,
            name=f"grad of {self.name}" if self.name else "grad of scan",
        )
        window_buffers = results[: len(windows)]
        sum_buffers = results[len(windows) : len(windows) + len(sums)]
        seq_grad_rows = results[len(windows) + len(sums) :]

        seq_grads, rows = [], iter(seq_grad_rows)
        for s, wanted in zip(seqs, wanted_seqs):
            seq_grads.append(
                set_subtensor(zeros_like(s)[start:n], next(rows)[::-1]) if wanted else None
            )
        init_grads = []
        for j, i in enumerate(states):
            k = self.rows(i)
            if not _is_float(inits[j]):
                init_grads.append(None)
                continue
            buffer_grad = inc_subtensor(output_grads[i][start : start + k], window_buffers[j][-1])
            init_grads.append(buffer_grad[:k])
        non_seq_grads, sums_iter = [], iter(sum_buffers)
        for wanted in wanted_non_seqs:
            non_seq_grads.append(next(sums_iter)[-1] if wanted else None)
        return [None, *seq_grads, *init_grads, *non_seq_grads]


def _step_shapes(step: Callable, arguments: list, static: list[tuple]) -> list[tuple]:
    """The shapes of one step's outputs on ``arguments`` (zeros standing for the rows of
    sequences that have none): what a loop of zero steps gives its outputs' rows. When that
    step fails (it may index or divide by what it reads), the static shapes, with 0 for
    the unknown sizes."""
    try:
        with np.errstate(all="ignore"):
            return [np.shape(value) for value in step(*arguments)]
    except Exception:
        return static


def _graph_shapes(outputs: Sequence[Variable], known: dict) -> list[tuple]:
    """The symbolic shapes of ``outputs`` given those of the graph's inputs (``known``),
    each node's from its op's ``infer_shape``; a length no rule gives is its static
    size, or None."""
    shapes = dict(known)

    def shape_of(variable):
        inferred = shapes.get(variable, variable.type.shape)
        return tuple(
            _as_length(d if s is None else s) for s, d in zip(variable.type.shape, inferred)
        )

    for node in toposort(outputs, blockers=list(known)):
        input_shapes = [shape_of(v) for v in node.inputs]
        inferred = None
        if all(d is not None for shape in input_shapes for d in shape):
            inferred = node.op.infer_shape(node, input_shapes)
        for k, output in enumerate(node.outputs):
            shapes[output] = tuple(inferred[k]) if inferred else output.type.shape
    return [shape_of(v) for v in outputs]


def _as_length(length):
    """A length as the ops' ``infer_shape`` take it: an int64 scalar variable, or None."""
    if length is None or isinstance(length, Variable):
        return length
    return constant(int(length), dtype="int64")


def _is_float(variable: Variable) -> bool:
    return variable.type.numpy_dtype.kind in "fc"


def _taker(items: list) -> Callable[[int], list]:
    """A function returning the next ``count`` items of ``items`` each call."""
    position = [0]

    def take(count: int) -> list:
        taken = items[position[0] : position[0] + count]
        position[0] += count
        return list(taken)

    return take


def _vjp(outputs: list[Variable], seeds: dict[int, Variable], wrt: list[Variable]) -> list:
    """The gradients of ``wrt`` given each output's gradient (``seeds`` by position): a
    vector-Jacobian product, exact however the outputs depend on each other."""
    float_seeds = {i: g for i, g in seeds.items() if _is_float(outputs[i])}
    if not wrt:
        return []
    if not float_seeds:
        return [zeros_like(v) for v in wrt]
    return Lop(
        [outputs[i] for i in float_seeds],
        wrt,
        list(float_seeds.values()),
        disconnected_inputs="ignore",
    )


class _LoopErrors:
    """The errors a running loop raises, naming the user's scan and its outputs."""

    def __init__(self, op: Scan, node: Apply) -> None:
        self.title = f"scan '{op.name}'" if op.name else "scan"
        self.op = op

    def step_failed(self, error: Exception, step: int, function: Callable) -> None:
        """Add notes to ``error``: which step failed and, when the compiled step can say,
        which of its nodes and the user line that built it."""
        error.add_note(f"symgraph: in step {step} of {self.title}")
        program = getattr(function, "program", None)  # compiled steps carry their program
        note = program.explain(error) if program is not None else None
        if note is not None:
            error.add_note(note.replace("symgraph: ", "symgraph: inside the loop, ", 1))

    def negative_steps(self, n: int) -> None:
        raise ValueError(f"{self.title} was asked to run a negative number of steps ({n})")

    def short_sequence(self, position: int, length: int, n: int) -> None:
        labels = getattr(self.op, "sequence_labels", [])  # absent from older pickles
        label = labels[position] if position < len(labels) else f"sequence {position}"
        raise ValueError(
            f"{self.title}: {label} gives {length} rows but the loop runs {n} steps (n_steps)"
        )

    def initial_rows(self, output: int, rows: int) -> None:
        taps = list(self.op.state_taps[output])
        raise ValueError(
            f"{self.title}: the initial value of output {output} has {rows} rows along its "
            f"first axis but its taps {taps} need {self.op.rows(output)}"
        )

    def step_shape(self, step: int, output: int, got: tuple, expected: tuple) -> None:
        raise ValueError(
            f"{self.title}: step {step} returned output {output} of shape {tuple(got)}, "
            f"but its rows have shape {tuple(expected)} (the initial state's, or the "
            "first step's)"
        )


# Building a scan from a step function -------------------------------------------------


def _arguments_text(descriptions: list[str]) -> str:
    return ", ".join(descriptions) if descriptions else "none"


def build_scan(
    fn: Callable,
    sequences: Sequence[Variable],
    states: Sequence[tuple[Variable, tuple[int, ...]] | None] | None,
    non_sequences: Sequence[Variable],
    n_steps: Variable,
    truncate_gradient: int = -1,
    name: str | None = None,
    strict: bool = False,
    descriptions: Sequence[str] | None = None,
    state_labels: Sequence[str] | None = None,
) -> list[Variable]:
    """Trace ``fn`` into a step graph and apply a :class:`Scan`; return its outputs.

    ``sequences`` are read at ``[t]`` (one argument each); ``states[i]`` is output
    ``i``'s ``(initial rows, taps)`` or None for an output not fed back (``states=None``:
    no output is); ``non_sequences`` are passed to ``fn`` as they are. Outer variables
    ``fn`` reads without being given them are captured as extra non-sequences.
    ``descriptions`` name ``fn``'s arguments and ``state_labels`` the states' initial
    values (one per output, None where not fed back) for error messages.
    """
    title = f"scan '{name}'" if name else "scan"
    sequences = [as_tensor(s) for s in sequences]
    non_sequences = [as_tensor(w) for w in non_sequences]
    seq_slots = [
        TensorType(s.dtype, s.type.shape[1:]).make_variable(f"{s.name}[t]" if s.name else None)
        for s in sequences
    ]
    given_states = [] if states is None else [s for s in states if s is not None]
    tap_slots = []
    for init, taps in given_states:
        row_type = TensorType(init.dtype, init.type.shape[1:])
        for tap in taps:
            base = _base_name(init)
            tap_slots.append(row_type.make_variable(f"{base}[t{tap}]" if base else None))
    arguments = [*seq_slots, *tap_slots, *non_sequences]
    _check_arity(fn, arguments, descriptions, title)
    outputs, updates = _outputs_and_updates(fn(*arguments), title)
    if updates:
        raise NotImplementedError(
            f"{title}: fn returned updates; updates from inside a loop are not supported yet"
        )
    if not outputs:
        raise NotImplementedError(f"{title}: fn returned no outputs; a loop needs at least one")
    if states is None:
        states = [None] * len(outputs)
    if len(outputs) != len(states):
        raise ValueError(
            f"{title}: fn returned {len(outputs)} outputs but outputs_info has {len(states)} "
            "entries; give one entry per output (None for an output not fed back)"
        )
    for position, (output, state) in enumerate(zip(outputs, states)):
        if state is not None:
            label = state_labels[position] if state_labels else variable_label(state[0])
            _check_state_type(title, position, output, state[0], label)

    slots = set(seq_slots) | set(tap_slots)
    given = set(non_sequences)
    captured = [
        v
        for v in graph_inputs(outputs, blockers=[*slots, *given])
        if v not in slots and v not in given and not isinstance(v, Constant)
    ]
    if strict and captured:
        names = ", ".join(variable_label(v) for v in captured)
        raise ValueError(
            f"{title} (strict=True): fn reads {names} without it being in non_sequences"
        )
    all_non_seqs = [*non_sequences, *captured]
    non_seq_slots = [w.type.make_variable(w.name) for w in all_non_seqs]
    inner_outputs = clone_replace(outputs, dict(zip(all_non_seqs, non_seq_slots)))
    op = Scan(
        [*seq_slots, *tap_slots, *non_seq_slots],
        inner_outputs,
        len(sequences),
        [() if s is None else tuple(s[1]) for s in states],
        len(all_non_seqs),
        truncate_gradient,
        name,
        descriptions[: len(sequences)] if descriptions else None,
    )
    n_steps = as_tensor(n_steps)
    if n_steps.dtype != "int64":
        n_steps = n_steps.astype("int64")
    node = op.make_node(n_steps, *sequences, *[init for init, _ in given_states], *all_non_seqs)
    return list(node.outputs)


def _base_name(initial: Variable) -> str | None:
    """The name of the user's initial value, through the slice or new axis scan added."""
    for _ in range(3):
        if initial.name or initial.owner is None:
            return initial.name
        initial = initial.owner.inputs[0]
    return initial.name


def _check_arity(fn: Callable, arguments: list, descriptions, title: str) -> None:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin or C function: let the call tell
        return
    try:
        signature.bind(*arguments)
    except TypeError:
        described = list(descriptions) if descriptions else [str(a) for a in arguments]
        raise TypeError(
            f"{title}: fn{signature} cannot take the {len(arguments)} arguments scan passes "
            f"it, in this order: {_arguments_text(described)}"
        ) from None


def _outputs_and_updates(result, title: str) -> tuple[list[Variable], dict]:
    """``fn``'s return value as (outputs, updates): outputs, an updates dict, or both in
    either order, as Theano allowed."""
    updates: dict = {}
    if isinstance(result, dict):
        return [], dict(result)
    if isinstance(result, (list, tuple)) and len(result) == 2:
        first, second = result
        if isinstance(second, dict):
            result, updates = first, dict(second)
        elif isinstance(first, dict):
            result, updates = second, dict(first)
    if result is None:
        outputs = []
    elif isinstance(result, (list, tuple)):
        outputs = list(result)
    else:
        outputs = [result]
    converted = []
    for position, output in enumerate(outputs):
        try:
            converted.append(as_tensor(output))
        except TypeError as error:
            raise TypeError(f"{title}: output {position} of fn is not a tensor: {error}") from None
    return converted, updates


def _check_state_type(
    title: str, position: int, output: Variable, init: Variable, label: str
) -> None:
    row_type = TensorType(init.dtype, init.type.shape[1:])
    problem = None
    if output.dtype != row_type.dtype:
        problem = "dtypes differ"
    elif output.ndim != row_type.ndim:
        problem = "numbers of dimensions differ"
    elif any(
        a is not None and b is not None and a != b
        for a, b in zip(output.type.shape, row_type.shape)
    ):
        problem = "static shapes conflict"
    if problem:
        raise TypeError(
            f"{title}: output {position} of fn ({output}) is {output.type.describe()} but its "
            f"initial state {label} gives {row_type.describe()} ({problem}); they must "
            f"have the same type: cast the output with .astype('{row_type.dtype}') or the "
            "initial state"
        )


__all__ = ["Scan", "build_scan"]
