"""Shared helpers of the tensor op-table tests.

``compile_and_run`` compiles a graph in every mode (optimized and unoptimized), runs it,
and checks what every compiled graph must satisfy: the modes agree, the inputs are left
untouched, outputs do not alias inputs, and each output has the dtype and rank of its
symbolic variable and a shape compatible with its static shape.

Test files import it with ``from helpers import ...``: pytest puts this directory on
``sys.path`` because it holds ``conftest.py`` (and no ``__init__.py``).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import pathlib
import subprocess
import sys
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T
from symgraph.compat.theano import gof

# Base classes users subclass to write their own ops: an op only through a subclass, so
# the tables of every op class (test_op_kernels, test_pickle) leave them out.
USER_OP_BASES = frozenset({gof.Op})

MODES = ("FAST_RUN", "FAST_COMPILE")

# Tolerances for comparing a result with a NumPy reference computed in float64.
TOL = {
    "float64": {"rtol": 1e-9, "atol": 1e-12},
    "float32": {"rtol": 2e-5, "atol": 2e-6},
}

# Hypothesis settings shared by the table-driven tests: few examples (every example
# compiles several functions), no deadline (compile times vary on a shared machine).
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)

FLOAT_DTYPES = ("float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64")


def numpy_result_dtype(dtype) -> np.dtype:
    """The dtype symgraph promises for what NumPy computes as ``dtype``: NumPy's own,
    except that float16 (NumPy's float result for int8/bool) becomes float32 (Theano's)."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def static_shape_ok(static: Sequence, actual: Sequence) -> bool:
    return len(static) == len(actual) and all(s is None or s == a for s, a in zip(static, actual))


def check_output(variable, value) -> None:
    """A computed value matches its symbolic variable's type."""
    assert isinstance(value, np.ndarray), f"{variable}: got {type(value).__name__}"
    assert value.dtype == np.dtype(variable.dtype), (
        f"{variable}: symbolic dtype {variable.dtype}, computed {value.dtype}"
    )
    assert value.ndim == variable.ndim, (
        f"{variable}: symbolic rank {variable.ndim}, computed shape {value.shape}"
    )
    assert static_shape_ok(variable.type.shape, value.shape), (
        f"{variable}: static shape {variable.type.shape}, computed {value.shape}"
    )


