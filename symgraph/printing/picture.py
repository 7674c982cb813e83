"""Graph pictures drawn by symgraph itself: a layered layout and its SVG (no Graphviz).

``to_svg(f)`` draws a compiled function, a FunctionGraph, a variable or a list of them.
The layout is Sugiyama-style: op nodes are put in layers by longest path (a node sits
one layer below its deepest argument), each
input just above its first reader, an edge spanning several layers runs through a point
in each layer between, and the order within layers comes from barycenter sweeps (each
node moved to the mean position of its neighbours in the next layer), which removes most
crossings. Variables computed by a node are drawn in its box (name and type); inputs,
shared variables and constants get boxes of their own.

The layout (:class:`Layout`) is plain data, so other renderers (the PNG one in
``symgraph.printing.raster``) draw the same picture.
"""

from __future__ import annotations

import bisect
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from symgraph.compile.function import Function
from symgraph.graph.basic import Apply, Constant, HasInnerGraph, Variable
from symgraph.graph.fgraph import FunctionGraph
from symgraph.graph.traversal import toposort
from symgraph.rewrite.fused import Fused
from symgraph.rewrite.trace import GraphSnapshot, NodeSnapshot, snapshot_graph
from symgraph.tensor.shared import SharedVariable

__all__ = ["Box", "Layout", "graph_snapshot", "layout_graph", "layout_svg", "to_svg"]

CHAR_WIDTH = 6.6  # monospace at FONT_SIZE px, measured width of one character
FONT_SIZE = 11
LINE_HEIGHT = 14
PADDING = 6
ROW_GAP = 34  # vertical room between layers, for the edges
COLUMN_GAP = 14
DUMMY_WIDTH = 6  # an edge passing through a layer takes this much room in it
MAX_LABEL = 46  # characters shown in a box line; the whole text is in its tooltip
SWEEPS = 8  # barycenter passes, down and up alternately; the best ordering seen is kept


@dataclass
class Box:
    """A node of the picture: an op node or a variable that no node computes."""

    key: str
    kind: str  # "op", "input", "shared" or "constant"
    lines: list[str]
    tooltip: str
    classes: list[str] = field(default_factory=list)
    badges: list[str] = field(default_factory=list)
    node: Apply | None = None
    variable: Variable | None = None
    layer: int = 0
    x: float = 0.0  # centre
    y: float = 0.0  # top
    width: float = 0.0
    height: float = 0.0


@dataclass
class Edge:
    """A variable flowing from one box to an argument of another; ``kind`` is "data",
    "destroy" (the node overwrites it: ``destroy_map``) or "view" (``view_map``)."""

    source: str
    target: str
    position: int
    kind: str
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Layout:
    boxes: dict[str, Box]
    edges: list[Edge]
    width: float
    height: float
    crossings: int  # edge crossings between adjacent layers (long edges counted per layer)


