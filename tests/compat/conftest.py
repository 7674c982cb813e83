"""Fixtures shared by the compat layer's tests."""

import pytest

import symgraph.compat.theano as compat

# The Theano-style scripts (test_hmc.py among them) run through the compat runner from
# the tests, and lasagne_env holds stand-in modules for Lasagne's run: pytest must not
# collect them.
collect_ignore = ["scripts", "lasagne_env"]


@pytest.fixture
def theano():
    """``import theano`` resolving to the compat layer for the duration of a test."""
    already = compat.installed()
    compat.install()
    import theano

    yield theano
    if not already:
        compat.uninstall()
