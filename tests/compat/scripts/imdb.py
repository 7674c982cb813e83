"""The IMDB sentiment data for ``lstm.py``, read as the LSTM tutorial's ``imdb.py`` did.

The file holds two pickles one after the other: the training set, then the test set, each
a pair (list of reviews as lists of word ids, list of 0/1 labels); ``.gz`` files are read
through gzip. The tests write a small synthetic one; nothing is downloaded.
"""

# ruff: noqa: UP031, UP004 - old-style Python, kept as Theano users wrote it

import gzip
import pickle

import numpy
import theano


def prepare_data(seqs, labels, maxlen=None):
    """Pad a minibatch of reviews into an (n_steps, n_samples) int64 matrix of word ids,
    a float mask (1 where there is a word) and the labels; reviews longer than ``maxlen``
    are left out."""
    lengths = [len(s) for s in seqs]
    if maxlen is not None:
        kept = [(l, s, y) for l, s, y in zip(lengths, seqs, labels) if l < maxlen]
        if len(kept) < 1:
            return None, None, None
        lengths = [l for l, _, _ in kept]
        seqs = [s for _, s, _ in kept]
        labels = [y for _, _, y in kept]
    n_samples = len(seqs)
    longest = numpy.max(lengths)
    x = numpy.zeros((longest, n_samples)).astype("int64")
    x_mask = numpy.zeros((longest, n_samples)).astype(theano.config.floatX)
    for idx, s in enumerate(seqs):
        x[: lengths[idx], idx] = s
        x_mask[: lengths[idx], idx] = 1.0
    return x, x_mask, labels


def load_data(path="imdb.pkl", n_words=100000, valid_portion=0.1, maxlen=None, sort_by_len=True):
    """Read (train, valid, test): the validation set is ``valid_portion`` of the training
    reviews drawn at random; words with ids of ``n_words`` or more become 1 (unknown)."""
    if path.endswith(".gz"):
        f = gzip.open(path, "rb")
    else:
        f = open(path, "rb")
    train_set = pickle.load(f)
    test_set = pickle.load(f)
    f.close()
    if maxlen:
        train_set = tuple(
            zip(*[(x, y) for x, y in zip(train_set[0], train_set[1]) if len(x) < maxlen])
        )

    train_set_x, train_set_y = train_set
    n_samples = len(train_set_x)
    sidx = numpy.random.permutation(n_samples)
    n_train = int(numpy.round(n_samples * (1.0 - valid_portion)))
    valid_set_x = [train_set_x[s] for s in sidx[n_train:]]
    valid_set_y = [train_set_y[s] for s in sidx[n_train:]]
    train_set_x = [train_set_x[s] for s in sidx[:n_train]]
    train_set_y = [train_set_y[s] for s in sidx[:n_train]]

    def remove_unk(x):
        return [[1 if w >= n_words else w for w in sen] for sen in x]

    test_set_x, test_set_y = list(test_set[0]), list(test_set[1])
    train_set_x = remove_unk(train_set_x)
    valid_set_x = remove_unk(valid_set_x)
    test_set_x = remove_unk(test_set_x)

    def len_argsort(seq):
        return sorted(range(len(seq)), key=lambda x: len(seq[x]))

    if sort_by_len:
        for xs, ys in ((test_set_x, test_set_y), (valid_set_x, valid_set_y),
                       (train_set_x, train_set_y)):  # fmt: skip
            order = len_argsort(xs)
            xs[:] = [xs[i] for i in order]
            ys[:] = [ys[i] for i in order]

    return (
        (train_set_x, list(train_set_y)),
        (valid_set_x, list(valid_set_y)),
        (test_set_x, list(test_set_y)),
    )
