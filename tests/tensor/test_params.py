"""Op parameters never become code: generated source shows them as literals
(``np.concatenate((a, b), axis=1)``), so every constructor turns its parameters into plain
Python values (exact ``int``/``bool``/``str``/``None`` and tuples of them) and refuses
anything else. Each test plants code that would create a marker file if it ever ran."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph.compat.theano.sandbox.rng_mrg import (
    ChoiceFromUniform,
    MRGUniform,
    MultinomialFromUniform,
)
from symgraph.compat.theano.tensor.raw_random import RandomFunction
from symgraph.compat.theano.tensor.signal.pool import DownsampleFactorMaxGradGrad
from symgraph.grad import GradientOverride
from symgraph.tensor.ops.conv import (
    Conv2d,
    Conv2dGradInputs,
    Conv2dGradWeights,
    Conv3d,
    Conv3dGradInputs,
    Conv3dGradWeights,
)
from symgraph.tensor.ops.dimshuffle import DimShuffle
from symgraph.tensor.ops.linalg import (
    QR,
    SVD,
    AllocDiag,
    Cholesky,
    Eigh,
    ExtractDiag,
    Solve,
    SolveTriangular,
)
from symgraph.tensor.ops.math import Argmax, CumProd, CumSum, LogSumExp, Reduce
from symgraph.tensor.ops.neighbours import Images2Neibs, Neibs2Images
from symgraph.tensor.ops.nnet import LogSoftmax, Softmax, SoftmaxGrad
from symgraph.tensor.ops.pool import AveragePoolGrad, MaxPoolGrad, MaxPoolGradGrad, Pool
from symgraph.tensor.ops.random import RandomVariable
from symgraph.tensor.ops.shape import (
    ARange,
    Flatten,
    Join,
    MakeVector,
    Rebroadcast,
    Reshape,
    ShapeI,
)
from symgraph.tensor.ops.sort import ArgSort, Repeat, Sort
from symgraph.tensor.ops.subtensor import IncSubtensor, Subtensor


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "PWNED"


def touch(marker: Path) -> str:
    """A Python expression creating ``marker`` (and worth None)."""
    return f"__import__('pathlib').Path({str(marker)!r}).touch()"


def code_int(value: int, marker: Path) -> int:
    """An int equal to ``value`` whose text (str, repr, format) is code creating
    ``marker`` and worth ``value``: what an int subclass could smuggle into source."""
    text = f"({touch(marker)} or {value})"

    class CodeInt(int):
        def __repr__(self):
            return text

        __str__ = __repr__

        def __format__(self, spec):
            return text

    return CodeInt(value)


def code_str(value: str, marker: Path) -> str:
    """A str equal to ``value`` whose text is code creating ``marker``, usable where the
    string is pasted bare (``np.float64``) or quoted (``'max'``)."""
    bare = f"{value} if {touch(marker)} is None else {value}"
    quoted = f"{value!r} if {touch(marker)} is None else {value!r}"

    class CodeStr(str):
        def __repr__(self):
            return quoted

        def __str__(self):
            return bare

        def __format__(self, spec):
            return bare

    return CodeStr(value)


def _run(inputs, output, values) -> None:
    f = symgraph.function(inputs, output)
    f(*values)


# --------------------------------------------------------------------------------------
# the example


def test_concatenate_axis_text_is_refused_and_runs_nothing(marker):
    x, y = T.dvector("x"), T.dvector("y")
    axis = f"0)+0*{touch(marker)}+(%d"
    with pytest.raises(TypeError, match="axis must be an int, got str"):
        out = T.concatenate([x, y], axis=axis)
        _run([x, y], out, [np.ones(2), np.ones(2)])
    assert not marker.exists()


# --------------------------------------------------------------------------------------
# strings where a parameter is expected are refused when the op is made


def _string_cases(marker: Path) -> dict:
    code = f"0)+0*{touch(marker)}+(0"
    index = (("int", f"0]+0*{touch(marker)}+x[0"),)
    return {
        "Join axis": lambda: Join(code),
        "Reduce axis": lambda: Reduce("sum", code),
        "Reduce dtype": lambda: Reduce("sum", (0,), f"float64)+0*{touch(marker)}+(0"),
        "Argmax axis": lambda: Argmax("max", code),
        "Argmax kind": lambda: Argmax(f"max(0)+0*{touch(marker)}+np.argmax", 0),
        "CumSum axis": lambda: CumSum(code),
        "Shape_i i": lambda: ShapeI(code),
        "MakeVector dtype": lambda: MakeVector(f"int64 if {touch(marker)} else np.int64"),
        "ARange dtype": lambda: ARange(f"int64 if {touch(marker)} else np.int64"),
        "Reshape ndim": lambda: Reshape("2"),
        "Flatten ndim": lambda: Flatten("1"),
        "Softmax axis": lambda: Softmax(code),
        "LogSoftmax axis": lambda: LogSoftmax(code),
        "SoftmaxGrad axis": lambda: SoftmaxGrad(code),
        "Subtensor index": lambda: Subtensor(index),
        "IncSubtensor index": lambda: IncSubtensor(index, False),
        "IncSubtensor flag": lambda: IncSubtensor((("int", 0),), "False"),
        "Conv2d num_groups": lambda: Conv2d(num_groups="1"),
        "Conv2d filter_flip": lambda: Conv2d(filter_flip="False"),
        "Conv2d subsample": lambda: Conv2d(subsample="11"),
        "Conv2d input_shape": lambda: Conv2d(input_shape=("1", "1", "5", "5")),
        "Conv3d subsample": lambda: Conv3d(subsample="111"),
        "Conv3d filter_dilation": lambda: Conv3d(filter_dilation=("1", 1, 1)),
        "Conv3d filter_shape": lambda: Conv3d(filter_shape=(1, 1, "3", 3, 3)),
        "Pool ws": lambda: Pool(True)(T.dtensor4(), "22"),
        "Pool ignore_border": lambda: Pool(ignore_border="False"),
        "Pool ndim": lambda: Pool(True, "max", "2"),
        "Rebroadcast axis": lambda: Rebroadcast([("0", True)]),
        "Rebroadcast flag": lambda: Rebroadcast([(0, "False")]),
        "RandomVariable ndim": lambda: RandomVariable("uniform", "float64", "1"),
        "RandomVariable has_size": lambda: RandomVariable("uniform", "float64", 1, "False"),
        "RandomFunction ndim": lambda: RandomFunction("uniform", "float64", "1"),
        "MRGUniform ndim": lambda: MRGUniform("float64", "1"),
        "MRGUniform dtype": lambda: MRGUniform(f"float64 if {touch(marker)} else 0", 1),
        "ChoiceFromUniform replace": lambda: ChoiceFromUniform("int64", "False"),
        "Eigh UPLO": lambda: Eigh(f"L' if {touch(marker)} else 'L"),
        "SVD full_matrices": lambda: SVD("False"),
        "QR mode": lambda: QR(f"r' if {touch(marker)} else 'r"),
        "Cholesky lower": lambda: Cholesky("True"),
        "Solve assume_a": lambda: Solve(f"gen' if {touch(marker)} else 'gen"),
        "SolveTriangular lower": lambda: SolveTriangular("True"),
        "ExtractDiag offset": lambda: ExtractDiag(code),
        "AllocDiag offset": lambda: AllocDiag(code),
        "CumProd axis": lambda: CumProd(code),
        "Sort axis": lambda: Sort(code),
        "Sort kind": lambda: Sort(0, f"stable' if {touch(marker)} else 'stable"),
        "ArgSort kind": lambda: ArgSort(0, f"stable' if {touch(marker)} else 'stable"),
        "Repeat axis": lambda: Repeat(code),
        "Images2Neibs neib_shape": lambda: Images2Neibs(("2", "2")),
        "Images2Neibs mode": lambda: Images2Neibs(
            (2, 2), None, f"valid' if {touch(marker)} else 'valid"
        ),
        "Neibs2Images neib_step": lambda: Neibs2Images((2, 2), "11"),
    }


STRING_CASES = list(_string_cases(Path("unused")))


@pytest.mark.parametrize("case", STRING_CASES)
def test_string_parameters_are_refused_when_the_op_is_made(case, marker):
    make = _string_cases(marker)[case]
    with pytest.raises((TypeError, ValueError)) as info:
        make()
    assert "got" in str(info.value)  # the message shows what was given
    assert not marker.exists()


# --------------------------------------------------------------------------------------
# ints and strings whose text is code are stored as plain values and run nothing


def _code_value_cases(marker: Path) -> dict:
    """name -> (op built with a value whose text is code, inputs, values)."""
    zero, one = code_int(0, marker), code_int(1, marker)
    v, m = T.dvector("v"), T.dmatrix("m")
    mv = np.arange(6.0).reshape(2, 3)
    image = T.dtensor4("image")
    iv = np.arange(16.0).reshape(1, 1, 4, 4)
    volume = T.dtensor5("volume")
    vv = np.arange(27.0).reshape(1, 1, 3, 3, 3)
    return {
        "Join axis": (lambda: Join(zero)(v, v), [v], [np.ones(2)]),
        "Reduce axis": (lambda: Reduce("sum", (zero,))(m), [m], [mv]),
        "Reduce dtype": (lambda: Reduce("sum", (0,), code_str("float32", marker))(m), [m], [mv]),
        "Argmax axis": (lambda: Argmax("max", one)(m), [m], [mv]),
        "Argmax kind": (lambda: Argmax(code_str("max", marker), 1)(m), [m], [mv]),
        "CumSum axis": (lambda: CumSum(one)(m), [m], [mv]),
        "Shape_i i": (lambda: ShapeI(one)(m), [m], [mv]),
        "MakeVector dtype": (
            lambda: MakeVector(code_str("float64", marker))(v[0], v[1]),
            [v],
            [np.ones(2)],
        ),
        "ARange dtype": (
            lambda: ARange(code_str("float64", marker))(0, v.shape[0], 1),
            [v],
            [np.ones(2)],
        ),
        "Softmax axis": (lambda: Softmax(one)(m), [m], [mv]),
        "LogSoftmax axis": (lambda: LogSoftmax(one)(m), [m], [mv]),
        "SoftmaxGrad axis": (lambda: SoftmaxGrad(one)(m, m), [m], [mv]),
        "Subtensor index": (lambda: Subtensor((("int", one),))(v), [v], [np.ones(2)]),
        "IncSubtensor index": (
            lambda: IncSubtensor((("slice", zero, one, None),), False)(v, 1.0),
            [v],
            [np.ones(2)],
        ),
        "Conv2d border_mode": (
            lambda: Conv2d(code_str("valid", marker))(image, image[:, :, :2, :2]),
            [image],
            [iv],
        ),
        "Conv3d border_mode": (
            lambda: Conv3d(code_str("half", marker))(volume, volume[:, :, :2, :2, :2]),
            [volume],
            [vv],
        ),
        "Conv3d padding": (
            lambda: Conv3d((zero, one, zero))(volume, volume[:, :, :2, :2, :2]),
            [volume],
            [vv],
        ),
        "Pool mode": (
            lambda: Pool(True, code_str("max", marker))(image, (2, 2)),
            [image],
            [iv],
        ),
        "Eigh UPLO": (lambda: Eigh(code_str("U", marker))(m[:, :2])[0], [m], [mv]),
        "QR mode": (lambda: QR(code_str("r", marker))(m), [m], [mv]),
        "Solve assume_a": (
            lambda: Solve(code_str("sym", marker))(m[:, :2], v),
            [m, v],
            [mv, np.ones(2)],
        ),
        "ExtractDiag offset": (lambda: ExtractDiag(one, zero, one)(m), [m], [mv]),
        "AllocDiag offset": (lambda: AllocDiag(one)(v), [v], [np.ones(2)]),
        "CumProd axis": (lambda: CumProd(one)(m), [m], [mv]),
        "Sort kind": (lambda: Sort(one, code_str("stable", marker))(m), [m], [mv]),
        "ArgSort axis": (lambda: ArgSort(zero, code_str("heapsort", marker))(m), [m], [mv]),
        "Repeat axis": (lambda: Repeat(one)(m, T.constant(2)), [m], [mv]),
        "Images2Neibs mode": (
            lambda: Images2Neibs((one, one), None, code_str("half", marker))(image),
            [image],
            [iv],
        ),
    }


CODE_VALUE_CASES = list(_code_value_cases(Path("unused")))


@pytest.mark.parametrize("case", CODE_VALUE_CASES)
def test_values_whose_text_is_code_are_stored_as_plain_values(case, marker):
    build, inputs, values = _code_value_cases(marker)[case]
    out = build()
    assert _plain_props(out.owner.op) == [], out.owner.op
    _run(inputs, out, values)
    assert not marker.exists()


def test_dimshuffle_pastes_no_pattern_entry(marker):
    # DimShuffle keeps its pattern as given but emits only indices it computes itself.
    m = T.dmatrix("m")
    out = DimShuffle(2, (code_int(1, marker), "x", code_int(0, marker)))(m)
    _run([m], out, [np.ones((2, 3))])
    assert not marker.exists()


# --------------------------------------------------------------------------------------
# every op's parameters are plain values


def _plain_props(op) -> list[str]:
    """The parameters of ``op`` that are not plain Python values."""

    def plain(value) -> bool:
        if value is None or type(value) in (int, bool, float, str):
            return True
        return type(value) is tuple and all(plain(v) for v in value)

    return [
        f"{name}={getattr(op, name)!r}" for name in op.__props__ if not plain(getattr(op, name))
    ]


i64, i32 = np.int64, np.int32
PARAM_CASES = {
    Reduce: lambda: Reduce("sum", (i64(0), i32(1)), np.float32),
    LogSumExp: lambda: LogSumExp((i64(0), i32(1))),
    Argmax: lambda: Argmax("min", i64(1)),
    CumSum: lambda: CumSum(i32(1)),
    ShapeI: lambda: ShapeI(i32(0)),
    MakeVector: lambda: MakeVector(np.dtype("int32")),
    Reshape: lambda: Reshape(i64(2)),
    Flatten: lambda: Flatten(i64(1)),
    Join: lambda: Join(i64(0)),
    ARange: lambda: ARange(np.int64),
    Softmax: lambda: Softmax(i64(1)),
    LogSoftmax: lambda: LogSoftmax(i32(0)),
    SoftmaxGrad: lambda: SoftmaxGrad(i64(1)),
    Subtensor: lambda: Subtensor([["slice", i64(1), None, i32(2)], ("int", i64(-1))]),
    IncSubtensor: lambda: IncSubtensor((("array",), ("int", i64(0))), np.bool_(True), 0),
    Conv2d: lambda: Conv2d(
        (i64(1), (i32(0), i64(2))),
        np.array([2, 1]),
        [i64(1), i64(1)],
        np.bool_(False),
        i64(1),
        [None, i64(1), i32(5), i32(5)],
        (i64(2), i64(1), i64(3), i64(3)),
    ),
    Conv2dGradInputs: lambda: Conv2dGradInputs("half", i64(1), i64(1), 1, i32(1)),
    Conv2dGradWeights: lambda: Conv2dGradWeights(i64(2), (1, 1), (1, 1), np.bool_(True)),
    Conv3d: lambda: Conv3d(
        (i64(1), (i32(0), i64(2)), 0),
        np.array([2, 1, 1]),
        i64(1),
        np.bool_(False),
        i64(1),
        [None, i64(1), i32(5), i32(5), i32(4)],
        (i64(2), i64(1), i64(3), i64(3), i64(2)),
    ),
    Conv3dGradInputs: lambda: Conv3dGradInputs("half", i64(1), (1, i32(2), 1), 1, i32(1)),
    Conv3dGradWeights: lambda: Conv3dGradWeights(i64(2), (1, 1, 1), 1, np.bool_(True)),
    Pool: lambda: Pool(np.bool_(True), "sum", i64(3)),
    MaxPoolGrad: lambda: MaxPoolGrad(1, i32(2)),
    AveragePoolGrad: lambda: AveragePoolGrad(np.bool_(False), "average_exc_pad", i64(1)),
    MaxPoolGradGrad: lambda: MaxPoolGradGrad(i64(0), np.int16(2)),
    DownsampleFactorMaxGradGrad: lambda: DownsampleFactorMaxGradGrad(np.bool_(True), "max", i64(3)),
    Rebroadcast: lambda: Rebroadcast([(i64(1), np.bool_(True)), (i32(0), 0)]),
    RandomVariable: lambda: RandomVariable("normal", np.float32, i64(2), np.bool_(True)),
    RandomFunction: lambda: RandomFunction("binomial", np.dtype("int32"), i32(1), np.bool_(False)),
    MRGUniform: lambda: MRGUniform(np.float32, i64(2)),
    MultinomialFromUniform: lambda: MultinomialFromUniform(np.dtype("int32")),
    ChoiceFromUniform: lambda: ChoiceFromUniform(np.int64, np.bool_(False)),
    GradientOverride: lambda: GradientOverride("clip", np.float32(-1), np.float64(1)),
    Eigh: lambda: Eigh(np.str_("U")),
    SVD: lambda: SVD(np.bool_(False), 1),
    QR: lambda: QR(np.str_("complete")),
    Cholesky: lambda: Cholesky(np.bool_(False)),
    Solve: lambda: Solve(np.str_("pos")),
    SolveTriangular: lambda: SolveTriangular(1, np.bool_(True)),
    ExtractDiag: lambda: ExtractDiag(i32(-1), i64(2), i32(0)),
    AllocDiag: lambda: AllocDiag(i64(1)),
    CumProd: lambda: CumProd(i64(0)),
    Sort: lambda: Sort(i32(1), np.str_("mergesort")),
    ArgSort: lambda: ArgSort(None, np.str_("stable")),
    Repeat: lambda: Repeat(i64(0)),
    Images2Neibs: lambda: Images2Neibs(np.array([2, 2]), (i32(1), i64(1)), np.str_("half")),
    Neibs2Images: lambda: Neibs2Images(T.constant(np.array([3, 3])), None, "wrap_centered"),
}
# Ops of the tensor package that are not built from user parameters here.
NOT_IN_TABLE = {"DimShuffle", "Elemwise", "Fused"}


def test_op_parameters_are_plain_python_values():
    failures = {}
    for op_class, make in PARAM_CASES.items():
        op = make()
        assert type(op) is op_class
        if bad := _plain_props(op):
            failures[op_class.__name__] = bad
    assert not failures, f"parameters that are not plain values: {failures}"
    # every op with parameters is in the table
    import symgraph.tensor.ops.conv  # noqa: F401 - all op modules loaded
    from symgraph.graph.basic import Op

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    with_params = {
        cls.__name__
        for cls in subclasses(Op)
        if cls.__module__.startswith(("symgraph.tensor", "symgraph.grad"))
        and getattr(cls, "__props__", ())
        and not cls.__name__.startswith("_")
    }
    missing = with_params - {c.__name__ for c in PARAM_CASES} - NOT_IN_TABLE
    assert not missing, f"ops with parameters missing from PARAM_CASES: {sorted(missing)}"
