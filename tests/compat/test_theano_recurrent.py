"""Recurrent Theano tutorials, written in the deeplearning.net tutorials' shape, run
unmodified through ``python -m symgraph.compat.theano`` on small synthetic datasets
written here in the originals' pickle layouts."""

import gzip
import os
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")


def run_script(tmp_path, script, *args, timeout=300, env=None):
    """Run ``scripts/<script>`` through the compat runner in ``tmp_path`` (with ``env``
    added to the environment); its stdout."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("THEANO_FLAGS", "SYMGRAPH_FLAGS")},
        **(env or {}),
    }
    result = subprocess.run(
        [sys.executable, "-m", "symgraph.compat.theano", os.path.join(SCRIPTS, script),
         *map(str, args)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def numbers_after(label, text):
    """Every number printed right after ``label``."""
    return [float(v) for v in re.findall(re.escape(label) + r"\s*([-+\d.e]+)", text)]


# --------------------------------------------------------------------------------------
# lstm.py: IMDB sentiment


def _write_reviews(path, n_train, n_test, n_words, rng):
    """Reviews as lists of word ids whose label shows only in a quarter of their words:
    ids 2-5 in positive reviews, 6-9 in negative ones, the rest drawn from 10 up. Written
    as the LSTM tutorial's imdb.pkl: the training pickle, then the test pickle."""

    def review(label):
        length = int(rng.integers(5, 30))
        words = rng.integers(10, n_words, size=length)
        marked = rng.choice(length, size=max(1, length // 4), replace=False)
        words[marked] = rng.integers(2, 6, size=len(marked)) + (0 if label else 4)
        return [int(w) for w in words]

    def split(n):
        labels = [int(v) for v in rng.integers(0, 2, size=n)]
        return [review(label) for label in labels], labels

    with open(path, "wb") as handle:
        pickle.dump(split(n_train), handle, protocol=2)
        pickle.dump(split(n_test), handle, protocol=2)


def test_lstm_sentiment_script_learns(tmp_path):
    """The LSTM tutorial trains in float32 (adadelta, MRG dropout, masked scan, mean
    pooling): the epoch's mean cost falls from chance (log 2) and the test error ends
    far below the 50 % of chance."""
    _write_reviews(tmp_path / "imdb.pkl", 400, 100, 50, np.random.default_rng(0))
    out = run_script(tmp_path, "lstm.py", "imdb.pkl", 8, 16, 50, 8,
                     env={"THEANO_FLAGS": "floatX=float32"})  # fmt: skip
    costs = numbers_after("mean cost", out)
    assert len(costs) == 8
    assert abs(costs[0] - np.log(2)) < 0.05  # measured 0.691
    assert costs[-1] < 0.25 * costs[0]  # measured 0.039
    final = out.rsplit("Train ", 1)[1]
    train_err, valid_err, test_err = (
        numbers_after("Train ", "Train " + final)
        + numbers_after("Valid ", final)
        + numbers_after("Test ", final)
    )
    assert train_err < 0.1 and test_err < 0.15  # fractions; measured 0.003 and 0-0.01
    assert numbers_after("Compiled the model's functions in", out)  # the timing is printed
    saved = np.load(tmp_path / "lstm_model.npz")
    assert saved["Wemb"].shape == (50, 16) and saved["lstm_W"].shape == (16, 64)
    assert saved["Wemb"].dtype == np.float32
    assert float(saved["test_err"]) == pytest.approx(test_err, rel=1e-6)


# --------------------------------------------------------------------------------------
# rnnslu.py: ATIS slot filling

CITIES = ["boston", "denver", "new york", "san francisco", "dallas", "salt lake city"]
DAYS = ["monday", "tuesday", "friday", "sunday"]
OPENINGS = [["i", "want", "a", "flight"], ["show", "me", "flights"], ["list", "fares"]]


def _write_atis(path, sizes, rng):
    """Flight requests ("show me flights from new york to denver on monday") labelled in
    IOB slots, in the layout of the tutorial's atis.foldN.pkl.gz: (train, valid, test,
    dicts), each set a triple (word ids, named-entity ids, label ids) of lists of int32
    arrays, one per sentence; dicts['words2idx'] and dicts['labels2idx'] map names to ids.
    Telling departure from arrival cities takes the words around them."""
    words, labels = {}, {"O": 0}

    def slot(text, name):
        return [(word, ("B-" if i == 0 else "I-") + name) for i, word in enumerate(text.split())]

    def sentence():
        a, b = rng.choice(len(CITIES), 2, replace=False)
        legs = [
            [("from", "O"), *slot(CITIES[a], "fromloc.city_name")],
            [("to", "O"), *slot(CITIES[b], "toloc.city_name")],
        ]
        if rng.random() < 0.3:
            legs.reverse()
        tagged = [(word, "O") for word in OPENINGS[rng.integers(len(OPENINGS))]]
        tagged += legs[0] + legs[1]
        if rng.random() < 0.5:
            tagged += [("on", "O"), *slot(DAYS[rng.integers(len(DAYS))], "depart_date.day_name")]
        lex = [words.setdefault(word, len(words)) for word, _ in tagged]
        y = [labels.setdefault(label, len(labels)) for _, label in tagged]
        return np.array(lex, "int32"), np.zeros(len(lex), "int32"), np.array(y, "int32")

    sets = []
    for n in sizes:
        sentences = [sentence() for _ in range(n)]
        sets.append(tuple([s[k] for s in sentences] for k in range(3)))
    dicts = {"words2idx": words, "labels2idx": labels, "tables2idx": {}}
    with gzip.open(path, "wb") as handle:
        pickle.dump((*sets, dicts), handle, protocol=2)


def _chunk_f1(lines):
    """Chunk-level F1 (percent) of CoNLL lines "word gold predicted", written here from
    the IOB definition: a chunk is a maximal run of one type that begins with B- or after
    a label of another type; two chunks match when type, start and end agree."""

    def spans(tags):
        result, start = set(), None
        for i, tag in enumerate([*tags, "O"]):
            kind = tag.partition("-")[2]
            if start is not None and (tag[0] != "I" or kind != tags[start].partition("-")[2]):
                result.add((tags[start].partition("-")[2], start, i))
                start = None
            if tag != "O" and start is None:
                start = i
        return result

    gold, predicted, correct = 0, 0, 0
    sentence = []
    for line in [*lines, ""]:
        if line.strip():
            sentence.append(line.split())
            continue
        true, guess = spans([r[1] for r in sentence]), spans([r[2] for r in sentence])
        gold, predicted = gold + len(true), predicted + len(guess)
        correct += len(true & guess)
        sentence = []
    precision, recall = correct / predicted, correct / gold
    return 200 * precision * recall / (precision + recall)


def test_rnnslu_script_fills_slots(tmp_path):
    """The Elman RNN tutorial (word windows, embeddings indexed by a matrix, scan with an
    output that is not fed back, per-sentence SGD, embedding normalization, a deep copy
    of the best model) learns the slots: the sentence NLL falls and the best test F1,
    checked against the predictions the script wrote, is high."""
    _write_atis(tmp_path / "atis.fold3.pkl.gz", (150, 40, 40), np.random.default_rng(1))
    env_dir = {"ATISDATA": str(tmp_path)}
    out = run_script(tmp_path, "rnnslu.py", 3, 12, 20, 10, 5, env=env_dir)
    nlls = numbers_after("mean sentence nll", out)
    assert len(nlls) == 12 and nlls[-1] < 0.3 * nlls[0]  # measured 1.2 -> 0.1
    best = out.split("BEST RESULT:")[1]
    test_f1 = numbers_after("best test F1", best)[0]
    written = (tmp_path / "rnnslu" / "best.test.txt").read_text().splitlines()
    assert abs(_chunk_f1(written) - test_f1) < 1e-9
    assert test_f1 > 80.0  # measured 98.4 (a majority-label guess scores 0)
    assert (tmp_path / "rnnslu" / "embeddings.npy").exists()
    norms = np.linalg.norm(np.load(tmp_path / "rnnslu" / "embeddings.npy"), axis=1)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-6)  # normalized after every sentence


# --------------------------------------------------------------------------------------
# hmc.py and its test_hmc.py: Hamiltonian Monte Carlo


def test_hmc_script_samples_the_target_gaussian(tmp_path):
    """The HMC tutorial's own check, run unmodified in float32 (the acceptance rate's
    dtype goes through ``theano.scalar.upcast``): 3 chains, 300 burn-in and 1,000 kept
    draws of a correlated 5-d Gaussian. The empirical moments match the target's and the
    adapted step size keeps the acceptance rate near its 0.9 target."""
    out = run_script(tmp_path, "test_hmc.py", 300, 1000, 5, "hmc.npz",
                     env={"THEANO_FLAGS": "floatX=float32"})  # fmt: skip
    assert "final acceptance_rate" in out
    saved = np.load(tmp_path / "hmc.npz")
    samples = saved["samples"]
    assert samples.shape == (1000, 3, 5) and samples.dtype == np.float32
    assert len({tuple(row) for row in samples.reshape(-1, 5)}) > 2000  # the chains move
    draws = samples.reshape(-1, 5).astype(np.float64)
    mu, cov = saved["mu"], saved["cov"]
    assert np.all(np.linalg.eigvalsh(cov) > 0.1)
    # Measured: mean within 0.021, covariance within 0.052 (unit variances).
    np.testing.assert_allclose(draws.mean(axis=0), mu, atol=0.12)
    np.testing.assert_allclose(np.cov(draws.T), cov, atol=0.15)
    assert abs(float(saved["acceptance_rate"]) - 0.9) < 0.1  # measured 0.927
    assert 0.001 <= float(saved["stepsize"]) <= 0.5


def test_hmc_leapfrog_matches_a_numpy_leapfrog(theano, monkeypatch):
    """``simulate_dynamics`` (a scan of leapfrog steps whose step takes a gradient)
    against the same integrator written with NumPy for a quadratic energy, and the
    Hamiltonian it nearly conserves."""
    monkeypatch.syspath_prepend(SCRIPTS)
    monkeypatch.delitem(sys.modules, "hmc", raising=False)
    import hmc

    T = theano.tensor
    rng = np.random.default_rng(3)
    a = rng.normal(size=(4, 4))
    precision = a @ a.T + 4 * np.eye(4)
    pos0, vel0 = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))

    def energy(x):
        return 0.5 * (T.dot(x, precision) * x).sum(axis=1)

    pos, vel, step = T.dmatrix("pos"), T.dmatrix("vel"), T.dscalar("step")
    final = hmc.simulate_dynamics(pos, vel, step, 12, energy)
    h0 = hmc.hamiltonian(pos, vel, energy)
    f = theano.function([pos, vel, step], [*final, h0, hmc.hamiltonian(*final, energy)])
    got_pos, got_vel, before, after = f(pos0, vel0, 0.05)

    x, v = pos0.copy(), vel0.copy()
    for _ in range(12):
        v = v - 0.025 * x @ precision
        x = x + 0.05 * v
        v = v - 0.025 * x @ precision
    np.testing.assert_allclose(got_pos, x, rtol=1e-10)
    np.testing.assert_allclose(got_vel, v, rtol=1e-10)
    np.testing.assert_allclose(after, before, rtol=0.05)


