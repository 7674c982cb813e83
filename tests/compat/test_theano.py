"""The Theano compatibility layer: module aliases, signatures, deprecations, the runner."""

import gzip
import os
import pickle
import re
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import symgraph
import symgraph.compat.theano as compat
from symgraph.compat.theano.__main__ import main as run_main
from symgraph.compat.theano._util import TheanoDeprecationWarning

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")


def fresh_import(name):
    """Import ``theano.<name>`` again from scratch (to see its import-time warnings)."""
    for prefix in ("theano.", "symgraph.compat.theano."):
        sys.modules.pop(prefix + name, None)
    parent = sys.modules["symgraph.compat.theano." + name.rpartition(".")[0]]
    vars(parent).pop(name.rpartition(".")[2], None)
    return __import__("theano." + name, fromlist=["_"])


# --------------------------------------------------------------------------------------
# modules


def test_theano_imports_resolve_to_the_compat_modules(theano):
    import theano.tensor as T
    from theano import tensor as T2
    from theano.sandbox import rng_mrg
    from theano.tensor.nnet import conv
    from theano.tensor.signal import pool

    assert theano is compat
    assert T is compat.tensor and T2 is T
    assert sys.modules["theano.tensor"] is compat.tensor
    assert pool is sys.modules["symgraph.compat.theano.tensor.signal.pool"]
    assert conv is T.nnet.conv
    assert rng_mrg.MRG_RandomStreams is compat.sandbox.rng_mrg.MRG_RandomStreams
    assert compat.tensor.__spec__.name == "symgraph.compat.theano.tensor"
    with pytest.raises(ModuleNotFoundError, match="theano.sandbox.no_such_module"):
        import theano.sandbox.no_such_module  # noqa: F401


def test_uninstall_removes_the_alias():
    already = compat.installed()
    compat.install()
    compat.uninstall()
    try:
        assert "theano" not in sys.modules and not compat.installed()
        with pytest.raises(ModuleNotFoundError):
            import theano  # noqa: F401
    finally:
        if already:
            compat.install()


def test_objects_are_symgraph_objects(theano):
    T = theano.tensor
    assert issubclass(theano.In, symgraph.In)  # taking Theano's borrow, mutable, implicit
    assert theano.Out is symgraph.Out
    x = T.matrix("x")
    assert isinstance(x, symgraph.tensor.TensorVariable) and isinstance(x, T.TensorVariable)
    assert T.dot is symgraph.tensor.dot
    # an op object that builds the very node the core function builds
    assert T.tanh(x).owner.op == symgraph.tensor.tanh(x).owner.op
    assert T.nnet.sigmoid is symgraph.tensor.sigmoid
    assert T.nnet.log_softmax is symgraph.tensor.ops.nnet.log_softmax
    for name in ("relu", "categorical_crossentropy", "binary_crossentropy", "conv2d"):
        assert callable(getattr(T.nnet, name))
    assert isinstance(theano.shared(np.ones(2)), theano.compile.SharedVariable)
    assert isinstance(theano.shared(np.ones(2)), symgraph.SharedVariable)


def test_theano_names_and_signatures(theano):
    T = theano.tensor
    x = T.matrix("x")
    v = np.arange(6.0).reshape(2, 3) - 2
    f = theano.function(
        [x],
        [
            T.abs_(x),
            T.sgn(x),
            T.shape_padleft(x).shape,
            T.transpose(x),
            T.sum(x, 0, "float32"),
            T.mean(x, axis=1),
            T.var(x, None, 1),
            T.cast(x, "floatX"),
        ],
    )
    a, s, padded, t, total, mean, var, cast = f(v)
    np.testing.assert_array_equal(a, np.abs(v))
    np.testing.assert_array_equal(s, np.sign(v))
    assert tuple(padded) == (1, 2, 3)
    np.testing.assert_array_equal(t, v.T)
    assert total.dtype == np.float32
    np.testing.assert_allclose(mean, v.mean(axis=1))
    np.testing.assert_allclose(var, v.var(ddof=1))
    assert cast.dtype == symgraph.config.floatX
    b = T.tensor3("b")
    bd = theano.function([b], T.batched_dot(b, b))
    cube = np.arange(8.0).reshape(2, 2, 2)
    np.testing.assert_allclose(bd(cube), np.einsum("bij,bjk->bik", cube, cube))


