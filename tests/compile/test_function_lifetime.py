"""What a compiled function holds on to while it lives, and what it releases after.

Its generated source is in ``linecache`` (tracebacks show it) exactly as long as the
function lives; calls with updates are atomic with respect to other calls of the same
function, so no update is lost when threads share it.
"""

import copy
import gc
import linecache
import pickle
import sys
import threading
import traceback

import numpy as np
import pytest

import symgraph.tensor as T
from symgraph import function, shared


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


@pytest.fixture
def frequent_thread_switches():
    """Switch threads as often as possible, so that unsynchronised calls interleave."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def run_in_two_threads(increment, calls: int) -> None:
    start = threading.Barrier(2)

    def work():
        start.wait()
        for _ in range(calls):
            increment()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_concurrent_calls_with_updates_lose_none(frequent_thread_switches):
    # Unsynchronised, about every other run of two threads loses updates: repeat it.
    for _ in range(10):
        counter = shared(np.int64(0), name="counter")
        run_in_two_threads(function([], [], updates=[(counter, counter + 1)]), 2000)
        assert counter.get_value() == 4000
