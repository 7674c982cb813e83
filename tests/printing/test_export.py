"""Graph export: DOT text and the networkx graph."""

import os
import subprocess
import sys

import symgraph
import symgraph.tensor as T


def test_to_dot_text():
    v = T.dvector("v")
    text = symgraph.to_dot(T.exp(v) * 2.0)
    assert text.startswith("digraph symgraph {") and text.rstrip().endswith("}")
    assert 'label="exp"' in text and 'label="v\\nf64[?]"' in text
    assert text.count("->") == 5  # v->exp->t, t->mul, 2.0->mul, mul->out


def test_to_networkx_structure():
    x = T.dvector("x")
    y = T.exp(x) + x
    g = symgraph.to_networkx(y)
    apply_nodes = [n for n, d in g.nodes(data=True) if d["kind"] == "apply"]
    labels = sorted(g.nodes[n]["label"] for n in apply_nodes)
    assert labels == ["add", "exp"]
    (x_key,) = [n for n, d in g.nodes(data=True) if d.get("name") == "x"]
    assert g.out_degree(x_key) == 2
    import networkx as nx

    assert nx.is_directed_acyclic_graph(g)
    outputs = [n for n, d in g.nodes(data=True) if d.get("is_output")]
    assert len(outputs) == 1 and g.out_degree(outputs[0]) == 0


def test_import_symgraph_leaves_networkx_to_to_networkx():
    # networkx takes about 70 ms to import: a process that never exports a graph skips it
    code = (
        "import sys, symgraph, symgraph.tensor as T; print('networkx' in sys.modules); "
        "symgraph.to_networkx(T.dvector() * 2); print('networkx' in sys.modules)"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=root),
        check=True,
    )
    assert done.stdout.split() == ["False", "True"]
