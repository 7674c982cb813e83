"""Pure-NumPy kernels for 2-D and 3-D convolution with Theano's ``conv2d``/``conv3d``
semantics: one implementation for any number of spatial axes.

Layout is channels-first: inputs ``x`` are ``(batch, channels, *spatial)`` (NCHW, NCDHW),
filters ``w`` are ``(out_channels, channels // num_groups, *kernel)`` and outputs are
``(batch, out_channels, *out_spatial)``.  ``filter_flip=True`` (Theano's default) is a
true convolution (every spatial axis of the kernel reversed), ``False`` a
cross-correlation.  The description below names the 2-D sizes (``kh, kw``, ``OH, OW``);
a 3-D convolution has ``kd, kh, kw`` and ``OD, OH, OW`` in their places.

Everything is lowered to large matrix products (im2col), one batch *chunk* at a time:

* the chunk is copied into a reusable buffer whose zero border is the padding;
* a zero-copy ``as_strided`` view ``(C, kh, kw, b, OH, OW)`` of it (strides and
  dilation are just strides of the view) is copied into a contiguous column buffer;
* one GEMM per group, ``W (K, C*kh*kw) @ cols (C*kh*kw, b*OH*OW)``, does the arithmetic;
* weights gradient: the same columns, ``gy (K, b*OH*OW) @ cols.T`` (BLAS reads the
  transpose for free), summed over chunks;
* inputs gradient: for stride 1 when a cost model says so (e.g. 3x3 'half' layers), a
  correlation of ``gy`` (padded by ``dk - 1 - pad``) with the transposed, flipped
  filters, i.e. the forward kernel again; otherwise ``W.T @ gy`` followed by a col2im
  scatter made of ``kh * kw`` strided in-place adds (never ``np.add.at``).

Choices, each measured on the 2-core AVX2 / OpenBLAS machine this was written on (see
``benchmarks/conv.py``; 500x1x28x28*20x1x5x5, 500x20x12x12*50x20x5x5 and
64x64x32x32*64x64x3x3 'half'):

* Chunking the batch (about ``_CHUNK_BYTES`` of columns per chunk) keeps the column
  buffer in L2/L3 between the copy that writes it and the GEMM that reads it:
  forward+backward 1.25-1.35x faster in float32 (1.2-3x in float64) than one
  whole-batch im2col.  The loop is over chunks, never single images or
  output pixels; buffers are allocated once per call.
* Columns ordered ``(..., b, OH, OW)`` make each product a single 2-D GEMM with the long
  ``b*OH*OW`` side as N: per-image GEMMs were 2x slower on the 8x8-output layer, whose
  per-image products are thin.  The price is one in-cache transpose of each output chunk.
  Where an output plane is large (``OH*OW >= _PER_IMAGE_MIN_PIXELS``) each image's
  product is wide enough by itself, so the forward and weights-gradient products run
  per image, reading ``gy`` and writing ``y`` in place: 1.1x (forward) and 1.4x (weights
  gradient) faster on the 24x24-output LeNet layer, slightly faster on the VGG-like one.
* When output rows are short (``OW < _BATCH_INNER_MAX_OW``) the batch axis is stored
  innermost ("CHWN"): the patch copies and col2im adds then run over contiguous
  ``OW * b`` blocks instead of ``OW``-long rows; 1.6-2.4x faster on the 8x8-output layer,
  slower on wide outputs (where the transposes cost more than they save).
* Grad-inputs by the forward kernel instead of col2im: 1.3-1.5x faster on the 3x3 'half'
  layer (kh*kw NumPy adds cost more than one patch copy), 3-6x slower on the layers with
  few input channels or 'valid' borders; ``_use_transposed_forward`` picks by estimated
  cost.
* Python threads splitting the chunks did not help (OpenBLAS already uses both cores).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = [
    "normalize_border_mode",
    "conv_output_shape",
    "conv2d",
    "conv2d_grad_inputs",
    "conv2d_grad_weights",
    "conv3d",
    "conv3d_grad_inputs",
    "conv3d_grad_weights",
]

# One (before, after) pair per spatial axis.
Pads = tuple[tuple[int, int], ...]

# Target size in bytes of the per-chunk im2col buffer.  Small enough to stay in the
# last-level cache together with the GEMM output, large enough that the GEMMs stay
# efficient and the per-chunk Python overhead is negligible.
_CHUNK_BYTES = 4 * 2**20

# Use the batch-innermost ("CHWN") column layout when output rows are shorter than this:
# the strided copies and adds then run over long contiguous (OW, batch) blocks.
_BATCH_INNER_MAX_OW = 16

# Forward and weights-gradient GEMMs run image by image ("per-image" layout) when an
# output plane (volume, in 3-D) has at least this many pixels: each product is then
# already wide, and its result lands straight in the output, with no transpose.
_PER_IMAGE_MIN_PIXELS = 256

_AXIS_NAMES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


# --------------------------------------------------------------------------- helpers


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _per_axis(value: Any, nd: int, name: str) -> tuple[int, ...]:
    """Return ``value`` as ``nd`` positive ints (an int is used for every axis)."""
    if type(value) is tuple and len(value) == nd and all(type(v) is int and v > 0 for v in value):
        return value  # already normal: the common case, checked fast
    words = "a pair of ints" if nd == 2 else f"a tuple of {nd} ints"
    if _is_int(value):
        ints = (int(value),) * nd
    else:
        try:
            ints = tuple(int(v) if _is_int(v) else v for v in value)
        except TypeError:
            raise ValueError(f"{name} must be an int or {words}, got {value!r}") from None
        if len(ints) != nd or not all(_is_int(v) for v in ints):
            raise ValueError(f"{name} must be an int or {words}, got {value!r}")
    if min(ints) < 1:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return ints  # type: ignore[return-value]


def normalize_border_mode(
    border_mode: Any,
    kernel_shape: Sequence[int | None],
    dilation: Sequence[int] | int = 1,
) -> Pads:
    """Turn any Theano ``border_mode`` into explicit paddings, one ``(before, after)`` pair
    per spatial axis (``((pt, pb), (pl, pr))`` in 2-D).

    ``border_mode`` may be ``'valid'``, ``'full'``, ``'half'``, an int ``p``, a tuple of
    one int per axis (``(ph, pw)``) or a tuple whose entries are ints or ``(before,
    after)`` pairs (``((pt, pb), (pl, pr))``).  ``kernel_shape`` is the spatial kernel
    shape (``(kh, kw)`` or ``(kd, kh, kw)``: its length is the number of spatial axes; it
    is needed for ``'full'`` and ``'half'``, an entry may be ``None`` only for the other
    forms).  With the dilated kernel size ``dk = (k - 1) * d + 1`` per axis, ``'full'``
    pads ``dk - 1`` and ``'half'`` pads ``dk // 2`` on both sides.

    Raises ``ValueError`` for an unknown mode or a negative padding.
    """
    nd = len(kernel_shape)
    dil = _per_axis(dilation, nd, "filter_dilation")
    if isinstance(border_mode, str):
        if border_mode == "valid":
            return ((0, 0),) * nd
        if border_mode not in ("full", "half"):
            raise ValueError(
                f"border_mode must be 'valid', 'full', 'half', an int or a tuple, "
                f"got {border_mode!r}"
            )
        pads = []
        for k, d in zip(kernel_shape, dil):
            if k is None:
                raise ValueError(f"border_mode {border_mode!r} needs a known kernel shape")
            if k < 1:
                raise ValueError(f"kernel sizes must be >= 1, got kernel shape {kernel_shape}")
            dk = (int(k) - 1) * d + 1
            p = dk - 1 if border_mode == "full" else dk // 2
            pads.append((p, p))
        return tuple(pads)
    if _is_int(border_mode):
        result: Pads = ((int(border_mode), int(border_mode)),) * nd
    elif isinstance(border_mode, (tuple, list)) and len(border_mode) == nd:
        axes = []
        for entry in border_mode:
            if _is_int(entry):
                axes.append((int(entry), int(entry)))
            elif (
                isinstance(entry, (tuple, list))
                and len(entry) == 2
                and all(_is_int(v) for v in entry)
            ):
                axes.append((int(entry[0]), int(entry[1])))
            else:
                raise ValueError(f"invalid border_mode {border_mode!r}")
        result = tuple(axes)
    elif isinstance(border_mode, (tuple, list)):
        raise ValueError(
            f"border_mode must have one entry per spatial axis ({nd}), got {border_mode!r}"
        )
    else:
        raise ValueError(
            f"border_mode must be 'valid', 'full', 'half', an int or a tuple, got {border_mode!r}"
        )
    if min(min(pad) for pad in result) < 0:
        raise ValueError(f"border_mode paddings must be >= 0, got {border_mode!r}")
    return result


def _out_len(size: int, k: int, pad: tuple[int, int], stride: int, dil: int) -> int:
    dk = (k - 1) * dil + 1
    return (size + pad[0] + pad[1] - dk) // stride + 1


def conv_output_shape(
    input_shape: Sequence[int | None],
    filter_shape: Sequence[int | None],
    border_mode: Any = "valid",
    subsample: Sequence[int] | int = 1,
    filter_dilation: Sequence[int] | int = 1,
    num_groups: int = 1,
) -> tuple[int | None, ...]:
    """Static output shape ``(batch, out_channels, *out_spatial)`` of a convolution.

    The number of spatial axes is ``len(input_shape) - 2`` (2 for ``conv2d``, 3 for
    ``conv3d``).  Entries of ``input_shape`` / ``filter_shape`` may be ``None``
    (unknown); every output entry that depends on an unknown entry is ``None``.
    Whatever can be checked with the known entries is checked, raising a ``ValueError``
    that names both shapes: channel mismatch (``C != Cg * num_groups``),
    ``out_channels`` not divisible by ``num_groups``, a (dilated) kernel larger than the
    padded image, and invalid ``border_mode`` (negative padding), ``subsample``,
    ``filter_dilation`` or ``num_groups`` values.
    """
    nd = len(input_shape) - 2
    name = f"conv{nd}d"
    if nd < 1 or len(filter_shape) != len(input_shape):
        raise ValueError(
            f"{name} needs input and filter shapes of the same rank (at least 3), got input "
            f"shape {tuple(input_shape)} and filter shape {tuple(filter_shape)}"
        )
    ishape = tuple(None if v is None else int(v) for v in input_shape)
    fshape = tuple(None if v is None else int(v) for v in filter_shape)
    desc = f"input shape {ishape} and filter shape {fshape}"
    is_computed_mode = isinstance(border_mode, str) and border_mode in ("full", "half")
    try:
        stride = _per_axis(subsample, nd, "subsample")
        dil = _per_axis(filter_dilation, nd, "filter_dilation")
        groups = _check_groups(num_groups)
        if not is_computed_mode:
            pads = normalize_border_mode(border_mode, fshape[2:], dil)
    except ValueError as err:
        raise ValueError(f"{name}: {desc}: {err}") from None
    n, c = ishape[:2]
    k, cg = fshape[:2]
    if c is not None and cg is not None and c != cg * groups:
        raise ValueError(
            f"{name} channel mismatch: {desc}: input channels {c} != filter channels "
            f"{cg} * num_groups {groups}"
        )
    if k is not None and k % groups:
        raise ValueError(
            f"{name}: {desc}: out_channels {k} is not divisible by num_groups {groups}"
        )
    out = []
    for axis, (size, ks, s, d) in enumerate(zip(ishape[2:], fshape[2:], stride, dil)):
        if size is None or ks is None:
            out.append(None)
            continue
        if is_computed_mode:
            dk = (ks - 1) * d + 1
            p = dk - 1 if border_mode == "full" else dk // 2
            pad = (p, p)
        else:
            pad = pads[axis]
        out.append(_checked_out_len(size, ks, pad, s, d, desc, _axis_name(nd, axis), name))
    return (n, k, *out)


def _axis_name(nd: int, axis: int) -> str:
    names = _AXIS_NAMES.get(nd)
    return names[axis] if names else f"axis {axis + 2}"


def _checked_out_len(
    size: int, k: int, pad: tuple[int, int], stride: int, dil: int, desc: str, axis: str, name
) -> int:
    if k < 1:
        raise ValueError(f"{name}: {desc}: kernel sizes must be >= 1")
    o = _out_len(size, k, pad, stride, dil)
    if o < 1:
        dk = (k - 1) * dil + 1
        raise ValueError(
            f"{name}: {desc}: the (dilated) kernel {axis} {dk} exceeds the padded image "
            f"{axis} {size + pad[0] + pad[1]}"
        )
    return o


def _check_groups(num_groups: Any) -> int:
    if not _is_int(num_groups) or num_groups < 1:
        raise ValueError(f"num_groups must be a positive int, got {num_groups!r}")
    return int(num_groups)


def _groups_or_one(num_groups: Any) -> int:
    return int(num_groups) if _is_int(num_groups) and num_groups >= 1 else 1


def _product(sizes: Sequence[int]) -> int:
    result = 1
    for size in sizes:
        result *= size
    return result


_ALL = slice(None)


def _flipped(a: np.ndarray, nd: int) -> np.ndarray:
    """View of ``a`` with its last ``nd`` axes reversed."""
    return a[(Ellipsis,) + (slice(None, None, -1),) * nd]


class _Geometry:
    """Validated geometry of one convolution (plain ints; spatial sizes as tuples, one
    entry per axis), plus the chunking plan."""

    __slots__ = (
        "nd",
        "n",
        "c",
        "k",
        "cg",
        "g",
        "size",
        "ksize",
        "pads",
        "stride",
        "dil",
        "out",
        "extent",
    )

    def __init__(
        self,
        x_shape: tuple[int, ...],
        w_shape: tuple[int, ...],
        pads: Any,
        subsample: Any,
        dilation: Any,
        num_groups: Any,
    ) -> None:
        # Validates everything, with errors naming both shapes.
        out = conv_output_shape(x_shape, w_shape, pads, subsample, dilation, num_groups)
        self.nd = nd = len(x_shape) - 2
        self.stride = _per_axis(subsample, nd, "subsample")
        self.dil = _per_axis(dilation, nd, "filter_dilation")
        self.g = _check_groups(num_groups)
        self.pads = normalize_border_mode(pads, w_shape[2:], self.dil)
        self.n, self.c = int(x_shape[0]), int(x_shape[1])
        self.k, self.cg = int(w_shape[0]), int(w_shape[1])
        self.size = tuple(int(v) for v in x_shape[2:])
        self.ksize = tuple(int(v) for v in w_shape[2:])
        self.out = tuple(int(v) for v in out[2:])  # type: ignore[arg-type]
        # Extent of the padded image actually read (strides may skip trailing rows).
        self.extent = tuple(
            (o - 1) * s + (k - 1) * d + 1
            for o, s, k, d in zip(self.out, self.stride, self.ksize, self.dil)
        )

    @property
    def ckk(self) -> int:
        """Rows of the im2col matrix: ``C * kh * kw`` (all groups)."""
        return self.c * _product(self.ksize)

    @property
    def p(self) -> int:
        """Pixels of one output plane (volume)."""
        return _product(self.out)

    @property
    def out_shape(self) -> tuple[int, ...]:
        return (self.n, self.k) + self.out

    def needs_pad(self) -> bool:
        return any(before > 0 for before, _ in self.pads) or any(
            e > s for e, s in zip(self.extent, self.size)
        )

    def per_image(self) -> bool:
        """Whether the forward and weights-gradient products run image by image."""
        return self.p >= _PER_IMAGE_MIN_PIXELS

    def plan(self, itemsize: int) -> tuple[int, bool]:
        """Return ``(images per chunk, batch_inner)`` (see :func:`_batch_view`)."""
        per_image = self.ckk * self.p * itemsize
        nb = int(max(1, min(self.n, _CHUNK_BYTES // max(per_image, 1))))
        return nb, self.out[-1] < _BATCH_INNER_MAX_OW

    def interior(self) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
        """The image inside the read extent: per spatial axis, the destination slice in
        padded coordinates and the matching source slice in image coordinates."""
        dst, src = [], []
        for (before, _), size, extent in zip(self.pads, self.size, self.extent):
            start, stop = min(before, extent), min(before + size, extent)
            dst.append(slice(start, stop))
            src.append(slice(0, stop - start))
        return tuple(dst), tuple(src)


def _as_float_arrays(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both operands as arrays of their common floating dtype (ints compute in float64)."""
    a, b = np.asarray(a), np.asarray(b)
    dt = np.result_type(a.dtype, b.dtype)
    if not np.issubdtype(dt, np.floating):
        dt = np.dtype(np.float64)
    return a.astype(dt, copy=False), b.astype(dt, copy=False)


