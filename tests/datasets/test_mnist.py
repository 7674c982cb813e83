"""Tests for the bundled MNIST copy, the IDX reader and the tutorials' pkl.gz format."""

from __future__ import annotations

import ast
import gzip
import pickle
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from symgraph.datasets import load_mnist, read_idx

DATA_DIR = Path(__file__).resolve().parents[2] / "symgraph" / "datasets" / "mnist"


def _plain_decode(name: str) -> np.ndarray:
    """An independent IDX decoding: gzip + struct for the header."""
    data = gzip.decompress((DATA_DIR / name).read_bytes())
    zero, type_code, ndim = struct.unpack_from(">HBB", data, 0)
    assert (zero, type_code) == (0, 0x08)
    shape = struct.unpack_from(f">{ndim}I", data, 4)
    return np.array(bytearray(data[4 + 4 * ndim :]), dtype=np.uint8).reshape(shape)


@pytest.fixture(scope="module")
def mnist64():
    return load_mnist()


@pytest.fixture(scope="module")
def raw():
    return {
        "train_x": _plain_decode("train-images.idx3-ubyte.gz").reshape(60000, 784),
        "train_y": _plain_decode("train-labels.idx1-ubyte.gz"),
        "test_x": _plain_decode("t10k-images.idx3-ubyte.gz").reshape(10000, 784),
        "test_y": _plain_decode("t10k-labels.idx1-ubyte.gz"),
    }


# --- the bundled data set ----------------------------------------------------------------


def test_bundled_files_and_licence_note_present():
    names = {p.name for p in DATA_DIR.iterdir()}
    for stem in ("train-images.idx3", "train-labels.idx1", "t10k-images.idx3", "t10k-labels.idx1"):
        assert f"{stem}-ubyte.gz" in names
    note = (DATA_DIR / "README.md").read_text()
    assert "LeCun" in note and "CC BY-SA 3.0" in note


@pytest.mark.parametrize("dtype", [None, "float64", "float32", np.float32])
def test_shapes_and_dtypes(dtype):
    expected = np.dtype("float64" if dtype is None else dtype)
    splits = load_mnist(dtype)
    assert len(splits) == 3
    for (x, y), n in zip(splits, (50000, 10000, 10000)):
        assert x.shape == (n, 784) and x.dtype == expected
        assert y.shape == (n,) and y.dtype == np.int64
        assert x.flags.writeable and y.flags.writeable


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pixel_range(dtype):
    for x, _ in load_mnist(dtype):
        assert x.min() == 0.0
        assert x.max() == np.asarray(255 / 256, dtype=dtype)  # /256, so strictly below 1
        assert x.max() < 1.0


def test_labels_and_class_balance(mnist64):
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = mnist64
    assert train_y[0] == 5  # the well-known first digits of MNIST
    assert test_y[0] == 7
    assert list(train_y[:8]) == [5, 0, 4, 1, 9, 2, 1, 3]
    for y in (train_y, valid_y, test_y):
        assert y.min() == 0 and y.max() == 9
        share = np.bincount(y, minlength=10) / len(y)
        assert np.all(share > 0.08) and np.all(share < 0.125), share


def test_agrees_with_plain_decoding(mnist64, raw):
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = mnist64
    for x, expected in (
        (train_x, raw["train_x"][:50000]),
        (valid_x, raw["train_x"][50000:]),
        (test_x, raw["test_x"]),
    ):
        np.testing.assert_array_equal(x * 256.0, expected)
    np.testing.assert_array_equal(train_y, raw["train_y"][:50000])
    np.testing.assert_array_equal(valid_y, raw["train_y"][50000:])
    np.testing.assert_array_equal(test_y, raw["test_y"])
    # The first image's pixels, one by one with struct, as a last independent check.
    data = gzip.decompress((DATA_DIR / "train-images.idx3-ubyte.gz").read_bytes())
    np.testing.assert_array_equal(train_x[0] * 256.0, struct.unpack_from("784B", data, 16))


