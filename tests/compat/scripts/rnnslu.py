"""Slot filling on ATIS with an Elman recurrent network, written for Theano (the shape of
the deeplearning.net tutorial's ``rnnslu.py``): each word is seen through a window of its
neighbours' embeddings, ``theano.scan`` runs the recurrence over the sentence, and each
sentence is one step of SGD on its negative log-likelihood, followed by a normalization
of the embeddings. Scores are chunk-level precision, recall and F1 on IOB labels,
computed here in Python (the original called the CoNLL perl script).

ATISDATA=DIR python -m symgraph.compat.theano rnnslu.py [FOLD [NEPOCHS [NHIDDEN [EMB [WIN]]]]]

reads DIR/atis.foldFOLD.pkl.gz and writes its outputs under ./rnnslu.
"""

# ruff: noqa: UP031, UP004, B006, B007 - old-style Python, kept as Theano users wrote it

import copy
import gzip
import os
import pickle
import random
import sys
import timeit
from collections import OrderedDict
from functools import reduce

import numpy
import theano
from theano import tensor as T

PREFIX = os.getenv("ATISDATA", os.path.join(os.getcwd(), "data"))


def shuffle(lol, seed):
    """Shuffle each list of ``lol`` in place, all in the same order."""
    for l in lol:
        random.seed(seed)
        random.shuffle(l)


def contextwin(l, win):
    """For each word of the sentence ``l``, the ``win`` word ids centred on it (-1 pads
    both ends)."""
    assert (win % 2) == 1
    assert win >= 1
    l = list(l)
    lpadded = win // 2 * [-1] + l + win // 2 * [-1]
    out = [lpadded[i : (i + win)] for i in range(len(l))]
    assert len(out) == len(l)
    return out


def atisfold(fold):
    assert fold in range(5)
    filename = os.path.join(PREFIX, "atis.fold" + str(fold) + ".pkl.gz")
    f = gzip.open(filename, "rb")
    try:
        train_set, valid_set, test_set, dicts = pickle.load(f, encoding="latin1")
    except TypeError:
        train_set, valid_set, test_set, dicts = pickle.load(f)
    f.close()
    return train_set, valid_set, test_set, dicts


def chunks(labels):
    """The (type, start, end) chunks of a sentence's IOB labels: a chunk starts at a B-
    label, or at an I- label that does not continue a chunk of its type."""
    found = []
    current = None
    for i, label in enumerate(list(labels) + ["O"]):
        kind = label[2:] if label[:2] in ("B-", "I-") else None
        continues = label.startswith("I-") and current is not None and current[0] == kind
        if current is not None and not continues:
            found.append((current[0], current[1], i))
            current = None
        if kind is not None and not continues:
            current = (kind, i)
    return found


def conlleval(p, g, w, filename, script_path):
    """Write the words with their true and predicted labels to ``filename`` (the CoNLL
    layout: one word per line, a blank line between sentences) and score the predicted
    chunks: precision, recall and F1, in percent."""
    out = ""
    for sl, sp, sw in zip(g, p, w):
        out += "BOS O O\n"
        for wl, wp, ww in zip(sl, sp, sw):
            out += ww + " " + wl + " " + wp + "\n"
        out += "EOS O O\n\n"
    f = open(filename, "w")
    f.writelines(out)
    f.close()
    return get_perf(p, g)


def get_perf(p, g):
    correct = predicted = gold = 0
    for sp, sg in zip(p, g):
        cp, cg = set(chunks(sp)), set(chunks(sg))
        correct += len(cp & cg)
        predicted += len(cp)
        gold += len(cg)
    precision = 100.0 * correct / predicted if predicted else 0.0
    recall = 100.0 * correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
    return {"p": precision, "r": recall, "f1": f1}


