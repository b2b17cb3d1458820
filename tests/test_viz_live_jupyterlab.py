"""viz.live and viz.explore in a real JupyterLab, driven by Chromium as a learner would.

The fixture starts ``jupyter lab --no-browser`` on 127.0.0.1 with a random
token in a temporary folder (its own config, data, runtime and workspace
folders), and stops it afterwards. Each test writes a notebook, opens it, runs
its cells with Shift+Enter and reads the page (inside the widget's shadow root:
the locators pierce it) and the kernel's printed answers. The server, the
browser, the notebook and the live test's steps are tests/jupyterlab_helpers.py's,
shared with the other front ends' tests (test_viz_live_notebook7.py).
"""

import os
import subprocess
import sys

import pytest

pytest.importorskip("anywidget")
pytest.importorskip("jupyterlab")
nbformat = pytest.importorskip("nbformat")

from jupyterlab_helpers import (SCREENSHOTS, Notebook, browsing, plays_pauses_and_shows_what_the_kernel_holds,  # noqa: E402
                                reopened_without_its_kernel_shows_the_snapshot, saved_live_notebook)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with browsing(tmp_path_factory.mktemp("lab")) as lab:
        yield lab


def test_live_in_jupyterlab_plays_pauses_and_shows_what_the_kernel_holds(lab):
    plays_pauses_and_shows_what_the_kernel_holds(lab, "live.ipynb")


EXPLORE_CELLS = [
    "from tracegrad import viz\n"
    "from tracegrad.viz import format_number\n"
    "from tracegrad.viz.examples import network_221\n"
    "loss, _ = network_221()\n"
    "ex = viz.explore(loss)\n"
    "ex",
    "k = ex.explorer.names.index('L1.N0.w0')\n"
    "print('KERNEL', format_number(ex.explorer.leaf_values[k]), format_number(ex.explorer.loss), "
    "format_number(ex.explorer.grad(k)))",
]


def test_explore_in_jupyterlab_a_slider_moves_the_numbers_and_the_tangent(lab):
    notebook = Notebook(lab, "explore.ipynb", EXPLORE_CELLS)
    page = notebook.page
    notebook.run(0)
    root = page.locator('[data-role="loss"]')
    root.wait_for(timeout=120_000)
    assert root.inner_text() == "0.083232"  # network_221's cost, C = ½(a − y)²
    leaf = page.locator(".tg-leaf", has_text="L1.N0.w0")
    leaf.locator("button").click()
    page.locator('[data-role="curve-title"]', has_text="over L1.N0.w0").wait_for(timeout=60_000)
    tangent = page.locator('[data-role="tangent"]')
    before = tangent.evaluate("t => [t.getAttribute('y1'), t.getAttribute('y2')]")
    nudge_before = page.locator('[data-role="nudge"]').inner_text()
    notebook.shot("explore-before.png")
    slider = leaf.locator('input[type="range"]')
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => { const host = [...document.querySelectorAll('.jp-OutputArea-output div')].find(d => d.shadowRoot);"
        " const r = host && host.shadowRoot.querySelector('[data-role=loss]'); return r && r.textContent !== '0.083232'; }",
        timeout=60_000)
    def shown():
        return (leaf.locator('input[type="number"]').input_value(), root.inner_text(),
                leaf.locator(".tg-leaf-grad").inner_text())
    # the kernel answers each of the 20 moves in turn: wait until the page has the last answer
    now, steady = shown(), 0
    for _ in range(60):
        page.wait_for_timeout(250)
        now, before_now = shown(), now
        steady = steady + 1 if now == before_now else 0
        if steady == 4:
            break
    shown_value, shown_root, shown_grad = now
    assert tangent.evaluate("t => [t.getAttribute('y1'), t.getAttribute('y2')]") != before
    assert page.locator('[data-role="nudge"]').inner_text() != nudge_before
    notebook.shot("explore-moved.png")
    _, value, kernel_root, kernel_grad = notebook.printed(1, "KERNEL").split()
    assert float(value) == pytest.approx(float(shown_value), rel=1e-5) and float(value) > 0.4
    assert kernel_root == shown_root and shown_grad == f"grad {kernel_grad}"
    assert notebook.console_errors() == []
    page.close()


# --- a notebook saved with viz.live, once its kernel is gone ---------------------------------

@pytest.fixture(scope="module")
def saved_notebook(lab):
    return saved_live_notebook(lab["folder"])


def test_a_saved_notebook_reopened_without_its_kernel_shows_the_snapshot(lab, saved_notebook):
    reopened_without_its_kernel_shows_the_snapshot(lab, saved_notebook)


# nbconvert's page loads require.js, MathJax and the widgets' HTML manager from these; offline they fail
NBCONVERT_CDNS = ("https://cdnjs.cloudflare.com/", "https://unpkg.com/", "https://cdn.jsdelivr.net/")


@pytest.mark.parametrize("width, height", [(1366, 768), (390, 844)])
def test_a_saved_notebook_exported_by_nbconvert_shows_the_player(lab, saved_notebook, tmp_path, width, height):
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", str(tmp_path),
                    str(saved_notebook)], check=True, capture_output=True)
    page = lab["browser"].new_page(viewport={"width": width, "height": height})
    errors, failed = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto((tmp_path / "saved.html").as_uri())
    player = page.frame_locator("iframe").first
    player.locator('[data-role="counter"]').wait_for(timeout=60_000)
    assert "of 30" in player.locator('[data-role="counter"]').inner_text()
    assert player.locator('[data-role="data-figure"] canvas').count() == 1
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"nbconvert-{width}.png"))
    # the only errors: nbconvert's own scripts that this offline machine cannot fetch
    assert all(url.startswith(NBCONVERT_CDNS) for url in failed), failed
    assert [e for e in errors if "Failed to load resource" not in e] == []
    page.close()