def assert_close(actual, expected, dtype=None, **tol) -> None:
    """Compare with a reference; exact for integers and bools, TOL for floats."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != expected {expected.shape}"
    kind = np.dtype(dtype or actual.dtype)
    if kind.kind in "fc":
        options = dict(TOL[np.dtype(kind).name])
        options.update(tol)
        np.testing.assert_allclose(
            actual.astype(np.float64), expected.astype(np.float64), **options
        )
    else:
        np.testing.assert_array_equal(actual, expected)


def check_infer_shape(inputs, outputs, values, results) -> None:
    """Each output's ``infer_shape`` (the symbolic shape its op derives from its inputs'
    shapes, which rewrites use instead of computing the output) equals its actual shape."""
    from symgraph.tensor.ops.shape import shape_i

    entries, expected = [], []
    for variable, value in zip(outputs, results):
        node = variable.owner
        if node is None:
            continue
        input_shapes = [tuple(shape_i(v, axis) for axis in range(v.ndim)) for v in node.inputs]
        shapes = node.op.infer_shape(node, input_shapes)
        if shapes is None:
            continue
        shape = shapes[variable.index]
        assert len(shape) == variable.ndim, f"{node.op}.infer_shape: rank {len(shape)}"
        for axis, entry in enumerate(shape):
            if entry is None:  # a length the op cannot tell without computing
                continue
            entries.append(T.as_tensor(entry))
            expected.append((variable, axis, value.shape[axis]))
    if not entries:
        return
    f = symgraph.function(inputs, entries, mode="FAST_COMPILE", on_unused_input="ignore")
    for (variable, axis, size), got in zip(expected, f(*values)):
        assert int(got) == size, (
            f"{variable.owner.op}.infer_shape: axis {axis} is {int(got)}, actually {size}"
        )


def compile_and_run(inputs, outputs, values, modes=MODES, check_aliasing=True, **kwargs):
    """Compile ``outputs`` from ``inputs`` in each mode and call it on ``values``.

    Returns what the first mode's function returned (one array, or a list like
    ``function``). Checks along the way: the inputs' values are unchanged by the call;
    each output matches its variable's dtype, rank and static shape and does not share
    memory with an input; every mode returns the same values (to rounding, see ``TOL``); a
    second call returns the same values again (no state left behind by in-place rewrites);
    each output's ``infer_shape`` agrees with its actual shape.
    """
    single = not isinstance(outputs, (list, tuple))
    out_vars = [outputs] if single else list(outputs)
    first = None
    for mode in modes:
        f = symgraph.function(inputs, outputs, mode=mode, **kwargs)
        copies = [np.array(v, copy=True) for v in values]
        result = f(*values)
        for position, (value, copy) in enumerate(zip(values, copies)):
            value = np.asarray(value)
            assert value.dtype == copy.dtype and np.array_equal(value, copy, equal_nan=True), (
                f"mode {mode}: the call modified input {position}"
            )
        results = [result] if single else list(result)
        assert len(results) == len(out_vars)
        for variable, value in zip(out_vars, results):
            check_output(variable, value)
            if check_aliasing:
                for position, given in enumerate(values):
                    if isinstance(given, np.ndarray):
                        assert not np.shares_memory(value, given), (
                            f"mode {mode}: output {variable} aliases input {position}"
                        )
        again = f(*values)
        again = [again] if single else list(again)
        for a, b in zip(results, again):
            np.testing.assert_array_equal(a, b, err_msg=f"mode {mode}: second call differs")
        if first is None:
            first = results
        else:  # rewrites may reorder float operations: agree to rounding, not bitwise
            for variable, a, b in zip(out_vars, first, results):
                if a.dtype.kind in "fc":
                    np.testing.assert_allclose(
                        a,
                        b,
                        **TOL[a.dtype.name if a.dtype.name in TOL else "float64"],
                        err_msg=f"{variable}: {modes[0]} and {mode} disagree",
                    )
                else:
                    np.testing.assert_array_equal(
                        a, b, err_msg=f"{variable}: {modes[0]} and {mode} disagree"
                    )
    check_infer_shape(inputs, out_vars, values, first)
    return first[0] if single else first


def assert_no_float64(outputs) -> None:
    """No float64 value anywhere in the graph of ``outputs`` (a float32 graph stays
    float32, intermediate results included)."""
    from symgraph.graph.traversal import ancestors

    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    wide = [v for v in ancestors(outputs) if getattr(v, "dtype", None) == "float64"]
    assert not wide, "float64 in a float32 graph: " + ", ".join(
        str(v.owner.op) if v.owner is not None else str(v) for v in wide
    )


def random_array(rng: np.random.Generator, shape, dtype, low=-3.0, high=3.0) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        return rng.integers(int(low), int(high) + 1, size=shape).astype(dtype)
    return rng.uniform(low, high, size=shape).astype(dtype)


@st.composite
def broadcast_shapes(draw, n_inputs: int, max_rank: int = 3, max_size: int = 4):
    """A broadcast result shape and, for each input, its shape and the static shape to
    declare it with: broadcast axes have size 1 and are declared with static size 1 (as
    ``row``/``col`` do), leading axes may be missing, other axes are declared unknown
    (None) or, sometimes, with their actual size."""
    rank = draw(st.integers(0, max_rank))
    full = tuple(draw(st.integers(2, max_size)) for _ in range(rank))
    per_input = []
    for _ in range(n_inputs):
        dropped = draw(st.integers(0, rank))
        shape, static = [], []
        for axis in range(dropped, rank):
            if draw(st.booleans()) and draw(st.booleans()):  # broadcast this axis
                shape.append(1)
                static.append(1)
            else:
                shape.append(full[axis])
                static.append(full[axis] if draw(st.integers(0, 3)) == 0 else None)
        per_input.append((tuple(shape), tuple(static)))
    return full, per_input


def mrg_reference(rows: np.ndarray, count: int, dtype: str) -> tuple:
    """MRG31k3p as published (L'Ecuyer and Touzin), one number at a time on Python ints,
    element i from row i % len(rows); floats as Theano's C code made them."""
    m1, m2 = 2**31 - 1, 2**31 - 21069
    rows = [[int(v) for v in row] for row in rows]
    out = []
    for i in range(count):
        x = rows[i % len(rows)]
        x1 = (2**22 * x[1] + (2**7 + 1) * x[2]) % m1
        x2 = (2**15 * x[3] + (2**15 + 1) * x[5]) % m2
        x[:] = [x1, x[0], x[1], x2, x[3], x[4]]
        k = (x1 - x2) % m1 or m1
        out.append(
            k * 2.0**-31 if dtype == "float64" else np.float32(k) * np.float32(4.6566126e-10)
        )
    return np.array(rows, dtype=np.int32), np.array(out, dtype=dtype)


def text_node_changes(before: str, after: str) -> tuple[set, set, set]:
    """(added, removed, rewritten) node lines between two text forms of a graph, a node
    being known by its outputs (the text left of ``=``): the reference that pass traces'
    node changes are checked against."""

    def nodes(text: str) -> dict[str, str]:
        body = text.splitlines()[1:-1]  # between the inputs' header and the outputs
        return dict(line.strip().split(" = ", 1) for line in body)

    old, new = nodes(before), nodes(after)
    added = {outs for outs in new if outs not in old}
    removed = {outs for outs in old if outs not in new}
    rewritten = {outs for outs in new if outs in old and new[outs] != old[outs]}
    return added, removed, rewritten


def neighbours_reference(images, neib_shape, neib_step, mode):
    """``images2neibs`` as Theano's loops: one row per (image, channel, patch row, patch
    column), the patch's cells row by row; zeros where a padded mode reads outside."""
    batch, channels, height, width = images.shape
    (c, d), (sr, sc) = neib_shape, neib_step
    pad = {"half": (c // 2, d // 2), "full": (c - 1, d - 1)}.get(mode, (0, 0))
    if mode == "wrap_centered":
        grid = (-(-height // sr), -(-width // sc))
    else:
        grid = (
            max((height + 2 * pad[0] - c) // sr + 1, 0),
            max((width + 2 * pad[1] - d) // sc + 1, 0),
        )
    rows = []
    for n, s, a, b in itertools.product(range(batch), range(channels), *map(range, grid)):
        row = []
        for i, j in itertools.product(range(c), range(d)):
            r, q = a * sr + i - pad[0], b * sc + j - pad[1]
            if mode == "wrap_centered":
                r, q = (r - c // 2) % height, (q - d // 2) % width
            inside = 0 <= r < height and 0 <= q < width
            row.append(images[n, s, r, q] if inside else 0)
        rows.append(row)
    return np.array(rows, dtype=images.dtype).reshape(len(rows), c * d)


def fetch_sdist(directory, requirement: str, filename: str, sha256: str):
    """Download the source release ``requirement`` (``"Lasagne==0.1"``) from the package
    index into ``directory`` and check its SHA-256; offline, skip the test saying why,
    except under CI, where that fails it."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    command += ["--dest", str(directory), requirement]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    path = pathlib.Path(directory) / filename
    if result.returncode != 0 or not path.exists():
        message = f"could not fetch {requirement}'s source from the package index:\n"
        message += result.stderr
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == sha256, f"{filename} from the index has SHA-256 {digest}, not {sha256}"
    return path