def test_explicit_directory_matches_default(mnist64):
    for (x, y), (x2, y2) in zip(mnist64, load_mnist(path=str(DATA_DIR))):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)


def test_returned_arrays_do_not_alias_the_cache():
    first = load_mnist("float32")
    keep = [(x.copy(), y.copy()) for x, y in first]
    for x, y in first:
        x[:] = 7.0
        y[:] = -1
    for (x, y), (kx, ky) in zip(load_mnist("float32"), keep):
        np.testing.assert_array_equal(x, kx)
        np.testing.assert_array_equal(y, ky)
    # Train and valid come from one file but must not share memory either.
    (train_x, _), (valid_x, _), _ = load_mnist("float32")
    assert not np.shares_memory(train_x, valid_x)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="float32"):
        load_mnist("int32")
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        load_mnist(path=tmp_path / "nothing-here")
    with pytest.raises(FileNotFoundError, match="train images"):
        load_mnist(path=tmp_path)


# --- read_idx ---------------------------------------------------------------------------


def _write_idx(path: Path, arr: np.ndarray, type_code: int, compress: bool) -> Path:
    big = arr.astype(arr.dtype.newbyteorder(">"))
    data = struct.pack(">HBB", 0, type_code, arr.ndim)
    data += struct.pack(f">{arr.ndim}I", *arr.shape) + big.tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


IDX_CASES = [
    (0x08, np.uint8, (5,)),
    (0x09, np.int8, (3, 4)),
    (0x0B, np.int16, (2, 3, 4)),
    (0x0C, np.int32, (4, 1)),
    (0x0D, np.float32, (2, 2, 2, 2)),
    (0x0E, np.float64, (7,)),
]


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("type_code, dtype, shape", IDX_CASES)
def test_read_idx_round_trip(tmp_path, type_code, dtype, shape, compress):
    rng = np.random.default_rng(type_code)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        arr = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    else:
        arr = rng.standard_normal(shape).astype(dtype)
    path = _write_idx(tmp_path / f"t{type_code:02x}.idx", arr, type_code, compress)
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    assert out.shape == shape and out.flags.writeable
    np.testing.assert_array_equal(out, arr)
    out[...] = 0  # a private copy: a second read is unaffected
    np.testing.assert_array_equal(read_idx(str(path)), arr)


def test_read_idx_bundled_labels():
    labels = read_idx(DATA_DIR / "t10k-labels.idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8 and labels[0] == 7


def test_read_idx_bad_magic(tmp_path):
    path = tmp_path / "bad.idx"
    path.write_bytes(b"\x12\x34\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match=r"bad\.idx.*expected.*found 0x12340801"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x0a\x01" + struct.pack(">I", 1) + b"\x00")  # no type 0x0A
    with pytest.raises(ValueError, match=r"bad\.idx.*found 0x00000A01"):
        read_idx(path)
    labels = _write_idx(tmp_path / "labels.idx", np.arange(3, dtype=np.uint8), 0x08, False)
    with pytest.raises(ValueError, match=r"labels\.idx.*expected 0x00000803, found 0x00000801"):
        read_idx(labels, expected_magic=0x00000803)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match=r"bad\.idx.*expected a 4-byte magic number, found 2"):
        read_idx(path)


def test_read_idx_truncated(tmp_path):
    full = _write_idx(tmp_path / "full.idx", np.zeros((2, 3, 4), np.int16), 0x0B, False)
    data = full.read_bytes()  # 4 + 12 header bytes, then 48 data bytes
    path = tmp_path / "short.idx.gz"
    path.write_bytes(gzip.compress(data[:-5]))
    with pytest.raises(ValueError, match=r"short\.idx\.gz: truncated.*expected 64 bytes.*found 59"):
        read_idx(path)
    path.write_bytes(data[:10])
    with pytest.raises(ValueError, match=r"short\.idx\.gz: truncated IDX header.*expected 16"):
        read_idx(path)
    path.write_bytes(data + b"\x00")
    with pytest.raises(ValueError, match=r"trailing bytes.*expected 64 bytes.*found 65"):
        read_idx(path)
    packed = gzip.compress(data)
    path.write_bytes(packed[:-12])  # a cut-off download
    with pytest.raises(ValueError, match=r"short\.idx\.gz: corrupt gzip"):
        read_idx(path)
    path.write_bytes(packed[:12] + bytes(b ^ 0xFF for b in packed[12:20]) + packed[20:])
    with pytest.raises(ValueError, match=r"short\.idx\.gz: corrupt gzip"):
        read_idx(path)


