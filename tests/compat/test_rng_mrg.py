"""``MRG_RandomStreams`` draws Theano's MRG31k3p numbers: checked against the generator
written plainly from the published recurrences, L'Ecuyer's jump matrices and the samples of
L'Ecuyer's Java implementation that Theano's own tests compared with."""

import pickle

import numpy as np
import pytest
from helpers import mrg_reference

import symgraph
import symgraph.tensor as T
from symgraph.compat.theano.configparser import config
from symgraph.compat.theano.sandbox import rng_mrg
from symgraph.compat.theano.sandbox.rng_mrg import MRG_RandomStreams

# The jump matrices A^(2^72) and A^(2^134) of the two components, as published with
# MRG31k3p's streams (L'Ecuyer et al.; the constants in Theano's rng_mrg.py).
PUBLISHED_JUMPS = {
    "A1P72": ((1516919229, 758510237, 499121365), (1884998244, 1516919229, 335398200),
              (601897748, 1884998244, 358115744)),
    "A2P72": ((1228857673, 1496414766, 954677935), (1133297478, 1407477216, 1496414766),
              (2002613992, 1639496704, 1407477216)),
    "A1P134": ((1702500920, 1849582496, 1656874625), (828554832, 1702500920, 1512419905),
               (1143731069, 828554832, 102237247)),
    "A2P134": ((796789021, 1464208080, 607337906), (1241679051, 1431130166, 1464208080),
               (1401213391, 1178684362, 1431130166)),
}  # fmt: skip

# Theano's test_consistency_randomstreams: MRG_RandomStreams(12345), 12 times
# uniform((7,), nstreams=7) called 5 times; theano/sandbox/samples_MRG31k3p_12_7_5.txt holds
# the numbers of L'Ecuyer's Java code, substream by substream. The first stream's first two
# substreams and the last stream's last substream:
JAVA_FIRST = [
    [0.7353244530968368, 0.6142074400559068, 0.11007806099951267, 0.6487741703167558,
     0.36619443260133266],
    [0.2585685825906694, 0.9489980279468, 0.4309556516818702, 0.12257590936496854,
     0.9760319022461772],
]  # fmt: skip
JAVA_LAST = [0.8762755445204675, 0.8020628895610571, 0.1663151141256094, 0.31246642768383026,
             0.18852565623819828]  # fmt: skip


def reference_substreams(state, count):
    """Row i: ``state`` jumped i * 2^72 steps, by the published matrices on Python ints."""
    m = (2**31 - 1, 2**31 - 21069)
    jumps = (PUBLISHED_JUMPS["A1P72"], PUBLISHED_JUMPS["A2P72"])
    rows = [[int(v) for v in state]]
    for _ in range(count - 1):
        last, row = rows[-1], []
        for half in range(2):
            x = last[3 * half : 3 * half + 3]
            row += [sum(a * v for a, v in zip(line, x)) % m[half] for line in jumps[half]]
        rows.append(row)
    return np.array(rows, dtype=np.int32)


def test_jump_matrices_are_the_published_ones():
    for name, matrix in PUBLISHED_JUMPS.items():
        assert getattr(rng_mrg, name) == matrix, name


