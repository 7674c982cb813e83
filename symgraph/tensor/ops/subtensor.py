"""Indexing: basic slicing with symbolic bounds, integer and advanced integer indexing,
and ``set_subtensor`` / ``inc_subtensor``.

An index is described statically by ``idx_list``, a tuple with one entry per index item:
``("int", v)``, ``("slice", start, stop, step)``, ``("array",)`` or ``("newaxis",)``, where
each ``v``/``start``/``stop``/``step`` is a Python int, None, or ``"?"`` for a symbolic value
taken, in order, from the node's extra inputs. Literal ints keep generated code readable
(``x[1:3]``) and static shapes exact.
"""

from __future__ import annotations

import numbers

import numpy as np

from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType
from symgraph.tensor.ops.elemwise import Elemwise, _reduce_to, broadcast_static_shapes
from symgraph.tensor.ops.math import int_div, maximum, minimum, zeros_like
from symgraph.tensor.ops.shape import MakeVector, flatten
from symgraph.tensor.params import as_bool, as_choice, as_int, normalize_axis
from symgraph.tensor.variable import TensorConstant, as_tensor, constant

SYMBOLIC = "?"
_ENTRY_SIZES = {"int": 1, "slice": 3, "array": 0, "newaxis": 0}


def _checked_idx_list(idx_list, what: str) -> tuple:
    """``idx_list`` rebuilt from exact ints, None and ``SYMBOLIC``: the index is pasted
    into generated source (``x[1:3]``), so anything else is refused."""
    if not isinstance(idx_list, (tuple, list)):
        raise TypeError(f"{what}: idx_list must be a tuple of index entries, got {idx_list!r}")
    result = []
    for entry in idx_list:
        if not isinstance(entry, (tuple, list)) or not entry:
            raise TypeError(f"{what}: an index entry must be a non-empty tuple, got {entry!r}")
        kind = as_choice(entry[0], _ENTRY_SIZES, f"{what}: index kind")
        values = tuple(entry[1:])
        if len(values) != _ENTRY_SIZES[kind]:
            raise TypeError(
                f"{what}: a {kind!r} entry takes {_ENTRY_SIZES[kind]} values, got {entry!r}"
            )
        checked = []
        for value in values:
            if value is None and kind == "slice":
                checked.append(None)
            elif isinstance(value, str):
                if str.__eq__(value, SYMBOLIC) is not True:
                    raise TypeError(
                        f"{what}: an index value must be an int, None or {SYMBOLIC!r}, got "
                        f"the string {value!r}"
                    )
                checked.append(SYMBOLIC)
            else:
                checked.append(as_int(value, f"{what}: index value"))
        result.append((kind, *checked))
    return tuple(result)


def _parse_index(x: Variable, index) -> tuple[tuple, list[Variable]]:
    """Turn a Python index into ``(idx_list, symbolic_inputs)``."""
    if not isinstance(index, tuple):
        index = (index,)
    if sum(item is Ellipsis for item in index) > 1:
        raise IndexError("an index can only have a single ellipsis")
    consumed = sum(1 for item in index if item is not None and item is not Ellipsis)
    if Ellipsis in [i for i in index if not isinstance(i, (Variable, np.ndarray))]:
        position = next(i for i, item in enumerate(index) if item is Ellipsis)
        fill = (slice(None),) * (x.ndim - consumed)
        index = index[:position] + fill + index[position + 1 :]
    if consumed > x.ndim:
        raise IndexError(f"too many indices ({consumed}) for {x} ({x.type.describe()})")
    idx_list: list[tuple] = []
    inputs: list[Variable] = []

    def scalar_part(value):
        if value is None:
            return None
        if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
            return int(value)
        value = as_tensor(value)
        if isinstance(value, TensorConstant) and value.ndim == 0 and value.dtype != "bool":
            return int(value.data)
        if value.ndim != 0 or value.type.numpy_dtype.kind not in "iu":
            raise TypeError(f"slice bounds must be integer scalars, got {value.type.describe()}")
        inputs.append(value)
        return SYMBOLIC

    for item in index:
        if item is None:
            idx_list.append(("newaxis",))
        elif isinstance(item, slice):
            idx_list.append(
                ("slice", *(scalar_part(p) for p in (item.start, item.stop, item.step)))
            )
        elif isinstance(item, (numbers.Integral, np.integer)) and not isinstance(item, bool):
            idx_list.append(("int", int(item)))
        else:
            value = as_tensor(item)
            if value.type.numpy_dtype.kind not in "iu":
                raise TypeError(
                    f"index of {x} must be integer, got {value.type.describe()} (boolean mask "
                    "indexing is not supported; use switch/where)"
                )
            if value.ndim == 0:
                idx_list.append(("int", scalar_part(value)))
            else:
                idx_list.append(("array",))
                inputs.append(value)
    return tuple(idx_list), inputs


