"""The HMC tutorial's check, written for Theano (the shape of its ``test_hmc.py``):
sample a correlated multivariate Gaussian with ``hmc.HMC_sampler``, print the target and
empirical moments and the sampler's internals, and check the acceptance rate and step
size.

python -m symgraph.compat.theano test_hmc.py [BURNIN [N_SAMPLES [DIM [OUT.npz]]]]
"""

import sys

import numpy
import theano
from hmc import HMC_sampler


def sampler_on_nd_gaussian(sampler_cls, burnin, n_samples, dim=10):
    batchsize = 3

    rng = numpy.random.RandomState(123)

    # A random mean and a random covariance, kept well conditioned: unit variances and
    # correlations from a random matrix scaled so that no eigenvalue falls below 0.1.
    mu = numpy.array(rng.rand(dim) * 10, dtype=theano.config.floatX)
    factor = rng.randn(dim, dim)
    cov = factor.dot(factor.T) + dim * numpy.eye(dim)
    scale = 1.0 / numpy.sqrt(numpy.diag(cov))
    cov = numpy.array(cov * scale[:, None] * scale[None, :], dtype=theano.config.floatX)
    cov_inv = numpy.linalg.inv(cov)

    def gaussian_energy(x):
        return 0.5 * (theano.tensor.dot((x - mu), cov_inv) * (x - mu)).sum(axis=1)

    position = rng.randn(batchsize, dim).astype(theano.config.floatX)
    position = theano.shared(position)

    sampler = sampler_cls(position, gaussian_energy, initial_stepsize=1e-3, stepsize_max=0.5)

    [sampler.draw() for r in range(burnin)]  # burn-in draws are thrown away
    _samples = numpy.asarray([sampler.draw() for r in range(n_samples)])
    samples = _samples.T.reshape(dim, -1).T

    print("****** TARGET VALUES ******")
    print("target mean:", mu)
    print("target cov:\n", cov)

    print("****** EMPIRICAL MEAN/COV USING HMC ******")
    print("empirical mean: ", samples.mean(axis=0))
    print("empirical_cov:\n", numpy.cov(samples.T))

    print("****** HMC INTERNALS ******")
    print("final stepsize", sampler.stepsize.get_value())
    print("final acceptance_rate", sampler.avg_acceptance_rate.get_value())

    return sampler, mu, cov, _samples


def test_hmc(burnin=1000, n_samples=1000, dim=5, saveto=None):
    sampler, mu, cov, samples = sampler_on_nd_gaussian(
        HMC_sampler.new_from_shared_positions, burnin=burnin, n_samples=n_samples, dim=dim
    )
    assert abs(sampler.avg_acceptance_rate.get_value() - sampler.target_acceptance_rate) < 0.1
    assert sampler.stepsize.get_value() >= sampler.stepsize_min
    assert sampler.stepsize.get_value() <= sampler.stepsize_max
    if saveto:
        numpy.savez(saveto, mu=mu, cov=cov, samples=samples,
                    stepsize=sampler.stepsize.get_value(),
                    acceptance_rate=sampler.avg_acceptance_rate.get_value())  # fmt: skip


if __name__ == "__main__":
    args = sys.argv[1:]
    test_hmc(
        burnin=int(args[0]) if args else 1000,
        n_samples=int(args[1]) if len(args) > 1 else 1000,
        dim=int(args[2]) if len(args) > 2 else 5,
        saveto=args[3] if len(args) > 3 else None,
    )
