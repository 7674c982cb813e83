"""What a compiled function holds on to while it lives, and what it releases after.

Its generated source is in ``linecache`` (tracebacks show it) exactly as long as the
function lives.
"""

import copy
import gc
import linecache
import pickle
import traceback

import numpy as np
import pytest

import symgraph.tensor as T
from symgraph import function


def generated_sources() -> set[str]:
    return {name for name in linecache.cache if name.startswith("<symgraph-fn-")}


def failing_function():
    x, y = T.dvector("x"), T.dvector("y")
    return function([x, y], T.dot(x, y) * 2)


def shows_generated_line(f) -> bool:
    """Whether the traceback of a failing call shows the generated line that failed."""
    with pytest.raises(ValueError) as info:
        f(np.ones(2), np.ones(3))
    text = "".join(traceback.format_exception(info.value))
    line = next(line for line in f.source.splitlines() if "np.dot(" in line)
    return line.strip() in text


def test_source_shown_in_tracebacks_while_the_function_lives_then_released():
    gc.collect()
    before = generated_sources()
    f = failing_function()
    filename = f.program.filename
    assert filename in linecache.cache
    assert shows_generated_line(f)  # read from linecache
    del f
    gc.collect()
    assert filename not in linecache.cache
    assert generated_sources() <= before


def test_many_functions_leave_nothing_in_linecache():
    gc.collect()
    before = generated_sources()
    x = T.dvector("x")
    for k in range(50):
        f = function([x], T.tanh(x * (k + 1.0)).sum())
        f(np.ones(3))
    del f
    gc.collect()
    assert generated_sources() <= before


DUPLICATES = {
    "pickle": lambda f: pickle.loads(pickle.dumps(f)),
    "Function.copy": lambda f: f.copy(),
    "copy.copy": copy.copy,
}


@pytest.mark.parametrize("duplicate", DUPLICATES.values(), ids=DUPLICATES.keys())
def test_duplicates_keep_their_own_source(duplicate):
    gc.collect()
    before = generated_sources()
    f = failing_function()
    other = duplicate(f)
    assert shows_generated_line(other)  # compiles an unpickled function
    del f
    gc.collect()
    assert shows_generated_line(other)
    assert other.program.filename in linecache.cache
    del other
    gc.collect()
    assert generated_sources() <= before
