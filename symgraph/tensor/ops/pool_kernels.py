"""Pure-NumPy kernels for 2-D pooling with Theano's ``pool_2d`` semantics.

Pooling runs over the last two axes of an array with at least two dimensions; all
leading axes are batch-like.  Parameters (per spatial axis): window ``ws``, ``stride``
(defaults to ``ws``) and ``pad`` (zeros added on both sides; needs
``ignore_border=True`` and ``pad < ws``).  Modes: ``'max'``, ``'sum'``,
``'average_inc_pad'`` and ``'average_exc_pad'``.

Semantics, as in Theano's ``Pool`` / ``MaxPoolGrad`` / ``AveragePoolGrad`` /
``DownsampleFactorMaxGradGrad`` (C implementations):

* window ``r`` covers padded rows ``[r*stride, r*stride + ws)`` clipped to the padded
  image (with ``ignore_border=False`` the last windows may be partial);
* ``'max'`` and ``'sum'`` only look at real image cells: padding never wins a max, even
  when every real cell of the window is negative (every window holds at least one real
  cell because ``pad < ws``);
* ``'average_inc_pad'`` divides by the window size clipped to the padded image (so
  partial windows of ``ignore_border=False`` divide by their clipped size), and
  ``'average_exc_pad'`` by the number of real image cells in the window;
* the max gradient goes to *every* position of a window equal to the window's max
  (ties all receive the full upstream gradient).

Implementation: the input is copied, only when needed, into an "extended" array
covering every window (padding and the area beyond partial windows filled with ``-inf``
for max, ``0`` otherwise).  The forward reduction is separable: rows first (``ws0``
slices of whole rows), then columns (``ws1`` strided slices of a ``stride0`` times
smaller array), 1.2-1.4x faster than columns first.  The gradients loop over the
``ws0 * ws1`` window offsets with strided in-place ufuncs.  NumPy reductions over small
window axes (``x.reshape(..., 2, ..., 2).max(axis=(2, 4))``) were measured 8-19x slower
than these strided loops.  When the windows tile the image exactly, the max gradient
instead repeats each window's max and gradient over its cells and runs one contiguous
compare and multiply (see :func:`_tiled_max_grad`).  The forward pass and the input
gradient run over chunks of about 1 MiB of input images, so that their temporaries stay
in the cache (the gradient of the max gradient, off the training path, is not chunked).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "POOL_MODES",
    "pool_output_shape",
    "pool2d",
    "pool2d_grad",
    "max_pool2d_grad_grad",
]

POOL_MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")

# Input bytes per chunk of images (see _PoolGeometry.batch_chunks).  Measured on the
# LeNet layers here (1 MiB L2 per core): 1 MiB beat 256 KiB, 512 KiB and 2 MiB.
_CHUNK_BYTES = 1 << 20


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _pair(value: Any, name: str, minimum: int) -> tuple[int, int]:
    try:
        pair = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a pair of ints, got {value!r}") from None
    if len(pair) != 2 or not all(_is_int(v) for v in pair):
        raise ValueError(f"{name} must be a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_params(
    ws: Any, ignore_border: bool, stride: Any, pad: Any, mode: str = "max"
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    ws2 = _pair(ws, "ws", 1)
    st2 = ws2 if stride is None else _pair(stride, "stride", 1)
    pad2 = (0, 0) if pad is None else _pair(pad, "pad", 0)
    if mode not in POOL_MODES:
        raise ValueError(f"pool mode must be one of {POOL_MODES}, got {mode!r}")
    if pad2 != (0, 0) and not ignore_border:
        raise ValueError(f"padding {pad2} needs ignore_border=True")
    if pad2[0] >= ws2[0] or pad2[1] >= ws2[1]:
        raise ValueError(f"padding {pad2} must be smaller than the window {ws2}")
    return ws2, st2, pad2


def _out_len(size: int, ws: int, stride: int, pad: int, ignore_border: bool) -> int:
    v = size + 2 * pad
    if ignore_border:
        return max((v - ws) // stride + 1, 0)
    if v == 0:
        return 0
    if stride >= ws:
        return (v - 1) // stride + 1
    return max(0, (v - 1 - ws + stride) // stride) + 1


def pool_output_shape(
    input_shape: Sequence[int | None],
    ws: Sequence[int],
    ignore_border: bool = True,
    stride: Sequence[int] | None = None,
    pad: Sequence[int] = (0, 0),
) -> tuple[int | None, ...]:
    """Shape of :func:`pool2d`'s output for an input of ``input_shape`` (>= 2 dims).

    Per pooled axis, with ``v = size + 2 * pad``: ``max((v - ws) // stride + 1, 0)`` when
    ``ignore_border``; otherwise partial windows are kept: ``(v - 1) // stride + 1`` if
    ``stride >= ws``, else ``max(0, (v - 1 - ws + stride) // stride) + 1`` (0 for an empty
    axis).  ``None`` entries (unknown sizes) stay ``None``.
    """
    if len(input_shape) < 2:
        raise ValueError(f"pooling needs an input with >= 2 dims, got shape {tuple(input_shape)}")
    try:
        ws2, st2, pad2 = _check_params(ws, ignore_border, stride, pad)
    except ValueError as err:
        raise ValueError(f"pooling input shape {tuple(input_shape)}: {err}") from None
    out = [
        None if size is None else _out_len(int(size), w, s, p, ignore_border)
        for size, w, s, p in zip(input_shape[-2:], ws2, st2, pad2)
    ]
    return tuple(input_shape[:-2]) + tuple(out)


class _PoolGeometry:
    """Validated pooling geometry for a concrete input shape."""

    def __init__(
        self, shape: tuple[int, ...], ws: Any, ignore_border: bool, stride: Any, pad: Any, mode: str
    ) -> None:
        if len(shape) < 2:
            raise ValueError(f"pooling needs an input with >= 2 dims, got shape {shape}")
        try:
            self.ws, self.st, self.pad = _check_params(ws, ignore_border, stride, pad, mode)
        except ValueError as err:
            raise ValueError(f"pooling input shape {tuple(shape)}: {err}") from None
        self.mode = mode
        self.lead = tuple(shape[:-2])
        self.h, self.w = shape[-2:]
        self.b = int(np.prod(self.lead, dtype=np.int64))
        self.oh = _out_len(self.h, self.ws[0], self.st[0], self.pad[0], ignore_border)
        self.ow = _out_len(self.w, self.ws[1], self.st[1], self.pad[1], ignore_border)
        # Extent of the extended (padded) image covered by the windows.
        self.he = (self.oh - 1) * self.st[0] + self.ws[0]
        self.we = (self.ow - 1) * self.st[1] + self.ws[1]
        ph, pw = self.pad
        # Real rows/cols inside the extent: destination slices (extended coordinates) and
        # source slices (image coordinates).
        r1, c1 = min(ph + self.h, self.he), min(pw + self.w, self.we)
        self.dst = (slice(ph, r1), slice(pw, c1))
        self.src = (slice(0, r1 - ph), slice(0, c1 - pw))
        self.trivial = ph == 0 and pw == 0 and self.he <= self.h and self.we <= self.w
        self.overlap = self.st[0] < self.ws[0] or self.st[1] < self.ws[1]
        self.tiles_exactly = (
            self.trivial and self.st == self.ws and (self.he, self.we) == (self.h, self.w)
        )

    @property
    def out_shape(self) -> tuple[int, ...]:
        return self.lead + (self.oh, self.ow)

    @property
    def empty(self) -> bool:
        return self.b == 0 or self.oh == 0 or self.ow == 0

    def extend(self, x3: np.ndarray, fill: Any) -> np.ndarray:
        """``(B, He, We)`` array of the padded image; a view of ``x3`` when possible."""
        if self.trivial:
            return x3
        xe = np.full((x3.shape[0], self.he, self.we), fill, dtype=x3.dtype)
        xe[:, self.dst[0], self.dst[1]] = x3[:, self.src[0], self.src[1]]
        return xe

    def window(self, arr: np.ndarray, i: int, j: int) -> np.ndarray:
        """Strided ``(B, OH, OW)`` view of the cells at offset ``(i, j)`` of every window."""
        (s0, s1), (oh, ow) = self.st, (self.oh, self.ow)
        return arr[:, i : i + (oh - 1) * s0 + 1 : s0, j : j + (ow - 1) * s1 + 1 : s1]

    def divisor(self, dtype: np.dtype) -> np.ndarray:
        """``(OH, OW)`` divisor of the average modes."""
        counts = []
        for n_out, size, ws, st, pad in zip(
            (self.oh, self.ow), (self.h, self.w), self.ws, self.st, self.pad
        ):
            start = np.arange(n_out) * st
            if self.mode == "average_inc_pad":
                cnt = np.minimum(start + ws, size + 2 * pad) - start
            else:
                cnt = np.minimum(start + ws, size + pad) - np.maximum(start, pad)
            counts.append(cnt)
        return np.multiply.outer(counts[0], counts[1]).astype(dtype)

    def batch_chunks(self, itemsize: int) -> list[slice]:
        """Slices of the batch axis, each covering about :data:`_CHUNK_BYTES` of input.

        The kernels run chunk by chunk so that their temporaries (the row-reduced array,
        the repeated maxima, the masks) stay in the CPU cache instead of streaming through
        memory.  On 500x20x24x24 float32 (interleaved A/B against whole-array ufuncs) the
        forward pass ran 1.2-1.5x and the max gradient 1.35-1.6x faster; on 500x50x8x8
        the gradient 1.2-1.4x, the forward pass the same."""
        per = max(1, _CHUNK_BYTES // max(1, self.h * self.w * itemsize))
        return [slice(s, min(s + per, self.b)) for s in range(0, self.b, per)]

    def scatter_target(self, gx3: np.ndarray) -> np.ndarray:
        """Zero the image-gradient chunk ``gx3`` and return the extended-array gradient the
        windows scatter into: a view of ``gx3`` when no padding is needed, else a new
        zeroed array whose real cells :meth:`gather` copies back."""
        gx3.fill(0)
        if self.trivial:
            return gx3[:, : self.he, : self.we]
        return np.zeros((gx3.shape[0], self.he, self.we), dtype=gx3.dtype)

    def gather(self, gxe: np.ndarray, gx3: np.ndarray) -> None:
        """Copy the real cells of ``gxe`` into ``gx3`` (nothing to do when it is a view)."""
        if not self.trivial:
            gx3[:, self.src[0], self.src[1]] = gxe[:, self.dst[0], self.dst[1]]


def _lowest(dtype: np.dtype) -> Any:
    if np.issubdtype(dtype, np.floating):
        return -np.inf
    if np.issubdtype(dtype, np.integer):
        return np.iinfo(dtype).min
    raise TypeError(f"pooling supports float and integer arrays, got dtype {dtype}")


def _has_nonfinite(a: np.ndarray) -> bool:
    """Whether a float array holds inf or nan.  The max-pool gradients multiply by a 0/1
    mask (~1.7x faster than ``where=`` ufuncs), which would turn such a value at a
    non-max cell into nan (0 * inf); they fall back to ``where`` when this is true."""
    return a.dtype.kind == "f" and not np.isfinite(a).all()


def _as3d(x: np.ndarray, geo: _PoolGeometry) -> np.ndarray:
    return x.reshape((geo.b, geo.h, geo.w))


def _separable_reduce(xe: np.ndarray, geo: _PoolGeometry, op: np.ufunc, out: np.ndarray) -> None:
    """Reduce every window of ``xe`` with ``op`` into ``out``: along rows first (whole
    contiguous rows, and the result is ``stride0`` times smaller), then along columns."""
    (w0, w1), (s0, s1), (oh, ow) = geo.ws, geo.st, (geo.oh, geo.ow)
    rows = [xe[:, i : i + (oh - 1) * s0 + 1 : s0] for i in range(w0)]
    t = op(rows[0], rows[1]) if w0 > 1 else rows[0]
    for r in rows[2:]:
        op(t, r, out=t)
    cols = [t[:, :, j : j + (ow - 1) * s1 + 1 : s1] for j in range(w1)]
    if w1 == 1:
        out[...] = cols[0]
        return
    op(cols[0], cols[1], out=out)
    for c in cols[2:]:
        op(out, c, out=out)


def _repeat_columns(a: np.ndarray, times: int) -> np.ndarray:
    """``np.repeat(a, times, axis=-1)`` of a 2-d array; for pairs of 4-byte items, one
    integer multiply on 8-byte words (each word holds the item twice), 3x faster."""
    if times == 2 and a.dtype.itemsize == 4:
        words = np.ascontiguousarray(a).view(np.uint32).astype(np.uint64)
        words *= np.uint64(0x1_0000_0001)
        return words.view(a.dtype)
    return np.repeat(a, times, axis=-1)


def _tiled_max_grad(
    x3: np.ndarray,
    y3: np.ndarray,
    gy3: np.ndarray,
    geo: _PoolGeometry,
    finite: bool,
    gx3: np.ndarray,
) -> None:
    """Max-pool gradient into ``gx3`` when the windows tile the image exactly (stride =
    window, no padding, nothing left over): spread each window's max and gradient over its
    cells (column then row repeats), then one contiguous compare and one multiply over the
    chunk.  1.3x (24x24 maps) to 2.5x (8x8 maps) faster than the strided offset loop."""
    (w0, w1), rows = geo.ws, y3.shape[0] * geo.oh
    y_cells = np.repeat(_repeat_columns(y3.reshape(rows, geo.ow), w1), w0, axis=0)
    g_cells = np.repeat(_repeat_columns(gy3.reshape(rows, geo.ow), w1), w0, axis=0)
    mask = np.equal(x3.reshape(rows * w0, geo.w), y_cells)
    out = gx3.reshape(rows * w0, geo.w)
    if finite:
        np.multiply(mask, g_cells, out=out)
    else:
        out.fill(0)
        np.copyto(out, g_cells, where=mask)


def _scatter_max_grad(
    xe: np.ndarray,
    y3: np.ndarray,
    gy3: np.ndarray,
    gxe: np.ndarray,
    geo: _PoolGeometry,
    finite: bool,
) -> None:
    """Add ``gy`` to every cell of ``gxe`` equal to its window's max (``gxe`` is zero)."""
    mask = np.empty(y3.shape, dtype=bool)
    tmp = np.empty(y3.shape, dtype=gxe.dtype) if geo.overlap else None
    for i in range(geo.ws[0]):
        for j in range(geo.ws[1]):
            np.equal(geo.window(xe, i, j), y3, out=mask)
            dst = geo.window(gxe, i, j)
            if not finite:
                np.add(dst, gy3, out=dst, where=mask)
            elif geo.overlap:
                np.multiply(mask, gy3, out=tmp)
                dst += tmp
            else:  # disjoint windows: every cell is written at most once
                np.multiply(mask, gy3, out=dst)


def _spread_grad(gy3: np.ndarray, gxe: np.ndarray, geo: _PoolGeometry) -> None:
    """Add each window's ``gy3`` (already divided for the average modes) to its cells."""
    for i in range(geo.ws[0]):
        for j in range(geo.ws[1]):
            if geo.overlap:
                geo.window(gxe, i, j)[...] += gy3
            else:
                geo.window(gxe, i, j)[...] = gy3


def pool2d(
    x: np.ndarray,
    ws: Sequence[int],
    ignore_border: bool = True,
    stride: Sequence[int] | None = None,
    pad: Sequence[int] = (0, 0),
    mode: str = "max",
) -> np.ndarray:
    """Pool the last two axes of ``x`` with windows ``ws`` (Theano's ``pool_2d``).

    Returns an array of shape :func:`pool_output_shape` and of ``x``'s dtype.  Raises
    ``ValueError`` for invalid parameters (padding without ``ignore_border``, padding not
    smaller than the window, unknown mode, non-positive window or stride).
    """
    x = np.asarray(x)
    geo = _PoolGeometry(x.shape, ws, ignore_border, stride, pad, mode)
    if geo.empty:
        return np.zeros(geo.out_shape, dtype=x.dtype)
    x3 = _as3d(x, geo)
    y = np.empty((geo.b, geo.oh, geo.ow), dtype=x.dtype)
    op, fill = (np.maximum, _lowest(x.dtype)) if mode == "max" else (np.add, 0)
    for chunk in geo.batch_chunks(x.dtype.itemsize):
        _separable_reduce(geo.extend(x3[chunk], fill), geo, op, y[chunk])
    if mode not in ("max", "sum"):
        div = geo.divisor(y.dtype if y.dtype.kind == "f" else np.dtype(np.float64))
        y = (y / div).astype(x.dtype, copy=False)
    return y.reshape(geo.out_shape)


def pool2d_grad(
    x: np.ndarray,
    y: np.ndarray | None,
    gy: np.ndarray,
    ws: Sequence[int],
    ignore_border: bool = True,
    stride: Sequence[int] | None = None,
    pad: Sequence[int] = (0, 0),
    mode: str = "max",
) -> np.ndarray:
    """Gradient of :func:`pool2d` with respect to ``x`` given the output gradient ``gy``.

    ``y`` is the forward output (needed for ``'max'``; ignored, and may be ``None``, for
    the other modes).  For ``'max'`` every position equal to its window's max receives
    that window's gradient (ties included); for the averages each window's gradient is
    spread over its cells divided by the mode's divisor; padding cells are dropped.
    """
    x = np.asarray(x)
    geo = _PoolGeometry(x.shape, ws, ignore_border, stride, pad, mode)
    gy = np.asarray(gy)
    if gy.shape != geo.out_shape:
        raise ValueError(
            f"pool gradient shape {gy.shape} does not match the pooled shape {geo.out_shape} "
            f"of input shape {x.shape}"
        )
    dt = np.result_type(x.dtype, gy.dtype)
    if geo.empty:
        return np.zeros(x.shape, dtype=dt)
    gy3 = gy.reshape((geo.b, geo.oh, geo.ow)).astype(dt, copy=False)
    x3 = _as3d(x, geo)
    gx = np.empty((geo.b, geo.h, geo.w), dtype=dt)
    if mode == "max":
        if y is None:
            raise ValueError("the max-pool gradient needs the forward output y")
        y3 = np.asarray(y).reshape((geo.b, geo.oh, geo.ow))
        finite = not _has_nonfinite(gy3)
    elif mode != "sum":
        gy3 = gy3 / geo.divisor(dt)
    for chunk in geo.batch_chunks(max(x.dtype.itemsize, dt.itemsize)):
        if mode == "max" and geo.tiles_exactly:
            _tiled_max_grad(x3[chunk], y3[chunk], gy3[chunk], geo, finite, gx[chunk])
            continue
        gxe = geo.scatter_target(gx[chunk])
        if mode == "max":
            xe = geo.extend(x3[chunk], _lowest(x.dtype))
            _scatter_max_grad(xe, y3[chunk], gy3[chunk], gxe, geo, finite)
        else:
            _spread_grad(gy3[chunk], gxe, geo)
        geo.gather(gxe, gx[chunk])
    return gx.reshape(x.shape)


def max_pool2d_grad_grad(
    x: np.ndarray,
    y: np.ndarray,
    ggx: np.ndarray,
    ws: Sequence[int],
    ignore_border: bool = True,
    stride: Sequence[int] | None = None,
    pad: Sequence[int] = (0, 0),
) -> np.ndarray:
    """Gradient of the max-pool gradient with respect to its upstream gradient.

    ``x`` and ``y`` are the max-pool input and output and ``ggx`` (shaped like ``x``) the
    gradient flowing into the max-pool gradient's output.  Returns, for each window, the
    sum of ``ggx`` over the window's positions equal to the window max (shaped like
    ``y``).  This is the adjoint of :func:`pool2d_grad` (mode ``'max'``) in ``gy``.
    """
    x = np.asarray(x)
    ggx = np.asarray(ggx)
    geo = _PoolGeometry(x.shape, ws, ignore_border, stride, pad, "max")
    if ggx.shape != x.shape:
        raise ValueError(f"ggx shape {ggx.shape} does not match the input shape {x.shape}")
    y = np.asarray(y)
    if y.shape != geo.out_shape:
        raise ValueError(
            f"max-pool output shape {y.shape} does not match the pooled shape "
            f"{geo.out_shape} of input shape {x.shape}"
        )
    dt = np.result_type(x.dtype, ggx.dtype)
    ggy = np.zeros((geo.b, geo.oh, geo.ow), dtype=dt)
    if geo.empty:
        return ggy.reshape(geo.out_shape)
    y3 = y.reshape((geo.b, geo.oh, geo.ow))
    xe = geo.extend(_as3d(x, geo), _lowest(x.dtype))
    gge = geo.extend(_as3d(ggx, geo).astype(dt, copy=False), 0)
    mask = np.empty(y3.shape, dtype=bool)
    tmp = np.empty(y3.shape, dtype=dt)
    finite = not _has_nonfinite(gge)
    for i in range(geo.ws[0]):
        for j in range(geo.ws[1]):
            np.equal(geo.window(xe, i, j), y3, out=mask)
            if finite:
                np.multiply(mask, geo.window(gge, i, j), out=tmp)
                ggy += tmp
            else:
                np.add(ggy, geo.window(gge, i, j), out=ggy, where=mask)
    return ggy.reshape(geo.out_shape)
