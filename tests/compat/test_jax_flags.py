"""``THEANO_FLAGS=device=cuda`` (or ``mode=JAX``) runs a Theano script unchanged on the
JAX backend, under ``python -m symgraph.compat.theano``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("jax", reason="the JAX backend's tests need the 'jax' extra")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = """
import sys
import numpy as np
import theano
import theano.tensor as T

x = T.matrix("x")
w = theano.shared(np.ones((3, 2)), name="w")
cost = T.sqr(T.dot(x, w)).sum()
step = theano.function([x], cost, updates=[(w, w - 0.01 * T.grad(cost, w))])
values = np.arange(12.0).reshape(4, 3)
costs = [float(step(values)) for _ in range(3)]
print(step.mode.backend, "jax" in sys.modules, costs)
"""


def _run(flags: str, tmp_path) -> str:
    script = tmp_path / "old_script.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=ROOT, THEANO_FLAGS=flags)
    env.pop("SYMGRAPH_FLAGS", None)
    done = subprocess.run(
        [sys.executable, "-m", "symgraph.compat.theano", str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split(" ", 2)


@pytest.mark.parametrize("flags", ["device=cuda", "mode=JAX", "device=cuda0,floatX=float64"])
def test_gpu_flags_run_the_script_on_the_jax_backend(flags, tmp_path):
    backend, imported, costs = _run(flags, tmp_path)
    reference_backend, reference_imported, reference = _run("device=cpu", tmp_path)
    assert (backend, imported) == ("jax", "True")
    assert (reference_backend, reference_imported) == ("numpy", "False")
    assert costs == reference or _close(costs, reference)


def _close(a: str, b: str) -> bool:
    first, second = eval(a), eval(b)  # the lists the script printed
    return all(abs(p - q) <= 1e-12 * abs(q) for p, q in zip(first, second))