def test_function_takes_theanos_argument_order(theano):
    T = theano.tensor
    x = T.scalar("x")
    s = theano.shared(0.0, name="s")
    f = theano.function([x], x * 2, "FAST_COMPILE", [(s, s + x)], None, False, False, "f")
    assert f.mode.name == "FAST_COMPILE" and f.name == "f"
    assert f(3.0) == 6.0 and s.get_value() == 3.0
    y = T.scalar("y")
    with pytest.raises(symgraph.compile.UnusedInputError):
        theano.function([x, y], x)  # Theano's default: on_unused_input='raise'
    with pytest.warns(UserWarning, match="DebugMode"):
        theano.function([x], x, mode="DebugMode")


def test_grad_and_verify_grad(theano):
    T = theano.tensor
    x = T.vector("x")
    g = T.grad(T.sum(T.tanh(x)), x, None, "raise", True)  # add_names (5th) is Theano's
    assert theano.grad is theano.gradient.grad
    value = np.array([0.1, -0.4])
    np.testing.assert_allclose(theano.function([x], g)(value), 1 - np.tanh(value) ** 2)
    theano.gradient.verify_grad(T.tanh, [np.array([0.3, -0.2])], rng=np.random.RandomState(0))
    with pytest.raises(theano.gradient.GradientError):
        theano.gradient.verify_grad(
            lambda v: T.floor(v * 10), [np.array([0.3])], rng=np.random.RandomState(0)
        )


def test_scan_and_its_views_where_theano_had_them(theano):
    from theano.scan_module import scan

    T = theano.tensor
    x = T.vector("x")
    running, updates = theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=T.zeros(()))
    assert scan is theano.scan and not updates
    total, _ = theano.reduce(lambda v, acc: acc + v, x, T.zeros(()))
    doubled, _ = theano.map(lambda v: v * 2, x)
    first, _ = theano.foldr(lambda v, acc: v, x, T.zeros(()))
    f = theano.function([x], [running, total, doubled, first])
    value = np.array([1.0, 2.0, 4.0], dtype=x.dtype)
    for got, expected in zip(f(value), [np.cumsum(value), 7.0, value * 2, 1.0]):
        np.testing.assert_allclose(got, expected)


# --------------------------------------------------------------------------------------
# config


def test_config_forwards_floatx(theano):
    assert theano.config.floatX == symgraph.config.floatX
    with theano.config.change_flags(floatX="float32"):
        assert symgraph.config.floatX == "float32"
        assert theano.tensor.matrix().dtype == "float32"
    assert symgraph.config.floatX == theano.config.floatX
    assert theano.config.device == "cpu"
    theano.config.compute_test_value = "off"  # Theano-only options are accepted
    with pytest.raises(AttributeError, match="no option"):
        theano.config.not_an_option = 1
    with pytest.raises(ValueError):
        theano.config.floatX = "int8"


def test_config_flags_parsing():
    from symgraph.compat.theano.configparser import TheanoConfig
    from symgraph.config import Config

    target = Config()
    with pytest.warns(UserWarning, match="does not recognise this flag: bogus"):
        cfg = TheanoConfig(target, "floatX=float32, mode=FAST_COMPILE,lib.cnmem=0.5,bogus=1")
    assert target.floatX == "float32" and cfg.floatX == "float32"
    assert cfg.mode == "FAST_COMPILE"
    assert TheanoConfig(Config(), "device=cuda").device == "cuda"  # the JAX backend


def test_theano_flags_environment_variable_is_read_at_import():
    code = (
        "import symgraph, symgraph.compat.theano as t; "
        "print(t.config.floatX, symgraph.config.floatX, t.tensor.matrix().dtype)"
    )
    env = dict(os.environ, THEANO_FLAGS="floatX=float32,device=cpu")
    env.pop("SYMGRAPH_FLAGS", None)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["float32", "float32", "float32"]


# --------------------------------------------------------------------------------------
# deprecated spellings and ignored arguments


def test_flatten_outdim_warns_and_works(theano):
    T = theano.tensor
    x = T.tensor3("x")
    with pytest.warns(TheanoDeprecationWarning, match="outdim"):
        flat = T.flatten(x, outdim=2)
    assert flat.ndim == 2
    value = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(theano.function([x], flat)(value), value.reshape(2, 12))


