"""PNG (and PDF...) pictures of graphs through matplotlib, when it is installed.

The same layout as the SVG (``symgraph.printing.picture``) drawn with matplotlib patches
and text. matplotlib is optional and slow to import (about half a second), so this module
is not imported by ``symgraph.printing``: ``theano.printing.pydotprint`` uses it.
"""

from __future__ import annotations

from symgraph.printing.picture import (
    BADGE_COLOUR,
    CHAR_WIDTH,
    EDGE_COLOURS,
    FONT_SIZE,
    LINE_HEIGHT,
    OUTPUT_COLOUR,
    PADDING,
    box_colours,
    graph_snapshot,
    layout_graph,
)

try:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path
except ImportError:  # optional: without it only SVG pictures can be drawn
    Figure = None

__all__ = ["HAVE_MATPLOTLIB", "to_image"]

HAVE_MATPLOTLIB = Figure is not None
DPI = 96  # one layout unit is one pixel at this resolution


def _edge_path(points) -> Path:
    vertices, codes = [points[0]], [Path.MOVETO]
    (x0, y0) = points[0]
    for x1, y1 in points[1:]:
        middle = (y0 + y1) / 2
        vertices += [(x0, middle), (x1, middle), (x1, y1)]
        codes += [Path.CURVE4] * 3
        x0, y0 = x1, y1
    return Path(vertices, codes)


def to_image(obj, filename: str, format: str | None = None) -> None:
    """Draw ``obj`` (what ``to_svg`` accepts) into ``filename`` as ``format`` (default:
    the file's extension; any format matplotlib writes: png, pdf...)."""
    if not HAVE_MATPLOTLIB:
        raise ImportError(
            f"drawing {filename} needs matplotlib (pip install matplotlib); "
            "SVG pictures (symgraph.to_svg) need nothing"
        )
    snapshot, labels = graph_snapshot(obj)
    layout = layout_graph(snapshot, labels)
    width, height = max(layout.width, 1), max(layout.height, 1)
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)
    axes.axis("off")
    points_per_pixel = 72 / DPI
    # The layout sized boxes for CHAR_WIDTH-wide characters; matplotlib's monospace font
    # rounds its glyphs wider (7 px instead of 6.6 at 11 px), so scale it to fit.
    probe = axes.text(0, 0, "x" * 20, fontsize=FONT_SIZE * points_per_pixel, family="monospace")
    measured = probe.get_window_extent(figure.canvas.get_renderer()).width / 20
    probe.remove()
    font_size = FONT_SIZE * points_per_pixel * min(1.0, CHAR_WIDTH / measured)
    for edge in layout.edges:
        axes.add_patch(
            FancyArrowPatch(
                path=_edge_path(edge.points),
                arrowstyle="-|>",
                mutation_scale=9,
                color=EDGE_COLOURS[edge.kind],
                linewidth=(2.2 if edge.kind == "destroy" else 1.1) * points_per_pixel,
                linestyle="--" if edge.kind == "view" else "-",
            )
        )
    for box in layout.boxes.values():
        fill, border, border_width = box_colours(box)
        left = box.x - box.width / 2
        axes.add_patch(
            FancyBboxPatch(
                (left, box.y),
                box.width,
                box.height,
                boxstyle="round,pad=0,rounding_size=4",
                facecolor=fill,
                edgecolor=border,
                linewidth=border_width * points_per_pixel,
            )
        )
        for row, line in enumerate(box.lines):
            colour = "#111"
            if line.startswith("=> "):
                colour = OUTPUT_COLOUR
            elif box.kind == "op" and row >= 2:
                colour = BADGE_COLOUR
            axes.text(
                left + PADDING,
                box.y + PADDING + FONT_SIZE - 1 + row * LINE_HEIGHT,
                line,
                fontsize=font_size,
                family="monospace",
                color=colour,
                va="baseline",
                parse_math=False,  # a "$" in a name is text, not TeX
            )
    figure.savefig(filename, format=format, dpi=DPI)
