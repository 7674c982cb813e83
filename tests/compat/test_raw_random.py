"""Theano's ``shared_randomstreams.RandomStreams`` draws Theano's numbers: each variable's
own ``numpy.random.RandomState`` seeded by ``randint(2**30)`` of ``RandomState(seed)``,
called the way Theano called it. The references below are plain ``RandomState`` code."""

import importlib
import os
import pickle
import re
import sys

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph.compat.theano.configparser import config
from symgraph.compat.theano.tensor.raw_random import (
    RandomFunction,
    random_state_from_state,
    state_from_random_state,
)
from symgraph.compat.theano.tensor.shared_randomstreams import RandomStreams

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")


def stream_states(seed, count):
    """The RandomStates Theano gave the first ``count`` variables of RandomStreams(seed)."""
    seedgen = np.random.RandomState(seed)
    return [np.random.RandomState(seedgen.randint(2**30)) for _ in range(count)]


def import_script(name):
    """Import ``scripts/<name>.py`` with its sibling imports (``logistic_sgd``) taken from
    the scripts folder, whatever other module of that name is already loaded."""
    siblings = ("logistic_sgd", name)
    saved = {module: sys.modules.pop(module) for module in siblings if module in sys.modules}
    sys.path.insert(0, SCRIPTS)
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(SCRIPTS)
        for module in siblings:
            sys.modules.pop(module, None)
        sys.modules.update(saved)


@pytest.fixture(params=["float64", "float32"])
def floatx(request):
    with config.change_flags(floatX=request.param):
        yield request.param


def test_tutorial_numbers_recorded_from_theano():
    # Theano's "Using Random Numbers" tutorial (RandomStreams(seed=234)): the values a run of
    # real Theano printed, recorded (to 8 digits) in a public walkthrough of that tutorial.
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = symgraph.function([], rv_u)
    g = symgraph.function([], rv_n, no_default_updates=True)
    np.testing.assert_allclose(f(), [[0.12672381, 0.97091597], [0.13989098, 0.88754825]], atol=1e-8)
    np.testing.assert_allclose(f(), [[0.31971415, 0.47584377], [0.24129163, 0.42046081]], atol=1e-8)
    expected_normal = [[0.37328447, -0.65746672], [-0.36302373, -0.97484625]]
    np.testing.assert_allclose(g(), expected_normal, atol=1e-8)
    np.testing.assert_allclose(g(), expected_normal, atol=1e-8)  # no update: the same again


def test_each_distribution_calls_its_random_state_like_theano(floatx):
    srng = RandomStreams(1234)
    x = T.matrix("x")
    draws = [
        srng.uniform((2, 3), low=-1.5, high=0.1),
        srng.normal((4,), avg=1.0, std=0.3),
        srng.binomial(size=x.shape, n=1, p=0.7, dtype=floatx),
        srng.binomial((5,), n=6, p=0.25),
        srng.random_integers((2, 3), low=-2, high=[1, 5, 9]),
        srng.choice((3,), a=10, replace=False),
        srng.permutation((2,), n=5),
        srng.multinomial((3,), n=4, pvals=[0.2, 0.3, 0.5]),
        srng.poisson((4,), lam=3.0),
    ]
    f = symgraph.function([x], draws)
    states = stream_states(1234, len(draws))
    as_theano = np.float32 if floatx == "float32" else float  # Theano's Python-float typing
    for _ in range(2):  # and again: every call advances every stream
        got = f(np.ones((3, 4), dtype=floatx))
        rs = iter(states)
        expected = [
            next(rs).uniform(as_theano(-1.5), as_theano(0.1), (2, 3)).astype(floatx),
            next(rs).normal(1.0, as_theano(0.3), (4,)).astype(floatx),
            next(rs).binomial(1, as_theano(0.7), (3, 4)).astype(floatx),
            next(rs).binomial(6, 0.25, (5,)),
        ]
        integers_rs = next(rs)
        expected.append(
            np.array([[integers_rs.randint(-2, high + 1) for high in (1, 5, 9)] for _ in range(2)])
        )
        expected.append(next(rs).choice(10, (3,), False))
        perm_rs = next(rs)
        expected.append(np.array([perm_rs.permutation(5) for _ in range(2)]))
        multi_rs = next(rs)
        expected.append(np.array([multi_rs.multinomial(4, [0.2, 0.3, 0.5]) for _ in range(3)]))
        expected.append(next(rs).poisson(3.0, (4,)))
        for value, reference in zip(got, expected):
            assert value.dtype == reference.dtype or value.dtype.kind == reference.dtype.kind
            np.testing.assert_array_equal(value, reference)


