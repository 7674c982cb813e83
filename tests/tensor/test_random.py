"""Random streams: reproducible seeds, advancing states, default updates, distributions."""

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph.graph.fgraph import FunctionGraph
from symgraph.rewrite.passes import constant_fold
from symgraph.tensor.ops.random import (
    RandomVariable,
    generator_from_state,
    state_from_seed,
)
from symgraph.tensor.random import RandomStreams
from symgraph.tensor.variable import TensorConstant


def draws(seed, calls=2, size=(5,)):
    srng = RandomStreams(seed)
    f = symgraph.function([], srng.uniform(size))
    return [f() for _ in range(calls)]


def test_same_seed_same_numbers_and_different_seeds_differ():
    a, b, c = draws(42), draws(42), draws(43)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_each_call_advances_the_stream():
    first, second = draws(0)
    assert not np.array_equal(first, second)
    assert np.all((first >= 0) & (first < 1))


def test_two_draws_from_one_stream_differ():
    srng = RandomStreams(7)
    u1, u2 = srng.uniform((4,)), srng.uniform((4,))
    a, b = symgraph.function([], [u1, u2])()
    assert not np.array_equal(a, b)
    assert len(srng.state_updates) == 2


def test_no_default_updates_keeps_the_state():
    srng = RandomStreams(3)
    u = srng.uniform((6,))
    frozen = symgraph.function([], u, no_default_updates=True)
    np.testing.assert_array_equal(frozen(), frozen())
    (state, _) = srng.state_updates[0]
    frozen_by_list = symgraph.function([], u, no_default_updates=[state])
    np.testing.assert_array_equal(frozen_by_list(), frozen_by_list())
    # explicit updates still advance a stream whose default update is switched off
    manual = symgraph.function([], u, updates=srng.updates(), no_default_updates=True)
    assert not np.array_equal(manual(), manual())


def test_seed_reseeds_existing_streams():
    srng = RandomStreams(5)
    f = symgraph.function([], [srng.uniform((3,)), srng.normal((3,))])
    first = f()
    f()
    srng.seed(5)
    again = f()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    srng.seed(6)
    assert not np.array_equal(f()[0], first[0])


def test_state_get_and_set_value_replay():
    srng = RandomStreams(11)
    f = symgraph.function([], srng.normal((4,)))
    (state, _) = srng.state_updates[0]
    saved = state.get_value()
    a = f()
    state.set_value(saved)
    np.testing.assert_array_equal(f(), a)
    # the state continues NumPy's PCG64 stream exactly
    expected = generator_from_state(saved).normal(0.0, 1.0, (4,))
    np.testing.assert_array_equal(a, expected)


def test_symbolic_size_follows_input_shape():
    srng = RandomStreams(1)
    x = T.matrix("x")
    f = symgraph.function([x], srng.uniform(x.shape))
    assert f(np.zeros((3, 4))).shape == (3, 4)
    assert f(np.zeros((2, 7))).shape == (2, 7)


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_size_of_another_length_than_ndim_is_an_error_and_keeps_the_state(mode):
    """A size vector known only at run time must still give the ``ndim`` the variable was
    built with: a sample of another rank would not be of the variable's type."""
    srng = RandomStreams(1)
    size = T.lvector("size")
    # permutation adds an axis: the size gives its leading ndim=1 axes
    draws = [srng.uniform(size, ndim=2), srng.permutation(size, n=3, ndim=1)]
    cases = [([2, 3], ([4], [2, 3, 4])), ([4], ([2, 3], [2, 3, 4]))]
    for i, (sample, (good, bad_sizes)) in enumerate(zip(draws, cases)):
        f = symgraph.function([size], sample, mode=mode)
        state = srng.state_updates[i][0]
        assert f(good).ndim == 2
        before = state.get_value()
        for bad in bad_sizes:
            with pytest.raises(ValueError, match="built 2-d"):
                f(bad)
        np.testing.assert_array_equal(state.get_value(), before)


def test_dropout_mask_rate_and_gradient():
    srng = RandomStreams(1234)
    x = T.matrix("x")
    mask = srng.binomial(size=x.shape, p=0.8, dtype=x.dtype)
    assert mask.dtype == x.dtype
    out = x * mask
    gx = symgraph.grad(out.sum(), x)  # the mask is not differentiable; x still is
    f = symgraph.function([x], [mask, gx])
    m, g = f(np.ones((200, 500)))
    assert set(np.unique(m)) <= {0.0, 1.0}
    assert abs(m.mean() - 0.8) < 0.01
    np.testing.assert_array_equal(g, m)  # d(sum(x * mask))/dx is the mask of the same call
    m2, _ = f(np.ones((200, 500)))
    assert not np.array_equal(m, m2)


