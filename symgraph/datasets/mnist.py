"""MNIST: an IDX reader and a loader with the Theano tutorials' train/valid/test split.

The four original IDX files ship gzip-compressed in ``symgraph/datasets/mnist/`` (see the
README there for provenance and licence). Only numpy and the standard library are used, so
the loader works without the rest of symgraph.
"""

from __future__ import annotations

import gzip
import os
import pickle
import zlib
from pathlib import Path

import numpy as np

__all__ = ["load_mnist", "read_idx"]

# IDX type byte -> element type; the data are big-endian.
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IMAGES_MAGIC = 0x00000803
_LABELS_MAGIC = 0x00000801
_N_TRAIN = 50_000  # the tutorials' split: the last 10,000 training images are validation
_N_PIXELS = 28 * 28

_BUNDLED_DIR = Path(__file__).resolve().with_name("mnist")

# Base names of the four files; both the original spelling ("train-images-idx3-ubyte") and
# the dotted one some mirrors use ("train-images.idx3-ubyte") are accepted, with or without .gz.
_FILES = {
    "train_images": ("train-images", "idx3-ubyte"),
    "train_labels": ("train-labels", "idx1-ubyte"),
    "test_images": ("t10k-images", "idx3-ubyte"),
    "test_labels": ("t10k-labels", "idx1-ubyte"),
}

# (kind, resolved path, mtime_ns, size) per file -> read-only raw arrays: uint8 images and
# int64 labels for IDX, the unpickled arrays for pkl.gz. Every call converts into fresh arrays.
_CACHE: dict[tuple, tuple[np.ndarray, ...]] = {}


def _read_bytes(path: Path) -> bytes:
    """Return the file's contents, gunzipped when it starts with the gzip signature."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as exc:  # OSError covers BadGzipFile
            raise ValueError(f"{path}: corrupt gzip stream ({exc})") from exc
    return data


def read_idx(path: str | os.PathLike, expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (gzip-compressed or plain) into a native-endian, writable array.

    ``expected_magic`` (e.g. ``0x00000803`` for MNIST images) additionally checks the type
    byte and the number of dimensions. Malformed files raise ``ValueError``.
    """
    arr = _decode_idx(Path(path), expected_magic)
    return arr.astype(arr.dtype.newbyteorder("="), copy=True)