def test_float32_probability_is_rounded_as_theano_typed_it():
    # With floatX=float32 Theano made the Python float 0.7 a float32 constant, so the
    # RandomState saw 0.699999988...: masks differ from p=0.7 exactly for some seeds.
    with config.change_flags(floatX="float32"):
        mask = RandomStreams(5).binomial((200, 50), p=0.7)
    drawn = symgraph.function([], mask)()
    (rs,) = stream_states(5, 1)
    np.testing.assert_array_equal(drawn, rs.binomial(1, np.float32(0.7), (200, 50)))


def test_multinomial_rows_summing_a_little_over_one_are_shrunk_as_theano_did():
    pvals = np.array([[0.5, 0.5000001], [0.2, 0.8]])  # the first sums to 1 + 1e-7
    draw = RandomStreams(3).multinomial(n=10, pvals=pvals)
    (rs,) = stream_states(3, 1)
    expected = [rs.multinomial(10, pvals[0] * (1.0 - 5e-5)), rs.multinomial(10, pvals[1])]
    np.testing.assert_array_equal(symgraph.function([], draw)(), expected)


def test_seed_reseeds_existing_streams_from_a_fresh_seed_generator():
    srng = RandomStreams(1)
    a, b = srng.uniform((3,)), srng.normal((2,))
    f = symgraph.function([], [a, b])
    f()
    srng.seed(99)
    rs_a, rs_b = stream_states(99, 2)
    got_a, got_b = f()
    np.testing.assert_array_equal(got_a, rs_a.uniform(0.0, 1.0, (3,)))
    np.testing.assert_array_equal(got_b, rs_b.normal(0.0, 1.0, (2,)))
    # a stream made after seed() still comes from the construction seed's sequence
    c = srng.uniform((2,))
    third = stream_states(1, 3)[2]
    np.testing.assert_array_equal(symgraph.function([], c)(), third.uniform(0.0, 1.0, (2,)))


def test_state_is_a_plain_vector_that_round_trips_a_random_state():
    rs = np.random.RandomState(7)
    rs.normal()  # leaves a cached Gaussian in the state
    words = state_from_random_state(rs)
    assert words.dtype == np.uint32 and words.shape == (628,)
    copy = random_state_from_state(words)
    assert copy.normal() == rs.normal() and copy.randint(1000) == rs.randint(1000)


def test_no_default_updates_and_pickled_function_continue_identically():
    srng = RandomStreams(11)
    x = T.matrix("x")
    dropped = x * srng.binomial(size=x.shape, p=0.5, dtype=x.dtype)
    f = symgraph.function([x], dropped)
    frozen = symgraph.function([x], dropped, no_default_updates=True)
    ones = np.ones((3, 4))
    np.testing.assert_array_equal(frozen(ones), frozen(ones))
    f(ones)
    f2 = pickle.loads(pickle.dumps(f))
    for _ in range(2):
        np.testing.assert_array_equal(f(ones), f2(ones))


def test_op_errors_name_the_state():
    with pytest.raises(TypeError, match="uint32 vector"):
        RandomFunction("uniform", "float64", 1)(T.vector("s"), (2,), 0.0, 1.0)
    with pytest.raises(ValueError, match="unknown distribution 'integers'"):
        RandomFunction("integers", "int64", 1)


def test_dA_corruption_mask_is_theanos(theano, floatx):
    """The dA script's ``theano_rng.binomial`` corruption mask equals the one Theano drew."""
    script = import_script("dA")
    x = theano.tensor.matrix("x")
    rng = np.random.RandomState(123)
    theano_rng = RandomStreams(rng.randint(2**30))
    da = script.dA(numpy_rng=rng, theano_rng=theano_rng, input=x, n_visible=30, n_hidden=7)
    corrupt = theano.function([x], da.get_corrupted_input(x, 0.3))
    # Theano's scheme written out: RandomState(123) seeds the streams' seed generator, whose
    # first randint(2**30) seeds the mask's RandomState; each call draws binomial(1, p, size)
    # with p = 1 - 0.3 typed as Theano typed a Python float.
    reference_rng = np.random.RandomState(123)
    (mask_rs,) = stream_states(reference_rng.randint(2**30), 1)
    p = np.float32(1 - 0.3) if floatx == "float32" else 1 - 0.3
    data = np.random.default_rng(0).random((20, 30)).astype(floatx)
    for _ in range(3):
        mask = mask_rs.binomial(1, p, (20, 30)).astype(floatx)
        np.testing.assert_array_equal(corrupt(data), mask * data)
    # the script's weights came from the same numpy_rng, after the streams' seed
    bound = 4 * np.sqrt(6.0 / (7 + 30))
    np.testing.assert_array_equal(
        da.W.get_value(), reference_rng.uniform(-bound, bound, (30, 7)).astype(floatx)
    )