# --------------------------------------------------------------------------------------
# reber_lstm.py: a Theano-style LSTM of our own on the Reber grammar

# The Reber automaton as (state, symbol) -> state; "end" after E.
REBER = {
    ("start", "B"): "a",
    ("a", "T"): "b", ("a", "P"): "c",
    ("b", "S"): "b", ("b", "X"): "d",
    ("c", "T"): "c", ("c", "V"): "e",
    ("d", "X"): "c", ("d", "S"): "f",
    ("e", "P"): "d", ("e", "V"): "f",
    ("f", "E"): "end",
}  # fmt: skip


def test_reber_lstm_script_learns_the_grammar(tmp_path):
    """An LSTM trained through the runner (scan over a masked minibatch with a per-step
    softmax output, grad_clip inside the step, RMSprop) predicts a symbol the grammar
    allows next almost everywhere, checked here with the automaton on the strings and
    predictions it saved; guessing uniformly would be right about 30 % of the time."""
    out = run_script(tmp_path, "reber_lstm.py", 8, 16, 400, "reber.npz")
    costs = numbers_after("cost", out)
    assert len(costs) == 8 and costs[-1] < 0.5 * costs[0]  # measured 1.72 -> 0.61
    saved = np.load(tmp_path / "reber.npz")
    strings, predicted, mask = saved["strings"], saved["predicted"], saved["mask"]
    legal = uniform_guess = 0
    for j, string in enumerate(strings):
        state = "start"
        for t, symbol in enumerate(string[:-1]):
            state = REBER[(state, symbol)]
            allowed = {s for (q, s) in REBER if q == state}
            legal += "BTPSXVE"[predicted[t, j]] in allowed
            uniform_guess += len(allowed) / 7
        assert REBER[(state, string[-1])] == "end"  # a string of the grammar
        assert mask[: len(string) - 1, j].all() and not mask[len(string) - 1 :, j].any()
    n = mask.sum()
    assert uniform_guess / n < 0.35
    assert legal / n > 0.95  # measured 100 %
    assert f"{100 * legal / n:.2f} %" in out  # the script's own count agrees