def _pooling_input():
    return np.random.default_rng(0).normal(size=(1, 2, 5, 5))


def test_pool_2d_deprecated_keywords(theano):
    from theano.tensor.signal import pool

    T = theano.tensor
    x = T.tensor4("x")
    reference = theano.function([x], pool.pool_2d(x, ws=(2, 2), stride=(1, 1), ignore_border=True))(
        _pooling_input()
    )
    with pytest.warns(TheanoDeprecationWarning) as record:
        old = pool.pool_2d(x, ds=(2, 2), st=(1, 1), ignore_border=True)
    messages = [str(w.message) for w in record]
    assert any(m.startswith("DEPRECATION: the 'ds' parameter") for m in messages)
    assert any(m.startswith("DEPRECATION: the 'st' parameter") for m in messages)
    assert all(issubclass(w.category, UserWarning) for w in record)  # shown, as Theano's
    np.testing.assert_array_equal(theano.function([x], old)(_pooling_input()), reference)
    with pytest.raises(ValueError, match="both 'ws' and 'ds'"):
        pool.pool_2d(x, ws=(2, 2), ds=(2, 2), ignore_border=True)
    with pytest.warns(UserWarning, match="ignore_border"):
        unset = pool.pool_2d(x, ws=(2, 2))
    assert unset.owner.op.ignore_border is False


def test_downsample_module_warns_on_import_and_works(theano):
    with pytest.warns(TheanoDeprecationWarning, match="downsample module has been moved"):
        downsample = fresh_import("tensor.signal.downsample")
    from theano.tensor.signal import downsample as again

    assert again is downsample
    T = theano.tensor
    x = T.tensor4("x")
    with pytest.warns(TheanoDeprecationWarning, match="'ds'"):
        pooled = downsample.max_pool_2d(x, ds=(2, 2), ignore_border=True)
    value = _pooling_input()
    result = theano.function([x], pooled)(value)
    assert result.shape == (1, 2, 2, 2)
    np.testing.assert_array_equal(result[0, 0, 0, 0], value[0, 0, :2, :2].max())
    same = theano.function([x], downsample.max_pool_2d_same_size(x, (2, 2)))(value)
    assert same.shape == value.shape


def _conv_inputs():
    rng = np.random.default_rng(0)
    return rng.normal(size=(2, 1, 6, 6)), rng.normal(size=(3, 1, 3, 3))


def test_conv2d_image_shape_and_ignored_keywords(theano):
    T = theano.tensor
    x, w = T.tensor4("x"), T.tensor4("w")
    xv, wv = _conv_inputs()
    reference = theano.function([x, w], T.nnet.conv2d(x, w, input_shape=(2, 1, 6, 6)))(xv, wv)
    with pytest.warns(TheanoDeprecationWarning, match="image_shape"):
        old = T.nnet.conv2d(x, w, image_shape=(2, 1, 6, 6), filter_shape=(3, 1, 3, 3))
    np.testing.assert_allclose(theano.function([x, w], old)(xv, wv), reference)
    with pytest.warns(UserWarning, match="ignoring the argument.*unroll_batch"):
        T.nnet.conv2d(x, w, unroll_batch=2)
    with pytest.raises(ValueError, match="at the same time"):
        T.nnet.conv2d(x, w, input_shape=(2, 1, 6, 6), image_shape=(2, 1, 6, 6))


def test_legacy_conv_module(theano):
    from theano.tensor.nnet import conv

    T = theano.tensor
    x, w = T.tensor4("x"), T.tensor4("w")
    xv, wv = _conv_inputs()
    with pytest.warns(TheanoDeprecationWarning, match="nnet.conv.conv2d is deprecated"):
        legacy = conv.conv2d(
            x, w, image_shape=(2, 1, 6, 6), filter_shape=(3, 1, 3, 3), border_mode="full"
        )
    modern = T.nnet.conv2d(x, w, border_mode="full")
    f = theano.function([x, w], [legacy, modern])
    a, b = f(xv, wv)
    assert a.shape == (2, 3, 8, 8)
    np.testing.assert_allclose(a, b)


