"""pytest plugin running Theano 1.0.5's own test modules against the compat layer.

``import theano`` gives symgraph's compat layer; only Theano's test packages
(``theano.**.tests``, with their helpers such as ``theano.tests.unittest_tools``) are
loaded from Theano's source tree, named by the ``THEANO_SOURCE`` environment variable.
``numpy.testing.dec``, which those tests import and NumPy 1.25 removed, is stood in for by
the equivalent pytest marks.
"""

import importlib.abc
import importlib.util
import os
import sys
import types

import numpy.testing
import pytest

import symgraph.compat.theano as compat

SOURCE = os.environ["THEANO_SOURCE"]


class _TheanoTestsFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        parts = fullname.split(".")
        if parts[0] != "theano" or "tests" not in parts:
            return None
        base = os.path.join(SOURCE, *parts)
        if os.path.isdir(base):
            init = os.path.join(base, "__init__.py")
            return importlib.util.spec_from_file_location(
                fullname, init, submodule_search_locations=[base]
            )
        if os.path.exists(base + ".py"):
            return importlib.util.spec_from_file_location(fullname, base + ".py")
        return None


def _condition(condition):
    return bool(condition() if callable(condition) else condition)


def _numpy_testing_dec() -> types.ModuleType:
    dec = types.ModuleType("numpy.testing.dec")
    dec.skipif = lambda condition, msg="": pytest.mark.skipif(
        _condition(condition), reason=str(msg)
    )
    dec.knownfailureif = lambda condition, msg="": pytest.mark.xfail(
        _condition(condition), reason=str(msg)
    )
    dec.slow = pytest.mark.slow
    return dec


compat.install()
sys.meta_path.insert(0, _TheanoTestsFinder())
if not hasattr(numpy.testing, "dec"):
    numpy.testing.dec = sys.modules["numpy.testing.dec"] = _numpy_testing_dec()
