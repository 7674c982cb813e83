"""``python -m symgraph.explain script.py``: run a script, write the page of its functions."""

import os
import re
import subprocess
import sys

import pytest

import symgraph
from symgraph import explain

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

SCRIPT = """
import sys
import symgraph
import symgraph.tensor as T

x = T.dvector("x")
double = symgraph.function([x], x * 2.0 + 0.0, name="double")
total = symgraph.function([x], T.exp(x).sum(), name="total")
print("arguments", sys.argv[1:], double([1.0, 2.0]).tolist())
"""


def test_explain_runs_the_script_and_writes_one_section_per_function(tmp_path, capsys):
    script = tmp_path / "two.py"
    script.write_text(SCRIPT)
    page = tmp_path / "page.html"
    explain.main(["-o", str(page), str(script), "--flag", "value"])
    out = capsys.readouterr().out
    assert "arguments ['--flag', 'value'] [2.0, 4.0]" in out
    assert f"wrote {page}: 2 compiled functions (double, total)" in out
    text = page.read_text(encoding="utf-8")
    assert re.findall(r'<h2 id="(f\d-top)">([^<]*)</h2>', text) == [
        ("f0-top", "double"),
        ("f1-top", "total"),
    ]
    assert text.count('class="sg-pass"') == 2 * len(symgraph.list_passes())
    assert sorted(os.listdir(tmp_path)) == ["page.html", "two.py"]  # the page, nothing else
    v = symgraph.tensor.dvector()
    assert symgraph.function([v], v * 1.0).trace is None  # collecting stopped with the script


def test_a_failing_script_still_gets_its_page_and_its_exit_code(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text(SCRIPT + "\nraise SystemExit(3)\n")
    page = tmp_path / "page.html"
    with pytest.raises(SystemExit) as stop:
        explain.main(["-o", str(page), str(script)])
    assert stop.value.code == 3
    assert page.exists() and "double" in page.read_text(encoding="utf-8")


def test_a_missing_script_is_named(tmp_path):
    with pytest.raises(SystemExit, match="no script .*missing.py"):
        explain.main([str(tmp_path / "missing.py")])


def test_runs_as_a_module(tmp_path):
    script = tmp_path / "two.py"
    script.write_text(SCRIPT)
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    )
    done = subprocess.run(
        [sys.executable, "-m", "symgraph.explain", str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wrote passes.html: 2 compiled functions" in done.stdout
    assert (tmp_path / "passes.html").exists()
