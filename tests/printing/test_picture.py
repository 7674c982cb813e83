"""SVG pictures drawn by symgraph (``to_svg``): parsed as XML and checked against the
graph they draw (its nodes from ``to_networkx``, its aliasing from the ops)."""

import xml.etree.ElementTree as ET

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T
from symgraph.printing.picture import graph_snapshot, layout_graph
from symgraph.rewrite.fused import Fused

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # fails on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def node_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "sg-node" in g.get("class", "").split()]


def classes(group: ET.Element) -> set[str]:
    return set(group.get("class").split())


def texts(group: ET.Element) -> list[str]:
    return [t.text for t in group.iter(f"{SVG}text")]


def title(group: ET.Element) -> str:
    return group.find(f"{SVG}title").text


def rect(group: ET.Element) -> tuple[float, float, float, float]:
    r = group.find(f"{SVG}rect")
    return tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))


def test_every_node_and_input_of_a_function_is_drawn_once():
    x, y = T.dmatrix("x"), T.dvector("y")
    w = symgraph.shared(np.ones((3, 3)), name="w")
    out = T.tanh(T.dot(x, w) + y).sum()
    f = symgraph.function([x, y], out, updates=[(w, w * 0.5)])
    root = parse(symgraph.to_svg(f))
    groups = node_groups(root)
    reference = symgraph.to_networkx(f)
    ops = [d for _, d in reference.nodes(data=True) if d["kind"] == "apply"]
    sources = [
        d for n, d in reference.nodes(data=True) if d["kind"] == "variable" and d["is_input"]
    ]
    assert len([g for g in groups if "op" in classes(g)]) == len(ops)
    assert len([g for g in groups if "op" not in classes(g)]) == len(sources)
    drawn_ops = sorted(title(g).split("\n")[0] for g in groups if "op" in classes(g))
    assert drawn_ops == sorted(d["label"] for d in ops)
    (shared,) = [g for g in groups if "shared" in classes(g)]
    assert texts(shared)[0] == f"w : {w.type}" and texts(shared)[1] == "shared variable"
    (x_box,) = [g for g in groups if "input" in classes(g) and texts(g)[0].startswith("x ")]
    assert texts(x_box)[0] == "x : f64[?,?]"
    outputs = [g for g in groups if "output" in classes(g)]
    shown = sorted(t for g in outputs for t in texts(g) if t.startswith("=> "))
    assert shown == ["=> output 0", "=> update of w"]
    edges = [p for p in root.iter(f"{SVG}path") if "sg-edge" in p.get("class", "")]
    assert len(edges) == sum(
        1 for a, b in reference.edges() if reference.nodes[b]["kind"] == "apply"
    )
    ids = {g.get("id") for g in groups}
    for edge in edges:
        assert edge.get("data-from") in ids and edge.get("data-to") in ids


def test_names_and_op_text_are_escaped():
    evil = "</text><script>alert(1)</script>"
    x = T.dvector(evil)
    y = T.exp(x)
    y.name = 'a"b<c>&d'
    svg = symgraph.to_svg(y)
    assert "<script" not in svg and "alert(1)</script>" not in svg
    root = parse(svg)
    assert not list(root.iter("script")) and not list(root.iter(f"{SVG}script"))
    words = [t for g in node_groups(root) for t in texts(g)]
    assert f"{evil} : f64[?]" in words
    assert any(t.startswith('a"b<c>&d : ') for t in words)


def test_a_fused_kernel_is_one_node_listing_its_inner_ops():
    x = T.dvector("x")
    f = symgraph.function([x], T.tanh(T.exp(x) * 2.0 + 1.0))
    (node,) = f.fgraph.toposort()
    assert isinstance(node.op, Fused)
    (group,) = [g for g in node_groups(parse(symgraph.to_svg(f))) if "op" in classes(g)]
    assert "fused" in classes(group)
    assert texts(group)[0] == f"Fused: {len(node.op.order)} ops"
    tooltip = title(group).split("\n")
    for inner in node.op.order:
        assert f"  {inner.op}" in tooltip


