"""``map``, ``reduce``, ``foldl``, ``foldr``: scan with some arguments fixed, as Theano's."""

from __future__ import annotations

from collections.abc import Callable

from symgraph.scan.loop import scan


def map(  # noqa: A001 - Theano's name
    fn: Callable,
    sequences,
    non_sequences=None,
    truncate_gradient: int = -1,
    go_backwards: bool = False,
    mode=None,
    name: str | None = None,
):
    """``fn`` applied to each row of the sequences: ``(outputs, updates)``."""
    return scan(
        fn,
        sequences=sequences,
        outputs_info=None,
        non_sequences=non_sequences,
        truncate_gradient=truncate_gradient,
        go_backwards=go_backwards,
        mode=mode,
        name=name,
    )


def reduce(  # noqa: A001 - Theano's name
    fn: Callable,
    sequences,
    outputs_info,
    non_sequences=None,
    go_backwards: bool = False,
    mode=None,
    name: str | None = None,
):
    """The outputs' values after the last step: ``(outputs, updates)``."""
    outputs, updates = scan(
        fn,
        sequences=sequences,
        outputs_info=outputs_info,
        non_sequences=non_sequences,
        go_backwards=go_backwards,
        mode=mode,
        name=name,
    )
    if isinstance(outputs, list):
        return [o[-1] for o in outputs], updates
    return outputs[-1], updates


def foldl(fn: Callable, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """``reduce`` from the first row to the last."""
    return reduce(fn, sequences, outputs_info, non_sequences, False, mode, name)


def foldr(fn: Callable, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """``reduce`` from the last row to the first."""
    return reduce(fn, sequences, outputs_info, non_sequences, True, mode, name)


__all__ = ["foldl", "foldr", "map", "reduce"]
