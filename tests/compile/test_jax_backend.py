"""The JAX backend keeps the NumPy backend's semantics: inputs, outputs, defaults,
givens, updates (atomic), shared values kept on the device and seen by NumPy functions,
donated buffers, float64, errors naming the op, data parallelism over devices."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="the JAX backend's tests need the 'jax' extra")

from helpers import neighbours_reference  # noqa: E402

import symgraph  # noqa: E402
import symgraph.tensor as T  # noqa: E402
from symgraph.compile import In, Out  # noqa: E402
from symgraph.graph.basic import Apply, Op  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run_python(code: str, env_extra: dict | None = None) -> str:
    env = dict(os.environ, PYTHONPATH=ROOT, **(env_extra or {}))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_symgraph_does_not_import_jax():
    out = _run_python(
        """
        import sys, numpy as np, symgraph, symgraph.tensor as T
        x = T.vector('x')
        symgraph.function([x], x * 2)(np.ones(2))
        print('jax' in sys.modules)
        """
    )
    assert out.strip() == "False"


def test_mode_jax_skips_fusion_and_inplace_and_keeps_excluding():
    mode = symgraph.Mode("JAX")
    assert "fusion" not in mode.pass_names and "inplace" not in mode.pass_names
    assert "canonicalize" in mode.pass_names
    assert mode.excluding("merge").backend == "jax"
    with pytest.raises(ValueError, match="devices"):
        symgraph.Mode("FAST_RUN", devices=2)


def test_training_step_matches_numpy_backend_and_keeps_value_on_device():
    rng = np.random.default_rng(1)
    x, y = T.matrix("x"), T.vector("y")
    start = rng.standard_normal((3,))
    xv, yv = rng.standard_normal((5, 3)), rng.standard_normal(5)
    results = {}
    for mode in ("FAST_RUN", "JAX"):
        w = symgraph.shared(start.copy(), name="w")
        cost = ((T.dot(x, w) - y) ** 2).mean()
        step = symgraph.function(
            [x, y], cost, updates={w: w - 0.1 * symgraph.grad(cost, w)}, mode=mode
        )
        costs = [step(xv, yv) for _ in range(3)]
        results[mode] = (costs, w.get_value())
        if mode == "JAX":
            assert w.container.device is not None  # kept on the device between calls
    np.testing.assert_allclose(results["JAX"][0], results["FAST_RUN"][0], rtol=1e-12)
    np.testing.assert_allclose(results["JAX"][1], results["FAST_RUN"][1], rtol=1e-12)


def _reference_step(w, xv, yv):
    return w - 0.1 * 2 * xv.T @ (xv @ w - yv) / len(yv)


def test_numpy_and_jax_functions_sharing_a_variable_see_its_current_value():
    rng = np.random.default_rng(2)
    x, y = T.matrix("x"), T.vector("y")
    w = symgraph.shared(rng.standard_normal(3), name="w")
    cost = ((T.dot(x, w) - y) ** 2).mean()
    updates = {w: w - 0.1 * symgraph.grad(cost, w)}
    on_jax = symgraph.function([x, y], [], updates=updates, mode="JAX")
    on_numpy = symgraph.function([x, y], [], updates=updates)
    read_numpy = symgraph.function([], w * 1)
    read_jax = symgraph.function([], w * 1, mode="JAX")
    expected = w.get_value()
    xv, yv = rng.standard_normal((4, 3)), rng.standard_normal(4)
    for fn in (on_jax, on_numpy, on_jax, on_jax, on_numpy):
        fn(xv, yv)
        expected = _reference_step(expected, xv, yv)
        np.testing.assert_allclose(read_numpy(), expected, rtol=1e-12)
        np.testing.assert_allclose(read_jax(), expected, rtol=1e-12)
        got = w.get_value()
        assert type(got) is np.ndarray
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    w.set_value(np.zeros(3))
    on_jax(xv, yv)
    np.testing.assert_allclose(w.get_value(), _reference_step(np.zeros(3), xv, yv), rtol=1e-12)


def test_set_value_replaces_a_value_left_on_the_device():
    w = symgraph.shared(np.zeros(3), name="w")
    step = symgraph.function([], w * 1, updates={w: w + 1}, mode="JAX")
    read = symgraph.function([], w * 1)  # the NumPy backend
    step()
    w.set_value(np.full(3, 10.0))  # while the JAX function's new value is on the device
    np.testing.assert_array_equal(read(), np.full(3, 10.0))
    np.testing.assert_array_equal(step(), np.full(3, 10.0))
    np.testing.assert_array_equal(w.get_value(), np.full(3, 11.0))
    np.testing.assert_array_equal(read(), np.full(3, 11.0))


def test_updates_donate_the_old_buffer():
    w = symgraph.shared(np.ones(4), name="w")
    step = symgraph.function([], [], updates={w: w + 1}, mode="JAX")
    step()
    old = w.container.device
    step()
    assert old.is_deleted()  # XLA took the buffer for the new value
    np.testing.assert_array_equal(w.get_value(), np.full(4, 3.0))


def test_a_failing_call_changes_nothing_and_inputs_are_not_modified():
    x = T.vector("x")
    w = symgraph.shared(np.ones(3), name="w")
    v = symgraph.shared(np.zeros(3), name="v")
    step = symgraph.function([x], (w * x).sum(), updates={w: w * x, v: v + x}, mode="JAX")
    given = np.array([1.0, 2.0, 3.0])
    step(given)
    np.testing.assert_array_equal(given, [1.0, 2.0, 3.0])
    before = w.get_value(), v.get_value()
    with pytest.raises((TypeError, ValueError)):
        step(np.ones(4))
    np.testing.assert_array_equal(w.get_value(), before[0])
    np.testing.assert_array_equal(v.get_value(), before[1])


def test_defaults_names_givens_and_out():
    x, s = T.vector("x"), T.scalar("s")
    a = symgraph.shared(np.arange(3.0), name="a")
    f = symgraph.function(
        [x, In(s, value=2.0, name="scale")],
        [Out(x * s, borrow=True), a.sum()],
        givens={a: x * 2},
        mode="JAX",
        on_unused_input="ignore",
    )
    xv = np.array([1.0, 2.0, 3.0])
    out, total = f(xv)
    np.testing.assert_array_equal(out, xv * 2.0)
    assert total == 2 * xv.sum()
    np.testing.assert_array_equal(f(xv, scale=3.0)[0], xv * 3.0)
    f["scale"] = 4.0
    np.testing.assert_array_equal(f(xv)[0], xv * 4.0)
    with pytest.raises(TypeError, match="missing"):
        f()


def test_float64_and_float32_compute_in_their_own_dtype():
    assert not jax.config.jax_enable_x64  # the backend's setting is scoped
    for dtype in ("float64", "float32"):
        x = T.vector("x", dtype=dtype)
        f = symgraph.function([x], x + np.asarray(1e-10, dtype=dtype), mode="JAX")
        out = f(np.ones(2, dtype=dtype))
        assert out.dtype == dtype
        assert (out > 1).all() == (dtype == "float64")  # 1 + 1e-10 rounds to 1 in float32
    assert not jax.config.jax_enable_x64


def test_an_op_without_lowering_is_an_error_naming_it():
    class Halve(Op):
        def make_node(self, x):
            return Apply(self, [x], [x.type])

        def perform(self, node, inputs):
            return [inputs[0] / 2]

    x = T.vector("x")
    f = symgraph.function([x], Halve()(x), mode="JAX")
    with pytest.raises(NotImplementedError, match="no lowering for op Halve"):
        f(np.ones(2))


def test_random_streams_advance_their_state_on_the_device():
    from symgraph.tensor.random import RandomStreams

    streams = RandomStreams(5)
    u = streams.uniform((2000,), low=-1.0, high=3.0)
    f = symgraph.function([], u, mode="JAX")
    first, second = f(), f()
    assert not np.array_equal(first, second)
    for sample in (first, second):
        assert sample.min() >= -1.0 and sample.max() < 3.0
        assert abs(sample.mean() - 1.0) < 0.15  # uniform(-1, 3): mean 1, sd 1.15 / sqrt(2000)


def test_data_parallel_equals_one_device():
    out = _run_python(
        """
        import numpy as np, symgraph, symgraph.tensor as T
        rng = np.random.default_rng(0)
        xv, yv = rng.standard_normal((8, 3)), rng.standard_normal(8)
        results = []
        modes = [symgraph.Mode("JAX", devices=d) for d in (None, 4, "all")]
        for mode in modes:
            x, y = T.matrix("x"), T.vector("y")
            w = symgraph.shared(np.ones(3), name="w")
            cost = ((T.dot(x, w) - y) ** 2).mean()
            updates = {w: w - 0.1 * symgraph.grad(cost, w)}
            step = symgraph.function([x, y], cost, updates=updates, mode=mode)
            costs = [float(step(xv, yv)) for _ in range(3)]
            results.append((costs, w.get_value()))
            if mode.devices:
                assert len(w.container.device.sharding.device_set) == 4
        for costs, value in results[1:]:
            np.testing.assert_allclose(costs, results[0][0], rtol=1e-12)
            np.testing.assert_allclose(value, results[0][1], rtol=1e-12)
        try:
            step(xv[:7], yv[:7])
        except ValueError as error:
            print("refused:", "split evenly" in str(error))
        """,
        {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"},
    )
    assert out.strip() == "refused: True"


def test_slices_with_run_time_bounds_and_a_constant_length():
    data = symgraph.shared(np.arange(20.0).reshape(10, 2), name="data")
    i = T.lscalar("i")
    x = T.matrix("x")
    batch = slice(i * 3, (i + 1) * 3)
    f = symgraph.function([i], [x.sum(axis=1), x[1:, ::-1]], givens={x: data[batch]}, mode="JAX")
    values = data.get_value()
    for k in range(3):
        sums, rest = f(k)
        np.testing.assert_array_equal(sums, values[3 * k : 3 * k + 3].sum(axis=1))
        np.testing.assert_array_equal(rest, values[3 * k + 1 : 3 * k + 3, ::-1])
    n = T.lscalar("n")
    g = symgraph.function([i, n], data[i:n], mode="JAX")
    with pytest.raises(ValueError, match="while tracing"):
        g(1, 4)  # a length known only at run time: XLA's shapes are fixed


@pytest.mark.parametrize(
    "mode, shape, neib_shape, neib_step",
    [
        ("valid", (2, 3, 4, 6), (2, 3), None),
        ("ignore_borders", (2, 1, 5, 7), (2, 3), (1, 2)),
        ("half", (1, 2, 5, 5), (3, 3), (1, 1)),
        ("full", (1, 1, 4, 3), (2, 2), (1, 1)),
        ("wrap_centered", (1, 2, 5, 4), (3, 3), (2, 1)),
    ],
)
def test_neighbourhood_ops_in_every_mode(mode, shape, neib_shape, neib_step):
    value = np.random.default_rng(3).standard_normal(shape)
    step = neib_step or neib_shape
    x = T.tensor4("x")
    patches = T.images2neibs(x, neib_shape, neib_step, mode)
    images = T.neibs2images(patches * 2, neib_shape, x.shape, mode, neib_step)
    outputs = [patches, images, symgraph.grad((patches**2).sum() + images.sum(), x)]
    on_jax = symgraph.function([x], outputs, mode="JAX")(value)
    expected = neighbours_reference(value, neib_shape, step, mode)
    np.testing.assert_allclose(on_jax[0], expected, rtol=1e-12)
    on_numpy = symgraph.function([x], outputs)(value)
    for jax_value, numpy_value in zip(on_jax[1:], on_numpy[1:]):
        np.testing.assert_allclose(jax_value, numpy_value, rtol=1e-12)


def test_neibs2images_needs_its_shape_while_tracing():
    x, size = T.tensor4("x"), T.lvector("size")
    rebuilt = T.neibs2images(T.images2neibs(x, (2, 2)), (2, 2), size)
    f = symgraph.function([x, size], rebuilt, mode="JAX")
    with pytest.raises(ValueError, match="Neibs2Images.*while tracing"):
        f(np.zeros((1, 1, 2, 2)), [1, 1, 2, 2])


def test_repeat_with_constant_counts_and_its_gradient():
    x = T.matrix("x")
    value = np.arange(6.0).reshape(2, 3)
    for axis, counts in [(0, [2, 0]), (1, [1, 3, 0])]:
        repeated = T.repeat(x, T.constant(np.array(counts)), axis=axis)
        gradient = symgraph.grad((repeated * repeated).sum(), x)
        out, g = symgraph.function([x], [repeated, gradient], mode="JAX")(value)
        np.testing.assert_array_equal(out, np.repeat(value, counts, axis=axis))
        weights = np.expand_dims(np.array(counts), 1 - axis)  # each entry's copies
        np.testing.assert_array_equal(g, 2 * value * weights)
    counts = T.lvector("counts")
    f = symgraph.function([x, counts], T.repeat(x, counts, axis=0), mode="JAX")
    with pytest.raises(ValueError, match="Repeat.*while tracing"):
        f(value, [1, 2])


@pytest.mark.parametrize("mode", ["max", "sum", "average_inc_pad", "average_exc_pad"])
@pytest.mark.parametrize(
    "shape, ws, stride, ignore_border",
    [
        ((2, 3, 4, 6), (2, 2), None, True),  # windows tiling the input exactly
        ((1, 2, 6, 6), (3, 2), None, False),  # the same, ignore_border=False
        ((1, 1, 5, 5), (2, 2), None, True),  # a row and a column no window covers
        ((1, 1, 4, 4), (2, 2), (1, 1), True),  # overlapping windows
    ],
)
def test_pool_gradients_agree_with_the_numpy_backend(mode, shape, ws, stride, ignore_border):
    rng = np.random.default_rng(5)
    x = T.tensor4("x")
    pooled = T.pool_2d(x, ws, ignore_border=ignore_border, stride=stride, mode=mode)
    outputs = [pooled, symgraph.grad((pooled**2).sum(), x)]
    # rounded values: ties inside a window, where every maximal cell gets the gradient
    for value in (rng.standard_normal(shape), np.round(rng.standard_normal(shape))):
        on_jax = symgraph.function([x], outputs, mode="JAX")(value)
        on_numpy = symgraph.function([x], outputs)(value)
        for jax_value, numpy_value in zip(on_jax, on_numpy):
            np.testing.assert_allclose(jax_value, numpy_value, rtol=1e-12, atol=1e-12)