def test_binomial_counts_mean():
    srng = RandomStreams(2)
    f = symgraph.function([], srng.binomial((20000,), n=10, p=0.3))
    counts = f()
    assert counts.dtype == np.int64
    assert counts.min() >= 0 and counts.max() <= 10
    assert abs(counts.mean() - 3.0) < 0.05


def test_normal_and_uniform_moments():
    srng = RandomStreams(99)
    n = srng.normal((100000,), avg=2.0, std=3.0)
    u = srng.uniform((100000,), low=-1.0, high=3.0)
    nv, uv = symgraph.function([], [n, u])()
    assert abs(nv.mean() - 2.0) < 0.05 and abs(nv.std() - 3.0) < 0.05
    assert abs(uv.mean() - 1.0) < 0.02 and abs(uv.var() - 16.0 / 12.0) < 0.02
    assert uv.min() >= -1.0 and uv.max() < 3.0


def test_parameters_may_be_symbolic_and_broadcast():
    srng = RandomStreams(4)
    avg = T.vector("avg")
    f = symgraph.function([avg], srng.normal(avg=avg, std=0.001))  # size from the params
    result = f(np.array([0.0, 10.0, -5.0]))
    np.testing.assert_allclose(result, [0.0, 10.0, -5.0], atol=0.01)


def test_dtypes_follow_floatx_and_arguments():
    with symgraph.config.change_flags(floatX="float32"):
        srng = RandomStreams(0)
        assert srng.uniform((2,)).dtype == "float32"
        assert srng.normal((2,)).dtype == "float32"
        assert srng.uniform((2,), low=T.dvector()).dtype == "float64"  # Theano's upcast
    srng = RandomStreams(0)
    assert srng.uniform((2,), dtype="float32").dtype == "float32"
    assert srng.binomial((2,)).dtype == "int64"


def test_integer_distributions():
    srng = RandomStreams(8)
    ints = srng.random_integers((2000,), low=3, high=5)
    half_open = srng.integers((2000,), low=0, high=2)
    picks = srng.choice((3, 2), a=10)
    weighted = srng.choice((1000,), a=3, p=[0.0, 0.0, 1.0])
    distinct = srng.choice((5,), a=5, replace=False)
    perms = srng.permutation((4,), n=6)
    counts = srng.multinomial(n=1, pvals=np.array([[0.2, 0.8], [1.0, 0.0]]))
    values = symgraph.function([], [ints, half_open, picks, weighted, distinct, perms, counts])()
    ints_v, half_v, picks_v, weighted_v, distinct_v, perms_v, counts_v = values
    assert set(np.unique(ints_v)) == {3, 4, 5}
    assert set(np.unique(half_v)) == {0, 1}
    assert picks_v.shape == (3, 2) and picks_v.min() >= 0 and picks_v.max() < 10
    assert np.all(weighted_v == 2)
    assert sorted(distinct_v) == [0, 1, 2, 3, 4]
    assert perms_v.shape == (4, 6)
    for row in perms_v:
        assert sorted(row) == list(range(6))
    assert counts_v.shape == (2, 2)
    np.testing.assert_array_equal(counts_v.sum(axis=1), [1, 1])
    np.testing.assert_array_equal(counts_v[1], [1, 0])
    assert perms.type.shape == (4, 6) and counts.type.shape == (2, 2)


def test_static_shapes_and_ndim():
    srng = RandomStreams(0)
    assert srng.uniform((3, 4)).type.shape == (3, 4)
    x = T.matrix("x")
    assert srng.uniform(x.shape).ndim == 2
    size = T.lvector("size")
    with pytest.raises(ValueError, match="ndim"):
        srng.uniform(size)
    u = srng.uniform(size, ndim=3)
    assert u.ndim == 3
    f = symgraph.function([size], u)
    assert f(np.array([2, 1, 3])).shape == (2, 1, 3)


def test_random_ops_are_not_constant_folded():
    op = RandomVariable("uniform", "float64", 1)
    state = TensorConstant(T.TensorType("uint64", (6,)), state_from_seed(0))
    _, sample = op(state, (3,), 0.0, 1.0)
    assert op.nondeterministic
    fgraph = FunctionGraph([], [sample])
    fired = constant_fold(fgraph)
    assert not fired
    assert fgraph.outputs[0].owner is not None and fgraph.outputs[0].owner.op == op


def test_random_op_has_no_gradient():
    srng = RandomStreams(0)
    p = T.scalar("p")
    mask = srng.binomial((3,), p=p, dtype="float64")
    with pytest.raises(symgraph.DisconnectedInputError):
        symgraph.grad(mask.sum(), p)


def test_generated_source_names_the_sampler():
    srng = RandomStreams(0)
    f = symgraph.function([], srng.normal((2,)))
    assert "random_normal(" in f.source
    assert "# s0: shared variable 'rng_state'" in f.source and "s0_storage[0] =" in f.source