def _index_code(idx_list: tuple, names: list[str] | None = None) -> str:
    """Python source for the index, taking symbolic parts from ``names`` in order
    (``?`` placeholders when names is None)."""
    names = iter(names) if names is not None else iter(lambda: SYMBOLIC, None)
    parts = []

    def part(v):
        if v == SYMBOLIC:
            return next(names)
        return "" if v is None else str(v)

    for entry in idx_list:
        kind = entry[0]
        if kind == "newaxis":
            parts.append("None")
        elif kind == "int":
            parts.append(part(entry[1]))
        elif kind == "array":
            parts.append(next(names))
        else:
            start, stop, step = entry[1:]
            text = f"{part(start)}:{part(stop)}"
            if step is not None:
                text += f":{part(step)}"
            parts.append(text)
    return ", ".join(parts)


def _index_value(op, values) -> tuple:
    """The index of a (Inc)Subtensor as a Python tuple for the JAX lowering: ints and
    arrays may be traced, slice bounds must be known while tracing (XLA compiles for fixed
    shapes)."""
    values = iter(values)
    parts: list = []

    def bound(v):
        if v is None:
            return None
        value = next(values) if v == SYMBOLIC else v
        if not isinstance(value, (int, np.integer, np.ndarray)):
            raise ValueError(
                f"the JAX backend needs the slice bounds of {op} while tracing, but they "
                "depend on the inputs' values: XLA compiles for fixed shapes (slice with "
                "constants or shapes, or use the NumPy backend)"
            )
        return int(value)

    for entry in op.idx_list:
        kind = entry[0]
        if kind == "newaxis":
            parts.append(None)
        elif kind == "int":
            parts.append(next(values) if entry[1] == SYMBOLIC else entry[1])
        elif kind == "array":
            parts.append(next(values))
        else:
            parts.append(slice(*(bound(v) for v in entry[1:])))
    return tuple(parts)


def _dynamic_slices(op, variables, values) -> dict[int, int]:
    """Entry position -> length, for the slices of ``op`` whose bounds are traced (known
    only when the function runs) and whose length ``stop - start`` the graph makes a
    constant (``x[i * n:(i + 1) * n]``), with no step."""
    found: dict[int, int] = {}
    symbolic = iter(zip(variables, values))
    for position, entry in enumerate(op.idx_list):
        if entry[0] == "array":
            next(symbolic)
            continue
        if entry[0] != "slice":
            if entry[0] == "int" and entry[1] == SYMBOLIC:
                next(symbolic)
            continue
        bounds = [next(symbolic) if b == SYMBOLIC else (b, b) for b in entry[1:]]
        (start, start_value), (stop, _), (step, _) = bounds
        traced = not isinstance(start_value, (int, np.integer, np.ndarray, type(None)))
        if not traced or step is not None or start is None or stop is None:
            continue
        start_form, stop_form = _linear_form(start), _linear_form(stop)
        if start_form is None or stop_form is None:
            continue
        difference = _combine(stop_form, start_form, -1)
        if not difference[1] and difference[0] >= 0:
            found[position] = difference[0]
    return found


def _linear_form(v) -> tuple[int, dict] | None:
    """An integer scalar as ``(constant, {variable: coefficient})``: an affine function of
    the variables the graph does not unfold (inputs, or nodes other than +, -, * by a
    constant, integer casts); None when it is not affine."""
    if isinstance(v, (int, np.integer)):
        return int(v), {}
    if isinstance(v, TensorConstant):
        return (int(v.data), {}) if v.ndim == 0 and v.dtype[0] in "iu" else None
    owner = v.owner
    if owner is None or not isinstance(owner.op, Elemwise) or v.ndim != 0:
        return 0, {v: 1}
    name = owner.op.scalar_op.name
    forms = [_linear_form(i) for i in owner.inputs]
    if any(f is None for f in forms):
        return None
    if name == "add":
        return _combine(forms[0], forms[1], 1)
    if name == "sub":
        return _combine(forms[0], forms[1], -1)
    if name == "neg":
        return _combine((0, {}), forms[0], -1)
    if name == "mul":
        (a, va), (b, vb) = forms
        if not va:
            return _combine((0, {}), forms[1], a)
        if not vb:
            return _combine((0, {}), forms[0], b)
    if name.startswith("cast_int") or name.startswith("cast_uint"):
        return forms[0]
    return 0, {v: 1}


