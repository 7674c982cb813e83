"""Patches of images as rows of a matrix (``images2neibs``) and its transpose, which adds
rows back into images (``neibs2images``); each is the other's gradient.

For images ``(batch, channels, height, width)``, a patch shape ``(c, d)`` and steps
``(sr, sc)``, row ``((n * channels + s) * grid_rows + a) * grid_cols + b`` of the output
is patch ``(a, b)`` of image ``(n, s)``, flattened row by row. Patch ``(a, b)`` starts at
``(a * sr, b * sc)`` and the modes say where that is (Theano's semantics):

- ``'valid'``: in the image; the patches must reach its last row and column exactly;
- ``'ignore_borders'``: in the image; rows and columns a patch cannot reach are left out;
- ``'half'``, ``'full'``: in the image padded with zeros by ``c // 2`` (``c - 1``) rows and
  ``d // 2`` (``d - 1``) columns on each side, then as ``'valid'``;
- ``'wrap_centered'``: patches (odd sizes) centred on ``(a * sr, b * sc)``, the image
  wrapping around at its borders; ``ceil(height / sr)`` patch rows.
"""

from __future__ import annotations

import numpy as np

from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType
from symgraph.tensor.ops import math
from symgraph.tensor.ops.shape import _static_ints, stack
from symgraph.tensor.params import as_choice, as_int_tuple
from symgraph.tensor.variable import as_tensor, constant

__all__ = ["images2neibs", "neibs2images"]

MODES = ("valid", "ignore_borders", "half", "full", "wrap_centered")


def _pair(value, what: str) -> tuple[int, int]:
    if isinstance(value, Variable):
        if getattr(value, "data", None) is None:
            raise TypeError(f"{what} must be known when the graph is built (ints), got {value}")
        value = value.data
    pair = as_int_tuple(np.asarray(value).reshape(-1).tolist(), what)
    if len(pair) != 2 or min(pair) <= 0:
        raise ValueError(f"{what} must be two positive ints, got {pair}")
    return pair


