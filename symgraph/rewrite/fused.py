"""``Fused``: a tree of element-wise ops run as one node.

The fusion pass (``symgraph.rewrite.fusion``) collects element-wise nodes whose
intermediate results nobody else reads into one ``Fused`` node carrying that subgraph.
Its generated code computes the tree with as few new arrays as possible: each step writes
(``out=``) into a buffer of the right dtype and shape that no later step reads, so
``tanh(x W + b)`` allocates once, not twice, and an SGD update ``p - lr * g`` allocates
once. With ``inplace=k`` the outer input ``k`` (a dead temporary) is such a buffer too.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence

import numpy as np

from symgraph.grad import grad
from symgraph.graph.basic import Apply, Constant, HasInnerGraph, Op, Variable
from symgraph.graph.traversal import clone_replace, graph_signature, toposort
from symgraph.graph.type import TensorType
from symgraph.tensor.ops.elemwise import runtime_broadcast_check
from symgraph.tensor.variable import as_tensor


def _full(variable: Variable, output: Variable) -> bool:
    """Whether ``variable`` has the output's dtype and is broadcast along no axis (0-d
    values are NumPy scalars, which cannot be written into)."""
    if variable.ndim == 0:
        return False
    return (
        variable.dtype == output.dtype
        and variable.ndim == output.ndim
        and not any(v == 1 and o != 1 for v, o in zip(variable.type.shape, output.type.shape))
    )


class Fused(Op, HasInnerGraph):
    """Element-wise subgraph ``inner_outputs[0] = f(inner_inputs)`` applied as one node."""

    __props__ = ("signature", "inplace")

    def __init__(
        self,
        inner_inputs: Sequence[Variable],
        inner_outputs: Sequence[Variable],
        inplace: int | None = None,
    ) -> None:
        self.inner_inputs = list(inner_inputs)
        self.inner_outputs = list(inner_outputs)
        self.inplace = inplace
        self.destroy_map = {} if inplace is None else {0: [inplace]}
        self.order = toposort(self.inner_outputs, blockers=self.inner_inputs)

    @functools.cached_property
    def signature(self) -> tuple:
        """The inner graph as a value: equal signatures mean the same computation.

        One entry per inner node in order: its op (ops compare by their own ``__props__``),
        where each input comes from (an inner input by position, an earlier node's output,
        or a constant by type and value) and its output types; then the inner inputs'
        types. Computed on first comparison: fusion builds many candidates it never
        compares."""
        return graph_signature(self.inner_inputs, self.inner_outputs)

    def with_inplace(self, index: int) -> Fused:
        return Fused(self.inner_inputs, self.inner_outputs, inplace=index)

    def __str__(self) -> str:
        # Pieces are emitted by an explicit stack and joined once: no recursion (fused
        # chains can be thousands deep), and no nested strings copied at every level,
        # which made the text quadratic in the kernel's size.
        names = {v: f"i{k}" for k, v in enumerate(self.inner_inputs)}
        pieces: list[str] = []
        stack: list = [self.inner_outputs[0]]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                pieces.append(item)
            elif item in names or item.owner is None:
                pieces.append(names.get(item) or str(item))
            else:
                inner = item.owner
                label = getattr(inner.op, "scalar_op", inner.op)
                todo: list = [f"{label}("]
                for position, argument in enumerate(inner.inputs):
                    todo += [", "] if position else []
                    todo.append(argument)
                todo.append(")")
                stack.extend(reversed(todo))
        suffix = "" if self.inplace is None else f"[inplace={self.inplace}]"
        return f"Fused{{{''.join(pieces)}}}{suffix}"

    def jax(self, node, inputs, jx):
        # the inner graph's own lowerings, which XLA fuses again (Mode("JAX") skips the
        # fusion pass; a mode including it gets here)
        return jx.lower_graph(self.inner_inputs, self.inner_outputs)(*inputs)[0]

    def make_node(self, *inputs) -> Apply:
        inputs = [as_tensor(v) for v in inputs]
        if len(inputs) != len(self.inner_inputs):
            raise TypeError(f"{self} takes {len(self.inner_inputs)} inputs")
        for outer, inner in zip(inputs, self.inner_inputs):
            if outer.dtype != inner.dtype or outer.ndim != inner.ndim:
                raise TypeError(f"{self}: input {outer} ({outer.type}) does not fit {inner.type}")
        out = self.inner_outputs[0]
        return Apply(self, inputs, [TensorType(out.dtype, out.type.shape)])

    def emit(self, node, inputs, ctx):
        """A kernel ``def`` computing the tree into ``out`` (reusing dead buffers through
        ``out=``), then a call of ``run_elementwise``, which runs it on row blocks in
        parallel threads when the output is large. 0-d results are computed inline."""
        output = self.inner_outputs[0]
        lines = [ctx.comment(self)]
        check = runtime_broadcast_check(node.inputs, inputs, ctx)
        if check is not None:
            lines.append(check)
        if output.ndim == 0:
            body = self._statements(list(inputs), ctx.outputs[0], None, ctx)
            return lines + body

        def kernel_source(name):
            params = [f"i{k}" for k in range(len(inputs))]
            body = self._statements(params, None, "out", ctx)
            header = f"def {name}({', '.join(params)}, out):  {ctx.comment(self)}"
            return [header, *("    " + b for b in body)]

        kernel = ctx.define(self, "fused_kernel", kernel_source)
        lines.append(
            f"{ctx.outputs[0]} = {ctx.bind(run_elementwise, 'run_elementwise')}("
            f"{kernel}, ({', '.join(inputs)},), {self._allocation(node, inputs, ctx)})"
        )
        return lines

    def _allocation(self, node, inputs, ctx) -> str:
        """Code giving the output buffer: the destroyed input, or a new array."""
        if self.inplace is not None:
            return inputs[self.inplace]
        out = node.outputs[0]
        dtype = ctx.bind(out.type.numpy_dtype, out.dtype + "_dtype")
        for variable, name in zip(node.inputs, inputs):
            if variable.ndim == out.ndim and _full(variable, out):
                return f"np.empty_like({name}, dtype={dtype})"
        shapes = ", ".join(f"{name}.shape" for name in inputs)
        return f"np.empty(np.broadcast_shapes({shapes}), dtype={dtype})"

    def _statements(self, inputs, result_name, out_name, ctx) -> list[str]:
        """Statements computing the tree from ``inputs``: into the buffer ``out_name`` when
        given (a kernel body returning nothing), else into a new variable ``result_name``."""
        output = self.inner_outputs[0]
        names: dict[Variable, str] = dict(zip(self.inner_inputs, inputs))
        last_read: dict[Variable, int] = {}
        for position, inner in enumerate(self.order):
            for variable in inner.inputs:
                last_read[variable] = position
        reusable = set()  # inner variables whose buffer may be overwritten once dead
        if self.inplace is not None:
            reusable.add(self.inner_inputs[self.inplace])
        # A new output buffer is free from the start; a destroyed input's only once it dies.
        free: list[str] = [out_name] if out_name and self.inplace is None else []
        lines = []
        for position, inner in enumerate(self.order):
            (result,) = inner.outputs
            dying = [
                v
                for v in dict.fromkeys(inner.inputs)
                if last_read.get(v) == position and v in reusable and _full(v, output)
            ]
            supports_out = _full(result, output) and inner.op.scalar_op.writes_out
            target = None
            if result is output and out_name is not None:
                target = out_name if supports_out else None
            elif supports_out and dying:
                target = names[dying.pop(0)]
            elif supports_out and free:
                target = free.pop()
            args = [_name(v, names, ctx) for v in inner.inputs]
            code = inner.op.expression(inner, args, ctx, out=target)
            if result is output:
                if out_name is None:
                    lines.append(f"{result_name} = {code}")
                elif target is None:
                    lines.append(f"{out_name}[...] = {code}")
                else:
                    lines.append(code)
                break
            name = ctx.fresh(f"f{position}")
            lines.append(f"{name} = {code}")
            names[result] = name
            if _full(result, output):
                reusable.add(result)
            free.extend(names[v] for v in dying)
        return lines

    def grad(self, node, output_grads):
        (out,) = clone_replace(self.inner_outputs, dict(zip(self.inner_inputs, node.inputs)))
        return grad(
            None,
            list(node.inputs),
            known_grads={out: output_grads[0]},
            disconnected_inputs="ignore",
            return_disconnected="None",
        )


# Outputs smaller than this run in the calling thread: below it, handing blocks to threads
# costs more than it saves. NumPy's ufuncs release the GIL, so blocks run truly in parallel.
# Measured on 2 cores: tanh(2x + 1) * 3 on 1000x1000 float32 runs 1.8x faster with 2
# threads, but right after a GEMM there is no gain: OpenBLAS's workers keep spinning on
# the other core for a while after each product.
PARALLEL_MIN_ELEMENTS = 1 << 15
_pool = None
_threads = min(os.cpu_count() or 1, 8)


def set_num_threads(count: int) -> None:
    """How many threads large fused element-wise kernels use (1: no threading)."""
    global _threads, _pool
    if count < 1:
        raise ValueError("the thread count must be at least 1")
    _threads = count
    if _pool is not None:
        _pool.shutdown(wait=False)
        _pool = None


def run_elementwise(kernel, inputs: tuple, out: np.ndarray) -> np.ndarray:
    """Run ``kernel(*inputs, out)``; for a large ``out``, on blocks of its first axis in
    parallel threads (inputs broadcast along that axis are passed whole)."""
    rows = out.shape[0]
    if _threads == 1 or rows < 2 or out.size < PARALLEL_MIN_ELEMENTS:
        kernel(*inputs, out)
        return out
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _pool = ThreadPoolExecutor(max_workers=_threads - 1, thread_name_prefix="symgraph")
    blocks = min(_threads, rows)
    bounds = [rows * k // blocks for k in range(blocks + 1)]

    def run_block(start: int, stop: int) -> None:
        kernel(
            *[x[start:stop] if x.ndim and x.shape[0] == rows else x for x in inputs],
            out[start:stop],
        )

    futures = [_pool.submit(run_block, bounds[k], bounds[k + 1]) for k in range(1, blocks)]
    run_block(bounds[0], bounds[1])
    for future in futures:
        future.result()
    return out


def _name(variable: Variable, names: dict, ctx) -> str:
    if variable in names:
        return names[variable]
    if isinstance(variable, Constant):
        names[variable] = ctx.bind(variable.data, "c")
        return names[variable]
    raise KeyError(f"fused kernel input {variable} has no name")
