"""The pass explorer: one self-contained HTML page showing what each pass did.

``f.trace.to_html("passes.html")`` (a function compiled with ``trace=True``) and
``python -m symgraph.explain script.py`` write it. For each pass: its time, the rules it
fired with their counts, the graph before and after side by side (SVG, drawn by
``symgraph.printing.picture``) with the nodes it removed, added and rewired outlined, and
its text diff; then the compiled graph and the generated source, each line linked to its
node. The page makes no network request: styles, pictures and a few lines of script (for
moving between passes with the keyboard) are all inline.

Importing this module also gives variables and compiled functions their picture in
Jupyter (``_repr_svg_``) and the trace its page (``_repr_html_``, ``to_html``): the graph
and compile layers sit below printing, so the methods are installed from here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from symgraph.compile.function import Function
from symgraph.graph.basic import Variable
from symgraph.printing.picture import (
    STYLE,
    function_output_labels,
    layout_graph,
    layout_svg,
    to_svg,
)
from symgraph.rewrite.pipeline import PIPELINE
from symgraph.rewrite.trace import GraphSnapshot, PassTrace, PassTraceRecord

__all__ = ["functions_to_html", "trace_to_html"]

PAGE_STYLE = """
body{font-family:system-ui,sans-serif;margin:0 1.5em 3em;color:#222}
h1{font-size:1.5em} h2{margin-top:2em;border-bottom:2px solid #ccc}
h3{margin-bottom:.3em} nav.sg-nav{position:sticky;top:0;background:#fff;padding:.4em 0;
border-bottom:1px solid #ddd;z-index:2}
table.sg-passes{border-collapse:collapse;margin:1em 0}
table.sg-passes td,table.sg-passes th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.sg-added-count{color:#1e8449}.sg-removed-count{color:#c0392b}.sg-rewritten-count{color:#e67e22}
.sg-pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.sg-picture{overflow:auto;max-height:80vh;border:1px solid #ddd;background:#fcfcfc}
.sg-picture h4{margin:.3em .5em;position:sticky;left:0}
body.sg-fit .sg-picture svg{width:100%;height:auto}
pre{background:#f6f6f6;padding:.6em;overflow:auto}
pre.sg-source a{color:inherit;text-decoration:none;border-bottom:1px dotted #888}
pre.sg-source span:target{background:#fdebd0}
.sg-legend span{display:inline-block;margin-right:1.2em;padding:0 .4em;border:2px solid}
.sg-unchanged{color:#777}
"""

SCRIPT = """
(function () {
  var passes = Array.prototype.slice.call(document.querySelectorAll('section.sg-pass'));
  var current = -1;
  function go(step) {
    if (!passes.length) return;
    current = Math.max(0, Math.min(passes.length - 1, current + step));
    passes[current].scrollIntoView();
  }
  document.addEventListener('keydown', function (event) {
    if (event.target.tagName === 'INPUT') return;
    if (event.key === 'n' || event.key === 'j') go(1);
    if (event.key === 'p' || event.key === 'k') go(-1);
  });
  var fit = document.getElementById('sg-fit');
  if (fit) fit.addEventListener('change', function () {
    document.body.classList.toggle('sg-fit', fit.checked);
  });
  document.querySelectorAll('.sg-final g.sg-node').forEach(function (node) {
    var line = document.querySelector('a[href="#' + node.id + '"]');
    if (line) node.addEventListener('click', function () {
      location.hash = line.parentNode.id;
    });
  });
})();
"""

_DOCS = {p.name: p.doc for p in PIPELINE}


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _picture(snapshot: GraphSnapshot, labels, highlight, prefix: str) -> str:
    return layout_svg(layout_graph(snapshot, labels, highlight), id_prefix=prefix, standalone=False)


def _fired(record: PassTraceRecord) -> str:
    return (
        ", ".join(
            f"{name} \N{MULTIPLICATION SIGN}{count}"
            for name, count in sorted(record.rewrites.items())
        )
        or "nothing"
    )


def _pass_table(trace: PassTrace, prefix: str) -> list[str]:
    rows = [
        '<table class="sg-passes"><tr><th>pass</th><th>time (ms)</th><th>rules fired</th>'
        "<th>added</th><th>removed</th><th>rewritten</th><th>nodes after</th></tr>"
    ]
    for index, record in enumerate(trace):
        changes = record.changes()
        rows.append(
            f'<tr><td><a href="#{prefix}p{index}">{_esc(record.name)}</a></td>'
            f'<td class="num">{record.seconds * 1e3:.2f}</td><td>{_esc(_fired(record))}</td>'
            f'<td class="num sg-added-count">{len(changes.added)}</td>'
            f'<td class="num sg-removed-count">{len(changes.removed)}</td>'
            f'<td class="num sg-rewritten-count">{len(changes.rewritten)}</td>'
            f'<td class="num">{len(record.graph_after.nodes)}</td></tr>'
        )
    rows.append("</table>")
    return rows


def _node_list(kind: str, entries) -> str:
    if not entries:
        return ""
    items = "".join(f"<li><code>{_esc(entry.line())}</code></li>" for entry in entries)
    summary = f"<summary>{len(entries)} {kind}</summary>"
    return f'<details class="sg-{kind}-list">{summary}<ul>{items}</ul></details>'


def _pass_section(record: PassTraceRecord, index: int, prefix: str, labels) -> list[str]:
    anchor = f"{prefix}p{index}"
    changes = record.changes()
    doc = _DOCS.get(record.name, "")
    out = [
        f'<section class="sg-pass" id="{anchor}" data-pass="{_esc(record.name)}">',
        f"<h3>{index + 1}. {_esc(record.name)}</h3>",
        f"<p>{_esc(doc)}{'. ' if doc else ''}{record.seconds * 1e3:.2f} ms; fired "
        f"{_esc(_fired(record))}; <span class='sg-added-count'>+{len(changes.added)} added"
        f"</span>, <span class='sg-removed-count'>&minus;{len(changes.removed)} removed</span>,"
        f" <span class='sg-rewritten-count'>~{len(changes.rewritten)} rewritten</span>.</p>",
    ]
    if not record.changed:
        out.append('<p class="sg-unchanged">The graph is unchanged.</p></section>')
        return out
    before = {entry.node: "removed" for entry in changes.removed}
    after = {entry.node: "added" for entry in changes.added}
    after.update({entry.node: "rewritten" for entry in changes.rewritten})
    out += [
        '<div class="sg-pair">',
        f'<div class="sg-picture sg-before"><h4>before {_esc(record.name)}</h4>',
        _picture(record.graph_before, labels, before, f"{anchor}-before-"),
        "</div>",
        f'<div class="sg-picture sg-after"><h4>after {_esc(record.name)}</h4>',
        _picture(record.graph_after, labels, after, f"{anchor}-after-"),
        "</div></div>",
        _node_list("removed", changes.removed),
        _node_list("added", changes.added),
        _node_list("rewritten", changes.rewritten),
        f"<details><summary>text diff</summary><pre>{_esc(record.diff())}</pre></details>",
        "</section>",
    ]
    return out


def _source_listing(program, final: GraphSnapshot, prefix: str) -> list[str]:
    keys = {entry.node: f"{prefix}final-n{index}" for index, entry in enumerate(final.nodes)}
    lines = []
    for number, line in enumerate(program.source.splitlines(), start=1):
        text = _esc(line) or " "
        node = program.line_nodes.get(number)
        if node in keys:
            text = f'<a href="#{keys[node]}" title="go to the node">{text}</a>'
        lines.append(f'<span id="{prefix}L{number}" class="sg-line">{text}</span>')
    return ['<pre class="sg-source">' + "\n".join(lines) + "</pre>"]


def _trace_body(trace: PassTrace, prefix: str, labels) -> list[str]:
    out = _pass_table(trace, prefix)
    for index, record in enumerate(trace):
        out += _pass_section(record, index, prefix, labels)
    for position, inner in enumerate(trace.inner):
        inner_prefix = f"{prefix}in{position}-"
        out.append(f'<h3 id="{inner_prefix}top">inner graph of {_esc(inner.label)}</h3>')
        out += _trace_body(inner.trace, inner_prefix, ())
    return out


def _function_section(title: str, trace: PassTrace, prefix: str, labels) -> list[str]:
    out = [f'<h2 id="{prefix}top">{_esc(title)}</h2>']
    if not trace:
        return out + ["<p>No pass ran.</p>"]
    out += _trace_body(trace, prefix, labels)
    final = trace[-1].graph_after
    out += [
        f'<h3 id="{prefix}final">compiled graph</h3>',
        f'<div class="sg-picture sg-final">{_picture(final, labels, None, f"{prefix}final-")}'
        "</div>",
    ]
    if trace.program is not None:
        out.append(f'<h3 id="{prefix}source">generated source</h3>')
        out += _source_listing(trace.program, final, prefix)
    return out


def _page(title: str, sections: list[tuple[str, str, list[str]]]) -> str:
    nav = " | ".join(f'<a href="#{prefix}top">{_esc(name)}</a>' for name, prefix, _ in sections)
    body = [line for _, _, lines in sections for line in lines]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{_esc(title)}</title>",
            f"<style>{PAGE_STYLE}{STYLE}</style></head><body>",
            f"<h1>{_esc(title)}</h1>",
            '<nav class="sg-nav">',
            nav,
            ' | <label><input type="checkbox" id="sg-fit"> fit pictures to the page</label>'
            " | keys: n next pass, p previous</nav>",
            '<p class="sg-legend">outlines: <span style="border-color:#1e8449">added</span>'
            '<span style="border-color:#c0392b">removed</span>'
            '<span style="border-color:#e67e22">rewritten</span>'
            '<span style="border-color:#1f5fbf">output</span>'
            '<span style="border-color:#7d3c98">fused kernel (hover: its ops)</span>'
            "red edge: overwritten in place; dashed edge: view</p>",
            *body,
            f"<script>{SCRIPT}</script>",
            "</body></html>",
        ]
    )


def _write(text: str, filename: str | None) -> str:
    if filename is not None:
        with open(filename, "w", encoding="utf-8") as handle:
            handle.write(text)
    return text


def functions_to_html(
    functions: Sequence[Function], filename: str | None = None, title: str = "symgraph passes"
) -> str:
    """The explorer page of functions compiled with ``trace=True`` (one section each);
    written to ``filename`` when given. Returns the HTML text."""
    sections = []
    for index, function in enumerate(functions):
        if function.trace is None:
            raise ValueError(
                f"function {index} ({function.name or 'unnamed'}) was compiled without "
                "trace=True: its passes were not recorded"
            )
        name = function.name or f"function {index}"
        prefix = f"f{index}-"
        snapshot = function.trace[-1].graph_after if function.trace else None
        labels = function_output_labels(function, snapshot) if snapshot else ()
        sections.append((name, prefix, _function_section(name, function.trace, prefix, labels)))
    return _write(_page(title, sections), filename)


def trace_to_html(trace: PassTrace, filename: str | None = None, title: str = "pass trace") -> str:
    """The explorer page of one pass trace (``f.trace.to_html("passes.html")``)."""
    section = _function_section(title, trace, "f0-", ())
    return _write(_page(title, [(title, "f0-", section)]), filename)


def _trace_fragment(trace: PassTrace) -> str:
    """The page's body without its script, for Jupyter (which shows it inline)."""
    lines = _function_section("pass trace", trace, f"t{id(trace)}-", ())
    return f"<div><style>{PAGE_STYLE}{STYLE}</style>" + "\n".join(lines) + "</div>"


Variable._repr_svg_ = to_svg
Function._repr_svg_ = to_svg
PassTrace._repr_html_ = _trace_fragment
PassTrace.to_html = trace_to_html