def patch_starts(size: int, patch: int, step: int, mode: str, what: str) -> tuple[np.ndarray, int]:
    """For one axis of ``size``: the index of every cell of every patch into the axis
    padded by ``pad`` (shape ``(grid, patch)``), and ``pad``."""
    pad = {"half": patch // 2, "full": patch - 1}.get(mode, 0)
    if mode == "wrap_centered":
        if patch % 2 == 0:
            raise ValueError(f"{what}: mode 'wrap_centered' needs odd patch sizes, got {patch}")
        if size < patch:
            raise ValueError(f"{what}: an axis of {size} is shorter than the patch ({patch})")
        grid = -(-size // step)
        cells = np.arange(grid)[:, None] * step + np.arange(patch) - patch // 2
        return cells % size, 0
    reach = size + 2 * pad - patch
    if mode == "ignore_borders":
        grid = max(reach // step + 1, 0) if size >= patch else 0
    else:
        if size < patch or reach % step:
            raise ValueError(
                f"{what}: in mode {mode!r}, patches of {patch} every {step} do not fit an "
                f"axis of {size} (use mode='ignore_borders' to drop the rest)"
            )
        grid = reach // step + 1
    return np.arange(grid)[:, None] * step + np.arange(patch), pad


def _grids(shape, neib_shape, neib_step, mode, what):
    (rows, row_pad), (cols, col_pad) = (
        patch_starts(size, patch, step, mode, what)
        for size, patch, step in zip(shape[2:], neib_shape, neib_step)
    )
    return rows, cols, row_pad, col_pad


def images_to_neighbours(images, neib_shape, neib_step, mode, xp=np):
    """The patches of ``images`` as rows (see the module docstring); ``xp`` is the array
    module (``jax.numpy`` for the JAX lowering: the indices are NumPy arrays either way,
    computed from the shape, which is known while tracing)."""
    rows, cols, row_pad, col_pad = _grids(images.shape, neib_shape, neib_step, mode, "images2neibs")
    padded = xp.pad(images, ((0, 0), (0, 0), (row_pad, row_pad), (col_pad, col_pad)))
    patches = padded[:, :, rows[:, None, :, None], cols[None, :, None, :]]
    return patches.reshape(-1, neib_shape[0] * neib_shape[1])


def neighbours_to_images(neighbours, shape, neib_shape, neib_step, mode, xp=np):
    """Images of ``shape`` where each cell is the sum of the patch entries taken from it:
    the transpose of ``images_to_neighbours``; ``xp`` as there."""
    shape = tuple(int(s) for s in shape)
    rows, cols, row_pad, col_pad = _grids(shape, neib_shape, neib_step, mode, "neibs2images")
    patches = (*shape[:2], len(rows), len(cols), *neib_shape)
    if neighbours.shape != (int(np.prod(patches[:4])), patches[4] * patches[5]):
        raise ValueError(
            f"neibs2images: {neighbours.shape[0]} x {neighbours.shape[1]} patches do not make "
            f"images of shape {shape} with patches {neib_shape} every {neib_step} "
            f"(mode {mode!r})"
        )
    padded_shape = (*shape[:2], shape[2] + 2 * row_pad, shape[3] + 2 * col_pad)
    out = xp.zeros(padded_shape, dtype=neighbours.dtype)
    index = (slice(None), slice(None), rows[:, None, :, None], cols[None, :, None, :])
    # overlapping patches add up (JAX arrays are immutable: .at[].add is its np.add.at)
    if xp is np:
        np.add.at(out, index, neighbours.reshape(patches))
    else:
        out = out.at[index].add(neighbours.reshape(patches))
    return out[:, :, row_pad : row_pad + shape[2], col_pad : col_pad + shape[3]]


class _NeighboursOp(Op):
    __props__ = ("neib_shape", "neib_step", "mode")

    def __init__(self, neib_shape, neib_step=None, mode: str = "valid") -> None:
        self.neib_shape = _pair(neib_shape, "images2neibs: neib_shape")
        self.neib_step = (
            self.neib_shape if neib_step is None else _pair(neib_step, "images2neibs: neib_step")
        )
        self.mode = as_choice(mode, MODES, "images2neibs: mode")

    def _args(self) -> str:
        return f"{self.neib_shape}, {self.neib_step}, {self.mode!r}"

    def _grid_sizes(self, shape):
        """The symbolic numbers of patch rows and columns for an image ``shape``."""
        sizes = []
        for size, patch, step in zip(shape[2:], self.neib_shape, self.neib_step):
            if self.mode == "wrap_centered":
                sizes.append(math.int_div(size + (step - 1), step))
                continue
            pad = {"half": patch // 2, "full": patch - 1}.get(self.mode, 0)
            grid = math.int_div(size + (2 * pad - patch), step) + 1
            if self.mode == "ignore_borders":
                grid = math.switch(math.lt(size, patch), constant(0, dtype="int64"), grid)
            sizes.append(grid)
        return sizes


class Images2Neibs(_NeighboursOp):
    """The patches of a 4-d ``images`` tensor as the rows of a matrix (see the module)."""

    def make_node(self, images) -> Apply:
        images = as_tensor(images)
        if images.ndim != 4:
            raise TypeError(
                f"images2neibs takes a 4-d tensor (batch, channels, rows, columns), got "
                f"{images} ({images.type.describe()})"
            )
        rows = None
        if None not in images.type.shape:
            try:
                grid_rows, grid_cols, _, _ = _grids(
                    images.type.shape, self.neib_shape, self.neib_step, self.mode, "images2neibs"
                )
            except ValueError as error:
                raise ValueError(f"{error}: {images} ({images.type.describe()})") from None
            rows = int(np.prod(images.type.shape[:2])) * len(grid_rows) * len(grid_cols)
        width = self.neib_shape[0] * self.neib_shape[1]
        return Apply(self, [images], [TensorType(images.dtype, (rows, width))])

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(images_to_neighbours, "images2neibs")
        return f"{kernel}({inputs[0]}, {self._args()})"

    def jax(self, node, inputs, jx):
        return images_to_neighbours(inputs[0], self.neib_shape, self.neib_step, self.mode, jx.numpy)

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        grid_rows, grid_cols = self._grid_sizes(shape)
        return [
            (shape[0] * shape[1] * grid_rows * grid_cols, self.neib_shape[0] * self.neib_shape[1])
        ]

    def grad(self, node, output_grads):
        (images,) = node.inputs
        if images.type.numpy_dtype.kind not in "fc":
            return [None]
        back = Neibs2Images(self.neib_shape, self.neib_step, self.mode)
        return [back(output_grads[0], images.shape)]


class Neibs2Images(_NeighboursOp):
    """Rows of patches added back into images of the given shape: the transpose of
    ``Images2Neibs`` with the same parameters (its inverse when the patches neither
    overlap nor leave cells out)."""

    def make_node(self, neighbours, shape) -> Apply:
        neighbours, shape = as_tensor(neighbours), as_tensor(shape)
        width = self.neib_shape[0] * self.neib_shape[1]
        if neighbours.ndim != 2 or neighbours.type.shape[1] not in (None, width):
            raise TypeError(
                f"neibs2images takes a matrix of patches of {width} entries, got {neighbours} "
                f"({neighbours.type.describe()})"
            )
        if (
            shape.ndim != 1
            or shape.type.numpy_dtype.kind not in "iu"
            or shape.type.shape[0] not in (None, 4)
        ):
            raise TypeError(
                f"neibs2images: the image shape must be 4 ints, got {shape} "
                f"({shape.type.describe()})"
            )
        return Apply(self, [neighbours, shape], [TensorType(neighbours.dtype, (None,) * 4)])

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(neighbours_to_images, "neibs2images")
        return f"{kernel}({inputs[0]}, {inputs[1]}, {self._args()})"

    def jax(self, node, inputs, jx):
        neighbours, shape = inputs
        shape = _static_ints(shape, self)  # the output's shape: XLA's shapes are fixed
        return neighbours_to_images(
            neighbours, shape, self.neib_shape, self.neib_step, self.mode, jx.numpy
        )

    def infer_shape(self, node, input_shapes):
        shape = node.inputs[1]
        return [tuple(shape[i] for i in range(4))]

    def grad(self, node, output_grads):
        neighbours, _ = node.inputs
        if neighbours.type.numpy_dtype.kind not in "fc":
            return [None, None]
        forward = Images2Neibs(self.neib_shape, self.neib_step, self.mode)
        return [forward(output_grads[0]), None]


def images2neibs(ten4, neib_shape, neib_step=None, mode: str = "valid") -> Variable:
    """The ``neib_shape`` patches of the images ``ten4`` (4-d), taken every ``neib_step``
    (``neib_shape`` when None), as the rows of a matrix; see the module for the modes."""
    return Images2Neibs(neib_shape, neib_step, mode)(ten4)


def neibs2images(
    neibs, neib_shape, original_shape, mode: str = "valid", neib_step=None
) -> Variable:
    """Images of ``original_shape`` rebuilt from the rows of patches ``neibs`` that
    ``images2neibs`` gives (cells in several patches get their sum; cells in none, 0)."""
    if isinstance(original_shape, (list, tuple)):
        original_shape = stack([math.cast(as_tensor(s), "int64") for s in original_shape])
    return Neibs2Images(neib_shape, neib_step, mode)(neibs, original_shape)
