"""Next-symbol prediction on the Reber grammar with an LSTM, written for Theano.

Strings of the Reber grammar (B, then a walk through a six-state automaton emitting T, P,
S, X, V, then E) are generated here, so nothing is downloaded. An LSTM reads one-hot
symbols through ``theano.scan`` over a padded minibatch with a mask, predicts a
distribution over the next symbol at each step (an output of the step that is not fed
back), and is trained by RMSprop on the masked cross-entropy, with the recurrent
gradient clipped by ``theano.gradient.grad_clip``. A prediction is right when it names
a symbol the grammar allows next: a trained network is right nearly always.

python -m symgraph.compat.theano reber_lstm.py [N_EPOCHS [N_HIDDEN [N_TRAIN [OUT.npz]]]]
"""

# ruff: noqa: UP031, UP004 - old-style Python, kept as Theano users wrote it

import sys
import time
from collections import OrderedDict

import numpy
import theano
import theano.tensor as T
from theano import config

SYMBOLS = "BTPSXVE"
# state -> [(symbol, next state)]; state 5 can only end the string.
GRAMMAR = {
    0: [("T", 1), ("P", 2)],
    1: [("S", 1), ("X", 3)],
    2: [("T", 2), ("V", 4)],
    3: [("X", 2), ("S", 5)],
    4: [("P", 3), ("V", 5)],
    5: [("E", None)],
}


def make_string(rng, max_length=30):
    """One string of the grammar (retried until it is at most ``max_length`` long)."""
    while True:
        out, state = ["B"], 0
        while state is not None:
            symbol, state = GRAMMAR[state][rng.randint(len(GRAMMAR[state]))]
            out.append(symbol)
        if len(out) <= max_length:
            return "".join(out)


def prepare_data(strings):
    """One-hot inputs (n_steps, n_samples, n_symbols) for every symbol but the last, the
    next symbols' ids (n_steps, n_samples) and the float mask of real steps."""
    n_steps = max(len(s) for s in strings) - 1
    x = numpy.zeros((n_steps, len(strings), len(SYMBOLS)), dtype=config.floatX)
    y = numpy.zeros((n_steps, len(strings)), dtype="int32")
    mask = numpy.zeros((n_steps, len(strings)), dtype=config.floatX)
    for j, s in enumerate(strings):
        ids = [SYMBOLS.index(c) for c in s]
        x[numpy.arange(len(ids) - 1), j, ids[:-1]] = 1.0
        y[: len(ids) - 1, j] = ids[1:]
        mask[: len(ids) - 1, j] = 1.0
    return x, y, mask


def shared_param(value, name):
    return theano.shared(numpy.asarray(value, dtype=config.floatX), name=name)


class LSTM(object):
    """An LSTM layer with a softmax read-out at every step."""

    def __init__(self, rng, n_in, n_hidden, n_out):
        def uniform(shape):
            bound = numpy.sqrt(6.0 / sum(shape))
            return rng.uniform(-bound, bound, shape)

        self.W = shared_param(uniform((n_in, 4 * n_hidden)), "W")
        self.U = shared_param(uniform((n_hidden, 4 * n_hidden)), "U")
        bias = numpy.zeros(4 * n_hidden)
        bias[n_hidden : 2 * n_hidden] = 1.0  # forget gates start open
        self.b = shared_param(bias, "b")
        self.V = shared_param(uniform((n_hidden, n_out)), "V")
        self.c = shared_param(numpy.zeros(n_out), "c")
        self.params = [self.W, self.U, self.b, self.V, self.c]
        self.n_hidden = n_hidden

    def apply(self, x, mask):
        """The next-symbol probabilities (n_steps, n_samples, n_out) of the inputs ``x``."""
        n_hidden = self.n_hidden
        n_samples = x.shape[1]

        def gate(preact, k):
            return preact[:, k * n_hidden : (k + 1) * n_hidden]

        def step(x_t, m_t, h_tm1, c_tm1):
            h_tm1 = theano.gradient.grad_clip(h_tm1, -5.0, 5.0)
            preact = T.dot(x_t, self.W) + T.dot(h_tm1, self.U) + self.b
            i = T.nnet.sigmoid(gate(preact, 0))
            f = T.nnet.sigmoid(gate(preact, 1))
            o = T.nnet.sigmoid(gate(preact, 2))
            c = f * c_tm1 + i * T.tanh(gate(preact, 3))
            h = o * T.tanh(c)
            # padded steps carry the state through unchanged
            c = m_t.dimshuffle(0, "x") * c + (1.0 - m_t).dimshuffle(0, "x") * c_tm1
            h = m_t.dimshuffle(0, "x") * h + (1.0 - m_t).dimshuffle(0, "x") * h_tm1
            p_t = T.nnet.softmax(T.dot(h, self.V) + self.c)
            return h, c, p_t

        zeros = T.zeros((n_samples, n_hidden), dtype=config.floatX)
        (h, c, p), updates = theano.scan(
            step, sequences=[x, mask], outputs_info=[zeros, zeros, None], name="lstm"
        )
        assert not updates
        return p