def _combine(a: tuple[int, dict], b: tuple[int, dict], scale: int) -> tuple[int, dict]:
    """The linear form ``a + scale * b``."""
    terms = dict(a[1])
    for variable, coefficient in b[1].items():
        terms[variable] = terms.get(variable, 0) + scale * coefficient
    return a[0] + scale * b[0], {v: c for v, c in terms.items() if c}


def _output_static_shape(x: Variable, idx_list: tuple, inputs: list[Variable]) -> tuple:
    """Static result shape, following NumPy's basic and advanced indexing rules."""
    symbolic = iter(inputs)
    advanced_shapes = []
    advanced_positions = []
    result: list = []
    axis = 0
    has_array = any(e[0] == "array" for e in idx_list)
    for entry in idx_list:
        kind = entry[0]
        if kind == "newaxis":
            result.append(1)
            continue
        size = x.type.shape[axis]
        if kind == "int":
            if entry[1] == SYMBOLIC:
                next(symbolic)
            elif size is not None and not -size <= entry[1] < size:
                raise IndexError(
                    f"index {entry[1]} is out of bounds for axis {axis} with size {size} of {x}"
                )
            if has_array:
                advanced_shapes.append(())
                advanced_positions.append(len(result))
                result.append("ADV")
        elif kind == "array":
            value = next(symbolic)
            advanced_shapes.append(value.type.shape)
            advanced_positions.append(len(result))
            result.append("ADV")
        else:
            bounds = entry[1:]
            for b in bounds:
                if b == SYMBOLIC:
                    next(symbolic)
            if size is not None and SYMBOLIC not in bounds:
                result.append(len(range(*slice(*bounds).indices(size))))
            else:
                result.append(None)
        axis += 1
    result.extend(x.type.shape[axis:])
    if not advanced_positions:
        return tuple(result)
    rank = max(len(s) for s in advanced_shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in advanced_shapes]
    broadcast = broadcast_static_shapes(padded, f"indexing {x}") if padded else ()
    contiguous = advanced_positions == list(
        range(advanced_positions[0], advanced_positions[0] + len(advanced_positions))
    )
    rest = [s for s in result if s != "ADV"]
    if contiguous:
        first = advanced_positions[0]
        return tuple(rest[:first]) + broadcast + tuple(rest[first:])
    return broadcast + tuple(rest)


def _slice_length(length, start, stop, step):
    """``len(range(*slice(start, stop, step).indices(length)))`` for constant bounds, as
    graph arithmetic on a symbolic ``length`` (plain ints for an int ``length``)."""
    if isinstance(length, TensorConstant):
        length = int(length.data)
    if isinstance(length, numbers.Integral):
        return len(range(*slice(start, stop, step).indices(int(length))))
    step = 1 if step is None else step

    def position(bound, default, low, high):
        # where slice.indices puts a bound: counted from the end when negative, clamped
        if bound is None:
            return default
        return maximum(length + bound, low) if bound < 0 else minimum(bound, high)

    if step > 0:
        first, last = position(start, 0, 0, length), position(stop, length, 0, length)
        if step == 1:  # the common x[1:], x[:-1]: no division
            return maximum(last - first, 0)
        return maximum(int_div(last - first + (step - 1), step), 0)
    first = position(start, length - 1, -1, length - 1)
    last = position(stop, -1, -1, length - 1)
    return maximum(int_div(first - last + (-step - 1), -step), 0)


