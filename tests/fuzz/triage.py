"""Run the fuzzer without shrinking and sort what it finds by the pass that causes it.

    PYTHONPATH=$PWD python tests/fuzz/triage.py --examples 2000 --seed 1

Every failing graph is checked again with FAST_RUN leaving out one pass at a time; the
passes whose absence makes the failure go away are its suspects (an in-place bug
needs ``fusion`` and ``inplace``, a folded constant ``canonicalize``...). Prints, for
each kind of failure and set of suspects, how many graphs failed that way, after how
many graphs and seconds the first one came, and the smallest such graph.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fuzz_check import FuzzFailure, check_graph  # noqa: E402
from fuzz_strategies import graphs  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from symgraph.rewrite.pipeline import list_passes  # noqa: E402


def suspects(graph) -> tuple[str, ...]:
    """The passes without which ``graph`` passes its checks."""
    found = []
    before = os.environ.get("SYMGRAPH_FUZZ_EXCLUDE", "")
    try:
        for name in list_passes():
            os.environ["SYMGRAPH_FUZZ_EXCLUDE"] = ",".join(p for p in (before, name) if p)
            try:
                check_graph(graph)
            except Exception:  # noqa: BLE001 - any failure means "not this pass"
                continue
            found.append(name)
    finally:
        os.environ["SYMGRAPH_FUZZ_EXCLUDE"] = before
    return tuple(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gradient", choices=["mixed", "only", "never"], default="mixed")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    gradient = {"mixed": None, "only": True, "never": False}[args.gradient]
    found: dict = defaultdict(list)
    count = [0]
    start = time.perf_counter()

    @seed(args.seed)
    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(graphs(gradient=gradient))
    def run(graph):
        count[0] += 1
        try:
            check_graph(graph)
        except FuzzFailure as failure:
            key = (type(failure).__name__, suspects(graph))
        except Exception as error:  # noqa: BLE001 - a crash is a finding too
            key = (f"{type(error).__name__} (crash)", suspects(graph))
        else:
            return
        found[key].append((count[0], time.perf_counter() - start, graph))

    run()
    elapsed = time.perf_counter() - start
    print(f"{count[0]} graphs in {elapsed:.0f} s (seed {args.seed})")
    for (kind, passes), hits in sorted(found.items(), key=lambda item: item[1][0][0]):
        first, seconds, _ = hits[0]
        smallest = min(hits, key=lambda hit: len(hit[2].nodes))[2]
        print(f"\n== {kind}, gone without: {', '.join(passes) or '(no single pass)'}")
        print(f"   {len(hits)} graphs; first at graph {first}, after {seconds:.1f} s")
        script = smallest.script().splitlines()
        print("   smallest:\n" + "\n".join("      " + line for line in script))


if __name__ == "__main__":
    main()
