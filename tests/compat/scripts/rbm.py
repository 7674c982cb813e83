"""A restricted Boltzmann machine on MNIST trained by persistent contrastive divergence,
written for Theano (the shape of the deeplearning.net tutorial's ``rbm.py``): the Gibbs
chain is a ``theano.scan`` whose step draws with ``theano_rng.binomial``, and scan returns
the random streams' updates, which the training function applies with the parameters'.
After training, a second scan runs long Gibbs chains from test images to draw samples.

python -m symgraph.compat.theano rbm.py DATASET [EPOCHS [N_HIDDEN [N_TRAIN [K [OUTPUT]]]]]
"""

# ruff: noqa: UP031, UP004, UP008 - old-style Python, kept as Theano users wrote it

import os
import sys
import timeit

import numpy
import theano
import theano.tensor as T
from logistic_sgd import load_data
from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams
from utils import save_image, tile_raster_images


class RBM(object):
    """Binary units; the energy is -v.vbias - h.hbias - v W h."""

    def __init__(self, input=None, n_visible=784, n_hidden=500, W=None, hbias=None,
                 vbias=None, numpy_rng=None, theano_rng=None):  # fmt: skip
        self.n_visible = n_visible
        self.n_hidden = n_hidden

        if numpy_rng is None:
            numpy_rng = numpy.random.RandomState(1234)
        if theano_rng is None:
            theano_rng = RandomStreams(numpy_rng.randint(2**30))

        if W is None:
            bound = 4 * numpy.sqrt(6.0 / (n_hidden + n_visible))
            initial_W = numpy.asarray(
                numpy_rng.uniform(low=-bound, high=bound, size=(n_visible, n_hidden)),
                dtype=theano.config.floatX,
            )
            W = theano.shared(value=initial_W, name="W", borrow=True)
        if hbias is None:
            hbias = theano.shared(
                value=numpy.zeros(n_hidden, dtype=theano.config.floatX), name="hbias", borrow=True
            )
        if vbias is None:
            vbias = theano.shared(
                value=numpy.zeros(n_visible, dtype=theano.config.floatX), name="vbias", borrow=True
            )

        self.input = input
        if not input:
            self.input = T.matrix("input")

        self.W = W
        self.hbias = hbias
        self.vbias = vbias
        self.theano_rng = theano_rng
        self.params = [self.W, self.hbias, self.vbias]

    def free_energy(self, v_sample):
        """F(v) = -v.vbias - sum_j log(1 + exp(v W_j + hbias_j)), one per row."""
        wx_b = T.dot(v_sample, self.W) + self.hbias
        vbias_term = T.dot(v_sample, self.vbias)
        hidden_term = T.sum(T.log(1 + T.exp(wx_b)), axis=1)
        return -hidden_term - vbias_term

    def propup(self, vis):
        pre_sigmoid_activation = T.dot(vis, self.W) + self.hbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_h_given_v(self, v0_sample):
        pre_sigmoid_h1, h1_mean = self.propup(v0_sample)
        h1_sample = self.theano_rng.binomial(
            size=h1_mean.shape, n=1, p=h1_mean, dtype=theano.config.floatX
        )
        return [pre_sigmoid_h1, h1_mean, h1_sample]

    def propdown(self, hid):
        pre_sigmoid_activation = T.dot(hid, self.W.T) + self.vbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_v_given_h(self, h0_sample):
        pre_sigmoid_v1, v1_mean = self.propdown(h0_sample)
        v1_sample = self.theano_rng.binomial(
            size=v1_mean.shape, n=1, p=v1_mean, dtype=theano.config.floatX
        )
        return [pre_sigmoid_v1, v1_mean, v1_sample]

    def gibbs_hvh(self, h0_sample):
        """One Gibbs step from the hidden state."""
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h0_sample)
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v1_sample)
        return [pre_sigmoid_v1, v1_mean, v1_sample, pre_sigmoid_h1, h1_mean, h1_sample]

    def gibbs_vhv(self, v0_sample):
        """One Gibbs step from the visible state."""
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v0_sample)
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h1_sample)
        return [pre_sigmoid_h1, h1_mean, h1_sample, pre_sigmoid_v1, v1_mean, v1_sample]

    def get_cost_updates(self, lr=0.1, persistent=None, k=1):
        """The monitoring cost and the updates of one step of CD-k (PCD-k when
        ``persistent`` holds the chains' hidden state between calls)."""
        pre_sigmoid_ph, ph_mean, ph_sample = self.sample_h_given_v(self.input)

        if persistent is None:
            chain_start = ph_sample
        else:
            chain_start = persistent

        (
            [pre_sigmoid_nvs, nv_means, nv_samples, pre_sigmoid_nhs, nh_means, nh_samples],
            updates,
        ) = theano.scan(
            self.gibbs_hvh,
            outputs_info=[None, None, None, None, None, chain_start],
            n_steps=k,
            name="gibbs_hvh",
        )
        chain_end = nv_samples[-1]

        cost = T.mean(self.free_energy(self.input)) - T.mean(self.free_energy(chain_end))
        # the chain's end is a sample: no gradient through the sampling
        gparams = T.grad(cost, self.params, consider_constant=[chain_end])
        for gparam, param in zip(gparams, self.params):
            updates[param] = param - gparam * T.cast(lr, dtype=theano.config.floatX)

        if persistent:
            updates[persistent] = nh_samples[-1]
            monitoring_cost = self.get_pseudo_likelihood_cost(updates)
        else:
            monitoring_cost = self.get_reconstruction_cost(updates, pre_sigmoid_nvs[-1])

        return monitoring_cost, updates

    def get_pseudo_likelihood_cost(self, updates):
        """A stochastic estimate of the log pseudo-likelihood: one bit (a different one at
        each call) is flipped in every input."""
        bit_i_idx = theano.shared(value=0, name="bit_i_idx")
        xi = T.round(self.input)
        fe_xi = self.free_energy(xi)
        xi_flip = T.set_subtensor(xi[:, bit_i_idx], 1 - xi[:, bit_i_idx])
        fe_xi_flip = self.free_energy(xi_flip)
        cost = T.mean(self.n_visible * T.log(T.nnet.sigmoid(fe_xi_flip - fe_xi)))
        updates[bit_i_idx] = (bit_i_idx + 1) % self.n_visible
        return cost

    def get_reconstruction_cost(self, updates, pre_sigmoid_nv):
        """The mean cross-entropy of the inputs' reconstructions (taken from the
        pre-sigmoid activations, which keeps the logarithm stable once rewritten)."""
        cross_entropy = T.mean(
            T.sum(
                self.input * T.log(T.nnet.sigmoid(pre_sigmoid_nv))
                + (1 - self.input) * T.log(1 - T.nnet.sigmoid(pre_sigmoid_nv)),
                axis=1,
            )
        )
        return cross_entropy


