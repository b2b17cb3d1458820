"""The stepper in Jupyter, and the page files in an installed (not editable) package."""

import subprocess
import sys
from pathlib import Path

import pytest

from page_helpers import inline_page

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = ("base.css", "sized.js", "frame.js", "timeline.js", "panzoom.js", "graphview.js", "stepper.html", "stepper.css",
              "stepper.js")


def test_a_bare_trace_in_a_notebook_shows_the_stepper_inline():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("from tracegrad.viz import trace\nfrom viz.examples import square_neuron\n"
                                  "L, nodes = square_neuron()"),
        nbformat.v4.new_code_cell("trace(L)"),
    ]
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    output = notebook.cells[1].outputs[0]
    assert output["output_type"] == "execute_result"
    shown = output["data"]["text/html"]
    page = inline_page(shown)
    assert "<svg" in page and "data 81" in page  # the drawing
    assert "grad(w) += x · grad(w*x) = 2 · 18 = 36" in page  # and the numbers
    assert output["data"]["text/plain"].startswith("Forward pass")  # the table stays the text


def test_the_page_files_ship_in_the_wheel_and_load_when_installed(installed_wheel, tmp_path):
    for name in PAGE_FILES:
        assert f"tracegrad/viz/pages/{name}" in installed_wheel.names, name
    target = installed_wheel.target
    # outside the source tree, with only the installed copy of viz on the path
    check = ("import tracegrad.viz as viz, tracegrad.viz.page; from tracegrad.viz.examples import square_neuron; from tracegrad.viz import trace; "
             "assert 'site' not in viz.__file__ and viz.__file__.startswith(%r); "
             "page = trace(square_neuron()[0]).to_html(); "
             "assert tracegrad.viz.page.page_file('panzoom.js').strip() in page; print('ok')" % str(target))
    done = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, env=installed_wheel.env,
                          capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
