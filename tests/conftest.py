"""Shared pytest configuration: the ``slow`` marker and fixed random seeds."""

import numpy as np
import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--runslow",
        action="store_true",
        default=False,
        help="run the long end-to-end versions of slow tests",
    )


@pytest.fixture
def runslow(request) -> bool:
    """True when the full versions of long runs were asked for (``--runslow``)."""
    return request.config.getoption("--runslow")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