class Subtensor(Op):
    """``x[index]``; a view for basic indexing, a copy when integer arrays are involved."""

    __props__ = ("idx_list",)

    def __init__(self, idx_list: tuple) -> None:
        self.idx_list = _checked_idx_list(idx_list, "Subtensor")
        self.advanced = any(e[0] == "array" for e in self.idx_list)
        self.view_map = {} if self.advanced else {0: [0]}

    def __str__(self) -> str:
        prefix = "Advanced" if self.advanced else ""
        return f"{prefix}Subtensor{{{_index_code(self.idx_list)}}}"

    def make_node(self, x, *inputs) -> Apply:
        x = as_tensor(x)
        inputs = [as_tensor(v) for v in inputs]
        shape = _output_static_shape(x, self.idx_list, inputs)
        return Apply(self, [x, *inputs], [TensorType(x.dtype, shape)])

    def infer_shape(self, node, input_shapes):
        """Basic indexing: an integer drops its axis, a new axis has length 1, a slice with
        constant bounds has the length ``slice.indices`` gives, computed from the axis's
        length; a slice with a symbolic bound has a length this cannot tell (None).
        Integer-array indexing: not inferred."""
        if self.advanced:
            return None
        shape = input_shapes[0]
        result, axis = [], 0
        for kind, *bounds in self.idx_list:
            if kind == "newaxis":
                result.append(1)
                continue
            if kind == "slice":
                symbolic = any(b == SYMBOLIC for b in bounds)
                result.append(None if symbolic else _slice_length(shape[axis], *bounds))
            axis += 1
        return [(*result, *shape[axis:])]

    def emit(self, node, inputs, ctx):
        # an empty index list (built directly; getitem returns x itself) is x[()]
        return f"{inputs[0]}[{_index_code(self.idx_list, inputs[1:]) or '()'}]"

    def jax(self, node, inputs, jx):
        x, idx_list = jx.numpy.asarray(inputs[0]), self.idx_list
        dynamic = _dynamic_slices(self, node.inputs[1:], inputs[1:])
        if dynamic:
            # x[i * n:(i + 1) * n]: bounds known only when the function runs, a length known
            # now: lax.dynamic_slice, which moves a window running past the end back inside
            # (NumPy would return fewer rows; XLA has no run-time errors).
            entries, values, axis = list(idx_list), list(inputs[1:]), 0
            consumed = 0
            for position, entry in enumerate(idx_list):
                count = sum(v == SYMBOLIC for v in entry[1:]) + (entry[0] == "array")
                if position in dynamic:
                    start, length = values[consumed], dynamic[position]
                    start = jx.numpy.where(start < 0, start + x.shape[axis], start)
                    x = jx.lax.dynamic_slice_in_dim(x, start, length, axis)
                    entries[position] = ("slice", None, None, None)
                    del values[consumed : consumed + count]
                    count = 0
                consumed += count
                axis += entry[0] != "newaxis"
            return x[_index_value(Subtensor(tuple(entries)), values)]
        return x[_index_value(self, inputs[1:])]

    def grad(self, node, output_grads):
        x, *rest = node.inputs
        (gz,) = output_grads
        if x.type.numpy_dtype.kind not in "fc":
            return [None] * len(node.inputs)
        g = IncSubtensor(self.idx_list, set_instead_of_inc=False)(zeros_like(x), gz, *rest)
        return [g] + [None] * len(rest)