def test_param_is_deprecated_in(theano):
    T = theano.tensor
    x, y = T.scalar("x"), T.scalar("y")
    with pytest.warns(TheanoDeprecationWarning, match="Param"):
        spec = theano.Param(y, default=2.0)
    assert theano.function([x, spec], x + y)(1.0) == 3.0


def test_deprecation_warnings_are_shown_by_default(theano):
    with warnings.catch_warnings(record=True) as record:
        warnings.resetwarnings()
        warnings.filterwarnings("default", category=TheanoDeprecationWarning)
        warnings.simplefilter("ignore", DeprecationWarning, append=True)
        theano.tensor.flatten(theano.tensor.tensor3(), outdim=2)
    assert [w.category for w in record] == [TheanoDeprecationWarning]
    assert record[0].filename == __file__  # attributed to the caller's line


# --------------------------------------------------------------------------------------
# random streams


def test_shared_randomstreams_and_mrg(theano):
    from theano.sandbox.rng_mrg import MRG_RandomStreams
    from theano.tensor.shared_randomstreams import RandomStreams

    assert issubclass(RandomStreams, symgraph.tensor.random.RandomStreams)  # + binomial(prob=)
    T = theano.tensor
    x = T.matrix("x")
    srng = RandomStreams(seed=234)
    mrg = MRG_RandomStreams()  # Theano's default seed
    keep = mrg.binomial(x.shape, p=0.75, dtype=theano.config.floatX, nstreams=8)  # (size, n, p)
    with pytest.warns(UserWarning, match="ignoring the argument.*bogus"):
        noise = mrg.normal((3,), truncate=True, bogus=1)
    f = theano.function([x], [x * keep, srng.uniform((2, 2)), noise])
    dropped, u, n = f(np.ones((100, 100)))
    assert abs(dropped.mean() - 0.75) < 0.03
    assert u.shape == (2, 2) and np.all(np.abs(n) <= 2)
    same = MRG_RandomStreams(12345).binomial(
        x.shape, p=0.75, dtype=theano.config.floatX, nstreams=8
    )
    np.testing.assert_array_equal(theano.function([x], x * same)(np.ones((100, 100))), dropped)


# --------------------------------------------------------------------------------------
# printing


def test_debugprint_and_pydotprint(theano, tmp_path, monkeypatch, capsys):
    from theano import printing

    T = theano.tensor
    x = T.vector("x")
    y = T.tanh(x).sum()
    text = printing.debugprint(y, file="str")
    assert "tanh" in text and "x" in text
    assert printing.debugprint(y) is sys.stdout
    assert "tanh" in capsys.readouterr().out
    f = theano.function([x], y)
    dot_file = tmp_path / "graph.dot"
    printing.pydotprint(f, outfile=str(dot_file), format="dot", print_output_file=False)
    assert dot_file.read_text().startswith("digraph")
    monkeypatch.setattr(printing.shutil, "which", lambda name: None)
    monkeypatch.setattr(printing, "HAVE_MATPLOTLIB", False)
    with pytest.raises(printing.GraphvizNotFoundError, match="matplotlib"):
        printing.pydotprint(y, outfile=str(tmp_path / "graph.png"))
    assert (tmp_path / "graph.dot").exists()
    assert "tanh" in printing.pp(y)


def test_pydotprint_draws_svg_without_graphviz_or_matplotlib(theano, tmp_path, monkeypatch):
    from theano import printing

    monkeypatch.setattr(printing.shutil, "which", lambda name: None)
    monkeypatch.setattr(printing, "HAVE_MATPLOTLIB", False)
    T = theano.tensor
    x = T.vector("x")
    f = theano.function([x], T.tanh(x).sum())
    target = tmp_path / "graph.svg"
    printing.pydotprint(f, outfile=str(target), print_output_file=False)
    root = ET.parse(target).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert sorted(tmp_path.iterdir()) == [target]  # an SVG, not graph.svg.png or a .dot
    image = printing.pydotprint(f, format="svg", return_image=True, outfile=str(tmp_path / "g"))
    assert image.startswith(b"<svg") and not (tmp_path / "g.svg").exists()