def _clip(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def graph_snapshot(obj) -> tuple[GraphSnapshot, list[str]]:
    """The snapshot of what ``obj`` computes (a Function, FunctionGraph, variable or list
    of variables) and a label for each of its outputs ("output 0", "update of W")."""
    if isinstance(obj, Function):
        snapshot = snapshot_graph(obj.fgraph.inputs, obj.fgraph.outputs)
        return snapshot, function_output_labels(obj, snapshot)
    if isinstance(obj, FunctionGraph):
        outputs = list(obj.outputs)
        return snapshot_graph(obj.inputs, outputs), [f"output {k}" for k in range(len(outputs))]
    outputs = [obj] if isinstance(obj, Variable) else list(obj)
    for position, output in enumerate(outputs):
        if not isinstance(output, Variable):
            raise TypeError(
                f"to_svg draws functions, FunctionGraphs and variables; item {position} is "
                f"{output!r} ({type(output).__name__})"
            )
    found = {
        v: None
        for node in toposort(outputs)
        for v in node.inputs
        if v.owner is None and not isinstance(v, Constant)
    }
    for output in outputs:
        if output.owner is None and not isinstance(output, Constant):
            found.setdefault(output)
    return snapshot_graph(list(found), outputs), [f"output {k}" for k in range(len(outputs))]


def function_output_labels(function: Function, snapshot: GraphSnapshot) -> list[str]:
    """ "output k" for the function's outputs, "update of W" for its updates' values."""
    labels = [f"output {k}" for k in range(len(function.outputs))]
    for target, _ in function.updates:
        labels.append(f"update of {target.name or snapshot.names.get(target) or target}")
    return labels + [f"output {k}" for k in range(len(labels), len(snapshot.outputs))]


def _source_kind(variable: Variable) -> str:
    if isinstance(variable, Constant):
        return "constant"
    if isinstance(variable, SharedVariable):
        return "shared"
    return "input"


def _typed(snapshot: GraphSnapshot, variable: Variable) -> str:
    return f"{snapshot.name(variable)} : {variable.type}"


def _op_box(key: str, entry: NodeSnapshot, snapshot: GraphSnapshot) -> Box:
    op = entry.op
    outputs = ", ".join(_typed(snapshot, v) for v in entry.outputs)
    tooltip = [f"{op}", f"-> {outputs}"]
    classes, badges = ["op"], []
    if isinstance(op, Fused):
        classes.append("fused")
        inner = [f"  {inner.op}" for inner in op.order]
        title = f"Fused: {len(op.order)} ops"
        tooltip += [f"fused kernel of {len(op.order)} element-wise ops:"] + inner
    else:
        title = str(op)
        if isinstance(op, HasInnerGraph):
            classes.append("inner-graph")
    for inputs in getattr(op, "destroy_map", {}).values():
        names = ", ".join(entry.input_names[i] for i in inputs)
        badges.append(f"in-place: overwrites {names}")
        classes.append("destroys")
    for inputs in getattr(op, "view_map", {}).values():
        names = ", ".join(entry.input_names[i] for i in inputs)
        badges.append(f"view of {names}")
        classes.append("view")
    tooltip += badges
    if entry.node.source:
        tooltip.append(f"built at {entry.node.source}")
    lines = [_clip(title), _clip(outputs)] + [_clip(b) for b in badges]
    return Box(key, "op", lines, "\n".join(tooltip), classes, badges, node=entry.node)


def _source_box(key: str, variable: Variable, snapshot: GraphSnapshot) -> Box:
    kind = _source_kind(variable)
    text = str(variable) if kind == "constant" else _typed(snapshot, variable)
    label = {"input": "input", "shared": "shared variable", "constant": "constant"}[kind]
    lines = [_clip(text)] if kind == "constant" else [_clip(text), label]
    tooltip = f"{label}: {text}" + (f" : {variable.type}" if kind == "constant" else "")
    return Box(key, kind, lines, tooltip, [kind], variable=variable)


def _size(box: Box) -> None:
    box.width = max(len(line) for line in box.lines) * CHAR_WIDTH + 2 * PADDING
    box.height = len(box.lines) * LINE_HEIGHT + 2 * PADDING - 2


def layout_graph(
    snapshot: GraphSnapshot,
    output_labels: Sequence[str] = (),
    highlight: Mapping[Apply, str] | None = None,
    sweeps: int = SWEEPS,
) -> Layout:
    """Place the boxes and route the edges of ``snapshot``'s picture. ``highlight`` maps
    nodes to a class added to their box ("added", "removed", "rewritten")."""
    highlight = highlight or {}
    boxes: dict[str, Box] = {}
    node_key: dict[Apply, str] = {}
    source_key: dict[Variable, str] = {}
    producer: dict[Variable, str] = {}
    for index, entry in enumerate(snapshot.nodes):
        key = f"n{index}"
        node_key[entry.node] = key
        boxes[key] = _op_box(key, entry, snapshot)
        if entry.node in highlight:
            boxes[key].classes.append(highlight[entry.node])
        for v in entry.outputs:
            producer[v] = key

    def source(variable: Variable) -> str:
        if variable in producer:
            return producer[variable]
        if variable not in source_key:
            key = f"v{len(source_key)}"
            source_key[variable] = key
            boxes[key] = _source_box(key, variable, snapshot)
        return source_key[variable]

    for variable in snapshot.inputs:
        source(variable)
    edges: list[Edge] = []
    for entry in snapshot.nodes:
        destroyed = {i for ins in getattr(entry.op, "destroy_map", {}).values() for i in ins}
        viewed = {i for ins in getattr(entry.op, "view_map", {}).values() for i in ins}
        for position, variable in enumerate(entry.inputs):
            kind = "destroy" if position in destroyed else "view" if position in viewed else "data"
            edges.append(Edge(source(variable), node_key[entry.node], position, kind))
    for position, variable in enumerate(snapshot.outputs):
        box = boxes[source(variable)]
        label = output_labels[position] if position < len(output_labels) else f"output {position}"
        box.badges.append(f"{snapshot.name(variable)} is {label}")
        box.lines.append(_clip(f"=> {label}"))
        box.tooltip += f"\n{snapshot.name(variable)} is {label}"
        if "output" not in box.classes:
            box.classes.append("output")
    for box in boxes.values():
        _size(box)
    _assign_layers(boxes, edges)
    layers, up, down, crossings = _order_layers(boxes, edges, sweeps)
    height, dummies = _place(boxes, layers, up, down)
    _route(boxes, edges, dummies)
    width = max((b.x + b.width / 2 for b in boxes.values()), default=0) + COLUMN_GAP
    return Layout(boxes, edges, width, height, crossings)


def _assign_layers(boxes: dict[str, Box], edges: list[Edge]) -> None:
    """Op nodes by longest path from the inputs; each input just above its first reader."""
    # Kahn's order over the op-to-op edges: a node's layer is final once all its
    # arguments are placed. (Written here rather than with networkx, whose import would
    # cost every ``import symgraph`` about 70 ms.)
    successors: dict[str, list[str]] = {k: [] for k, b in boxes.items() if b.kind == "op"}
    waiting = dict.fromkeys(successors, 0)
    for edge in edges:
        if edge.source in successors and edge.target in successors:
            successors[edge.source].append(edge.target)
            waiting[edge.target] += 1
    ready = [key for key, count in waiting.items() if count == 0]
    for key in ready:
        boxes[key].layer = 1
    while ready:
        key = ready.pop()
        for target in successors[key]:
            boxes[target].layer = max(boxes[target].layer, boxes[key].layer + 1)
            waiting[target] -= 1
            if not waiting[target]:
                ready.append(target)
    readers: dict[str, int] = {}
    for edge in edges:
        if boxes[edge.source].kind != "op":
            layer = boxes[edge.target].layer - 1
            readers[edge.source] = min(readers.get(edge.source, layer), layer)
    for key, box in boxes.items():
        if box.kind != "op":
            box.layer = readers.get(key, 0)


def count_crossings(layers: list[list[str]], down: dict[str, list[str]]) -> int:
    """How many pairs of edges cross between adjacent layers (edges join adjacent layers
    only, once long ones run through dummies): inversions of the lower ends."""
    total = 0
    for upper, lower in zip(layers, layers[1:]):
        position = {key: i for i, key in enumerate(lower)}
        ends = [position[n] for key in upper for n in sorted(down[key], key=position.get)]
        seen: list[int] = []
        for end in ends:
            total += len(seen) - bisect.bisect_right(seen, end)
            bisect.insort(seen, end)
    return total


def _order_layers(boxes: dict[str, Box], edges: list[Edge], sweeps: int = SWEEPS):
    """Order each layer by barycenter sweeps; an edge spanning layers gets a dummy point in
    each layer between (``edge.points`` holds the chain of keys until ``_route``).
    Returns the layers, each key's neighbours in the layer above and below, and the
    number of crossings left."""
    depth = max((b.layer for b in boxes.values()), default=0) + 1
    layers: list[list[str]] = [[] for _ in range(depth)]
    for key, box in boxes.items():
        layers[box.layer].append(key)
    up: dict[str, list[str]] = {key: [] for key in boxes}
    down: dict[str, list[str]] = {key: [] for key in boxes}
    for index, edge in enumerate(edges):
        chain = [edge.source]
        for layer in range(boxes[edge.source].layer + 1, boxes[edge.target].layer):
            dummy = f"d{index}_{layer}"
            layers[layer].append(dummy)
            up[dummy], down[dummy] = [], []
            chain.append(dummy)
        chain.append(edge.target)
        for a, b in zip(chain, chain[1:]):
            down[a].append(b)
            up[b].append(a)
        edge.points = chain  # keys for now; _place turns them into coordinates
    position = {key: i for layer in layers for i, key in enumerate(layer)}

    def sweep(order: range, neighbours: dict[str, list[str]]) -> None:
        for layer in order:
            keys = layers[layer]

            def barycenter(key: str) -> float:
                near = neighbours[key]
                if not near:
                    return position[key]
                return sum(position[n] for n in near) / len(near)

            keys.sort(key=barycenter)
            for i, key in enumerate(keys):
                position[key] = i

    best = count_crossings(layers, down)
    best_layers = [list(layer) for layer in layers]
    for turn in range(sweeps):
        if turn % 2 == 0:
            sweep(range(1, depth), up)
        else:
            sweep(range(depth - 2, -1, -1), down)
        crossings = count_crossings(layers, down)
        if crossings < best:
            best, best_layers = crossings, [list(layer) for layer in layers]
    return best_layers, up, down, best


def _place(boxes: dict[str, Box], layers: list[list[str]], up, down):
    """Coordinates: each layer a row; within it, nodes pulled toward their neighbours'
    mean x while keeping their order and a gap between them. Returns the height and
    each dummy's (x, top and bottom of its row)."""
    width = {k: boxes[k].width if k in boxes else DUMMY_WIDTH for layer in layers for k in layer}
    x: dict[str, float] = {}
    for layer in layers:
        left = COLUMN_GAP
        for key in layer:
            x[key] = left + width[key] / 2
            left += width[key] + COLUMN_GAP

    def settle(layer: list[str], neighbours: dict[str, list[str]]) -> None:
        wanted = [
            sum(x[n] for n in neighbours[k]) / len(neighbours[k]) if neighbours[k] else x[k]
            for k in layer
        ]
        forward = list(wanted)
        for i in range(1, len(layer)):
            gap = (width[layer[i - 1]] + width[layer[i]]) / 2 + COLUMN_GAP
            forward[i] = max(forward[i], forward[i - 1] + gap)
        backward = list(wanted)
        for i in range(len(layer) - 2, -1, -1):
            gap = (width[layer[i + 1]] + width[layer[i]]) / 2 + COLUMN_GAP
            backward[i] = min(backward[i], backward[i + 1] - gap)
        for i, key in enumerate(layer):
            x[key] = (forward[i] + backward[i]) / 2
        for i in range(1, len(layer)):  # the mean of two feasible placements may overlap
            gap = (width[layer[i - 1]] + width[layer[i]]) / 2 + COLUMN_GAP
            x[layer[i]] = max(x[layer[i]], x[layer[i - 1]] + gap)

    for _ in range(4):
        for layer in layers[1:]:
            settle(layer, up)
        for layer in reversed(layers[:-1]):
            settle(layer, down)
    shift = COLUMN_GAP - min((x[k] - width[k] / 2 for k in x), default=0)
    top = ROW_GAP / 2
    row_top: list[float] = []
    row_height: list[float] = []
    for layer in layers:
        tallest = max((boxes[k].height for k in layer if k in boxes), default=0)
        row_top.append(top)
        row_height.append(tallest)
        for key in layer:
            if key in boxes:
                box = boxes[key]
                box.x = x[key] + shift
                box.y = top + (tallest - box.height) / 2
        top += tallest + ROW_GAP
    dummies = {
        key: (x[key] + shift, row_top[layer], row_top[layer] + row_height[layer])
        for layer, keys in enumerate(layers)
        for key in keys
        if key not in boxes
    }
    return top - ROW_GAP / 2, dummies


def _route(boxes: dict[str, Box], edges: list[Edge], dummies: dict) -> None:
    """Turn each edge's chain of keys into points: out of the bottom of its source, through
    its dummies, into the top of its target (spread along it by argument position)."""
    fan_in: dict[str, int] = {}
    for edge in edges:
        fan_in[edge.target] = max(fan_in.get(edge.target, 0), edge.position + 1)
    for edge in edges:
        source, target = boxes[edge.source], boxes[edge.target]
        points = [(source.x, source.y + source.height)]
        for key in edge.points[1:-1]:
            cx, row_top, row_bottom = dummies[key]
            points += [(cx, row_top), (cx, row_bottom)]
        count = fan_in[edge.target]
        spread = target.width * 0.6
        offset = 0 if count == 1 else spread * (edge.position / (count - 1) - 0.5)
        points.append((target.x + offset, target.y))
        edge.points = points


def _path(points: list[tuple[float, float]]) -> str:
    """Straight through dummy rows, curved between rows."""
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M{x0:.1f},{y0:.1f}"]
    for x1, y1 in rest:
        if abs(x1 - x0) < 0.5:
            parts.append(f"L{x1:.1f},{y1:.1f}")
        else:
            middle = (y0 + y1) / 2
            parts.append(f"C{x0:.1f},{middle:.1f} {x1:.1f},{middle:.1f} {x1:.1f},{y1:.1f}")
        x0, y0 = x1, y1
    return " ".join(parts)


# Colours shared by the SVG styles and the PNG renderer: box fills by kind (a fused
# kernel's class wins over "op"), border colour and width by class, edges by kind.
FILLS = {
    "op": "#ffffff",
    "input": "#dcf5dc",
    "shared": "#fff1c1",
    "constant": "#ececec",
    "inner-graph": "#e3f0fb",
    "fused": "#eee2fa",
}
BORDERS = {  # later entries win
    "fused": ("#7d3c98", 2),
    "output": ("#1f5fbf", 3),
    "rewritten": ("#e67e22", 4),
    "added": ("#1e8449", 4),
    "removed": ("#c0392b", 4),
}
EDGE_COLOURS = {"data": "#667", "destroy": "#c0392b", "view": "#2471a3"}
BADGE_COLOUR, OUTPUT_COLOUR = "#c0392b", "#1f5fbf"


def box_colours(box: Box) -> tuple[str, str, float]:
    """The fill, border colour and border width of a box."""
    fill = FILLS[box.kind]
    for css in ("inner-graph", "fused"):
        if css in box.classes:
            fill = FILLS[css]
    border, width = "#445", 1.0
    for css, (colour, size) in BORDERS.items():
        if css in box.classes:
            border, width = colour, size
    return fill, border, width


STYLE = (
    ".sg-edge{fill:none;stroke-width:1.1}"
    + "".join(f".sg-edge.{kind}{{stroke:{c}}}" for kind, c in EDGE_COLOURS.items())
    + ".sg-edge.destroy{stroke-width:2.2}.sg-edge.view{stroke-dasharray:5 3}"
    + ".sg-node rect{stroke:#445;stroke-width:1}"
    + "".join(f".sg-node.{kind} rect{{fill:{c}}}" for kind, c in FILLS.items())
    + "".join(
        f".sg-node.{css} rect{{stroke:{c};stroke-width:{w}}}" for css, (c, w) in BORDERS.items()
    )
    + ".sg-node.removed rect{stroke-dasharray:6 3}"
    + ".sg-node text{font-family:monospace;font-size:11px;fill:#111}"
    + f".sg-node text.sg-badge{{fill:{BADGE_COLOUR}}}"
    + f".sg-node text.sg-out{{fill:{OUTPUT_COLOUR};font-weight:bold}}"
    + ".sg-node:target rect{stroke:#f1c40f;stroke-width:6}"
)


def layout_svg(layout: Layout, id_prefix: str = "sg-", standalone: bool = True) -> str:
    """The SVG text of a layout. Every text from the graph is XML-escaped; nodes are
    ``<g class="sg-node ..." id="{id_prefix}n3">`` with a ``<title>`` tooltip (a fused
    kernel's lists its inner ops). ``standalone`` adds the XML namespace and styles."""
    esc = html.escape
    width, height = max(layout.width, 1), max(layout.height, 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sg-graph" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">'
    ]
    marker = f"{id_prefix}arrow"
    out.append(
        f'<defs><marker id="{esc(marker)}" viewBox="0 0 8 8" refX="8" refY="4" '
        'markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" '
        'orient="auto-start-reverse">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#667"/></marker></defs>'
    )
    if standalone:
        out.append(f"<style>{STYLE}</style>")
    out.append('<g class="sg-edges">')
    for edge in layout.edges:
        out.append(
            f'<path class="sg-edge {edge.kind}" data-from="{esc(id_prefix + edge.source)}" '
            f'data-to="{esc(id_prefix + edge.target)}" d="{_path(edge.points)}" '
            f'marker-end="url(#{esc(marker)})"/>'
        )
    out.append("</g>")
    out.append('<g class="sg-nodes">')
    for box in layout.boxes.values():
        classes = " ".join(["sg-node"] + box.classes)
        left = box.x - box.width / 2
        out.append(
            f'<g class="{esc(classes)}" id="{esc(id_prefix + box.key)}">'
            f"<title>{esc(box.tooltip)}</title>"
            f'<rect x="{left:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" '
            f'height="{box.height:.1f}" rx="{8 if box.kind != "op" else 2}"/>'
        )
        for row, line in enumerate(box.lines):
            y = box.y + PADDING + FONT_SIZE - 1 + row * LINE_HEIGHT
            css = ""
            if line.startswith("=> "):
                css = ' class="sg-out"'
            elif box.kind == "op" and row >= 2:
                css = ' class="sg-badge"'
            out.append(f'<text x="{left + PADDING:.1f}" y="{y:.1f}"{css}>{esc(line)}</text>')
        out.append("</g>")
    out.append("</g></svg>")
    return "\n".join(out)


def to_svg(
    obj,
    filename: str | None = None,
    highlight: Mapping[Apply, str] | None = None,
    id_prefix: str = "sg-",
) -> str:
    """An SVG picture of a compiled function (its optimized graph), a FunctionGraph, a
    variable or a list of variables, drawn without Graphviz.

    Op nodes show the op and the variables they compute with their types (``f64[?,3]``);
    inputs are green, shared variables yellow, constants grey; outputs (and the values
    of updates) have a thick blue border; a fused kernel is one purple node whose tooltip
    lists its inner ops; a node writing in place (``destroy_map``) says which input it
    overwrites and the edge from that input is red; views (``view_map``) have dashed
    edges. ``highlight`` maps nodes to a class ("added", "removed", "rewritten") that
    colours their border. With ``filename``, the SVG is written there too."""
    snapshot, labels = graph_snapshot(obj)
    text = layout_svg(layout_graph(snapshot, labels, highlight), id_prefix=id_prefix)
    if filename is not None:
        with open(filename, "w", encoding="utf-8") as handle:
            handle.write(text)
    return text
