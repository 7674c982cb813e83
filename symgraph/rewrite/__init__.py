"""Graph rewriting: the named pass pipeline and its passes."""

from symgraph.rewrite.pipeline import PIPELINE, Pass, PassRecord, list_passes, run_pipeline

__all__ = ["PIPELINE", "Pass", "PassRecord", "list_passes", "run_pipeline"]