def test_pydotprint_draws_png_with_matplotlib(theano, tmp_path, monkeypatch):
    from theano import printing

    if not printing.HAVE_MATPLOTLIB:
        pytest.skip("matplotlib is not installed (pip install matplotlib)")
    monkeypatch.setattr(printing.shutil, "which", lambda name: None)  # no Graphviz
    T = theano.tensor
    x = T.matrix("x$y")  # a dollar sign is text, not TeX
    f = theano.function([x], T.tanh(T.dot(x, x.T)).sum())
    target = tmp_path / "graph.png"
    printing.pydotprint(f, outfile=str(target), print_output_file=False)
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    layout_width = float(ET.fromstring(printing.to_svg(f)).get("width"))
    assert width == pytest.approx(layout_width, abs=2) and height > 50


# --------------------------------------------------------------------------------------
# the runner


def test_runner_sets_argv_and_runs_as_main(tmp_path, monkeypatch, capsys):
    script = tmp_path / "show.py"
    script.write_text(
        "import sys, theano, theano.tensor as T\n"
        "from theano.tensor.signal import pool\n"
        "print(__name__, sys.argv[1:], theano.__name__, T.__name__)\n"
        "x = T.vector('x')\n"
        "print(theano.function([x], T.sum(x ** 2))([1.0, 2.0]))\n"
    )
    monkeypatch.setattr(sys, "argv", ["ignored"])
    monkeypatch.setattr(sys, "path", list(sys.path))
    already = compat.installed()
    try:
        assert run_main([str(script), "--flag", "value"]) == 0
    finally:
        if not already:
            compat.uninstall()
    out = capsys.readouterr().out.split("\n")
    assert out[0] == (
        "__main__ ['--flag', 'value'] symgraph.compat.theano symgraph.compat.theano.tensor"
    )
    assert out[1] == "5.0"
    assert run_main([str(tmp_path / "missing.py")]) == 2


def _write_small_mnist(path):
    """A tiny ``mnist.pkl.gz`` in the Theano tutorials' format (float32 images)."""
    from symgraph.datasets import load_mnist

    (tx, ty), (vx, vy), (sx, sy) = load_mnist(dtype="float32")
    data = ((tx[:6000], ty[:6000]), (vx[:1200], vy[:1200]), (sx[:1200], sy[:1200]))
    with gzip.open(path, "wb", compresslevel=1) as handle:
        pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)