def test_in_place_outputs_and_views_are_marked():
    x = T.dmatrix("x")
    f = symgraph.function([x], T.tanh(T.dot(x, x.T)) + 1.0)
    destroying = [n for n in f.fgraph.toposort() if n.op.destroy_map]
    viewing = [n for n in f.fgraph.toposort() if n.op.view_map]
    assert destroying and viewing
    root = parse(symgraph.to_svg(f))
    groups = node_groups(root)
    marked = [g for g in groups if "destroys" in classes(g)]
    assert len(marked) == len(destroying)
    assert all(any(t.startswith("in-place: overwrites ") for t in texts(g)) for g in marked)
    assert len([g for g in groups if "view" in classes(g)]) == len(viewing)
    edges = [p.get("class").split() for p in root.iter(f"{SVG}path") if p.get("data-to")]
    assert sum("destroy" in c for c in edges) == sum(
        len(v) for n in destroying for v in n.op.destroy_map.values()
    )
    assert sum("view" in c for c in edges) == sum(
        len(v) for n in viewing for v in n.op.view_map.values()
    )


def test_written_to_a_file(tmp_path):
    x = T.dvector("x")
    target = tmp_path / "graph.svg"
    text = symgraph.to_svg(T.exp(x), str(target))
    assert target.read_text(encoding="utf-8") == text


def test_bad_input_names_the_item():
    x = T.dvector("x")
    try:
        symgraph.to_svg([x, "not a variable"])
    except TypeError as error:
        assert "item 1" in str(error) and "'not a variable'" in str(error) and "str" in str(error)
    else:
        raise AssertionError("to_svg accepted a string")


def overlapping(a, b) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def check_layout(root: ET.Element) -> None:
    """No two boxes overlap, all lie inside the picture, and every edge runs downwards."""
    width, height = float(root.get("width")), float(root.get("height"))
    boxes = {g.get("id"): rect(g) for g in node_groups(root)}
    for x, y, w, h in boxes.values():
        assert 0 <= x and x + w <= width + 0.5 and 0 <= y and y + h <= height + 0.5
    ordered = sorted(boxes.values())
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b[0] >= a[0] + a[2]:
                break
            assert not overlapping(a, b), (a, b)
    for edge in root.iter(f"{SVG}path"):
        if edge.get("data-from"):
            source, target = boxes[edge.get("data-from")], boxes[edge.get("data-to")]
            assert source[1] + source[3] <= target[1]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_graphs_are_laid_out_without_overlaps(data):
    pool = [T.dvector("a"), T.dvector("b"), T.dvector("c")]
    unary = [T.exp, T.tanh, lambda v: v * 2.0, lambda v: v.sum() + v]
    binary = [lambda p, q: p + q, lambda p, q: p * q, T.maximum]
    for _ in range(data.draw(st.integers(1, 25), label="nodes")):
        if data.draw(st.booleans(), label="unary"):
            pool.append(data.draw(st.sampled_from(unary))(data.draw(st.sampled_from(pool))))
        else:
            op = data.draw(st.sampled_from(binary))
            pool.append(op(data.draw(st.sampled_from(pool)), data.draw(st.sampled_from(pool))))
    outputs = data.draw(st.lists(st.sampled_from(pool[3:]), min_size=1, max_size=3))
    root = parse(symgraph.to_svg(outputs))
    snapshot, labels = graph_snapshot(outputs)
    ordered = layout_graph(snapshot, labels)
    assert ordered.crossings <= layout_graph(snapshot, labels, sweeps=0).crossings
    reference = symgraph.to_networkx(outputs)
    n_ops = sum(1 for _, d in reference.nodes(data=True) if d["kind"] == "apply")
    assert sum("op" in classes(g) for g in node_groups(root)) == n_ops
    check_layout(root)


def test_lenet_training_graph_is_drawn_readably(lenet_step):
    svg = symgraph.to_svg(lenet_step)
    root = parse(svg)
    assert sum("op" in classes(g) for g in node_groups(root)) == len(lenet_step.fgraph.toposort())
    check_layout(root)
    for snapshot in (lenet_step.trace[0].graph_before, lenet_step.trace[-1].graph_after):
        ordered, unordered = layout_graph(snapshot), layout_graph(snapshot, sweeps=0)
        assert ordered.crossings < unordered.crossings / 2
