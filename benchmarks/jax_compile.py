"""Where the JAX backend's compile time goes, next to jitting the same model written in JAX
(the models of ``benchmarks/backends.py``: LeNet and an MLP, batch 500, float32):

- ``import``: ``import symgraph`` in a fresh interpreter that has NumPy and JAX loaded
  (what the backend adds to a process; JAX's own import is paid by both), as this
  machine is set up and with Python's bytecode cached;
- ``graph``: building the model, its gradient and ``symgraph.function`` (the passes), with
  JAX already imported; for the hand-written model, putting its parameters on the device;
- ``trace``: ``jax.jit(...).lower(...)``, the Python function traced to StableHLO;
- ``xla``: ``.compile()`` of that lowering, alone;
- ``ops``: the number of StableHLO operations of the lowering.

Each round traces and compiles afresh (JAX's caches cleared), alternating the two
contenders in one process, so both see the same load:

    python benchmarks/jax_compile.py [--rounds N]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import backends  # noqa: E402
from _common import rounds_arg  # noqa: E402

IMPORT_SYMGRAPH = (
    "import time, numpy, jax; start = time.perf_counter(); import symgraph; "
    "print(time.perf_counter() - start)"
)


def import_seconds(bytecode_cache: str | None = None) -> float:
    """``import symgraph`` in a fresh interpreter: as this one is set up or, given a
    folder, with Python's compiled bytecode cached there (``PYTHONDONTWRITEBYTECODE``, set
    on some machines, makes every process compile symgraph's source again)."""
    env = dict(os.environ)
    if bytecode_cache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = bytecode_cache
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_SYMGRAPH], capture_output=True, text=True, check=True, env=env
    )
    return float(done.stdout)


def hand_lowerer(model: str, data):
    """The hand-written model's jitted step (caught as ``_jax_sgd`` makes it) and a
    function lowering it afresh."""
    import jax

    made = []
    real_jit = jax.jit

    def catching_jit(*args, **kwargs):
        made.append(real_jit(*args, **kwargs))
        return made[-1]

    jax.jit = catching_jit
    try:
        step = getattr(backends, f"jax_{model}")(data)
    finally:
        jax.jit = real_jit
    state = next(
        c.cell_contents
        for c in step.__closure__
        if isinstance(c.cell_contents, dict) and "params" in c.cell_contents
    )
    return lambda: made[-1].lower(state["params"], 1)


def symgraph_lowerer(model: str, data):
    """The JAX backend's function for the model and a function lowering it afresh."""
    import jax

    from symgraph.compile.function import Function
    from symgraph.compile.jax_backend import JaxFunction

    step = getattr(backends, f"symgraph_{model}")(data, "JAX")
    function = next(
        c.cell_contents for c in step.__closure__ if isinstance(c.cell_contents, Function)
    )
    compiled = function._fn
    assert isinstance(compiled, JaxFunction)

    def lower():
        with jax.enable_x64(True):
            kept = [s.device_value(compiled._put) for s in compiled.kept]
            donated = [s.device_value(compiled._put) for s in compiled.donated]
            return compiled.jitted.lower([np.int64(1)], kept, donated)

    return lower


def main() -> None:
    import jax

    rounds = rounds_arg(5)
    data = backends.make_data(np.random.default_rng(0))
    jax.numpy.zeros(1).block_until_ready()  # the device started before any contender
    figures: dict[tuple[str, str], list[float]] = {}

    def record(key, value):
        figures.setdefault(key, []).append(value)

    lowerers = {}
    for model in ("lenet", "mlp"):
        for who, make in (("symgraph", symgraph_lowerer), ("by hand", hand_lowerer)):
            start = time.perf_counter()
            lowerers[model, who] = make(model, data)
            record((f"{model} {who}", "graph"), time.perf_counter() - start)
    cache = tempfile.mkdtemp(prefix="symgraph-bytecode-")
    import_seconds(cache)  # fills the cache
    for _ in range(rounds):
        record(("symgraph", "import"), import_seconds())
        record(("symgraph", "import cached"), import_seconds(cache))
        for (model, who), lower in lowerers.items():
            jax.clear_caches()
            start = time.perf_counter()
            lowered = lower()
            traced = time.perf_counter()
            lowered.compile()
            record((f"{model} {who}", "trace"), traced - start)
            record((f"{model} {who}", "xla"), time.perf_counter() - traced)
            figures[f"{model} {who}", "ops"] = [lowered.as_text().count(" = stablehlo.")]
    print(f"medians over {rounds} rounds [min-max], seconds; load {os.getloadavg()[0]:.1f}")
    for key, how in (("import", "as set up here"), ("import cached", "bytecode cached")):
        imports = figures["symgraph", key]
        print(
            f"import symgraph (NumPy and JAX loaded; {how}) {statistics.median(imports):.3f} "
            f"[{min(imports):.3f}-{max(imports):.3f}]"
        )
    shutil.rmtree(cache, ignore_errors=True)
    for model in ("lenet", "mlp"):
        for who in ("symgraph", "by hand"):
            row = [f"{model} {who:9s}"]
            for part in ("graph", "trace", "xla"):
                values = figures[f"{model} {who}", part]
                row.append(
                    f"{part} {statistics.median(values):.3f} [{min(values):.3f}-{max(values):.3f}]"
                )
            row.append(f"ops {figures[f'{model} {who}', 'ops'][0]}")
            print("  ".join(row))
        ours = statistics.median(figures[f"{model} symgraph", "xla"])
        theirs = statistics.median(figures[f"{model} by hand", "xla"])
        print(
            f"{model}: XLA compile of the JAX backend's program / the hand-written one's "
            f"{ours / theirs:.2f}x"
        )


if __name__ == "__main__":
    main()