def test_theano_logistic_regression_script_runs_unmodified(tmp_path):
    dataset = tmp_path / "mnist.pkl.gz"
    _write_small_mnist(dataset)
    script = os.path.join(SCRIPTS, "logistic_sgd.py")
    env = dict(os.environ, THEANO_FLAGS="floatX=float32")
    env.pop("SYMGRAPH_FLAGS", None)
    result = subprocess.run(
        [sys.executable, "-m", "symgraph.compat.theano", script, str(dataset), "4", "300"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    errors = [float(e) for e in re.findall(r"validation error ([\d.]+) %", result.stdout)]
    assert len(errors) == 4
    assert errors[0] < 30.0 and errors[-1] < 20.0
    assert errors[-1] < errors[0]
    assert "Predicted values for the first 10 examples" in result.stdout
    assert (tmp_path / "best_model.pkl").exists()  # the pickled model the script reloaded
    predicted = re.search(r"\[([\d ]+)\]\s*$", result.stdout).group(1).split()
    assert len(predicted) == 10


@pytest.mark.parametrize(
    "script, epochs, batch, first_bound, last_bound",
    [
        ("mlp.py", 2, 20, 30.0, 20.0),
        ("convolutional_mlp.py", 2, 100, 40.0, 20.0),
    ],
)
def test_theano_tutorial_scripts_run_unmodified(
    tmp_path, script, epochs, batch, first_bound, last_bound
):
    """The MLP and LeNet tutorials in plain Theano style (old conv/downsample modules and
    keywords included) train on a slice of MNIST through ``python -m symgraph.compat.theano``."""
    dataset = tmp_path / "mnist.pkl.gz"
    _write_small_mnist(dataset)
    env = dict(os.environ, THEANO_FLAGS="floatX=float32")
    env.pop("SYMGRAPH_FLAGS", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "symgraph.compat.theano",
            os.path.join(SCRIPTS, script),
            str(dataset),
            str(epochs),
            str(batch),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    errors = [float(e) for e in re.findall(r"validation error ([\d.]+) %", result.stdout)]
    assert len(errors) == epochs
    assert errors[0] < first_bound and errors[-1] < last_bound


def test_theano_full_mode_convnet_script_runs_unmodified(tmp_path):
    """The rectifier convnet (old ``conv`` module with 'full' borders, ``max_pool_2d``
    without ``ignore_border``, MRG dropout, RMSprop) trains on 1,280 images."""
    dataset = tmp_path / "mnist.pkl.gz"
    _write_small_mnist(dataset)
    env = dict(os.environ, THEANO_FLAGS="floatX=float32")
    env.pop("SYMGRAPH_FLAGS", None)
    result = subprocess.run(
        [sys.executable, "-m", "symgraph.compat.theano",
         os.path.join(SCRIPTS, "convnet_full_mode.py"), str(dataset), "2", "1280"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ignore_border" in result.stderr  # Theano's warning about the default
    errors = [float(e) for e in re.findall(r"validation error ([\d.]+) %", result.stdout)]
    # Measured: 46.8 % then 32.3 % (chance is 90 %).
    assert len(errors) == 2 and errors[0] < 70.0 and errors[1] < 50.0


def test_theano_filters_script_matches_direct_convolution(tmp_path):
    """The tutorial's two-filter demo: every response is the sigmoid of a flipped-kernel
    (true) convolution plus bias, computed here by plain NumPy."""
    rng = np.random.default_rng(0)
    image = rng.random((20, 24, 3))
    np.save(tmp_path / "image.npy", image)
    result = subprocess.run(
        [sys.executable, "-m", "symgraph.compat.theano", os.path.join(SCRIPTS, "filters.py"),
         str(tmp_path / "image.npy"), str(tmp_path / "out.npz")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "filtered image shape (1, 2, 12, 16)" in result.stdout
    saved = np.load(tmp_path / "out.npz")
    W, b, out = saved["W"], saved["b"], saved["filtered"]
    channels_first = image.transpose(2, 0, 1)
    expected = np.empty((2, 12, 16))
    for k in range(2):
        for i in range(12):
            for j in range(16):
                patch = channels_first[:, i : i + 9, j : j + 9]
                expected[k, i, j] = (patch * W[k, :, ::-1, ::-1]).sum() + b[k]
    np.testing.assert_allclose(out[0], 1 / (1 + np.exp(-expected)), rtol=1e-10)


# --------------------------------------------------------------------------------------
# idioms found by porting the basic tutorial, the dA tutorial and DCGAN-style code


def test_basic_tutorial_idioms(theano):
    T = theano.tensor
    a, b = T.dmatrices("a", "b")  # Theano's typed plurals
    diff = a - b
    f = theano.function([a, b], [diff, abs(diff), diff**2])
    assert [r.tolist() for r in f([[1, 1]], [[0, 3]])] == [[[1, -2]], [[1, 2]], [[1, 4]]]
    state = theano.shared(0)
    inc = T.iscalar("inc")
    accumulator = theano.function([inc], state, updates=[(state, state + inc)])
    accumulator(10)
    new_state = theano.shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    new_accumulator(100)
    assert (state.get_value(), new_state.get_value()) == (10, 100)
    x = T.dscalar("x")
    f = theano.function([x], T.grad(x**2, x))
    assert f(4) == 8.0
    assert theano.pp(f.maker.fgraph.outputs[0]) == "(2.0 * x)"
    assert [str(n.op) for n in f.maker.fgraph.toposort()] == ["mul"]


def test_da_tutorial_idioms(theano):
    T = theano.tensor
    W = theano.shared(np.zeros((3, 2)), name="W", borrow=True)
    if not W:  # the dA tutorial tests its optional arguments for None this way
        raise AssertionError("a shared variable is truthy, as in Theano")
    x = T.dmatrix("x")
    with pytest.raises(TypeError, match="truth value"):
        bool(x < 1)
    x.tag.test_value = np.ones((2, 3))  # ignored unless compute_test_value is on
    assert x.tag.test_value.shape == (2, 3)


def test_more_tensor_and_gradient_names(theano):
    T = theano.tensor
    from theano.ifelse import ifelse
    from theano.tensor.extra_ops import to_one_hot

    a, b = T.dscalars("a", "b")
    f = theano.function([a, b], ifelse(T.lt(a, b), a * 2, b * 3))
    assert (f(1, 2), f(3, 2)) == (2.0, 6.0)
    with pytest.warns(TheanoDeprecationWarning, match="stack"):
        stacked = T.stack(a, b, a)
    assert theano.function([a, b], stacked)(1, 2).tolist() == [1, 2, 1]
    y = T.ivector("y")
    one_hot = theano.function([y], to_one_hot(y, 3))([2, 0])
    assert one_hot.tolist() == [[0, 0, 1], [1, 0, 0]]
    v = T.dvector("v")
    with pytest.warns(TheanoDeprecationWarning, match="pad"):
        probabilities = T.nnet.softmax(v)  # a one-row matrix, as in Theano
    assert probabilities.ndim == 2
    p = theano.function([v], probabilities[0])(np.array([0.0, np.log(3.0)]))
    np.testing.assert_allclose(p, [0.25, 0.75])
    cost = T.sum(theano.gradient.zero_grad(v) * v)
    np.testing.assert_allclose(theano.function([v], T.grad(cost, v))(np.array([2.0])), [2.0])
    jv = T.Rop(T.tanh(v), v, T.ones_like(v))
    np.testing.assert_allclose(theano.function([v], jv)(np.array([0.5])), 1 - np.tanh([0.5]) ** 2)
    with pytest.raises(theano.gradient.verify_grad.E_grad):
        theano.gradient.verify_grad(
            lambda u: T.floor(u * 10), [np.array([0.3])], rng=np.random.RandomState(0)
        )


def test_conv_net_modules(theano, tmp_path):
    T = theano.tensor
    from theano.misc.pkl_utils import dump, load
    from theano.tensor.nnet import abstract_conv, bn

    x = T.tensor4("x")
    w = theano.shared(np.random.RandomState(0).normal(size=(2, 3, 3, 3)), name="w")
    up = abstract_conv.conv2d_grad_wrt_inputs(x, w, (None, 3, 7, 7), subsample=(2, 2))
    assert abstract_conv.get_conv_output_shape((1, 3, 7, 7), (2, 3, 3, 3), "valid", (2, 2)) == (
        1,
        2,
        3,
        3,
    )
    xv = np.random.RandomState(1).normal(size=(1, 2, 3, 3))
    assert theano.function([x], up)(xv).shape == (1, 3, 7, 7)
    gamma, beta = T.dvector("g"), T.dvector("b")
    m, s = x.mean(axis=0, keepdims=True), x.std(axis=0, keepdims=True) + 1.0
    out = bn.batch_normalization(
        x, gamma.dimshuffle("x", 0, "x", "x"), beta.dimshuffle("x", 0, "x", "x"), m, s
    )
    gv, bv = np.array([2.0, 3.0]), np.array([0.5, -1.0])
    expected = (xv - xv.mean(0)) * (gv[None, :, None, None] / (xv.std(0) + 1)) + bv[
        None, :, None, None
    ]
    np.testing.assert_allclose(theano.function([x, gamma, beta], out)(xv, gv, bv), expected)
    path = tmp_path / "model.zip"
    with open(path, "wb") as f:
        dump([w], f)
    with open(path, "rb") as f:
        (loaded,) = load(f)
    np.testing.assert_array_equal(loaded.get_value(), w.get_value())
    bias = T.addbroadcast(theano.shared(np.ones((1, 2))), 0)
    assert bias.broadcastable == (True, False)


def test_theano_mode_keywords_and_unknown_optimizer_tags(theano):
    T = theano.tensor
    fast_compile = theano.Mode(linker="vm", optimizer=None)
    assert fast_compile.pass_names == symgraph.Mode("FAST_COMPILE").pass_names
    assert theano.Mode().pass_names == symgraph.Mode("FAST_RUN").pass_names
    with pytest.warns(UserWarning, match="'conv_dnn' has no symgraph pass"):
        mode = theano.compile.get_mode("FAST_RUN").excluding("conv_dnn", "fusion")
    assert "fusion" not in mode.pass_names and "inplace" in mode.pass_names
    x = T.dvector("x")
    assert theano.function([x], T.exp(x) * 2, mode=fast_compile)(np.zeros(2)).tolist() == [2, 2]
