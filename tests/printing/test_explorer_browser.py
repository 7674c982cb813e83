"""The explorer page rendered by a real browser: headless Chromium loads the LeNet page
offline, reports no console error, draws every picture with a non-zero size and makes
no network request. Skipped where Chromium is not installed (``.ci/run`` installs it
where apt is available)."""

import json
import pathlib

import pytest
from chromium import Browser, find_chromium

CHROMIUM = find_chromium()

pytestmark = [
    pytest.mark.slow,  # starting the browser takes a few seconds
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium on the PATH (chromium, chromium-browser): apt-get install chromium",
    ),
]

MEASURE = """JSON.stringify({
  pictures: Array.from(document.querySelectorAll('svg.sg-graph')).map(function (svg) {
    var box = svg.getBoundingClientRect();
    return [box.width, box.height, svg.querySelectorAll('g.sg-node').length];
  }),
  sections: document.querySelectorAll('section.sg-pass').length,
  links: document.querySelectorAll('pre.sg-source a').length,
  resources: performance.getEntriesByType('resource').map(function (r) { return r.name; })
})"""


def test_lenet_page_renders_without_console_errors(lenet_step, tmp_path):
    page = tmp_path / "passes.html"
    lenet_step.trace.to_html(str(page))
    with Browser(CHROMIUM) as browser:
        browser.load(pathlib.Path(page).as_uri())
        measured = json.loads(browser.evaluate(MEASURE))
        # the keyboard navigation runs without error
        browser.evaluate("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'n'})); true")
        browser.evaluate("document.getElementById('sg-fit').click(); true")
        fitted = browser.evaluate("document.body.classList.contains('sg-fit')")
        problems = browser.problems()
    assert problems == []
    assert measured["resources"] == []  # nothing fetched besides the page itself
    changed = [r for r in lenet_step.trace if r.changed]
    assert len(measured["pictures"]) == 2 * len(changed) + 1  # before/after, and the result
    for width, height, nodes in measured["pictures"]:
        assert width > 0 and height > 0 and nodes > 0
    assert measured["sections"] == len(lenet_step.trace)
    assert measured["links"] > 0
    assert fitted is True
