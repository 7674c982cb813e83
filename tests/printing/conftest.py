"""A LeNet training function compiled with its pass trace, shared by the picture tests."""

import os
import sys

import numpy as np
import pytest

import symgraph

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tutorials"))

import convolutional_mlp  # noqa: E402
from logistic_sgd import shared_dataset  # noqa: E402


@pytest.fixture(scope="session")
def lenet_step():
    """LeNet's training step (batch 10, float64) compiled with ``trace=True``."""
    data = (np.zeros((20, 784)), np.zeros(20, dtype="int32"))
    train_x, train_y = shared_dataset(data)
    with symgraph.collect_functions() as compiled:
        convolutional_mlp.build(train_x, train_y, batch_size=10)
    return compiled[-1]
