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

Two optional parts, both at the end so that a plain loop's layout is unchanged:

- *update states* (``n_updates``): the last ``n_updates`` outputs carry shared variables
  that ``fn`` updates (explicitly, or a random draw's ``default_update``): each is a state of
  tap -1 whose initial value is the shared variable, so step ``t + 1`` reads the value
  step ``t`` gave it. ``scan`` hides them from the user and turns each buffer's last row
  into the update. They are not differentiated.
- a *condition* (``until``): the last inner output is a boolean scalar; the loop stops
  after the first step where it holds, and every output keeps only the rows of the steps
  that ran.

A rewrite may also limit what an output stores (``kept_rows``): output ``i`` with
``kept_rows[i] = m > 0`` returns only the last ``m`` rows of its buffer (all of them
while there are fewer), kept in a ring of ``m`` rows while the loop runs, so that a
state read only as ``hs[-1]`` costs one row of memory instead of one per step.
"""

from __future__ import annotations

import functools
import inspect
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from symgraph.config import config
from symgraph.grad import Lop
from symgraph.graph.basic import (
    NO_TEST_VALUE,
    Apply,
    Constant,
    HasInnerGraph,
    Op,
    Variable,
    compute_test_values,
    known_test_value,
    variable_label,
)
from symgraph.graph.traversal import (
    ancestors,
    clone_replace,
    graph_inputs,
    graph_signature,
    toposort,
)
from symgraph.graph.type import TensorType
from symgraph.tensor.ops.math import is_zeros_like, minimum, zeros_like
from symgraph.tensor.ops.shape import _static_ints, stack
from symgraph.tensor.ops.subtensor import inc_subtensor, set_subtensor
from symgraph.tensor.shared import SharedVariable
from symgraph.tensor.variable import as_tensor, constant


class Scan(Op, HasInnerGraph):
    """``n_steps`` applications of the inner graph; see the module docstring for the
    layout. ``state_taps[i]`` lists output ``i``'s taps (all negative), or is empty for
    an output that is not fed back. ``n_updates``: how many of the last outputs are
    update states; ``until``: whether the last inner output is the stopping condition."""

    __props__ = (
        "signature",
        "n_seqs",
        "state_taps",
        "n_non_seqs",
        "truncate_gradient",
        "n_updates",
        "until",
        "kept_rows",
    )
    show_inner_graph = True
    # Defaults for ops pickled before these existed.
    n_updates = 0
    until = False
    kept_rows: tuple[int, ...] = ()

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
        *,
        n_updates: int = 0,
        until: bool = False,
        kept_rows: Sequence[int] = (),
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
        self.n_updates = int(n_updates)
        self.until = bool(until)
        if len(self.inner_outputs) != len(self.state_taps) + self.until:
            raise ValueError(
                "Scan: one entry of state_taps per inner output (the condition excepted)"
            )
        if not 0 <= self.n_updates <= len(self.state_taps) or any(
            self.state_taps[i] != (-1,) for i in self.update_outputs
        ):
            raise ValueError("Scan: each of the last n_updates outputs needs the taps (-1,)")
        if self.until and self.inner_outputs[-1].ndim != 0:
            raise ValueError("Scan: the condition (the last inner output) must be a scalar")
        if any(k >= 0 for taps in self.state_taps for k in taps):
            raise ValueError("Scan: state taps must be negative")
        # () or one entry per output: 0 keeps every row, m > 0 the last m rows.
        self.kept_rows = tuple(int(m) for m in kept_rows)
        if self.kept_rows and (
            len(self.kept_rows) != len(self.state_taps)
            or any(m != 0 and m < max(self.rows(i), 1) for i, m in enumerate(self.kept_rows))
        ):
            raise ValueError(
                "Scan: kept_rows needs one entry per output, 0 (all rows) or at least as "
                "many rows as the output's taps read (and one)"
            )
        expected = self.n_seqs + sum(map(len, self.state_taps)) + self.n_non_seqs
        if len(self.inner_inputs) != expected:
            raise ValueError(f"Scan: {len(self.inner_inputs)} inner inputs, expected {expected}")

    @functools.cached_property
    def signature(self) -> tuple:
        return graph_signature(self.inner_inputs, self.inner_outputs)

    # The layout, derived from the props -----------------------------------------------

    @property
    def step_outputs(self) -> list[Variable]:
        """The inner outputs giving the op's outputs (the condition left out)."""
        return self.inner_outputs[: len(self.state_taps)]

    @property
    def condition(self) -> Variable | None:
        """The inner stopping condition (``until``), or None for a loop of fixed length."""
        return self.inner_outputs[-1] if self.until else None

    @property
    def update_outputs(self) -> list[int]:
        """The indices of the outputs that carry shared variables' updates (not the
        user's: loop rewrites must leave them, and a loop with any, alone)."""
        return list(range(len(self.state_taps) - self.n_updates, len(self.state_taps)))

    @property
    def states(self) -> list[int]:
        """The indices of the outputs fed back into the loop."""
        return [i for i, taps in enumerate(self.state_taps) if taps]

    def with_kept_rows(self, kept_rows: Sequence[int]) -> Scan:
        """The same loop keeping only ``kept_rows[i]`` last rows of output ``i``."""
        return Scan(
            self.inner_inputs,
            self.inner_outputs,
            self.n_seqs,
            self.state_taps,
            self.n_non_seqs,
            self.truncate_gradient,
            self.name,
            self.sequence_labels,
            n_updates=self.n_updates,
            until=self.until,
            kept_rows=kept_rows,
        )

    def kept(self, output: int) -> int:
        """How many of its last rows output ``output`` returns (0: all of them)."""
        return self.kept_rows[output] if self.kept_rows else 0

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
        for i, inner_out in enumerate(self.step_outputs):
            rest = init_of[i].type.shape[1:] if i in init_of else inner_out.type.shape
            outputs.append(TensorType(inner_out.dtype, (None, *rest)))
        return Apply(self, [n_steps, *inputs], outputs)

    def jax(self, node, inputs, jx):
        """The loop as ``lax.scan``: the carry holds each state's last rows (as many as
        its deepest tap), each step's results are stacked by ``lax.scan``. The number of
        steps must be known while tracing (XLA compiles for fixed shapes); a loop with a
        stopping condition runs on the NumPy backend only."""
        if self.until:
            raise NotImplementedError(
                f"the JAX backend has no lowering for {self} with a stopping condition "
                "(until): its number of steps is known only while it runs"
            )
        errors = _LoopErrors(self, node)
        n_steps, seqs, inits, non_seqs = self.split_outer(inputs)
        (n,) = _static_ints(n_steps, self)
        if n < 0:
            errors.negative_steps(n)
        for k, x in enumerate(seqs):
            if x.shape[0] < n:
                errors.short_sequence(k, x.shape[0], n)
        for i, init in zip(self.states, inits):
            if init.shape[0] != self.rows(i):
                errors.initial_rows(i, init.shape[0])
        step = jx.lower_graph(self.inner_inputs, self.inner_outputs)
        jnp, states = jx.numpy, self.states

        def body(carry, rows):
            arguments = list(rows)
            for i, buffer in zip(states, carry):
                arguments += [buffer[self.rows(i) + tap] for tap in self.state_taps[i]]
            results = step(*arguments, *non_seqs)
            carry = [
                jnp.concatenate([buffer[1:], results[i][None].astype(buffer.dtype)])
                for i, buffer in zip(states, carry)
            ]
            return carry, results

        carry = [jnp.asarray(init) for init in inits]
        _, stacked = jx.lax.scan(body, carry, [jnp.asarray(x)[:n] for x in seqs], length=n)
        outputs = []
        for i, rows in enumerate(stacked):
            if i in states:
                initial = carry[states.index(i)]
                rows = jnp.concatenate([initial, rows.astype(initial.dtype)])
            outputs.append(rows[-self.kept(i) :] if self.kept(i) else rows)
        return outputs if len(outputs) > 1 else outputs[0]

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
        n_outputs = len(self.state_taps)
        seqs = [f"x{k}" for k in range(self.n_seqs)]
        inits = {i: f"i{i}" for i in self.states}
        non_seqs = [f"w{k}" for k in range(self.n_non_seqs)]
        parameters = ["n_steps", *seqs, *inits.values(), *non_seqs]
        dtypes = [ctx.bind(out.type.numpy_dtype, f"{out.dtype}_dtype") for out in node.outputs]
        ring = [i for i in range(n_outputs) if self.kept(i)]

        def row(i: int, position: str) -> str:
            """Output ``i``'s buffer at ``position`` (a ring wraps it around)."""
            return f"o{i}[({position}) % m{i}]" if i in ring else f"o{i}[{position}]"

        lines = ["n = int(n_steps)", "if n < 0: errors.negative_steps(n)"]
        for k, x in enumerate(seqs):
            lines.append(f"if {x}.shape[0] < n: errors.short_sequence({k}, {x}.shape[0], n)")
        for i, name in inits.items():
            k = self.rows(i)
            length = f"min(n + {k}, {self.kept(i)})" if i in ring else f"n + {k}"
            lines.append(f"if {name}.shape[0] != {k}: errors.initial_rows({i}, {name}.shape[0])")
            lines.append(f"o{i} = np.empty(({length},) + {name}.shape[1:], dtype={dtypes[i]})")
            lines.append(f"o{i}[:{k}] = {name}")
            if i in ring:
                lines.append(f"m{i} = o{i}.shape[0]  # a ring of the last rows")
        for i in range(n_outputs):
            if i not in inits:
                lines.append(f"o{i} = None  # allocated once the first step gives its shape")
        arguments = [f"{x}[t]" for x in seqs]
        first_arguments = [f"np.zeros({x}.shape[1:], {x}.dtype)" for x in seqs]
        for i in self.states:
            for tap in self.state_taps[i]:
                offset = self.rows(i) + tap
                arguments.append(row(i, f"t + {offset}" if offset else "t"))
                first_arguments.append(f"o{i}[{offset}]")
        arguments += non_seqs
        first_arguments += non_seqs
        results = [f"r{i}" for i in range(n_outputs)] + (["stop"] if self.until else [])
        lines.append("for t in range(n):")
        lines.append("    try:")
        lines.append(f"        [{', '.join(results)}] = step({', '.join(arguments)})")
        lines.append("    except Exception as error:")
        lines.append("        errors.step_failed(error, t, step)")
        lines.append("        raise")
        for i in range(n_outputs):
            k = self.rows(i)
            if i in inits:
                lines.append(
                    f"    if r{i}.shape != o{i}.shape[1:]: "
                    f"errors.step_shape(t, {i}, r{i}.shape, o{i}.shape[1:])"
                )
            else:
                length = f"min(n, {self.kept(i)})" if i in ring else "n"
                lines.append(f"    if o{i} is None:")
                lines.append(
                    f"        o{i} = np.empty(({length},) + r{i}.shape, dtype={dtypes[i]})"
                )
                if i in ring:
                    lines.append(f"        m{i} = o{i}.shape[0]  # a ring of the last rows")
                lines.append(
                    f"    elif r{i}.shape != o{i}.shape[1:]: "
                    f"errors.step_shape(t, {i}, r{i}.shape, o{i}.shape[1:])"
                )
            lines.append(f"    {row(i, f't + {k}' if k else 't')} = r{i}")
        if self.until:
            lines.append("    if stop:  # the condition held: this step was the last")
            lines.append("        n = t + 1")
            lines.append("        break")
        if len(inits) < n_outputs:
            # No step ran: an output's rows have the shape one step would give them.
            shapes = ctx.bind(_step_shapes, "step_shapes")
            static = ctx.bind(
                [
                    tuple(0 if s is None else s for s in out.type.shape)
                    for out in self.inner_outputs
                ],
                "static_shapes",
            )
            lines.append(
                f"if n == 0: shapes = {shapes}(step, [{', '.join(first_arguments)}], {static})"
            )
        for i in range(n_outputs):
            if i not in inits:
                lines.append(
                    f"if o{i} is None: o{i} = np.empty((0, *shapes[{i}]), dtype={dtypes[i]})"
                )
        if ring:
            in_order = ctx.bind(_ring_in_order, "ring_in_order")
            lines.append("# The rings' rows, oldest first.")
            for i in ring:
                k = self.rows(i)
                lines.append(
                    f"o{i} = {in_order}(o{i}, n + {k})" if k else f"o{i} = {in_order}(o{i}, n)"
                )
        if self.until:
            lines.append("# Only the rows of the steps that ran.")
            for i in range(n_outputs):
                if i not in ring:
                    k = self.rows(i)
                    lines.append(f"o{i} = o{i}[: n + {k}]" if k else f"o{i} = o{i}[:n]")
        lines.append(f"return {', '.join(f'o{i}' for i in range(n_outputs))}")
        return lines, parameters

    def infer_shape(self, node, input_shapes):
        """Shapes without running the loop: a state's buffer has ``n_steps`` rows after
        its initial ones, each shaped as the initial value's rows (every step must give
        that shape); an output not fed back has ``n_steps`` rows shaped as the step's
        result, read from the step graph's own shape inference (None for a length it
        cannot tell). An output keeping its last ``m`` rows has at most ``m``; a loop
        with a condition may stop early, so its number of rows is not told."""
        n_steps = node.inputs[0]
        _, seq_shapes, init_shapes, non_seq_shapes = self.split_outer(input_shapes)
        inner_seqs, inner_taps, inner_non_seqs = self.split_inner()
        known = {v: tuple(shape[1:]) for v, shape in zip(inner_seqs, seq_shapes)}
        for taps, shape in zip(inner_taps, init_shapes):
            known.update({v: tuple(shape[1:]) for v in taps})
        known.update({v: tuple(shape) for v, shape in zip(inner_non_seqs, non_seq_shapes)})
        row_shapes = _graph_shapes(self.step_outputs, known)
        # An op's rule may read its inputs' values (a size vector): lengths made from
        # inner inputs are made again from the outer non-sequences, or not told when they
        # read a row only a step has.
        per_step = {*inner_seqs, *(v for taps in inner_taps for v in taps)}
        non_seqs = dict(zip(inner_non_seqs, self.split_outer(node.inputs)[3]))
        outer_lengths = [d for shape in input_shapes for d in shape if isinstance(d, Variable)]
        row_shapes = [
            tuple(_in_outer_terms(d, per_step, non_seqs, outer_lengths) for d in shape)
            for shape in row_shapes
        ]
        init_of = dict(zip(self.states, init_shapes))
        shapes = []
        for i, rows in enumerate(row_shapes):
            k = self.rows(i)
            length = None if self.until else (n_steps + k if k else n_steps)
            if length is not None and self.kept(i):
                length = minimum(length, self.kept(i))
            shapes.append((length, *(init_of[i][1:] if i in init_of else rows)))
        return shapes

    # The gradient ------------------------------------------------------------------------

    def grad(self, node, output_grads):
        """Backpropagation through time: a second scan runs the steps backwards (the last
        ``truncate_gradient`` of them when that is not -1), taking each step's
        vector-Jacobian product. It carries, per state, the gradient gathered so far for
        the ``k`` buffer rows the remaining steps may read, and per differentiable
        non-sequence the sum of its gradients. A loop with a condition ran as many steps
        as its outputs have rows after the initial ones; update states are constants to it
        (updates are not differentiated).

        The backward step reads the forward values it needs (a gate's sigmoid, an LSTM's
        cell) instead of computing them again: each step's outputs from the loop's own
        buffers, the other values from a copy of the loop that also returns them
        (:meth:`saving`), which the loop passes merge back into this one. A loop with a
        condition, update states or an op whose results may differ from run to run
        computes those other values again in the backward step."""
        if any(self.kept_rows):
            raise NotImplementedError(
                f"{self}: this loop keeps only the last rows of some outputs (a compiler "
                "rewrite made it so); differentiate the loop scan built instead"
            )
        n, seqs, inits, non_seqs = self.split_outer(node.inputs)
        outputs = node.outputs
        if self.until:
            n = outputs[0].shape[0] - self.rows(0)
        updated = set(self.update_outputs)
        states = self.states
        nits = [i for i in range(len(outputs)) if i not in states]
        # An output no gradient reaches (None, or the zeros grad gives an op's outputs
        # nothing flowed into) seeds no step: no buffer of zeros read row by row.
        reached = [g is not None and not is_zeros_like(g, o) for o, g in zip(outputs, output_grads)]
        output_grads = [zeros_like(o) if g is None else g for o, g in zip(outputs, output_grads)]
        steps = n if self.truncate_gradient == -1 else minimum(n, self.truncate_gradient)
        start = n - steps
        inner_seqs, inner_taps, inner_non_seqs = self.split_inner()
        wanted_seqs = [_is_float(s) for s in seqs]
        wanted_non_seqs = [_is_float(w) for w in non_seqs]

        # One backward step, built once on the forward step's own inner variables: fresh
        # variables stand for the gradients reaching each output's row and for the
        # backward loop's states (per state a window of its rows' gradients, per
        # differentiable non-sequence the sum so far).
        state_grads = {i: _row_variable(output_grads[i]) for i in states if reached[i]}
        nit_grads = {i: _row_variable(output_grads[i]) for i in nits if reached[i]}
        windows = [init.type.make_variable() for init in inits]
        sums = [w.type.make_variable() for w, wanted in zip(non_seqs, wanted_non_seqs) if wanted]
        seeds = dict(nit_grads)
        for j, i in enumerate(states):
            if i not in updated:
                from_later_steps = windows[j][self.rows(i) - 1]
                seeds[i] = state_grads[i] + from_later_steps if reached[i] else from_later_steps
        float_taps = [
            v
            for i, taps in zip(states, inner_taps)
            for v in taps
            if i not in updated and _is_float(v)
        ]
        wrt = (
            [v for v, wanted in zip(inner_seqs, wanted_seqs) if wanted]
            + float_taps
            + [v for v, wanted in zip(inner_non_seqs, wanted_non_seqs) if wanted]
        )
        take = _taker(_vjp(self.step_outputs, seeds, wrt))
        seq_grads, tap_grads = take(sum(wanted_seqs)), dict(zip(float_taps, take(len(float_taps))))
        new_sums = [s + g for s, g in zip(sums, take(sum(wanted_non_seqs)))]
        new_windows = []
        for j, i in enumerate(states):
            k, window = self.rows(i), windows[j]
            rows = [None] + [window[r - 1] for r in range(1, k)]  # None: no gradient yet
            for tap, slot in zip(self.state_taps[i], inner_taps[j]):
                if slot in tap_grads:
                    g = tap_grads[slot].astype(window.dtype)
                    rows[k + tap] = g if rows[k + tap] is None else rows[k + tap] + g
            rows = [zeros_like(window[0]) if row is None else row for row in rows]
            # One row (a single tap -1): a new axis is a view, stacking would copy.
            new_windows.append(
                rows[0].dimshuffle("x", *range(rows[0].ndim)) if k == 1 else stack(rows)
            )
        backward_outputs = new_windows + new_sums + seq_grads

        # What the backward step reads each step, as (inner variable, outer buffer, row
        # offset): on backward step s (forward step t = n - 1 - s) it reads the buffer's row
        # t + offset.
        per_step = [(v, x, 0) for v, x in zip(inner_seqs, seqs)]
        for j, i in enumerate(states):
            k = self.rows(i)
            per_step += [
                (v, outputs[i], k + tap) for tap, v in zip(self.state_taps[i], inner_taps[j])
            ]
        per_step += [(g, output_grads[i], self.rows(i)) for i, g in state_grads.items()]
        per_step += [(g, output_grads[i], 0) for i, g in nit_grads.items()]
        saved = self.forward_values_read(backward_outputs)
        step_output = {}
        for i, v in enumerate(self.step_outputs):
            step_output.setdefault(v, i)
        per_step += [
            (v, outputs[step_output[v]], self.rows(step_output[v]))
            for v in saved
            if v in step_output
        ]
        others = [v for v in saved if v not in step_output]
        if others and self.can_save_values():
            saving = self.saving(others).make_node(*node.inputs)
            per_step += list(zip(others, saving.outputs[len(outputs) :], [0] * len(others)))
        read = set(graph_inputs(backward_outputs, blockers=[v for v, _, _ in per_step]))
        per_step = [entry for entry in per_step if entry[0] in read]
        read_per_step = [v for v, _, _ in per_step]
        bw_seqs = [
            buffer[_plus(start, offset) : _plus(n, offset)][::-1] for _, buffer, offset in per_step
        ]

        def backward_step(*args):
            take = _taker(list(args))
            values = dict(zip(read_per_step, take(len(per_step))))
            values.update(zip(windows + sums, take(len(windows) + len(sums))))
            values.update(zip(inner_non_seqs, take(len(non_seqs))))
            return clone_replace(backward_outputs, values)

        initial_windows = [zeros_like(init) for init in inits]
        initial_sums = [zeros_like(w) for w, wanted in zip(non_seqs, wanted_non_seqs) if wanted]
        n_wanted_seqs = sum(wanted_seqs)
        results = build_scan(
            backward_step,
            bw_seqs,
            [(w.dimshuffle("x", *range(w.ndim)), (-1,)) for w in initial_windows + initial_sums]
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
            if not _is_float(inits[j]) or i in updated:
                init_grads.append(None)
                continue
            if not reached[i]:
                init_grads.append(window_buffers[j][-1])
                continue
            buffer_grad = inc_subtensor(output_grads[i][start : start + k], window_buffers[j][-1])
            init_grads.append(buffer_grad[:k])
        non_seq_grads, sums_iter = [], iter(sum_buffers)
        for wanted in wanted_non_seqs:
            non_seq_grads.append(next(sums_iter)[-1] if wanted else None)
        return [None, *seq_grads, *init_grads, *non_seq_grads]

    def forward_values_read(self, backward_outputs: Sequence[Variable]) -> list[Variable]:
        """What a backward step needs from the forward one: the step's variables that
        change from step to step (they depend on a sequence or a state) and that the rest
        of ``backward_outputs``' graph, built on the step's inner variables, reads; for a
        view of another such variable, the variable it views."""
        forward = toposort(self.step_outputs, blockers=self.inner_inputs)
        varying = set(self.inner_inputs[: len(self.inner_inputs) - self.n_non_seqs])
        for apply in forward:
            if any(v in varying for v in apply.inputs):
                varying.update(apply.outputs)
        forward_nodes = set(forward)

        def is_forward_value(v: Variable) -> bool:
            return v.owner in forward_nodes and v in varying

        def viewed(v: Variable) -> Variable:
            # A view of another such value (a gate's slice of the pre-activations) is
            # taken again from it: saving both would store the same numbers twice.
            while v.owner in forward_nodes and v.owner.op.view_map.get(v.index):
                source = v.owner.inputs[v.owner.op.view_map[v.index][0]]
                if not is_forward_value(source):
                    break
                v = source
            return v

        read = {}
        for apply in toposort(backward_outputs, blockers=self.inner_inputs):
            if apply not in forward_nodes:
                read.update(dict.fromkeys(viewed(v) for v in apply.inputs if is_forward_value(v)))
        read.update(dict.fromkeys(viewed(v) for v in backward_outputs if is_forward_value(v)))
        return list(read)

    def can_save_values(self) -> bool:
        """Whether a copy of this loop returning more of its step's values (:meth:`saving`)
        computes the same steps, so that the loop passes can run the two as one: no
        condition, no update states, no op whose results may differ between runs."""
        return not self.until and not self.n_updates and is_deterministic(self)

    def saving(self, values: Sequence[Variable]) -> Scan:
        """This loop also returning ``values`` (inner variables of its step), one row per
        step, after its own outputs: where a backward step reads them."""
        return Scan(
            self.inner_inputs,
            [*self.step_outputs, *values],
            self.n_seqs,
            [*self.state_taps, *[()] * len(values)],
            self.n_non_seqs,
            self.truncate_gradient,
            self.name,
            self.sequence_labels,
        )


def _ring_in_order(ring: np.ndarray, written: int) -> np.ndarray:
    """The last rows of a buffer of ``written`` rows kept in ``ring`` (row ``p`` of the
    buffer at ``p % len(ring)``), oldest first."""
    size = ring.shape[0]
    if written <= size:
        return ring[:written]
    return np.roll(ring, -(written % size), axis=0)


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


def _in_outer_terms(length, per_step: set, non_seqs: dict, outer_lengths: list):
    """``length`` (an inner graph's inferred length) as the outer graph can compute it:
    non-sequences' inner inputs replaced by the non-sequences; None when it reads an
    inner input standing for a row, or when it is None."""
    if not isinstance(length, Variable):
        return length
    reached = ancestors([length], blockers=outer_lengths)
    if any(v in per_step for v in reached):
        return None
    if any(v in non_seqs for v in reached):
        (length,) = clone_replace([length], non_seqs)
    return length


def _as_length(length):
    """A length as the ops' ``infer_shape`` take it: an int64 scalar variable, or None."""
    if length is None or isinstance(length, Variable):
        return length
    return constant(int(length), dtype="int64")


def is_deterministic(op) -> bool:
    """Whether ``op`` computes the same values from the same inputs (an op with an inner
    graph is when every op inside is)."""
    if getattr(op, "nondeterministic", False):
        return False
    if isinstance(op, HasInnerGraph):
        inner = toposort(op.inner_outputs, blockers=op.inner_inputs)
        return all(is_deterministic(n.op) for n in inner)
    return True


def _row_variable(buffer: Variable) -> Variable:
    """A fresh variable of the type of ``buffer``'s rows."""
    return TensorType(buffer.dtype, buffer.type.shape[1:]).make_variable()


def _plus(position, offset: int):
    """``position + offset``, without a node for an offset of 0."""
    return position + offset if offset else position


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


class until:  # noqa: N801 - Theano's name
    """A loop's stopping condition: ``fn`` returns ``(outputs, until(cond))`` or
    ``(outputs, updates, until(cond))``, and the loop stops after the first step whose
    ``cond`` (a scalar) holds, or after ``n_steps`` steps if it never does."""

    def __init__(self, condition) -> None:
        condition = as_tensor(condition)
        if condition.ndim != 0:
            raise TypeError(
                f"until: the condition {variable_label(condition)} must be a scalar, got "
                f"{condition.type.describe()}"
            )
        self.condition = condition

    def __repr__(self) -> str:
        return f"until({self.condition})"


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
    """The outputs of :func:`build_loop`, for a ``fn`` that updates no shared variable."""
    outputs, updates = build_loop(
        fn,
        sequences,
        states,
        non_sequences,
        n_steps,
        truncate_gradient,
        name,
        strict,
        descriptions,
        state_labels,
    )
    if updates:
        raise ValueError(
            f"{_title(name)}: fn updates shared variables; use build_loop to get the updates"
        )
    return outputs


def build_loop(
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
) -> tuple[list[Variable], OrderedDict]:
    """Trace ``fn`` into a step graph and apply a :class:`Scan`; return its outputs and
    the updates of the shared variables the loop changes.

    ``sequences`` are read at ``[t]`` (one argument each); ``states[i]`` is output
    ``i``'s ``(initial rows, taps)`` or None for an output not fed back (``states=None``:
    no output is); ``non_sequences`` are passed to ``fn`` as they are. Outer variables
    ``fn`` reads without being given them are captured as extra non-sequences.
    ``descriptions`` name ``fn``'s arguments and ``state_labels`` the states' initial
    values (one per output, None where not fed back) for error messages.

    ``fn`` may also return updates and a stopping condition (:class:`until`). Each
    shared variable it updates, and each one it reads whose ``default_update`` it built
    (a random draw inside ``fn``), is carried from step to step (see the module
    docstring); the updates map it to its value after the last step, and a
    ``default_update`` built inside ``fn`` is replaced by that value, so that the stream
    advances by the steps run even when the caller forgets the updates.
    """
    title = _title(name)
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
    if config.compute_test_value != "off":
        _give_slots_test_values(sequences, seq_slots, given_states, tap_slots)
    arguments = [*seq_slots, *tap_slots, *non_sequences]
    _check_arity(fn, arguments, descriptions, title)
    # Variables are numbered as they are made: a default update numbered after this one
    # was built by fn (a draw inside the loop), not before it.
    traced_from = TensorType("int8", ()).make_variable().auto_id
    outputs, updates, condition = _outputs_and_updates(fn(*arguments), title)
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
    ends = [*outputs, *([] if condition is None else [condition])]
    updates, defaults = _carried_updates(title, updates, ends, [*slots, *given], traced_from)
    carried = list(updates)
    update_slots = [v.type.make_variable(v.name) for v in carried]
    ends += list(updates.values())
    captured = [
        v
        for v in graph_inputs(ends, blockers=[*slots, *given])
        if v not in slots and v not in given and v not in updates and not isinstance(v, Constant)
    ]
    if strict and captured:
        names = ", ".join(variable_label(v) for v in captured)
        raise ValueError(
            f"{title} (strict=True): fn reads {names} without it being in non_sequences"
        )
    all_non_seqs = [*non_sequences, *captured]
    non_seq_slots = [w.type.make_variable(w.name) for w in all_non_seqs]
    # An updated shared variable given as a non-sequence too reads its carried value.
    replace = {**dict(zip(all_non_seqs, non_seq_slots)), **dict(zip(carried, update_slots))}
    inner_outputs = clone_replace(
        [*outputs, *updates.values(), *([] if condition is None else [condition])], replace
    )
    op = Scan(
        [*seq_slots, *tap_slots, *update_slots, *non_seq_slots],
        inner_outputs,
        len(sequences),
        [() if s is None else tuple(s[1]) for s in states] + [(-1,)] * len(carried),
        len(all_non_seqs),
        truncate_gradient,
        name,
        descriptions[: len(sequences)] if descriptions else None,
        n_updates=len(carried),
        until=condition is not None,
    )
    n_steps = as_tensor(n_steps)
    if n_steps.dtype != "int64":
        n_steps = n_steps.astype("int64")
    initial = [init for init, _ in given_states]
    initial += [v.dimshuffle("x", *range(v.ndim)) for v in carried]
    node = op.make_node(n_steps, *sequences, *initial, *all_non_seqs)
    if config.compute_test_value != "off":
        compute_test_values(node, config.compute_test_value)
    final = OrderedDict((v, buffer[-1]) for v, buffer in zip(carried, node.outputs[len(outputs) :]))
    for variable in defaults:
        variable.default_update = final[variable]
    return list(node.outputs[: len(outputs)]), final


def _give_slots_test_values(sequences, seq_slots, given_states, tap_slots) -> None:
    """Test values for ``fn``'s arguments (``config.compute_test_value``), so the nodes
    ``fn`` builds compute theirs: a sequence's first row, and for each tap the row of the
    initial state it reads at the first step."""
    for sequence, slot in zip(sequences, seq_slots):
        value = known_test_value(sequence)
        if value is not NO_TEST_VALUE and len(value):
            slot.tag.test_value = np.asarray(value)[0]
    slots = iter(tap_slots)
    for init, taps in given_states:
        value = known_test_value(init)
        for tap in taps:
            slot = next(slots)
            if value is not NO_TEST_VALUE:
                slot.tag.test_value = np.asarray(value)[len(value) + tap]


def _title(name: str | None) -> str:
    return f"scan '{name}'" if name else "scan"


def _carried_updates(
    title: str, explicit: OrderedDict, ends: list, blockers: list, traced_from: int
) -> tuple[OrderedDict, list]:
    """The shared variables the loop carries, each with its new value after one step: the
    updates ``fn`` returned, then every shared variable the step reads (directly or
    through those updates) whose ``default_update`` ``fn`` built; and the latter's list."""
    updates: OrderedDict = OrderedDict()
    for target, value in explicit.items():
        if not isinstance(target, SharedVariable):
            if isinstance(target, Variable):
                label, what = variable_label(target), target.type.describe()
            else:
                label, what = repr(target), type(target).__name__
            raise TypeError(
                f"{title}: fn returned an update for {label}, a {what}, not a shared "
                "variable; only shared variables can be updated"
            )
        try:
            value = as_tensor(value)
        except TypeError as error:
            raise TypeError(
                f"{title}: the update of {variable_label(target)} is not a tensor: {error}"
            ) from None
        problem = None
        if value.dtype != target.dtype:
            problem = "dtypes differ"
        elif value.ndim != target.ndim:
            problem = "numbers of dimensions differ"
        elif any(
            a is not None and b is not None and a != b
            for a, b in zip(value.type.shape, target.type.shape)
        ):
            problem = "static shapes conflict"
        if problem:
            raise TypeError(
                f"{title}: the update of shared variable {variable_label(target)} "
                f"({target.type.describe()}) is a {value.type.describe()} ({problem}); it "
                "must have the shared variable's "
                f"type: cast it with .astype('{target.dtype}')"
            )
        updates[target] = value
    defaults = []
    frontier = [*ends, *updates.values()]
    while frontier:
        added = []
        for variable in ancestors(frontier, blockers=blockers):
            if (
                isinstance(variable, SharedVariable)
                and isinstance(variable.default_update, Variable)
                and variable.default_update.auto_id > traced_from
                and variable not in updates
            ):
                updates[variable] = as_tensor(variable.default_update)
                defaults.append(variable)
                added.append(updates[variable])
        frontier = added
    return updates, defaults


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


def _outputs_and_updates(result, title: str) -> tuple[list[Variable], OrderedDict, Variable]:
    """``fn``'s return value as (outputs, updates, condition or None). As Theano allowed:
    outputs, updates (a dict or a list of pairs), or both in either order; and, with a
    condition, ``(outputs, until(c))``, ``(updates, until(c))`` or
    ``(outputs, updates, until(c))``."""
    condition = None
    if isinstance(result, (list, tuple)) and result and isinstance(result[-1], until):
        condition = result[-1].condition
        result = list(result[:-1])
        if len(result) == 1:
            result = result[0]
        elif len(result) == 2 and not _is_updates(result[1]):
            raise TypeError(
                f"{title}: fn returned three values ending with until(...); the middle one "
                "must be the updates: return (outputs, updates, until(condition))"
            )
    elif isinstance(result, until) or (
        isinstance(result, (list, tuple)) and any(isinstance(r, until) for r in result)
    ):
        raise TypeError(
            f"{title}: until(...) must be the last value fn returns: (outputs, until(c)) or "
            "(outputs, updates, until(c))"
        )
    updates: OrderedDict = OrderedDict()
    if _is_updates(result):
        result, updates = None, OrderedDict(result)
    elif isinstance(result, (list, tuple)) and len(result) == 2:
        first, second = result
        if _is_updates(second):
            result, updates = first, OrderedDict(second)
        elif _is_updates(first):
            result, updates = second, OrderedDict(first)
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
    return converted, updates, condition


def _is_updates(value) -> bool:
    """Whether ``value`` is a dict of updates or a non-empty list of (shared, new) pairs."""
    if isinstance(value, dict):
        return True
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and all(
            isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], Variable)
            for pair in value
        )
    )


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


__all__ = ["Scan", "build_loop", "build_scan", "is_deterministic", "until"]
