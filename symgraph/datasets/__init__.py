"""Bundled data sets (numpy and the standard library only)."""

from symgraph.datasets.mnist import load_mnist, read_idx

__all__ = ["load_mnist", "read_idx"]
