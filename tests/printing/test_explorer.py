"""The pass explorer page (``f.trace.to_html``), parsed with ``html.parser`` and checked
against the trace's text diffs; and the pictures Jupyter shows."""

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
from helpers import text_node_changes

import symgraph
import symgraph.tensor as T
from symgraph.printing import functions_to_html

VOID = {"meta", "input", "br", "hr", "img", "link"}
SVG_EMPTY = {"path", "rect"}  # written as <path .../>


class Page(HTMLParser):
    """Every element with its attributes and the path of elements around it; checks that
    tags are balanced."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict, tuple]] = []
        self.stack: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()
        assert not self.stack, [tag for tag, _ in self.stack]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs, tuple(self.stack)))
        if tag not in VOID:
            self.stack.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), tuple(self.stack)))

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1][0] == tag, (tag, self.stack[-3:])
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag, css=None, inside=None):
        found = []
        for name, attrs, around in self.elements:
            if name != tag or (css and css not in attrs.get("class", "").split()):
                continue
            if inside and not any(inside(a) for a in around):
                continue
            found.append((attrs, around))
        return found


def in_section(anchor):
    return lambda element: element[1].get("id") == anchor


def test_lenet_page_shows_each_pass_with_its_changes(lenet_step, tmp_path):
    target = tmp_path / "passes.html"
    text = lenet_step.trace.to_html(str(target))
    assert target.read_text(encoding="utf-8") == text
    page = Page(text)
    sections = page.find("section", "sg-pass")
    assert [a["data-pass"] for a, _ in sections] == symgraph.list_passes()
    for index, record in enumerate(lenet_step.trace):
        anchor = f"f0-p{index}"
        added, removed, rewritten = text_node_changes(record.before, record.after)
        inside = in_section(anchor)
        if record.before == record.after:
            assert not page.find("svg", inside=inside)
            continue
        before = [a for a, _ in page.find("g", "sg-node", inside=inside) if "-before-" in a["id"]]
        after = [a for a, _ in page.find("g", "sg-node", inside=inside) if "-after-" in a["id"]]
        ops_before = [a for a in before if "op" in a["class"].split()]
        ops_after = [a for a in after if "op" in a["class"].split()]
        assert len(ops_before) == len(record.before.splitlines()) - 2
        assert len(ops_after) == len(record.after.splitlines()) - 2

        def count(boxes, css):
            return sum(css in a["class"].split() for a in boxes)

        assert count(before, "removed") == len(removed), record.name
        assert count(after, "added") == len(added), record.name
        assert count(after, "rewritten") == len(rewritten), record.name
        # the summary table says the same
        row = re.search(rf'href="#{anchor}">{record.name}</a>.*?</tr>', text).group(0)
        numbers = re.findall(r'<td class="num[^"]*">([\d.]+)</td>', row)
        assert [int(n) for n in numbers[1:4]] == [len(added), len(removed), len(rewritten)]
        for name, count_ in record.rewrites.items():
            assert f"{name} \N{MULTIPLICATION SIGN}{count_}" in row


def test_source_lines_link_to_the_nodes_of_the_compiled_graph(lenet_step):
    page = Page(lenet_step.trace.to_html())
    final_ids = {a["id"] for a, _ in page.find("g", "sg-node") if "-final-" in a["id"]}
    assert len([i for i in final_ids if "-final-n" in i]) == len(lenet_step.fgraph.toposort())
    source_lines = page.find("span", "sg-line")
    assert len(source_lines) == len(lenet_step.source.splitlines())
    links = [
        a["href"][1:]
        for a, around in page.find("a")
        if any(tag == "span" and "sg-line" in attrs.get("class", "") for tag, attrs in around)
    ]
    assert set(links) <= final_ids
    linked_nodes = {lenet_step.program.line_nodes[n] for n in lenet_step.program.line_nodes}
    assert len(set(links)) == len(linked_nodes)
    code = "".join(page.text)
    for line in lenet_step.source.splitlines():
        assert line in code


def test_page_is_self_contained():
    x = T.dvector("x")
    f = symgraph.function([x], T.exp(x) * 2.0 + T.exp(x), trace=True)
    text = f.trace.to_html()
    page = Page(text)
    for tag, attrs, _ in page.elements:
        for key in ("src", "href", "xlink:href"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), (tag, attrs)
        assert tag not in ("link", "img", "iframe", "object", "embed")
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text and "url(http" not in text and "@import" not in text
    svgs = re.findall(r"<svg.*?</svg>", text, re.S)
    assert svgs
    for svg in svgs:
        ET.fromstring(svg)  # each picture is well-formed XML on its own


def test_names_are_escaped_in_the_page():
    evil = "</text><script>alert(1)</script>"
    x = T.dvector(evil)
    f = symgraph.function([x], T.exp(x) * 1.0, trace=True, name=evil)
    for text in (f.trace.to_html(), functions_to_html([f])):
        page = Page(text)
        assert len(page.find("script")) == 1  # the page's own navigation script
        assert "alert(1)</script>" not in text
        assert evil in "".join(page.text)


def test_several_functions_and_loop_bodies_get_their_own_sections():
    x = T.dvector("x")
    h0 = T.dscalar("h0")
    hs, _ = symgraph.scan(lambda xt, h: h + xt * 1.0, sequences=x, outputs_info=h0, name="acc")
    with symgraph.collect_functions() as compiled:
        loop = symgraph.function([x, h0], hs, name="loop")
        plain = symgraph.function([x], x + 0.0, name="plain")
    assert list(compiled) == [loop, plain]
    page = Page(functions_to_html(compiled))
    headings = [a["id"] for a, _ in page.find("h2")]
    assert headings == ["f0-top", "f1-top"]
    inner = [a for a, _ in page.find("section", "sg-pass") if a["id"].startswith("f0-in0-")]
    assert [a["data-pass"] for a in inner] == symgraph.list_passes()
    assert "Scan{acc} (scan_step)" in "".join(page.text)


def test_functions_without_a_trace_are_refused_by_name():
    x = T.dvector("x")
    f = symgraph.function([x], x * 2.0, name="untraced")
    try:
        functions_to_html([f])
    except ValueError as error:
        assert "untraced" in str(error) and "trace=True" in str(error)
    else:
        raise AssertionError("a function without a trace was accepted")


def test_collect_functions_blocks_nest_and_restore():
    x = T.dvector("x")
    with symgraph.collect_functions(trace=False) as outer:
        f = symgraph.function([x], x * 2.0)
        with symgraph.collect_functions() as inner:
            g = symgraph.function([x], x * 3.0)
    h = symgraph.function([x], x * 4.0)
    assert list(outer) == [f, g] and list(inner) == [g]
    assert f.trace is None and g.trace is not None and h.trace is None
    np.testing.assert_allclose(g([1.0, 2.0]), [3.0, 6.0])


def test_jupyter_shows_pictures():
    x = T.dvector("x")
    y = T.exp(x)
    f = symgraph.function([x], y, trace=True)
    for shown in (y._repr_svg_(), f._repr_svg_()):
        root = ET.fromstring(shown)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    fragment = f.trace._repr_html_()
    page = Page(fragment)
    assert not page.find("script")
    assert [a["data-pass"] for a, _ in page.find("section", "sg-pass")] == symgraph.list_passes()