# --- the tutorials' mnist.pkl.gz -----------------------------------------------------------


def _fake_sets(n=(6, 3, 4), d=784):
    rng = np.random.default_rng(0)
    return tuple(
        (rng.random((k, d), dtype=np.float32), rng.integers(0, 10, k).astype(np.int64)) for k in n
    )


def _py2_array(arr: np.ndarray) -> bytes:
    """Pickle opcodes for ``arr`` as numpy under Python 2 wrote them (byte strings as str)."""

    def s(b: bytes) -> bytes:  # SHORT_BINSTRING / BINSTRING: Python 2's str
        return b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<I", len(b)) + b

    dtype = (
        b"cnumpy\ndtype\n" + s(arr.dtype.str[1:].encode()) + b"K\x00K\x01\x87R"
        b"(K\x03" + s(b"<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    )
    shape = b"(" + b"".join(b"J" + struct.pack("<i", n) for n in arr.shape) + b"t"
    data = s(arr.astype(arr.dtype.newbyteorder("<")).tobytes())
    new = b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" + s(b"b") + b"\x87R"
    # __setstate__((version 1, shape, dtype, not Fortran-ordered, raw data))
    return new + b"(K\x01" + shape + dtype + b"\x89" + data + b"tb"


def _py2_pickle(sets) -> bytes:
    pairs = b"".join(_py2_array(x) + _py2_array(y) + b"\x86" for x, y in sets)
    return b"\x80\x02" + pairs + b"\x87."


def _check_pickle_result(result, sets, dtype):
    assert len(result) == 3
    for (x, y), (ex, ey) in zip(result, sets):
        assert x.dtype == np.dtype(dtype) and y.dtype == np.int64
        np.testing.assert_array_equal(x, ex.astype(dtype))
        np.testing.assert_array_equal(y, ey)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pkl_gz_protocol_2(tmp_path, dtype):
    sets = _fake_sets()
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump(sets, f, protocol=2)
    _check_pickle_result(load_mnist(dtype, path=path), sets, dtype)
    _check_pickle_result(load_mnist(dtype, path=str(path)), sets, dtype)


def test_pkl_gz_python2_pickle_needs_latin1(tmp_path):
    sets = _fake_sets(n=(5, 2, 3), d=12)
    raw = _py2_pickle(sets)
    with pytest.raises(UnicodeDecodeError):  # what a plain pickle.load would do with the file
        pickle.loads(raw)
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(raw))
    _check_pickle_result(load_mnist(path=path), sets, "float64")


def test_pkl_gz_results_do_not_alias_the_cache(tmp_path):
    sets = _fake_sets()
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump(sets, f, protocol=2)
    for x, y in load_mnist("float32", path=path):
        x[:] = -3.0
        y[:] = -1
    _check_pickle_result(load_mnist("float32", path=path), sets, "float32")


def test_pkl_gz_bad_structure(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump(_fake_sets()[:2], f, protocol=2)
    with pytest.raises(ValueError, match=r"mnist\.pkl\.gz.*expected a pickled 3-tuple.*length 2"):
        load_mnist(path=path)


# --- packaging ------------------------------------------------------------------------------


def test_datasets_only_import_numpy_and_stdlib():
    allowed = set(sys.stdlib_module_names) | {"numpy", "__future__"}
    for source in (DATA_DIR.parent / "__init__.py", DATA_DIR.parent / "mnist.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                ok = name.split(".")[0] in allowed or name.startswith("symgraph.datasets")
                assert ok, f"{source.name} imports {name}"
