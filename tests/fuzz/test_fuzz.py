"""Random graphs, compiled in both modes, against a NumPy interpreter of the same graph.

CI runs a short, derandomized budget. ``pytest --runslow tests/fuzz`` runs 20,000 graphs
from a random seed (``--hypothesis-seed=N`` fixes it); ``SYMGRAPH_FUZZ_EXAMPLES=N`` sets
the count, e.g. to split a long run over processes with different seeds. A failure
prints the shrunk graph as a runnable script (see ``fuzz_check`` for what is checked).
``SYMGRAPH_FUZZ_EXCLUDE=inplace,...`` leaves passes out of FAST_RUN, and ``triage.py``
sorts a run's failures by the pass that causes them.
"""

from __future__ import annotations

import os

from fuzz_check import STATS, check_graph
from fuzz_strategies import graphs
from hypothesis import HealthCheck, given, settings

CI_EXAMPLES = 500
SLOW_EXAMPLES = 20_000


def test_random_graphs_agree_with_numpy(runslow):
    default = SLOW_EXAMPLES if runslow else CI_EXAMPLES
    examples = int(os.environ.get("SYMGRAPH_FUZZ_EXAMPLES", default))
    ran = []
    STATS.clear()

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=not runslow,
        suppress_health_check=list(HealthCheck),
    )
    @given(graphs())
    def fuzz(graph):
        check_graph(graph)
        ran.append(1)

    fuzz()
    print(f"\n{len(ran)} random graphs checked")
    for what, count in sorted(STATS.items()):
        print(f"  {what}: {count}")
    assert len(ran) >= examples
