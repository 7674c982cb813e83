"""``Mode``: which passes a compiled function goes through."""

from __future__ import annotations

from symgraph.rewrite.pipeline import PIPELINE, Pass, pass_named

_MODE_NAMES = ("FAST_RUN", "FAST_COMPILE")


class Mode:
    """A selection of the pipeline's passes, in pipeline order.

    ``Mode("FAST_RUN")`` runs every pass, ``Mode("FAST_COMPILE")`` none (the graph runs
    as built: no pass is needed to run it).
    ``mode.excluding("inplace")`` and ``mode.including(...)`` return new modes; an unknown
    pass name is an error that lists the valid ones.
    """

    def __init__(self, name: str = "FAST_RUN", passes: tuple[str, ...] | None = None) -> None:
        if name not in _MODE_NAMES:
            raise ValueError(f"unknown mode {name!r}; choose one of {', '.join(_MODE_NAMES)}")
        self.name = name
        if passes is None:
            passes = tuple(p.name for p in PIPELINE) if name == "FAST_RUN" else ()
        for p in passes:
            pass_named(p)
        self.pass_names = tuple(p.name for p in PIPELINE if p.name in passes)

    @property
    def passes(self) -> tuple[Pass, ...]:
        return tuple(pass_named(n) for n in self.pass_names)

    def excluding(self, *names: str) -> Mode:
        for n in names:
            pass_named(n)
        return Mode(self.name, tuple(p for p in self.pass_names if p not in names))

    def including(self, *names: str) -> Mode:
        for n in names:
            pass_named(n)
        return Mode(self.name, self.pass_names + names)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mode) and other.pass_names == self.pass_names

    def __hash__(self) -> int:
        return hash(self.pass_names)

    def __repr__(self) -> str:
        return f"Mode({self.name!r}, passes={list(self.pass_names)})"


def get_mode(mode) -> Mode:
    if mode is None:
        return Mode("FAST_RUN")
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str):
        return Mode(mode)
    raise TypeError(f"mode must be a Mode or one of {_MODE_NAMES}, got {mode!r}")
