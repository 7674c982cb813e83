"""``variable.eval(...)``: compile (once, cached on the variable) and run its graph.

The graph IR knows nothing of compiling (``symgraph.graph`` sits below this package), so
the method is installed on ``Variable`` here, when ``symgraph.compile`` is imported.
"""

from __future__ import annotations

from symgraph.compile.function import function
from symgraph.graph.basic import Variable


def evaluate(variable: Variable, inputs_to_values: dict | None = None):
    """Compile (once, cached) and run ``variable``'s graph for the given inputs."""
    inputs_to_values = dict(inputs_to_values or {})
    inputs = list(inputs_to_values)
    key = tuple(id(v) for v in inputs)
    # Tag keys starting with "_" are caches: pickles and cloned graphs leave them behind.
    cache = variable.tag.setdefault("_eval_cache", {})
    if key not in cache:
        cache[key] = function(inputs, variable, on_unused_input="ignore")
    return cache[key](*[inputs_to_values[v] for v in inputs])


Variable.eval = evaluate
