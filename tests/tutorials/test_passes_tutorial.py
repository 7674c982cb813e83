"""``tutorials/passes.py``: the walk through LeNet's passes and the page it writes."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tutorials"))

import passes  # noqa: E402

import symgraph  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def test_walk_through_every_pass_and_write_the_page(tmp_path, capsys):
    page = tmp_path / "passes.html"
    passes.main(["--output", str(page), "--batch-size", "10"])
    out = capsys.readouterr().out
    for name in symgraph.list_passes():
        (line,) = [line for line in out.splitlines() if line.startswith(name + " ")]
        before, after, added, removed, rewritten = map(
            int, re.search(r"(\d+) -> +(\d+) nodes +\+(\d+) -(\d+) ~(\d+)", line).groups()
        )
        assert after - before == added - removed
    text = page.read_text(encoding="utf-8")
    assert text.count('class="sg-pass"') == len(symgraph.list_passes())
    assert "generated source" in text and "update of W" in text


def test_help_describes_the_tutorial():
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    )
    shown = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tutorials", "passes.py"), "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert "What each compiler pass does to LeNet" in shown
    for option in ("--output", "--batch-size", "--float32"):
        assert option in shown