class RNNSLU(object):
    """An Elman network: h_t = sigmoid(x_t wx + h_{t-1} wh + bh), labels softmax(h_t w + b)."""

    def __init__(self, nh, nc, ne, de, cs):
        """
        nh :: dimension of the hidden layer
        nc :: number of classes
        ne :: number of word embeddings in the vocabulary
        de :: dimension of the word embeddings
        cs :: word window context size
        """
        # one more embedding, the last, for the -1 that pads the windows
        self.emb = theano.shared(
            name="embeddings",
            value=0.2 * numpy.random.uniform(-1.0, 1.0, (ne + 1, de)).astype(theano.config.floatX),
        )
        self.wx = theano.shared(
            name="wx",
            value=0.2 * numpy.random.uniform(-1.0, 1.0, (de * cs, nh)).astype(theano.config.floatX),
        )
        self.wh = theano.shared(
            name="wh",
            value=0.2 * numpy.random.uniform(-1.0, 1.0, (nh, nh)).astype(theano.config.floatX),
        )
        self.w = theano.shared(
            name="w",
            value=0.2 * numpy.random.uniform(-1.0, 1.0, (nh, nc)).astype(theano.config.floatX),
        )
        self.bh = theano.shared(name="bh", value=numpy.zeros(nh, dtype=theano.config.floatX))
        self.b = theano.shared(name="b", value=numpy.zeros(nc, dtype=theano.config.floatX))
        self.h0 = theano.shared(name="h0", value=numpy.zeros(nh, dtype=theano.config.floatX))

        self.params = [self.emb, self.wx, self.wh, self.w, self.bh, self.b, self.h0]

        idxs = T.imatrix()
        x = self.emb[idxs].reshape((idxs.shape[0], de * cs))
        y_sentence = T.ivector("y_sentence")

        def recurrence(x_t, h_tm1):
            h_t = T.nnet.sigmoid(T.dot(x_t, self.wx) + T.dot(h_tm1, self.wh) + self.bh)
            s_t = T.nnet.softmax(T.dot(h_t, self.w) + self.b)
            return [h_t, s_t]

        [h, s], _ = theano.scan(
            fn=recurrence, sequences=x, outputs_info=[self.h0, None], n_steps=x.shape[0]
        )

        p_y_given_x_sentence = s[:, 0, :]
        y_pred = T.argmax(p_y_given_x_sentence, axis=1)

        lr = T.scalar("lr")
        sentence_nll = -T.mean(T.log(p_y_given_x_sentence)[T.arange(x.shape[0]), y_sentence])
        sentence_gradients = T.grad(sentence_nll, self.params)
        sentence_updates = OrderedDict(
            (p, p - lr * g) for p, g in zip(self.params, sentence_gradients)
        )

        self.classify = theano.function(inputs=[idxs], outputs=y_pred)
        self.sentence_train = theano.function(
            inputs=[idxs, y_sentence, lr], outputs=sentence_nll, updates=sentence_updates
        )
        self.normalize = theano.function(
            inputs=[],
            updates={self.emb: self.emb / T.sqrt((self.emb**2).sum(axis=1)).dimshuffle(0, "x")},
        )

    def train(self, x, y, window_size, learning_rate):
        cwords = contextwin(x, window_size)
        words = list(map(lambda x: numpy.asarray(x).astype("int32"), cwords))
        labels = y
        nll = self.sentence_train(words, labels, learning_rate)
        self.normalize()
        return nll

    def save(self, folder):
        for param in self.params:
            numpy.save(os.path.join(folder, param.name + ".npy"), param.get_value())

    def load(self, folder):
        for param in self.params:
            param.set_value(numpy.load(os.path.join(folder, param.name + ".npy")))