def test_streams_match_lecuyers_java_samples():
    rng = MRG_RandomStreams(seed=12345)
    streams = []
    for _ in range(12):
        f = symgraph.function([], rng.uniform(size=(7,), nstreams=7, dtype="float64"))
        streams.append(np.array([f() for _ in range(5)]).T)  # substream by substream
    np.testing.assert_array_equal(streams[0][:2], JAVA_FIRST)
    np.testing.assert_array_equal(streams[-1][-1], JAVA_LAST)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "size, nstreams", [((2, 3), None), ((50,), None), ((13, 7), 4), ((5,), 60 * 256)]
)
def test_uniform_is_the_published_generator(dtype, size, nstreams):
    seed = 4321
    draw = MRG_RandomStreams(seed).uniform(size, dtype=dtype, nstreams=nstreams)
    f = symgraph.function([], draw)
    count = int(np.prod(size))
    expected_streams = nstreams or min(count // 6 if count > 6 else count, 60 * 256)
    rows = reference_substreams([seed] * 6, expected_streams)
    for _ in range(3):
        rows, expected = mrg_reference(rows, count, dtype)
        np.testing.assert_array_equal(f(), expected.reshape(size))


def test_symbolic_size_uses_theanos_default_of_15360_streams():
    x = T.matrix("x")
    u = MRG_RandomStreams(7).uniform(x.shape, dtype="float64")
    got = symgraph.function([x], u)(np.zeros((3, 4)))
    _, expected = mrg_reference(reference_substreams([7] * 6, 60 * 256), 12, "float64")
    np.testing.assert_array_equal(got, expected.reshape(3, 4))
    assert rng_mrg.guess_n_streams((np.int64(100),)) == 60 * 256  # only Python ints count
    assert rng_mrg.guess_n_streams((100, 3)) == 50 and rng_mrg.guess_n_streams((5,)) == 5


def test_each_uniform_starts_a_new_stream_2_to_the_134_steps_on():
    rng = MRG_RandomStreams(99)
    first, second = rng.uniform((3,), nstreams=1), rng.uniform((3,), nstreams=1)
    a, b = symgraph.function([], [first, second])()
    start = np.full(6, 99, dtype=np.int32)
    jumped = rng_mrg.jump(start, PUBLISHED_JUMPS["A1P134"], PUBLISHED_JUMPS["A2P134"])
    np.testing.assert_array_equal(a, mrg_reference(start[None], 3, config.floatX)[1])
    np.testing.assert_array_equal(b, mrg_reference(jumped[None], 3, config.floatX)[1])


def test_float32_never_reaches_one():
    # the largest output, m1, times Theano's float32 constant stays below 1
    assert np.float32(2**31 - 1) * rng_mrg._NORM["float32"] < 1
    assert np.float64(2**31 - 1) * rng_mrg._NORM["float64"] < 1


@pytest.mark.parametrize("floatx", ["float64", "float32"])
def test_binomial_uniform_with_bounds_and_normal_follow_theanos_formulas(floatx):
    with config.change_flags(floatX=floatx):
        rng = MRG_RandomStreams(5)
        mask = rng.binomial((4, 6), p=0.7, dtype="int8", nstreams=3)
        scaled = rng.uniform((5,), low=-2.0, high=3.5, nstreams=2)
        normal = rng.normal((3, 3), avg=1.5, std=2.0, nstreams=4)
    f = symgraph.function([], [mask, scaled, normal])
    rows = [reference_substreams(rng_mrg.jump(np.full(6, 5, np.int32), *_jumps(i)), n)
            for i, n in enumerate((3, 2, 4))]  # fmt: skip
    got_mask, got_scaled, got_normal = f()
    u = mrg_reference(rows[0], 24, floatx)[1]
    np.testing.assert_array_equal(got_mask, (u < np.dtype(floatx).type(0.7)).reshape(4, 6))
    u = mrg_reference(rows[1], 5, floatx)[1]
    low, high = np.dtype(floatx).type(-2.0), np.dtype(floatx).type(3.5)
    np.testing.assert_array_equal(got_scaled, u * (high - low) + low)
    # Box-Muller on 10 uniforms (9 rounded up to even): radii from the first half, angles
    # from the second, cosines then sines, the last dropped
    u = mrg_reference(rows[2], 10, floatx)[1]
    two = np.dtype(floatx).type
    radius = np.sqrt(two(-2.0) * np.log(u[:5]))
    theta = np.array(2 * np.pi, dtype=floatx) * u[5:]
    z = np.concatenate([radius * np.cos(theta), radius * np.sin(theta)])[:9]
    expected = z.reshape(3, 3) * two(2.0) + two(1.5)
    np.testing.assert_allclose(got_normal, expected, rtol=2e-6 if floatx == "float32" else 1e-15)


def _jumps(times):
    """The matrices jumping ``times`` streams (2^134 steps each)."""
    one = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
    a1, a2 = one, one
    for _ in range(times):
        a1 = rng_mrg._matmul_mod(a1, PUBLISHED_JUMPS["A1P134"], 2**31 - 1)
        a2 = rng_mrg._matmul_mod(a2, PUBLISHED_JUMPS["A2P134"], 2**31 - 21069)
    return a1, a2


def test_seed_refills_every_stream_and_pickled_functions_continue():
    rng = MRG_RandomStreams(3)
    x = T.matrix("x")
    f = symgraph.function([x], x * rng.binomial(x.shape, p=0.5, dtype="float64"))
    ones = np.ones((4, 5))
    first = f(ones)
    assert not np.array_equal(first, f(ones))  # the default update moves the streams on
    rng.seed()
    np.testing.assert_array_equal(f(ones), first)
    f2 = pickle.loads(pickle.dumps(f))
    for _ in range(2):
        np.testing.assert_array_equal(f(ones), f2(ones))


def test_bad_seeds_and_sizes_are_refused():
    with pytest.raises(ValueError, match="must not be 0"):
        MRG_RandomStreams(0)
    with pytest.raises(ValueError, match="each half"):
        MRG_RandomStreams([0, 0, 0, 1, 2, 3])
    with pytest.raises(ValueError, match="positive"):
        MRG_RandomStreams(1).uniform((3, 0))
    with pytest.raises(NotImplementedError, match="n > 1"):
        MRG_RandomStreams(1).binomial((3,), n=2, p=0.5)
    with pytest.raises(TypeError, match="int32 matrix"):
        rng_mrg.MRGUniform("float64", 1)(T.matrix("s"), (3,))


def multinomial_reference(pvals, unis, n):
    """Theano's MultinomialFromUniform C loop, written out."""
    rows, outcomes = pvals.shape
    out = np.zeros((rows, outcomes), dtype=np.int64)
    for c in range(n):
        for r in range(rows):
            running = 0.0
            for m in range(outcomes):
                running += float(pvals[r, m])
                if running > float(unis[c * rows + r]):
                    out[r, m] += 1
                    break
    return out


def choice_reference(pvals, unis, n):
    """Theano's ChoiceFromUniform C loop (without replacement), written out."""
    pvals = pvals.copy()
    real = pvals.dtype.type
    rows, outcomes = pvals.shape
    out = np.full((rows, n), -1, dtype=np.int64)
    for c in range(n):
        for r in range(rows):
            running = 0.0
            for m in range(outcomes):
                running += float(pvals[r, m])
                if running > float(unis[c * rows + r]):
                    out[r, c] = m
                    if c < n - 1:
                        total = real(running - float(pvals[r, m]))
                        pvals[r, m] = 0
                        for k in range(m, outcomes):
                            total = real(total + pvals[r, k])
                        for k in range(outcomes):
                            pvals[r, k] = real(pvals[r, k] / total)
                    break
    return out


@pytest.mark.parametrize("floatx", ["float64", "float32"])
def test_multinomial_and_choice_pick_categories_as_theano_did(floatx):
    pvals = np.random.default_rng(0).dirichlet(np.ones(6), size=5).astype(floatx)
    with config.change_flags(floatX=floatx):
        rng = MRG_RandomStreams(8)
        counts = rng.multinomial(pvals=pvals, n=3)
        picks = rng.choice(size=4, p=pvals, replace=False)
    f = symgraph.function([], [counts, picks])
    streams = [reference_substreams(rng_mrg.jump(np.full(6, 8, np.int32), *_jumps(i)), 60 * 256)
               for i in range(2)]  # fmt: skip
    for _ in range(2):
        got_counts, got_picks = f()
        streams[0], unis = mrg_reference(streams[0], 15, floatx)
        np.testing.assert_array_equal(got_counts, multinomial_reference(pvals, unis, 3))
        streams[1], unis = mrg_reference(streams[1], 20, floatx)
        np.testing.assert_array_equal(got_picks, choice_reference(pvals, unis, 4))
        assert all(len(set(row)) == 4 for row in got_picks)
    with pytest.raises(NotImplementedError, match="without replacement"):
        rng.choice(size=2, p=pvals)
    with pytest.raises(ValueError, match="no size"):
        rng.multinomial(size=(2,), pvals=pvals)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_truncated_normal_redraws_radii_as_theano_did(dtype):
    rng = MRG_RandomStreams(21)
    draw = rng.normal((61,), avg=0.5, std=3.0, dtype=dtype, nstreams=5, truncate=True)
    f = symgraph.function([], draw)
    real = np.dtype(dtype).type
    rows = [reference_substreams(rng_mrg.jump(np.full(6, 21, np.int32), *_jumps(i)), 5)
            for i in range(2)]  # fmt: skip
    redrawn = 0
    for _ in range(3):
        # Theano's graph written with NumPy's boolean indexing: 62 uniforms, Box-Muller, the
        # values outside [-2, 2] given radii from uniforms on [e^-2, 1), z0's kept values,
        # z0's redrawn, z1's kept, z1's redrawn, the last dropped
        rows[0], u = mrg_reference(rows[0], 62, dtype)
        radius = np.sqrt(real(-2.0) * np.log(u[:31]))
        theta = np.array(2 * np.pi, dtype=dtype) * u[31:]
        z0, z1 = radius * np.cos(theta), radius * np.sin(theta)
        out0, out1 = np.abs(z0) > 2, np.abs(z1) > 2
        n0 = int(out0.sum())
        rows[1], u_fix = mrg_reference(rows[1], n0 + int(out1.sum()), dtype)
        lower = np.array(1.0 / np.e**2, dtype=dtype)
        r_fix = np.sqrt(real(-2.0) * np.log(u_fix * (real(1.0) - lower) + lower))
        normals = np.concatenate(
            [
                z0[~out0],
                r_fix[:n0] * np.cos(theta)[out0],
                z1[~out1],
                r_fix[n0:] * np.sin(theta)[out1],
            ]
        )
        expected = normals[:61] * real(3.0) + real(0.5)
        got = f()
        np.testing.assert_allclose(got, expected, rtol=2e-6 if dtype == "float32" else 1e-15)
        assert np.all(np.abs(got - 0.5) <= 6.0 * (1 + 1e-6))
        redrawn += out0.sum() + out1.sum()
    assert redrawn > 0  # the seed was chosen so that some values were redrawn


def test_size_of_another_length_than_ndim_is_an_error():
    """A size vector known only at run time must give the ``ndim`` the variable was built
    with (a sample of another rank would not be of the variable's type)."""
    size = T.lvector("size")
    f = symgraph.function([size], MRG_RandomStreams(5).uniform(size=size, ndim=2))
    assert f([2, 3]).shape == (2, 3)
    for bad in ([4], [2, 3, 4]):
        with pytest.raises(ValueError, match="built 2-d"):
            f(bad)