# --------------------------------------------------------------------------------------
# rbm.py and DBN.py: Gibbs chains drawing inside scan


def _write_stroke_digits(path, sizes, rng):
    """An MNIST-like ``mnist.pkl.gz`` (the tutorials' layout: (train, valid, test) pairs
    of float32 (n, 784) images in [0, 1] and int64 labels): each of ten classes is a few
    thick random strokes on 28x28, drawn shifted by up to 2 pixels, with 3 % of the pixels
    flipped and intensities between 0.8 and 1."""
    prototypes = np.zeros((10, 28, 28))
    for digit in range(10):
        for _ in range(3):
            (r0, c0), (r1, c1) = rng.integers(6, 22, size=(2, 2))
            for t in np.linspace(0, 1, 40):
                r, c = round(r0 + t * (r1 - r0)), round(c0 + t * (c1 - c0))
                prototypes[digit, r - 1 : r + 2, c - 1 : c + 2] = 1.0

    def split(n):
        labels = rng.integers(0, 10, size=n)
        shifts = rng.integers(-2, 3, size=(n, 2))
        images = np.stack([np.roll(prototypes[d], tuple(s), axis=(0, 1))
                           for d, s in zip(labels, shifts)])  # fmt: skip
        images = np.abs(images - (rng.random(images.shape) < 0.03))
        images *= rng.uniform(0.8, 1.0, size=images.shape)
        return images.reshape(n, 784).astype("float32"), labels.astype("int64")

    with gzip.open(path, "wb", compresslevel=1) as handle:
        pickle.dump(tuple(split(n) for n in sizes), handle, protocol=2)


