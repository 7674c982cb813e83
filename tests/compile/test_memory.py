"""Freed memory stays in the process for reuse (glibc's malloc thresholds raised)."""

import resource
import sys

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph.compile import memory
from symgraph.config import Config


def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc knobs")
def test_function_keeps_freed_blocks_for_reuse():
    x = T.dvector("x")
    symgraph.function([x], x * 2)  # applies the setting once
    assert memory.keep_freed_memory()  # glibc: applied, and asking again is a no-op
    np.ones(2**22).sum()  # 32 MiB: grows the heap once
    before = minor_faults()
    for _ in range(3):
        np.ones(2**22).sum()  # the same block again: no fresh pages
    # Fresh mmap'd pages would fault 8,192 times (4 KiB pages) per array.
    assert minor_faults() - before < 500


def test_config_flag_parses_and_validates():
    assert Config("keep_freed_memory=False").keep_freed_memory is False
    assert Config("keep_freed_memory=1").keep_freed_memory is True
    assert Config().keep_freed_memory is True
    with pytest.raises(ValueError, match="True or False"):
        Config("keep_freed_memory=maybe")
