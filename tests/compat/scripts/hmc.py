"""Hybrid (Hamiltonian) Monte Carlo, written for Theano (the shape of the deeplearning.net
tutorial's ``hmc.py``): leapfrog steps run by ``theano.scan``, a Metropolis-Hastings
accept/reject on the Hamiltonian, and a step size adapted towards a target acceptance
rate, all as the updates of one function without inputs.
"""

# ruff: noqa: UP004 - old-style Python, kept as Theano users wrote it

import numpy
import theano
import theano.sandbox.rng_mrg  # noqa: F401 - imported by the tutorial
from theano import function, shared
from theano import tensor as TT


def sharedX(X, name):
    return shared(numpy.asarray(X, dtype=theano.config.floatX), name=name)


def kinetic_energy(vel):
    """The kinetic energy of each particle (a row of ``vel``), unit masses."""
    return 0.5 * (vel**2).sum(axis=1)


def hamiltonian(pos, vel, energy_fn):
    """Potential plus kinetic energy of each particle; ``energy_fn`` maps the positions
    (a matrix, one particle per row) to the vector of potential energies."""
    return energy_fn(pos) + kinetic_energy(vel)


def metropolis_hastings_accept(energy_prev, energy_next, s_rng):
    """A boolean vector: accept each move with probability min(1, exp(E_prev - E_next))."""
    ediff = energy_prev - energy_next
    return (TT.exp(ediff) - s_rng.uniform(size=energy_prev.shape)) >= 0


def simulate_dynamics(initial_pos, initial_vel, stepsize, n_steps, energy_fn):
    """``n_steps`` leapfrog steps from (initial_pos, initial_vel); the final positions and
    velocities. A half step of the velocity first, then full steps of the position and
    velocity in a scan, then a last half step of the velocity."""

    def leapfrog(pos, vel, step):
        dE_dpos = TT.grad(energy_fn(pos).sum(), pos)
        new_vel = vel - step * dE_dpos
        new_pos = pos + step * new_vel
        return [new_pos, new_vel], {}

    initial_energy = energy_fn(initial_pos)
    dE_dpos = TT.grad(initial_energy.sum(), initial_pos)
    vel_half_step = initial_vel - 0.5 * stepsize * dE_dpos
    pos_full_step = initial_pos + stepsize * vel_half_step

    (all_pos, all_vel), scan_updates = theano.scan(
        leapfrog,
        outputs_info=[dict(initial=pos_full_step), dict(initial=vel_half_step)],
        non_sequences=[stepsize],
        n_steps=n_steps - 1,
    )
    final_pos = all_pos[-1]
    final_vel = all_vel[-1]
    assert not scan_updates

    energy = energy_fn(final_pos)
    final_vel = final_vel - 0.5 * stepsize * TT.grad(energy.sum(), final_pos)
    return final_pos, final_vel


def hmc_move(s_rng, positions, energy_fn, stepsize, n_steps):
    """One HMC proposal from ``positions``: fresh Gaussian velocities, the dynamics, and
    whether each particle's move is accepted."""
    initial_vel = s_rng.normal(size=positions.shape)
    final_pos, final_vel = simulate_dynamics(
        initial_pos=positions,
        initial_vel=initial_vel,
        stepsize=stepsize,
        n_steps=n_steps,
        energy_fn=energy_fn,
    )
    accept = metropolis_hastings_accept(
        energy_prev=hamiltonian(positions, initial_vel, energy_fn),
        energy_next=hamiltonian(final_pos, final_vel, energy_fn),
        s_rng=s_rng,
    )
    return accept, final_pos


def hmc_updates(
    positions,
    stepsize,
    avg_acceptance_rate,
    final_pos,
    accept,
    target_acceptance_rate,
    stepsize_inc,
    stepsize_dec,
    stepsize_min,
    stepsize_max,
    avg_acceptance_slowness,
):
    """The updates of one HMC move: the accepted positions, a step size grown when the
    acceptance rate is above target and shrunk otherwise, and the moving average of the
    acceptance rate."""
    accept_matrix = accept.dimshuffle(0, *(("x",) * (final_pos.ndim - 1)))
    new_positions = TT.switch(accept_matrix, final_pos, positions)

    _new_stepsize = TT.switch(
        avg_acceptance_rate > target_acceptance_rate,
        stepsize * stepsize_inc,
        stepsize * stepsize_dec,
    )
    new_stepsize = TT.clip(_new_stepsize, stepsize_min, stepsize_max)

    mean_dtype = theano.scalar.upcast(accept.dtype, avg_acceptance_rate.dtype)
    new_acceptance_rate = TT.add(
        avg_acceptance_slowness * avg_acceptance_rate,
        (1.0 - avg_acceptance_slowness) * accept.mean(dtype=mean_dtype),
    )

    return [
        (positions, new_positions),
        (stepsize, new_stepsize),
        (avg_acceptance_rate, new_acceptance_rate),
    ]


class HMC_sampler(object):  # noqa: N801 - the tutorial's name
    """Draws samples of the distribution exp(-energy_fn) by HMC; build it with
    ``new_from_shared_positions`` and call ``draw``."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    @classmethod
    def new_from_shared_positions(
        cls,
        shared_positions,
        energy_fn,
        initial_stepsize=0.01,
        target_acceptance_rate=0.9,
        n_steps=20,
        stepsize_dec=0.98,
        stepsize_min=0.001,
        stepsize_max=0.25,
        stepsize_inc=1.02,
        avg_acceptance_slowness=0.9,
        seed=12345,
    ):
        """A sampler moving the particles held (one per row) in ``shared_positions``."""
        stepsize = sharedX(initial_stepsize, "hmc_stepsize")
        avg_acceptance_rate = sharedX(target_acceptance_rate, "avg_acceptance_rate")
        s_rng = TT.shared_randomstreams.RandomStreams(seed)

        accept, final_pos = hmc_move(s_rng, shared_positions, energy_fn, stepsize, n_steps)
        simulate_updates = hmc_updates(
            shared_positions,
            stepsize,
            avg_acceptance_rate,
            final_pos=final_pos,
            accept=accept,
            stepsize_min=stepsize_min,
            stepsize_max=stepsize_max,
            stepsize_inc=stepsize_inc,
            stepsize_dec=stepsize_dec,
            target_acceptance_rate=target_acceptance_rate,
            avg_acceptance_slowness=avg_acceptance_slowness,
        )
        simulate = function([], [], updates=simulate_updates)

        return cls(
            positions=shared_positions,
            stepsize=stepsize,
            stepsize_min=stepsize_min,
            stepsize_max=stepsize_max,
            avg_acceptance_rate=avg_acceptance_rate,
            target_acceptance_rate=target_acceptance_rate,
            s_rng=s_rng,
            _updates=simulate_updates,
            simulate=simulate,
        )

    def draw(self, **kwargs):
        """One HMC move; a copy of the new positions."""
        self.simulate()
        return self.positions.get_value(borrow=False)