def _decode_idx(path: Path, expected_magic: int | None) -> np.ndarray:
    """Validate and decode; the result is a read-only view of the file's bytes."""
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(
            f"{path}: not an IDX file: expected a 4-byte magic number, found {len(data)} bytes"
        )
    magic = int.from_bytes(data[:4], "big")
    type_code, ndim = data[2], data[3]
    if data[:2] != b"\x00\x00" or type_code not in _IDX_DTYPES:
        codes = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise ValueError(
            f"{path}: bad IDX magic number: expected 0x0000TTNN with type byte TT in "
            f"{{{codes}}}, found 0x{magic:08X}"
        )
    if expected_magic is not None and magic != expected_magic:
        raise ValueError(
            f"{path}: bad IDX magic number: expected 0x{expected_magic:08X}, found 0x{magic:08X}"
        )
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(
            f"{path}: truncated IDX header: expected {header_len} bytes for {ndim} dimension "
            f"sizes, found {len(data)}"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _IDX_DTYPES[type_code]
    count = 1
    for size in shape:
        count *= size
    expected = header_len + count * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "trailing bytes in"
        raise ValueError(
            f"{path}: {what} IDX data: expected {expected} bytes for shape {shape} of "
            f"{dtype.name}, found {len(data)}"
        )
    return np.frombuffer(data, dtype=dtype, count=count, offset=header_len).reshape(shape)


def _find_idx(directory: Path, key: str) -> Path:
    stem, kind = _FILES[key]
    tried = []
    for sep in (".", "-"):
        for ext in (".gz", ""):
            candidate = directory / f"{stem}{sep}{kind}{ext}"
            if candidate.is_file():
                return candidate
            tried.append(candidate.name)
    raise FileNotFoundError(f"{directory}: no MNIST {key.replace('_', ' ')} file; tried {tried}")


def _cache_key(kind: str, path: Path) -> tuple:
    st = path.stat()
    return (kind, str(path.resolve()), st.st_mtime_ns, st.st_size)


def _load_idx_dir(directory: Path) -> tuple[np.ndarray, ...]:
    """Return (train_x uint8 60000x784, train_y, test_x, test_y) from four IDX files."""
    paths = {key: _find_idx(directory, key) for key in _FILES}
    key = tuple(_cache_key("idx", p) for p in paths.values())
    if key in _CACHE:
        return _CACHE[key]
    out = []
    for split in ("train", "test"):
        images_path, labels_path = paths[f"{split}_images"], paths[f"{split}_labels"]
        images = _decode_idx(images_path, _IMAGES_MAGIC)
        labels = _decode_idx(labels_path, _LABELS_MAGIC)
        if images.shape[1:] != (28, 28):
            raise ValueError(
                f"{images_path}: expected 28x28 images, found {images.shape[1]}x{images.shape[2]}"
            )
        if len(images) != len(labels):
            raise ValueError(
                f"{labels_path}: expected {len(images)} labels to match {images_path.name}, "
                f"found {len(labels)}"
            )
        labels = labels.astype(np.int64)
        labels.flags.writeable = False  # the cache is shared; callers get copies
        out += [images.reshape(len(images), _N_PIXELS), labels]
    if len(out[0]) <= _N_TRAIN:
        raise ValueError(
            f"{paths['train_images']}: expected more than {_N_TRAIN} training images for the "
            f"train/valid split, found {len(out[0])}"
        )
    _CACHE[key] = result = tuple(out)
    return result


def _load_pickle(path: Path) -> tuple[np.ndarray, ...]:
    """Return (train_x, train_y, valid_x, valid_y, test_x, test_y) from a tutorials pkl.gz."""
    key = _cache_key("pkl", path)
    if key in _CACHE:
        return _CACHE[key]
    data = _read_bytes(path)
    # The tutorials' file was pickled by Python 2; latin1 maps its byte strings 1:1.
    sets = pickle.loads(data, encoding="latin1")
    if not (isinstance(sets, (tuple, list)) and len(sets) == 3):
        raise ValueError(
            f"{path}: expected a pickled 3-tuple (train, valid, test), found {type(sets).__name__}"
            + (f" of length {len(sets)}" if isinstance(sets, (tuple, list)) else "")
        )
    out = []
    for name, pair in zip(("train", "valid", "test"), sets):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise ValueError(f"{path}: expected the {name} set to be a pair (x, y)")
        x, y = np.asarray(pair[0]), np.asarray(pair[1])
        if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(
                f"{path}: expected the {name} set as x of shape (N, D) and y of shape (N,), "
                f"found {x.shape} and {y.shape}"
            )
        x.flags.writeable = y.flags.writeable = False  # the cache is shared; callers get copies
        out += [x, y]
    _CACHE[key] = result = tuple(out)
    return result


def _float_dtype(dtype: str | np.dtype | type | None) -> np.dtype:
    resolved = np.dtype("float64" if dtype is None else dtype)
    if resolved not in (np.dtype("float32"), np.dtype("float64")):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return resolved


def load_mnist(
    dtype: str | None = None, path: str | os.PathLike | None = None
) -> tuple[
    tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]
]:
    """Return ``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))``.

    The Theano tutorials' split: 50,000 train, the last 10,000 training images as validation,
    and the 10,000 t10k images as test. Images are rows of 784 pixels scaled by 1/256 into
    [0, 1) in ``dtype`` (None means float64); labels are int64. ``path`` is a directory of
    the four IDX files (default: the bundled copy) or a tutorials ``mnist.pkl.gz`` (which is
    unpickled, so only pass files you trust). Decoded data are cached; each call returns
    fresh arrays the caller may modify.
    """
    ftype = _float_dtype(dtype)
    source = _BUNDLED_DIR if path is None else Path(path)
    if source.is_dir():
        train_x, train_y, test_x, test_y = _load_idx_dir(source)

        def images(raw: np.ndarray) -> np.ndarray:
            # One pass, uint8 -> float; 1/256 is exact (a power of two) and keeps 255 below 1.
            return np.multiply(raw, ftype.type(1.0 / 256.0), dtype=ftype)

        return (
            (images(train_x[:_N_TRAIN]), train_y[:_N_TRAIN].copy()),
            (images(train_x[_N_TRAIN:]), train_y[_N_TRAIN:].copy()),
            (images(test_x), test_y.copy()),
        )
    if source.is_file():
        raw = _load_pickle(source)
        return tuple(  # type: ignore[return-value]
            (raw[i].astype(ftype), raw[i + 1].astype(np.int64)) for i in (0, 2, 4)
        )
    raise FileNotFoundError(f"{source}: no such MNIST directory or mnist.pkl.gz file")