def test_rbm(learning_rate=0.1, training_epochs=15, dataset="mnist.pkl.gz", batch_size=20,
             n_chains=20, n_samples=10, output_folder="rbm_plots", n_hidden=500,
             n_train=None, k=15, plot_every=1000):  # fmt: skip
    datasets = load_data(dataset)

    train_set_x, train_set_y = datasets[0]
    test_set_x, test_set_y = datasets[2]
    if n_train:
        train_set_x = theano.shared(train_set_x.get_value(borrow=True)[:n_train], borrow=True)

    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    index = T.lscalar()
    x = T.matrix("x")

    rng = numpy.random.RandomState(123)
    theano_rng = RandomStreams(rng.randint(2**30))

    persistent_chain = theano.shared(
        numpy.zeros((batch_size, n_hidden), dtype=theano.config.floatX), borrow=True
    )

    rbm = RBM(input=x, n_visible=28 * 28, n_hidden=n_hidden, numpy_rng=rng,
              theano_rng=theano_rng)  # fmt: skip

    cost, updates = rbm.get_cost_updates(lr=learning_rate, persistent=persistent_chain, k=k)

    if not os.path.isdir(output_folder):
        os.makedirs(output_folder)
    os.chdir(output_folder)

    train_rbm = theano.function(
        [index],
        cost,
        updates=updates,
        givens={x: train_set_x[index * batch_size : (index + 1) * batch_size]},
        name="train_rbm",
    )

    plotting_time = 0.0
    start_time = timeit.default_timer()

    for epoch in range(training_epochs):
        mean_cost = []
        for batch_index in range(n_train_batches):
            mean_cost += [train_rbm(batch_index)]
        print("Training epoch %d, cost is " % epoch, numpy.mean(mean_cost))

        plotting_start = timeit.default_timer()
        image = tile_raster_images(
            X=rbm.W.get_value(borrow=True).T, img_shape=(28, 28), tile_shape=(10, 10),
            tile_spacing=(1, 1),
        )  # fmt: skip
        save_image(image, "filters_at_epoch_%i.pgm" % epoch)
        plotting_stop = timeit.default_timer()
        plotting_time += plotting_stop - plotting_start

    end_time = timeit.default_timer()
    pretraining_time = (end_time - start_time) - plotting_time
    print("Training took %f minutes" % (pretraining_time / 60.0))

    # Sampling: chains started from test images, n_samples draws plot_every steps apart.
    number_of_test_samples = test_set_x.get_value(borrow=True).shape[0]
    test_idx = rng.randint(number_of_test_samples - n_chains)
    persistent_vis_chain = theano.shared(
        numpy.asarray(
            test_set_x.get_value(borrow=True)[test_idx : test_idx + n_chains],
            dtype=theano.config.floatX,
        )
    )
    (
        [presig_hids, hid_mfs, hid_samples, presig_vis, vis_mfs, vis_samples],
        updates,
    ) = theano.scan(
        rbm.gibbs_vhv,
        outputs_info=[None, None, None, None, None, persistent_vis_chain],
        n_steps=plot_every,
        name="gibbs_vhv",
    )
    updates.update({persistent_vis_chain: vis_samples[-1]})
    sample_fn = theano.function(
        [], [vis_mfs[-1], vis_samples[-1]], updates=updates, name="sample_fn"
    )

    image_data = numpy.zeros((29 * n_samples + 1, 29 * n_chains - 1), dtype="uint8")
    all_samples = []
    for idx in range(n_samples):
        vis_mf, vis_sample = sample_fn()
        all_samples.append(vis_mf)
        print(" ... plotting sample %d" % idx)
        image_data[29 * idx : 29 * idx + 28, :] = tile_raster_images(
            X=vis_mf, img_shape=(28, 28), tile_shape=(1, n_chains), tile_spacing=(1, 1)
        )
    save_image(image_data, "samples.pgm")
    numpy.savez("rbm.npz", W=rbm.W.get_value(), hbias=rbm.hbias.get_value(),
                vbias=rbm.vbias.get_value(), samples=numpy.asarray(all_samples))  # fmt: skip
    os.chdir("../")


if __name__ == "__main__":
    args = sys.argv[1:]
    test_rbm(
        dataset=args[0] if args else "mnist.pkl.gz",
        training_epochs=int(args[1]) if len(args) > 1 else 15,
        n_hidden=int(args[2]) if len(args) > 2 else 500,
        n_train=int(args[3]) if len(args) > 3 else None,
        k=int(args[4]) if len(args) > 4 else 15,
        output_folder=args[5] if len(args) > 5 else "rbm_plots",
        plot_every=int(args[6]) if len(args) > 6 else 1000,
    )