def main(param=None):
    if not param:
        param = {
            "fold": 3,
            "data": "atis",
            "lr": 0.0970806646812754,
            "verbose": 1,
            "decay": True,
            "win": 7,
            "nhidden": 200,
            "seed": 345,
            "emb_dimension": 50,
            "nepochs": 60,
            "savemodel": False,
        }
    print(param)

    folder = os.path.join(os.getcwd(), os.path.basename(__file__).split(".")[0])
    if not os.path.exists(folder):
        os.mkdir(folder)

    train_set, valid_set, test_set, dic = atisfold(param["fold"])

    idx2label = dict((k, v) for v, k in dic["labels2idx"].items())
    idx2word = dict((k, v) for v, k in dic["words2idx"].items())

    train_lex, train_ne, train_y = [list(part) for part in train_set]
    valid_lex, valid_ne, valid_y = valid_set
    test_lex, test_ne, test_y = test_set

    vocsize = len(set(reduce(lambda x, y: list(x) + list(y), train_lex + valid_lex + test_lex)))
    nclasses = len(set(reduce(lambda x, y: list(x) + list(y), train_y + test_y + valid_y)))
    nsentences = len(train_lex)

    groundtruth_valid = [list(map(lambda x: idx2label[x], y)) for y in valid_y]
    words_valid = [list(map(lambda x: idx2word[x], w)) for w in valid_lex]
    groundtruth_test = [list(map(lambda x: idx2label[x], y)) for y in test_y]
    words_test = [list(map(lambda x: idx2word[x], w)) for w in test_lex]

    numpy.random.seed(param["seed"])
    random.seed(param["seed"])

    rnn = RNNSLU(
        nh=param["nhidden"],
        nc=nclasses,
        ne=vocsize,
        de=param["emb_dimension"],
        cs=param["win"],
    )

    best_f1 = -numpy.inf
    param["clr"] = param["lr"]
    for e in range(param["nepochs"]):
        shuffle([train_lex, train_ne, train_y], param["seed"])

        param["ce"] = e
        tic = timeit.default_timer()

        nlls = []
        for i, (x, y) in enumerate(zip(train_lex, train_y)):
            nlls.append(rnn.train(x, y, param["win"], param["clr"]))
            print(
                "[learning] epoch %i >> %2.2f%%" % (e, (i + 1) * 100.0 / nsentences),
                "completed in %.2f (sec) <<\r" % (timeit.default_timer() - tic),
                end="",
            )
            sys.stdout.flush()
        print("\nepoch %i mean sentence nll %f" % (e, numpy.mean(nlls)))

        predictions_test = [
            list(map(lambda x: idx2label[x],
                     rnn.classify(numpy.asarray(contextwin(x, param["win"])).astype("int32"))))
            for x in test_lex
        ]  # fmt: skip
        predictions_valid = [
            list(map(lambda x: idx2label[x],
                     rnn.classify(numpy.asarray(contextwin(x, param["win"])).astype("int32"))))
            for x in valid_lex
        ]  # fmt: skip

        res_test = conlleval(
            predictions_test, groundtruth_test, words_test, folder + "/current.test.txt", folder
        )
        res_valid = conlleval(
            predictions_valid, groundtruth_valid, words_valid, folder + "/current.valid.txt",
            folder,
        )  # fmt: skip

        if res_valid["f1"] > best_f1:
            if param["savemodel"]:
                rnn.save(folder)

            best_rnn = copy.deepcopy(rnn)
            best_f1 = res_valid["f1"]

            if param["verbose"]:
                print("NEW BEST: epoch", e, "valid F1", res_valid["f1"],
                      "best test F1", res_test["f1"])  # fmt: skip

            param["vf1"], param["tf1"] = res_valid["f1"], res_test["f1"]
            param["vp"], param["tp"] = res_valid["p"], res_test["p"]
            param["vr"], param["tr"] = res_valid["r"], res_test["r"]
            param["be"] = e

            os.replace(folder + "/current.test.txt", folder + "/best.test.txt")
            os.replace(folder + "/current.valid.txt", folder + "/best.valid.txt")
        else:
            if param["verbose"]:
                print("")

        # halve the learning rate and go back to the best model after 10 epochs without
        # improvement
        if param["decay"] and abs(param["be"] - param["ce"]) >= 10:
            param["clr"] *= 0.5
            rnn = best_rnn

        if param["clr"] < 1e-5:
            break

    print("BEST RESULT: epoch", param["be"], "valid F1", param["vf1"],
          "best test F1", param["tf1"], "with the model", folder)  # fmt: skip
    return best_rnn, param


if __name__ == "__main__":
    args = sys.argv[1:]
    main({
        "fold": int(args[0]) if args else 3,
        "data": "atis",
        "lr": 0.0970806646812754,
        "verbose": 1,
        "decay": True,
        "win": int(args[4]) if len(args) > 4 else 7,
        "nhidden": int(args[2]) if len(args) > 2 else 200,
        "seed": 345,
        "emb_dimension": int(args[3]) if len(args) > 3 else 50,
        "nepochs": int(args[1]) if len(args) > 1 else 60,
        "savemodel": True,
    })  # fmt: skip