def _batch_view(
    flat: np.ndarray, lead: tuple[int, ...], b: int, tail: tuple[int, ...], inner: bool
) -> np.ndarray:
    """Logical ``lead + (b,) + tail`` view of the first items of a flat buffer.

    With ``inner=False`` the batch axis is stored where it appears; with ``inner=True`` it
    is stored innermost (a "CHWN" layout).  Either way the items form one contiguous
    block, and a ``(rows, b * pixels)`` reshape of that block is a valid GEMM operand
    whose columns are ordered ``(b, pixel)`` or ``(pixel, b)``.
    """
    size = int(np.prod(lead + tail, dtype=np.int64)) * b
    if inner:
        return np.moveaxis(flat[:size].reshape(lead + tail + (b,)), -1, len(lead))
    return flat[:size].reshape(lead + (b,) + tail)


def _gemm_view(flat: np.ndarray, g: int, rows: int, cols: int) -> np.ndarray:
    """The first ``rows * cols`` items of ``flat`` as ``(g, rows // g, cols)``."""
    return flat[: rows * cols].reshape(g, rows // g, cols)


def _patches(xl: np.ndarray, geo: _Geometry) -> np.ndarray:
    """Zero-copy view ``(C, kh, kw, b, OH, OW)`` of the patches of a padded chunk.

    ``xl`` is a logical ``(b, C, Hn, Wn)`` array with arbitrary strides.
    """
    s_n, s_c, *s_spatial = xl.strides
    return as_strided(
        xl,
        shape=(geo.c, *geo.ksize, xl.shape[0], *geo.out),
        strides=(
            s_c,
            *(s * d for s, d in zip(s_spatial, geo.dil)),
            s_n,
            *(s * st for s, st in zip(s_spatial, geo.stride)),
        ),
        writeable=False,
    )


class _Chunker:
    """Yields padded batch chunks of ``x`` as logical ``(b, C, Hn, Wn)`` arrays.

    When the chunk needs padding, or the batch-inner layout is used, the chunk is copied
    into a reusable buffer whose border stays zero; otherwise it is a view of ``x``.
    """

    def __init__(self, x: np.ndarray, geo: _Geometry, nb: int, inner: bool) -> None:
        self.x, self.geo, self.inner = x, geo, inner
        self.copy = inner or geo.needs_pad()
        if self.copy:
            self.buf = np.zeros(nb * geo.c * _product(geo.extent), dtype=x.dtype)
            dst, src = geo.interior()
            self.dst, self.src = (_ALL, _ALL) + dst, src
            self.last_b = nb

    def __call__(self, n0: int, b: int) -> np.ndarray:
        if not self.copy:
            return self.x[n0 : n0 + b]
        geo = self.geo
        if b != self.last_b:  # the buffer is re-cut for the last, shorter chunk
            self.buf.fill(0)
            self.last_b = b
        xl = _batch_view(self.buf, (), b, (geo.c, *geo.extent), self.inner)
        xl[self.dst] = self.x[(slice(n0, n0 + b), _ALL) + self.src]
        return xl


def _correlate(x: np.ndarray, wg: np.ndarray, geo: _Geometry) -> np.ndarray:
    """Cross-correlation of ``x`` with grouped filters ``wg`` ``(G, K/G, Cg*kh*kw)``."""
    y = np.empty(geo.out_shape, dtype=x.dtype)
    if y.size == 0 or geo.cg == 0:
        y.fill(0)
        return y
    nb, inner = geo.plan(x.dtype.itemsize)
    if geo.per_image():
        return _correlate_per_image(x, wg, geo, nb, y)
    chunks = _Chunker(x, geo, nb, inner)
    colbuf = np.empty(geo.ckk * nb * geo.p, dtype=x.dtype)
    outbuf = np.empty(geo.k * nb * geo.p, dtype=x.dtype)
    for n0 in range(0, geo.n, nb):
        b = min(nb, geo.n - n0)
        cols = _batch_view(colbuf, (geo.c, *geo.ksize), b, geo.out, inner)
        np.copyto(cols, _patches(chunks(n0, b), geo))
        res = _gemm_view(outbuf, geo.g, geo.k, b * geo.p)
        np.matmul(wg, _gemm_view(colbuf, geo.g, geo.ckk, b * geo.p), out=res)
        y[n0 : n0 + b] = _batch_view(outbuf, (geo.k,), b, geo.out, inner).swapaxes(0, 1)
    return y


def _image_cols(colbuf: np.ndarray, chunk: np.ndarray, geo: _Geometry) -> np.ndarray:
    """Copy the patches of a padded chunk into ``colbuf`` as ``(b, G, Cg*kh*kw, OH*OW)``:
    one GEMM operand per image and group."""
    b, nd = chunk.shape[0], geo.nd
    cols = colbuf[: b * geo.ckk * geo.p].reshape((b, geo.c, *geo.ksize, *geo.out))
    # (C, *k, b, *out) -> (b, C, *k, *out)
    order = (nd + 1, *range(nd + 1), *range(nd + 2, 2 * nd + 2))
    np.copyto(cols, _patches(chunk, geo).transpose(order))
    return cols.reshape(b, geo.g, geo.ckk // geo.g, geo.p)


def _correlate_per_image(
    x: np.ndarray, wg: np.ndarray, geo: _Geometry, nb: int, y: np.ndarray
) -> np.ndarray:
    """:func:`_correlate` with one ``(K/G, Cg*kh*kw) @ (Cg*kh*kw, OH*OW)`` product per
    image and group, written straight into ``y``."""
    chunks = _Chunker(x, geo, nb, inner=False)
    colbuf = np.empty(geo.ckk * nb * geo.p, dtype=x.dtype)
    y4 = y.reshape(geo.n, geo.g, geo.k // geo.g, geo.p)
    for n0 in range(0, geo.n, nb):
        b = min(nb, geo.n - n0)
        np.matmul(wg, _image_cols(colbuf, chunks(n0, b), geo), out=y4[n0 : n0 + b])
    return y


def _grouped_filters(w: np.ndarray, filter_flip: bool, g: int) -> np.ndarray:
    """Correlation filters ``(G, K/G, Cg*kh*kw)`` (flipped when ``filter_flip``)."""
    if filter_flip:
        w = _flipped(w, w.ndim - 2)
    return np.ascontiguousarray(w).reshape(g, w.shape[0] // g, -1)


def _check_ranks(name: str, nd: int, what: tuple[str, str], a: np.ndarray, b, spatial=None):
    """The kernels' rank check, naming every shape given."""
    shapes = [np.shape(a), np.shape(b)]
    ok = len(shapes[0]) == len(shapes[1]) == nd + 2
    words = f"{nd + 2}-d {what[0]} and {nd + 2}-d {what[1]}"
    if spatial is not None:
        ok = ok and len(spatial) == nd
        shapes.append(tuple(spatial))
        words = f"{nd + 2}-d {what[0]}, {nd + 2}-d {what[1]} and a {nd}-d {what[2]}"
    if not ok:
        listed = ", ".join(str(s) for s in shapes[:-1]) + f" and {shapes[-1]}"
        raise ValueError(f"{name} needs {words}, got {listed}")


# --------------------------------------------------------------------------- kernels


def conv(
    x: np.ndarray,
    w: np.ndarray,
    pads: Any = "valid",
    subsample: Sequence[int] | int = 1,
    dilation: Sequence[int] | int = 1,
    filter_flip: bool = True,
    num_groups: int = 1,
) -> np.ndarray:
    """Convolution of ``x`` ``(N, C, *spatial)`` with filters ``w`` ``(K, C/g, *kernel)``
    over ``x.ndim - 2`` spatial axes.

    ``pads`` is anything :func:`normalize_border_mode` accepts (``'valid'``, ``'full'``,
    ``'half'``, ints, tuples or ``((pt, pb), (pl, pr))``).  ``filter_flip=True`` is a
    true convolution (Theano's default), ``False`` a cross-correlation.  The result has
    shape ``(N, K, *out_spatial)`` and the floating dtype of the inputs (float32 stays
    float32; integer inputs are computed in float64).
    """
    x, w = _as_float_arrays(x, w)
    geo = _Geometry(x.shape, w.shape, pads, subsample, dilation, num_groups)
    return _correlate(x, _grouped_filters(w, filter_flip, geo.g), geo)


def _check_gy(
    gy_shape: tuple[int, ...], geo: _Geometry, x_shape: tuple[int, ...], w_shape: tuple[int, ...]
) -> None:
    expected = geo.out_shape
    if tuple(gy_shape) != expected:
        raise ValueError(
            f"output gradient shape {tuple(gy_shape)} does not match the convolution output "
            f"shape {expected} of input shape {tuple(x_shape)} and filter shape {tuple(w_shape)}"
        )


def _copy_grad_chunk(
    gy: np.ndarray, n0: int, b: int, buf: np.ndarray, geo: _Geometry, inner: bool
) -> np.ndarray:
    """Copy ``gy[n0:n0+b]`` into ``buf`` as the ``(G, K/G, b*OH*OW)`` GEMM operand."""
    dst = _batch_view(buf, (geo.k,), b, geo.out, inner)
    np.copyto(dst, gy[n0 : n0 + b].swapaxes(0, 1))
    return _gemm_view(buf, geo.g, geo.k, b * geo.p)


# Relative costs (per element / per flop, float32 on a 2-core AVX2 box) used to pick the
# grad-inputs algorithm; only their ratios matter.
_COST_ADD, _COST_COPY, _COST_FLOP = 1.0, 0.35, 0.01


def _use_transposed_forward(geo: _Geometry) -> bool:
    """Whether the input gradient is cheaper as a stride-1 correlation of padded ``gy``.

    col2im route: GEMM ``W.T @ gy`` then ``kh*kw`` strided adds (C*kh*kw*OH*OW items);
    forward route: im2col of ``gy`` (K*kh*kw*H*W items) then GEMM.  Only valid for
    stride 1 (otherwise ``gy`` would have to be dilated with zeros).
    """
    if any(s != 1 for s in geo.stride):
        return False
    kk, kg = _product(geo.ksize), geo.k // geo.g
    col2im = geo.c * kk * geo.p * (_COST_ADD + 2 * kg * _COST_FLOP)
    forward = geo.k * kk * _product(geo.size) * (_COST_COPY + 2 * geo.cg * _COST_FLOP)
    return forward < col2im


def _grad_inputs_forward(gy: np.ndarray, w_eff: np.ndarray, geo: _Geometry) -> np.ndarray:
    """Input gradient (stride 1) as a correlation of ``gy`` with transposed, flipped filters.

    ``w_eff`` are the correlation filters of the forward pass.  ``gy`` is padded by
    ``dk - 1 - pad`` on each side, or cropped where that is negative (padding wider than
    'full': those outputs only saw padding).  At least ``H + dk - 1`` rows remain.
    """
    pad, crop = [], [_ALL, _ALL]
    for (before, after), k, d, o in zip(geo.pads, geo.ksize, geo.dil, geo.out):
        dk = (k - 1) * d + 1
        need_before, need_after = dk - 1 - before, dk - 1 - after
        pad.append((max(need_before, 0), max(need_after, 0)))
        crop.append(slice(max(-need_before, 0), o - max(-need_after, 0)))
    gy = gy[tuple(crop)]
    g, kg, nd = geo.g, geo.k // geo.g, geo.nd
    # (G, Kg, Cg, *k) -> (G, Cg, Kg, *k), spatially flipped.
    wt = w_eff.reshape((g, kg, geo.cg, *geo.ksize)).transpose(0, 2, 1, *range(3, nd + 3))
    wt = np.ascontiguousarray(_flipped(wt, nd)).reshape(g, geo.cg, kg * _product(geo.ksize))
    geo_t = _Geometry(gy.shape, (geo.c, kg, *geo.ksize), tuple(pad), 1, geo.dil, g)
    return _correlate(gy, wt, geo_t)


def _grad_inputs_col2im(gy: np.ndarray, w_eff: np.ndarray, geo: _Geometry) -> np.ndarray:
    dt = gy.dtype
    gx = np.zeros((geo.n, geo.c, *geo.size), dtype=dt)
    g, kg, cgkk = geo.g, geo.k // geo.g, geo.cg * _product(geo.ksize)
    wt = np.ascontiguousarray(w_eff.reshape(g, kg, cgkk).transpose(0, 2, 1))  # (G, Cg*kk, Kg)
    nb, inner = geo.plan(dt.itemsize)
    gybuf = np.empty(geo.k * nb * geo.p, dtype=dt)
    colbuf = np.empty(geo.ckk * nb * geo.p, dtype=dt)
    accbuf = np.empty(geo.c * nb * _product(geo.extent), dtype=dt)
    dst, src = geo.interior()
    reach = [(o - 1) * s + 1 for o, s in zip(geo.out, geo.stride)]
    # For each kernel tap: its index into the columns, and the input pixels it read.
    columns = itertools.product(*(range(k) for k in geo.ksize))
    windows = itertools.product(
        *(
            [slice(i * d, i * d + r, s) for i in range(k)]
            for k, d, r, s in zip(geo.ksize, geo.dil, reach, geo.stride)
        )
    )
    taps = [((_ALL, *tap), (_ALL, _ALL, *window)) for tap, window in zip(columns, windows)]
    for n0 in range(0, geo.n, nb):
        b = min(nb, geo.n - n0)
        gy2 = _copy_grad_chunk(gy, n0, b, gybuf, geo, inner)
        np.matmul(wt, gy2, out=_gemm_view(colbuf, g, geo.ckk, b * geo.p))
        gcols = _batch_view(colbuf, (geo.c, *geo.ksize), b, geo.out, inner)
        acc = _batch_view(accbuf, (geo.c,), b, geo.extent, inner)
        acc.fill(0)
        for column, pixels in taps:
            acc[pixels] += gcols[column]
        gx[(slice(n0, n0 + b), _ALL) + src] = acc[(_ALL, _ALL) + dst].swapaxes(0, 1)
    return gx


def conv_grad_inputs(
    gy: np.ndarray,
    w: np.ndarray,
    input_spatial_shape: Sequence[int],
    pads: Any = "valid",
    subsample: Sequence[int] | int = 1,
    dilation: Sequence[int] | int = 1,
    filter_flip: bool = True,
    num_groups: int = 1,
) -> np.ndarray:
    """Gradient of :func:`conv` with respect to its input (the transposed convolution).

    ``gy`` is the gradient of the output ``(N, K, *out_spatial)``; ``input_spatial_shape``
    is the spatial shape of the original input (strided convolutions ignore trailing
    rows/cols, so it cannot be recovered from ``gy``).  Returns ``gx`` of shape
    ``(N, C, *spatial)``; input positions that no output reads get zero.
    """
    gy, w = _as_float_arrays(gy, w)
    dt = gy.dtype
    nd = len(input_spatial_shape)
    _check_ranks(
        f"conv{nd}d_grad_inputs",
        nd,
        ("output gradient", "filters", "input spatial shape"),
        gy,
        w,
        input_spatial_shape,
    )
    g = _groups_or_one(num_groups)  # an invalid value is reported by _Geometry
    x_shape = (gy.shape[0], w.shape[1] * g) + tuple(int(v) for v in input_spatial_shape)
    geo = _Geometry(x_shape, w.shape, pads, subsample, dilation, num_groups)
    _check_gy(gy.shape, geo, x_shape, w.shape)
    if gy.size == 0 or geo.c == 0:
        return np.zeros(x_shape, dtype=dt)
    w_eff = _flipped(w, nd) if filter_flip else w
    if _use_transposed_forward(geo):
        return _grad_inputs_forward(gy, w_eff, geo)
    return _grad_inputs_col2im(gy, w_eff, geo)


def _grad_weights_per_image(x: np.ndarray, gy: np.ndarray, geo: _Geometry, gw: np.ndarray):
    """Accumulate into ``gw`` ``(G, K/G, Cg*kh*kw)`` one ``gy @ cols.T`` product per image
    and group (``gy`` is read in place: its images are already ``(K, OH*OW)`` matrices)."""
    nb = geo.plan(x.dtype.itemsize)[0]
    chunks = _Chunker(x, geo, nb, inner=False)
    colbuf = np.empty(geo.ckk * nb * geo.p, dtype=x.dtype)
    gy4 = np.ascontiguousarray(gy).reshape(geo.n, geo.g, geo.k // geo.g, geo.p)
    products = np.empty((nb,) + gw.shape, dtype=x.dtype)
    for n0 in range(0, geo.n, nb):
        b = min(nb, geo.n - n0)
        cols = _image_cols(colbuf, chunks(n0, b), geo)
        np.matmul(gy4[n0 : n0 + b], cols.swapaxes(-1, -2), out=products[:b])
        gw += products[:b].sum(axis=0)


def conv_grad_weights(
    x: np.ndarray,
    gy: np.ndarray,
    filter_spatial_shape: Sequence[int],
    pads: Any = "valid",
    subsample: Sequence[int] | int = 1,
    dilation: Sequence[int] | int = 1,
    filter_flip: bool = True,
    num_groups: int = 1,
) -> np.ndarray:
    """Gradient of :func:`conv` with respect to its filters.

    ``x`` is the input ``(N, C, *spatial)``, ``gy`` the output gradient
    ``(N, K, *out_spatial)`` and ``filter_spatial_shape`` the kernel's spatial shape.
    Returns ``gw`` ``(K, C/g, *kernel)``.
    """
    x, gy = _as_float_arrays(x, gy)
    dt = x.dtype
    nd = len(filter_spatial_shape)
    name = f"conv{nd}d_grad_weights"
    _check_ranks(
        name,
        nd,
        ("input", "output gradient", "filter spatial shape"),
        x,
        gy,
        filter_spatial_shape,
    )
    g = _groups_or_one(num_groups)  # an invalid value is reported by _Geometry
    if x.shape[1] % g:
        raise ValueError(
            f"{name}: input shape {x.shape} has {x.shape[1]} channels, not "
            f"divisible by num_groups {g} (output gradient shape {gy.shape})"
        )
    w_shape = (gy.shape[1], x.shape[1] // g) + tuple(int(v) for v in filter_spatial_shape)
    geo = _Geometry(x.shape, w_shape, pads, subsample, dilation, num_groups)
    _check_gy(gy.shape, geo, x.shape, w_shape)
    gw = np.zeros((g, geo.k // g, geo.cg * _product(geo.ksize)), dtype=dt)
    if x.size and gy.size and geo.per_image():
        _grad_weights_per_image(x, gy, geo, gw)
    elif x.size and gy.size:
        nb, inner = geo.plan(dt.itemsize)
        chunks = _Chunker(x, geo, nb, inner)
        colbuf = np.empty(geo.ckk * nb * geo.p, dtype=dt)
        gybuf = np.empty(geo.k * nb * geo.p, dtype=dt)
        tmp = np.empty_like(gw)
        for n0 in range(0, geo.n, nb):
            b = min(nb, geo.n - n0)
            cols = _batch_view(colbuf, (geo.c, *geo.ksize), b, geo.out, inner)
            np.copyto(cols, _patches(chunks(n0, b), geo))
            gy2 = _copy_grad_chunk(gy, n0, b, gybuf, geo, inner)
            cols2 = _gemm_view(colbuf, g, geo.ckk, b * geo.p)
            np.matmul(gy2, cols2.transpose(0, 2, 1), out=tmp)
            gw += tmp
    gw_full = gw.reshape(w_shape)
    if filter_flip:
        gw_full = np.ascontiguousarray(_flipped(gw_full, nd))
    return gw_full


# ------------------------------------------------- the 2-D and 3-D entry points


def conv2d(
    x, w, pads="valid", subsample=(1, 1), dilation=(1, 1), filter_flip=True, num_groups=1
) -> np.ndarray:
    """:func:`conv` of a 4-d ``x`` ``(N, C, H, W)`` with 4-d filters ``(K, C/g, kh, kw)``."""
    _check_ranks("conv2d", 2, ("input", "filters"), x, w)
    return conv(x, w, pads, subsample, dilation, filter_flip, num_groups)


def conv3d(
    x, w, pads="valid", subsample=(1, 1, 1), dilation=(1, 1, 1), filter_flip=True, num_groups=1
) -> np.ndarray:
    """:func:`conv` of a 5-d ``x`` ``(N, C, D, H, W)`` with 5-d filters
    ``(K, C/g, kd, kh, kw)``."""
    _check_ranks("conv3d", 3, ("input", "filters"), x, w)
    return conv(x, w, pads, subsample, dilation, filter_flip, num_groups)


def conv2d_grad_inputs(
    gy,
    w,
    input_spatial_shape,
    pads="valid",
    subsample=(1, 1),
    dilation=(1, 1),
    filter_flip=True,
    num_groups=1,
) -> np.ndarray:
    """:func:`conv_grad_inputs` of :func:`conv2d`; ``input_spatial_shape`` is ``(H, W)``."""
    _check_ranks(
        "conv2d_grad_inputs",
        2,
        ("output gradient", "filters", "input spatial shape"),
        gy,
        w,
        input_spatial_shape,
    )
    return conv_grad_inputs(
        gy, w, input_spatial_shape, pads, subsample, dilation, filter_flip, num_groups
    )


def conv3d_grad_inputs(
    gy,
    w,
    input_spatial_shape,
    pads="valid",
    subsample=(1, 1, 1),
    dilation=(1, 1, 1),
    filter_flip=True,
    num_groups=1,
) -> np.ndarray:
    """:func:`conv_grad_inputs` of :func:`conv3d`; ``input_spatial_shape`` is
    ``(D, H, W)``."""
    _check_ranks(
        "conv3d_grad_inputs",
        3,
        ("output gradient", "filters", "input spatial shape"),
        gy,
        w,
        input_spatial_shape,
    )
    return conv_grad_inputs(
        gy, w, input_spatial_shape, pads, subsample, dilation, filter_flip, num_groups
    )


def conv2d_grad_weights(
    x,
    gy,
    filter_spatial_shape,
    pads="valid",
    subsample=(1, 1),
    dilation=(1, 1),
    filter_flip=True,
    num_groups=1,
) -> np.ndarray:
    """:func:`conv_grad_weights` of :func:`conv2d`; ``filter_spatial_shape`` is
    ``(kh, kw)``."""
    _check_ranks(
        "conv2d_grad_weights",
        2,
        ("input", "output gradient", "filter spatial shape"),
        x,
        gy,
        filter_spatial_shape,
    )
    return conv_grad_weights(
        x, gy, filter_spatial_shape, pads, subsample, dilation, filter_flip, num_groups
    )


def conv3d_grad_weights(
    x,
    gy,
    filter_spatial_shape,
    pads="valid",
    subsample=(1, 1, 1),
    dilation=(1, 1, 1),
    filter_flip=True,
    num_groups=1,
) -> np.ndarray:
    """:func:`conv_grad_weights` of :func:`conv3d`; ``filter_spatial_shape`` is
    ``(kd, kh, kw)``."""
    _check_ranks(
        "conv3d_grad_weights",
        3,
        ("input", "output gradient", "filter spatial shape"),
        x,
        gy,
        filter_spatial_shape,
    )
    return conv_grad_weights(
        x, gy, filter_spatial_shape, pads, subsample, dilation, filter_flip, num_groups
    )