class IncSubtensor(Op):
    """``x`` with ``x[index]`` incremented by (or set to) ``y``; repeated integer indices
    accumulate, as in Theano's ``inc_subtensor``."""

    __props__ = ("idx_list", "set_instead_of_inc", "inplace")

    # The inplace pass may let it write into ``x`` (input 0) when nothing reads it later.
    writable_inputs = (0,)

    def __init__(self, idx_list: tuple, set_instead_of_inc: bool, inplace: bool = False) -> None:
        self.idx_list = _checked_idx_list(idx_list, "IncSubtensor")
        self.set_instead_of_inc = as_bool(set_instead_of_inc, "IncSubtensor: set_instead_of_inc")
        self.inplace = as_bool(inplace, "IncSubtensor: inplace")
        self.advanced = any(e[0] == "array" for e in self.idx_list)
        self.destroy_map = {0: [0]} if inplace else {}

    def with_inplace(self, index: int) -> IncSubtensor:
        """The same increment written into ``x`` (``index`` must be 0)."""
        if index != 0:
            raise ValueError(f"{self} can only write into its first input, not input {index}")
        return IncSubtensor(self.idx_list, self.set_instead_of_inc, inplace=True)

    def __str__(self) -> str:
        kind = "Set" if self.set_instead_of_inc else "Inc"
        text = _index_code(self.idx_list)
        return f"{'Advanced' if self.advanced else ''}{kind}Subtensor{{{text}}}" + (
            "[inplace]" if self.inplace else ""
        )

    def make_node(self, x, y, *inputs) -> Apply:
        x = as_tensor(x)
        y = as_tensor(y)
        inputs = [as_tensor(v) for v in inputs]
        target = _output_static_shape(x, self.idx_list, inputs)
        if y.ndim > len(target):
            raise TypeError(
                f"cannot {'set' if self.set_instead_of_inc else 'increment'} a "
                f"{len(target)}-d subtensor of {x} with {y} ({y.type.describe()})"
            )
        if not np.can_cast(y.dtype, x.dtype, "same_kind"):
            raise TypeError(f"cannot store {y.type.describe()} values into {x.type.describe()}")
        return Apply(self, [x, y, *inputs], [TensorType(x.dtype, x.type.shape)])

    def emit(self, node, inputs, ctx):
        (out,) = ctx.outputs
        x, y, *rest = inputs
        index = _index_code(self.idx_list, rest) or "()"
        # a 0-d x may be a NumPy scalar (generated code holds 0-d results so), which
        # copy() leaves a scalar that takes no assignment
        copy = f"np.array({x})" if node.inputs[0].ndim == 0 else f"{x}.copy()"
        lines = [] if self.inplace else [f"{out} = {copy}"]
        if self.inplace and out != x:
            lines.append(f"{out} = {x}")
        if self.set_instead_of_inc:
            lines.append(f"{out}[{index}] = {y}")
        elif self.advanced:
            # np.s_ turns the index text (which may hold slices: 1:3, v) into an index tuple
            lines.append(f"np.add.at({out}, np.s_[{index}], {y})")
        else:
            lines.append(f"{out}[{index}] += {y}")
        return lines

    def jax(self, node, inputs, jx):
        x, y, *rest = inputs
        y = jx.numpy.asarray(y).astype(node.outputs[0].type.numpy_dtype)
        at = jx.numpy.asarray(x).at[_index_value(self, rest)]
        if self.set_instead_of_inc:
            return at.set(y)
        if node.outputs[0].dtype == "bool":  # NumPy's add on booleans is a logical or
            return at.max(y)
        # .add accumulates repeated integer indices, as np.add.at does
        return at.add(y)

    def grad(self, node, output_grads):
        x, y, *rest = node.inputs
        (gz,) = output_grads
        if self.set_instead_of_inc:
            gx = IncSubtensor(self.idx_list, True)(gz, constant(0, dtype=gz.dtype), *rest)
        else:
            gx = gz
        gy = Subtensor(self.idx_list)(gz, *rest)
        gy = _reduce_to(gy, y) if y.type.numpy_dtype.kind in "fc" else None
        gx = gx if x.type.numpy_dtype.kind in "fc" else None
        return [gx, gy] + [None] * len(rest)


def getitem(x, index) -> Variable:
    """``x[index]`` with NumPy semantics (basic and integer-array indexing). A list
    holding a slice, None or Ellipsis is read as a tuple, as NumPy before 1.23 and Theano
    read it (``x[[slice(0, n), 1]]`` is ``x[0:n, 1]``)."""
    x = as_tensor(x)
    if isinstance(index, list) and any(
        isinstance(item, slice) or item is None or item is Ellipsis for item in index
    ):
        index = tuple(index)
    if (
        isinstance(index, (numbers.Integral, np.integer))
        and x.owner is not None
        and isinstance(x.owner.op, MakeVector)
    ):
        return x.owner.inputs[int(index)]  # x.shape[i] is the scalar the vector was made of
    idx_list, inputs = _parse_index(x, index)
    if not idx_list:
        return x
    # x[:] is a (view) node, not x itself, so that set_subtensor(x[:], y) knows its target
    return Subtensor(idx_list)(x, *inputs)


def _subtensor_parts(target: Variable) -> tuple[Variable, tuple, list[Variable]]:
    if target.owner is None or not isinstance(target.owner.op, Subtensor):
        raise TypeError(
            f"set_subtensor/inc_subtensor need an indexed tensor such as x[i:j], got {target}"
        )
    x, *rest = target.owner.inputs
    return x, target.owner.op.idx_list, rest


def set_subtensor(target, value) -> Variable:
    """A copy of ``x`` with ``x[index]`` set to ``value``, for ``target = x[index]``."""
    x, idx_list, rest = _subtensor_parts(target)
    return IncSubtensor(idx_list, set_instead_of_inc=True)(x, value, *rest)


def inc_subtensor(target, value) -> Variable:
    """A copy of ``x`` with ``value`` added to ``x[index]``, for ``target = x[index]``."""
    x, idx_list, rest = _subtensor_parts(target)
    return IncSubtensor(idx_list, set_instead_of_inc=False)(x, value, *rest)


def take(x, indices, axis=None) -> Variable:
    """Elements of ``x`` at integer ``indices`` along ``axis`` (flattened when None)."""
    x = as_tensor(x)
    if axis is None:
        return getitem(flatten(x, 1), indices)
    axis = normalize_axis(axis, x, "take")
    return getitem(x, (slice(None),) * axis + (as_tensor(indices),))
