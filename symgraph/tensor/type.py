"""Re-export of ``TensorType`` (defined with the graph IR) under ``symgraph.tensor``."""

from symgraph.graph.type import TensorType

__all__ = ["TensorType"]
