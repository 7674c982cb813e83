"""``Mode``: which passes a compiled function goes through, and which backend runs it."""

from __future__ import annotations

from symgraph.rewrite.pipeline import PIPELINE, Pass, pass_named

_MODE_NAMES = ("FAST_RUN", "FAST_COMPILE", "JAX")

# Passes the JAX backend leaves out by default. ``fusion`` builds ``Fused`` nodes, NumPy
# kernels running a tree of element-wise ops in one loop: XLA fuses element-wise trees by
# itself, and a Fused node would hide the ops from it. ``inplace`` makes ops overwrite
# their inputs' buffers: JAX arrays are immutable, and XLA reuses buffers on its own (and
# the updated shared variables' buffers through donation).
JAX_SKIPPED_PASSES = ("fusion", "inplace")


class Mode:
    """A selection of the pipeline's passes, in pipeline order, and the backend.

    ``Mode("FAST_RUN")`` runs every pass, ``Mode("FAST_COMPILE")`` none (the graph runs
    as built: no pass is needed to run it); both generate NumPy code.
    ``Mode("JAX")`` runs every pass but ``fusion`` and ``inplace`` (see
    ``JAX_SKIPPED_PASSES``) and lowers the graph to one ``jax.jit``-compiled function;
    ``devices=N`` (or ``"all"``) splits the inputs' first (batch) axis over N devices.
    ``mode.excluding("inplace")`` and ``mode.including(...)`` return new modes; an unknown
    pass name is an error that lists the valid ones.
    """

    def __init__(
        self,
        name: str = "FAST_RUN",
        passes: tuple[str, ...] | None = None,
        devices: int | str | None = None,
    ) -> None:
        if name not in _MODE_NAMES:
            raise ValueError(f"unknown mode {name!r}; choose one of {', '.join(_MODE_NAMES)}")
        self.name = name
        if passes is None:
            if name == "FAST_RUN":
                passes = tuple(p.name for p in PIPELINE)
            elif name == "JAX":
                passes = tuple(p.name for p in PIPELINE if p.name not in JAX_SKIPPED_PASSES)
            else:
                passes = ()
        for p in passes:
            pass_named(p)
        self.pass_names = tuple(p.name for p in PIPELINE if p.name in passes)
        if devices is not None and name != "JAX":
            raise ValueError(f"devices= needs Mode('JAX'), not Mode({name!r})")
        if devices is not None and devices != "all":
            if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
                raise ValueError(f"devices must be a positive int or 'all', got {devices!r}")
        self.devices = devices

    @property
    def backend(self) -> str:
        """``"jax"`` for ``Mode("JAX")``, else ``"numpy"``."""
        return "jax" if self.name == "JAX" else "numpy"

    @property
    def passes(self) -> tuple[Pass, ...]:
        return tuple(pass_named(n) for n in self.pass_names)

    def excluding(self, *names: str) -> Mode:
        for n in names:
            pass_named(n)
        kept = tuple(p for p in self.pass_names if p not in names)
        return Mode(self.name, kept, devices=self.devices)

    def including(self, *names: str) -> Mode:
        for n in names:
            pass_named(n)
        return Mode(self.name, self.pass_names + names, devices=self.devices)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Mode)
            and other.pass_names == self.pass_names
            and other.backend == self.backend
            and other.devices == self.devices
        )

    def __hash__(self) -> int:
        return hash((self.pass_names, self.backend, self.devices))

    def __repr__(self) -> str:
        devices = "" if self.devices is None else f", devices={self.devices!r}"
        return f"Mode({self.name!r}, passes={list(self.pass_names)}{devices})"


def get_mode(mode) -> Mode:
    if mode is None:
        return Mode("FAST_RUN")
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str):
        return Mode(mode)
    raise TypeError(f"mode must be a Mode or one of {_MODE_NAMES}, got {mode!r}")
