"""Fixtures shared by the compat layer's tests."""

import pytest

import symgraph.compat.theano as compat


@pytest.fixture
def theano():
    """``import theano`` resolving to the compat layer for the duration of a test."""
    already = compat.installed()
    compat.install()
    import theano

    yield theano
    if not already:
        compat.uninstall()