def rmsprop(cost, params, learning_rate, rho=0.9, epsilon=1e-6):
    updates = OrderedDict()
    for param, grad in zip(params, T.grad(cost, params)):
        value = param.get_value(borrow=True)
        accu = theano.shared(numpy.zeros(value.shape, dtype=value.dtype), name=param.name + "_acc")
        new_accu = rho * accu + (1 - rho) * grad**2
        updates[accu] = new_accu
        updates[param] = param - learning_rate * grad / T.sqrt(new_accu + epsilon)
    return updates


def train_reber(n_epochs=20, n_hidden=16, n_train=400, n_test=100, batch_size=20, seed=1234,
                saveto=None):  # fmt: skip
    rng = numpy.random.RandomState(seed)
    train = [make_string(rng) for _ in range(n_train)]
    test = [make_string(rng) for _ in range(n_test)]

    x = T.tensor3("x")
    y = T.imatrix("y")
    mask = T.matrix("mask")
    lr = T.scalar("lr")

    model = LSTM(rng, len(SYMBOLS), n_hidden, len(SYMBOLS))
    p = model.apply(x, mask)
    n_steps, n_samples = y.shape[0], y.shape[1]
    flat_p = p.reshape((n_steps * n_samples, len(SYMBOLS)))
    nll = T.nnet.categorical_crossentropy(flat_p, y.flatten()).reshape((n_steps, n_samples))
    cost = (nll * mask).sum() / mask.sum()

    start = time.time()
    train_fn = theano.function(
        [x, y, mask, lr], cost, updates=rmsprop(cost, model.params, lr), name="train"
    )
    predict = theano.function([x, mask], p.argmax(axis=2), name="predict")
    print("compiled in %.3f s" % (time.time() - start))

    for epoch in range(n_epochs):
        order = rng.permutation(n_train)
        costs = []
        for k in range(0, n_train, batch_size):
            batch = [train[i] for i in order[k : k + batch_size]]
            bx, by, bmask = prepare_data(batch)
            costs.append(train_fn(bx, by, bmask, 0.01))
        print("epoch %d cost %.4f" % (epoch, numpy.mean(costs)))

    tx, ty, tmask = prepare_data(test)
    predicted = predict(tx, tmask)
    legal = 0
    for j, s in enumerate(test):
        state = None
        for t in range(len(s) - 1):
            state = 0 if t == 0 else dict(GRAMMAR[state])[s[t]]
            legal += SYMBOLS[predicted[t, j]] in dict(GRAMMAR[state])
    n_predictions = int(tmask.sum())
    print("legal next-symbol predictions %.2f %%" % (100.0 * legal / n_predictions))
    if saveto:
        numpy.savez(saveto, strings=numpy.array(test), predicted=predicted, mask=tmask)
    return legal / n_predictions


if __name__ == "__main__":
    args = sys.argv[1:]
    train_reber(
        n_epochs=int(args[0]) if args else 20,
        n_hidden=int(args[1]) if len(args) > 1 else 16,
        n_train=int(args[2]) if len(args) > 2 else 400,
        saveto=args[3] if len(args) > 3 else None,
    )