def _free_energy(v, W, hbias, vbias):
    """The RBM's free energy of each row of ``v``, in plain NumPy."""
    return -v @ vbias - np.logaddexp(0.0, v @ W + hbias).sum(axis=1)


def test_rbm_script_trains_by_persistent_cd_and_samples(tmp_path):
    """The RBM tutorial, unmodified: one short epoch of PCD-15 (the Gibbs chain a scan
    drawing with MRG binomials in its step, its random-stream updates returned by scan
    and applied with the parameters') on 400 images, then 10 draws of 20 chains run 10
    steps apart.
    Checked here in NumPy from the saved parameters and samples: the model gives the
    test images a far lower free energy than the same images with their pixels shuffled,
    and its samples look like the data."""
    _write_stroke_digits(tmp_path / "mnist.pkl.gz", (600, 100, 200), np.random.default_rng(0))
    out = run_script(tmp_path, "rbm.py", "mnist.pkl.gz", 1, 50, 400, 15, "plots", 10,
                     env={"THEANO_FLAGS": "floatX=float32"})  # fmt: skip
    (cost,) = numbers_after("cost is", out)
    assert -784 * np.log(2) < cost < 0  # a log pseudo-likelihood, above the uniform model's
    saved = np.load(tmp_path / "plots" / "rbm.npz")
    W, hbias, vbias, samples = (saved[k] for k in ("W", "hbias", "vbias", "samples"))
    assert samples.shape == (10, 20, 784) and samples.dtype == np.float32
    with gzip.open(tmp_path / "mnist.pkl.gz") as handle:
        (train_x, _), _, (test_x, _) = pickle.load(handle)
    rng = np.random.default_rng(1)
    shuffled = np.array([rng.permutation(row) for row in test_x])
    # Measured: -133 against +45, every image lower.
    gap = _free_energy(shuffled, W, hbias, vbias) - _free_energy(test_x, W, hbias, vbias)
    assert gap.mean() > 50.0 and (gap > 0).mean() > 0.95
    assert np.all((samples >= 0) & (samples <= 1))
    assert not np.allclose(samples[0], samples[1])  # the chains move between draws
    # Measured: 0.96 correlation of pixel means; samples 49 from the nearest training
    # image against 127 for shuffled images.
    assert np.corrcoef(samples.reshape(-1, 784).mean(axis=0), train_x.mean(axis=0))[0, 1] > 0.6

    def nearest(images):
        return np.min(((images[:, None, :] - train_x[None]) ** 2).sum(axis=-1), axis=1).mean()

    assert nearest(samples[-1]) < 0.6 * nearest(shuffled[:20])
    header = (tmp_path / "plots" / "samples.pgm").read_bytes()[:15]
    assert header.startswith(b"P5\n579 291\n255")  # 20 chains by 10 draws of 28x28 tiles
    assert (tmp_path / "plots" / "filters_at_epoch_0.pgm").exists()


def test_dbn_script_pretrains_and_finetunes(tmp_path):
    """The DBN tutorial, unmodified: two RBMs (CD-1 chains drawing with MRG streams in
    scan, functions taking the learning rate by keyword with an ``In`` default) pretrain
    their shared-weight sigmoid layers two epochs each, then SGD finetunes the stack with
    a logistic regression on top."""
    _write_stroke_digits(tmp_path / "mnist.pkl.gz", (600, 200, 200), np.random.default_rng(0))
    out = run_script(tmp_path, "DBN.py", "mnist.pkl.gz", 2, 5, "64,64", 5,
                     env={"THEANO_FLAGS": "floatX=float32"})  # fmt: skip
    for layer in (0, 1):
        costs = [numbers_after(f"Pre-training layer {layer}, epoch {e}, cost", out)[0]
                 for e in (0, 1)]  # fmt: skip
        assert costs[0] < costs[1] < 0  # reconstruction log-likelihood rises
    errors = numbers_after("validation error", out)
    assert len(errors) == 5 and errors[-1] < errors[0]
    (test_error,) = numbers_after("with test performance", out)
    assert test_error < 30.0  # percent; chance is 90 (measured 15)