def test_dA_script_trains_unmodified(tmp_path):
    """The dA script runs through ``python -m symgraph.compat.theano`` and its cost falls."""
    import gzip
    import subprocess

    from symgraph.datasets import load_mnist

    (tx, ty), (vx, vy), (sx, sy) = load_mnist(dtype="float32")
    dataset = tmp_path / "mnist.pkl.gz"
    with gzip.open(dataset, "wb", compresslevel=1) as handle:
        pickle.dump(((tx[:400], ty[:400]), (vx[:20], vy[:20]), (sx[:20], sy[:20])), handle)
    env = dict(os.environ, THEANO_FLAGS="floatX=float32")
    env.pop("SYMGRAPH_FLAGS", None)
    result = subprocess.run(
        [sys.executable, "-m", "symgraph.compat.theano", os.path.join(SCRIPTS, "dA.py"),
         str(dataset), "2", "20", "400"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    costs = [float(c) for c in re.findall(r"Training epoch \d+, cost ([\d.]+)", result.stdout)]
    assert len(costs) == 2 and costs[1] < costs[0]


def test_draws_used_inside_scan_advance_at_every_call(theano):
    from theano.sandbox.rng_mrg import MRG_RandomStreams

    T = theano.tensor

    def masked_rows(x, mask):
        rows, _ = theano.scan(lambda row: row * mask, sequences=x)
        return rows

    for streams in (RandomStreams(5), MRG_RandomStreams(5)):
        x = T.matrix("x")
        mask = streams.binomial(size=(4,), p=0.5, dtype="float64")
        f = theano.function([x], [masked_rows(x, mask), mask])
        calls = [f(np.ones((3, 4))) for _ in range(4)]
        for out, drawn in calls:
            np.testing.assert_array_equal(out, np.tile(drawn, (3, 1)))
        assert len({tuple(drawn) for _, drawn in calls}) > 1


def test_stream_state_is_a_shared_random_state(theano):
    """As in Theano: a sample carries its stream's state (``rng``, whose value is a
    ``numpy.random.RandomState``) and that state's update; ``streams[rng]`` reads and sets
    it, and ``theano.shared`` holds a ``RandomState``."""
    from theano.tensor.shared_randomstreams import RandomStreams

    streams = RandomStreams(234)
    sample = streams.uniform((2, 2))
    f = theano.function([], sample)
    assert isinstance(sample.rng.get_value(borrow=True), np.random.RandomState)
    assert sample.update[0] is sample.rng
    replay = np.random.RandomState()
    replay.set_state(streams[sample.rng].get_state())
    np.testing.assert_array_equal(f(), replay.uniform(size=(2, 2)))
    np.testing.assert_array_equal(f(), replay.uniform(size=(2, 2)))
    streams[sample.rng] = np.random.RandomState(5)
    np.testing.assert_array_equal(f(), np.random.RandomState(5).uniform(size=(2, 2)))
    # the update pair drives the stream by hand when default updates are off
    g = theano.function([], sample, updates=[sample.update], no_default_updates=True)
    assert not np.array_equal(g(), g())
    held = theano.shared(np.random.RandomState(3), name="rng")
    assert held.get_value().randn() == np.random.RandomState(3).randn()
    held.set_value(np.random.RandomState(4))
    assert held.get_value().randn() == np.random.RandomState(4).randn()


def test_shuffle_row_elements_shuffles_each_row_as_random_state_does(theano):
    from theano.tensor.shared_randomstreams import RandomStreams

    streams = RandomStreams(11)
    x = theano.tensor.dtensor3("x")
    shuffled = streams.shuffle_row_elements(x)
    f = theano.function([x], [shuffled, shuffled.permutation])
    value = np.arange(24.0).reshape(2, 3, 4)
    got, perm = f(value)
    replay = np.random.RandomState(int(np.random.RandomState(11).randint(2**30)))
    expected = value.copy()
    for row in expected.reshape(-1, 4):
        replay.shuffle(row)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.take_along_axis(value, perm, axis=-1), got)
    # the gradient goes back to each entry's place
    g = theano.function([x], theano.grad((shuffled * np.arange(4.0)).sum(), x))
    streams.seed(11)
    grad = g(value)
    np.testing.assert_array_equal(
        np.sort(grad, axis=-1), np.broadcast_to(np.arange(4.0), grad.shape)
    )


def test_choice_with_a_false_p_is_uniform(theano):
    from theano.tensor.shared_randomstreams import RandomStreams

    f = theano.function([], RandomStreams(4).choice((3, 2), 10, 1, 0))
    replay = np.random.RandomState(int(np.random.RandomState(4).randint(2**30)))
    np.testing.assert_array_equal(f(), replay.choice(10, (3, 2), True, None))
