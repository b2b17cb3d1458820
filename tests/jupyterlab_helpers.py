"""Helpers for the tests in real notebook front ends: a Jupyter server on 127.0.0.1 with a random
token in a temporary folder (running_lab), with headless Chromium (browsing), a notebook opened in it
(Notebook), and the live view's play-pause-read steps that each front end's test runs.

test_viz_live_jupyterlab.py (JupyterLab), test_viz_live_notebook7.py (Notebook 7) and the benchmark
bench_live.py use them.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from page_helpers import CHROMIUM_ARGS, chromium

nbformat = pytest.importorskip("nbformat")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

SCREENSHOTS = os.environ.get("TRACEGRAD_SCREENSHOTS")  # a folder to keep the screenshots in, if set


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_lab(folder, app="jupyterlab"):
    """jupyter lab (app="notebook": Notebook 7) on 127.0.0.1 with a random token, its files under folder;
    yields (base URL, token)."""
    for name in ("config", "data", "runtime", "workspaces", "notebooks"):
        (folder / name).mkdir(exist_ok=True)
    port, token = _free_port(), secrets.token_hex(16)
    # the server's own config, data (where trusted notebooks' signatures go) and runtime folders
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(folder / "config"), JUPYTER_DATA_DIR=str(folder / "data"),
               JUPYTER_RUNTIME_DIR=str(folder / "runtime"), JUPYTER_PLATFORM_DIRS="1")
    server = subprocess.Popen(
        [sys.executable, "-m", app, "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--allow-root",
         "--ServerApp.terminals_enabled=False",
         f"--ServerApp.root_dir={folder / 'notebooks'}", f"--LabApp.workspaces_dir={folder / 'workspaces'}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder / "notebooks")
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"{app} did not start within 120 s")
            time.sleep(0.3)
        yield base, token
    finally:
        stop(server)
        shutil.rmtree(folder / "runtime", ignore_errors=True)


def stop(server):
    """End a server process: politely, then for good after 20 s."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


@contextlib.contextmanager
def browsing(folder, app="jupyterlab"):
    """running_lab and headless Chromium: yields what Notebook needs (skips without chromium)."""
    if chromium() is None:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium)")
    with running_lab(folder, app) as (base, token), sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield {"base": base, "token": token, "folder": folder / "notebooks", "data": folder / "data",
               "browser": browser, "app": app}
        browser.close()


class Notebook:
    """A notebook written to the server's folder (cells: sources, or None to open the one there) and
    opened in a new page."""

    def __init__(self, lab, name, cells, width=1366, height=768):
        if cells is not None:
            notebook = nbformat.v4.new_notebook()
            notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                               "language": "python"}
            notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
            nbformat.write(notebook, lab["folder"] / name)
        self.lab, self.name = lab, name
        self.page = lab["browser"].new_page(viewport={"width": width, "height": height})
        self.errors = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        if lab["app"] == "notebook":
            self.page.goto(f"{lab['base']}/notebooks/{name}?token={lab['token']}")
        else:  # a workspace of its own, so JupyterLab does not reopen another test's notebook beside it
            workspace = name.split(".")[0]
            self.page.goto(f"{lab['base']}/lab/workspaces/{workspace}/tree/{name}?token={lab['token']}")
        # the waits are generous: a machine busy with other work makes JupyterLab slow, not wrong
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        self.wait_for_kernel()

    def wait_for_kernel(self, timeout=120):
        """Until the server says this notebook's kernel is idle (started, and nothing running)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{self.lab['base']}/api/sessions?token={self.lab['token']}",
                                        timeout=10) as answer:
                sessions = json.loads(answer.read())
            if any(urllib.parse.unquote(s.get("path", "")).endswith(self.name)
                   and (s.get("kernel") or {}).get("execution_state") == "idle" for s in sessions):
                return
            time.sleep(0.5)
        raise TimeoutError(f"the kernel of {self.name} was not idle within {timeout} s")

    def run(self, index):
        """Run cell ``index`` (Shift+Enter in its editor)."""
        cell = self.page.locator(".jp-Notebook .jp-Cell").nth(index)
        cell.locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Shift+Enter")
        return cell

    def printed(self, index, marker, timeout=120_000):
        """Run cell ``index`` and return the line it prints that starts with marker."""
        cell = self.run(index)
        output = cell.locator(".jp-OutputArea-output", has_text=marker)
        output.wait_for(timeout=timeout)
        return next(line for line in output.inner_text().splitlines() if line.startswith(marker))

    def shot(self, name):
        if SCREENSHOTS:
            os.makedirs(SCREENSHOTS, exist_ok=True)
            self.page.screenshot(path=os.path.join(SCREENSHOTS, name))

    def console_errors(self):
        # JupyterLab's own start-up messages are not ours: keep the ones that name the widget's scripts
        return [e for e in self.errors if re.search(r"tracegrad|live|explore", e, re.I)]


LIVE_CELLS = [
    "from tracegrad.nn import MLP, Adam, make_moons\n"
    "from tracegrad import viz\n"
    "from tracegrad.viz import format_number\n"
    "X, y = make_moons(100, noise=0.1, seed=0, signed=True)\n"
    "model = MLP(2, [16, 16, 1], seed=0)\n"
    "view = viz.live(model, X, y, loss='hinge', optimizer=Adam(model.parameters(), lr=0.01))\n"
    "view",
    "print('KERNEL', view.steps_done, json.dumps([format_number(p.data, 4) for p in model.parameters()]))",
]


def page_table(page):
    """The parameter table's value column as the page shows it."""
    return page.locator('[data-role="params"] tbody tr td:nth-child(2)').all_inner_texts()


def page_step(page):
    return int(re.search(r"step (\d+)", page.locator('[data-role="counter"]').inner_text()).group(1))


def plays_pauses_and_shows_what_the_kernel_holds(lab, name, shots="live"):
    """The live test's steps, in any front end: Play, the counter and the boundary move; Pause; the
    page's step and parameter table are the kernel's; no console errors."""
    notebook = Notebook(lab, name, ["import json\n" + LIVE_CELLS[0], LIVE_CELLS[1],
                                    "print('PLAYING', view.playing)"])
    page = notebook.page
    notebook.run(0)
    counter = page.locator('[data-role="counter"]')
    counter.wait_for(timeout=120_000)
    assert page_step(page) == 0 and "paused" in counter.inner_text()
    canvas = page.locator('[data-role="data-figure"] canvas')
    before = canvas.evaluate("c => c.toDataURL()")
    notebook.shot(f"{shots}-before.png")
    page.locator('[data-role="play"]').click()
    page.wait_for_function(
        "() => { const host = [...document.querySelectorAll('.jp-OutputArea-output div')].find(d => d.shadowRoot);"
        " const c = host && host.shadowRoot.querySelector('[data-role=counter]');"
        " return c && /step ([2-9]\\d|\\d{3,})/.test(c.textContent); }", timeout=120_000)
    assert "training" in counter.inner_text()
    notebook.shot(f"{shots}-playing.png")
    page.locator('[data-role="play"]').click()  # now labelled Pause
    page.locator('[data-role="counter"]', has_text="paused").wait_for(timeout=60_000)
    assert canvas.evaluate("c => c.toDataURL()") != before  # the boundary moved
    notebook.shot(f"{shots}-paused.png")
    # The kernel first: its answer comes after it has handled the Pause (one message queue),
    # so it holds the paused model; then the page, once it has drawn that step paused.
    line = notebook.printed(1, "KERNEL")
    kernel_step, kernel_values = line.split(" ", 2)[1:]
    assert "False" in notebook.printed(2, "PLAYING")
    counter.filter(has_text=f"step {kernel_step} (paused)").wait_for(timeout=60_000)
    expected = json.loads(kernel_values)
    # the table is written in the same redraw as the counter; should the front end draw it a moment
    # later (a notebook that re-attaches an output scrolled out of view), wait for it, then compare
    deadline = time.monotonic() + 60
    while page_table(page) != expected and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    shown_step, shown_values = page_step(page), page_table(page)
    assert int(kernel_step) == shown_step >= 20
    differing = [(i, k, p) for i, (k, p) in enumerate(zip(expected, shown_values)) if k != p]
    assert expected == shown_values, (f"{len(expected)} values in the kernel, {len(shown_values)} on the page; "
                                      f"{len(differing)} differ, first (index, kernel, page): {differing[:5]}")
    assert notebook.console_errors() == []
    page.close()


# --- a notebook saved with viz.live, once its kernel is gone ---------------------------------

SAVED_CELLS = [
    "from tracegrad.nn import MLP, Adam, make_moons\n"
    "from tracegrad import viz\n"
    "X, y = make_moons(60, noise=0.1, seed=0, signed=True)\n"
    "model = MLP(2, [8, 8, 1], seed=0)\n"
    "view = viz.live(model, X, y, loss='hinge', optimizer=Adam(model.parameters(), lr=0.05))\n"
    "view",
    "view.step(30)",
]


def saved_live_notebook(folder):
    """SAVED_CELLS run by nbclient (its kernel then shut down) and saved in folder: its path."""
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in SAVED_CELLS]
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    path = folder / "saved.ipynb"
    nbformat.write(notebook, path)
    return path


def no_widget_error(page):
    text = page.locator(".jp-Notebook").inner_text()
    return "model not found" not in text and "Error displaying widget" not in text


def reopened_without_its_kernel_shows_the_snapshot(lab, saved_notebook):
    """The saved notebook opened untrusted, then trusted, in the lab's front end: never an empty box."""
    # Not trusted (nbclient ran it, not this server's user): the scripts of its outputs do not run, so
    # the snapshot shows its still picture and says how to get the player; the widget, its text
    notebook = Notebook(lab, saved_notebook.name, None)
    page = notebook.page
    still = page.locator(".tracegrad-still img")
    still.wait_for(timeout=60_000)
    assert still.evaluate("img => img.naturalWidth > 100 && img.src.startsWith('data:image/png')")
    assert page.get_by_text("A snapshot of the live run above, as the training player, at step 30").is_visible()
    assert page.get_by_text("tracegrad live (its page needs the kernel that made it)").is_visible()
    assert no_widget_error(page)
    notebook.shot("saved-untrusted.png")
    page.close()
    # Trusted (as a notebook the learner saved is): the snapshot is the training player itself, and the
    # widget is drawn from the state nbclient saved with the notebook, at the step it had reached
    subprocess.run([sys.executable, "-m", "jupyter", "trust", str(saved_notebook)], check=True, capture_output=True,
                   env=dict(os.environ, JUPYTER_DATA_DIR=str(lab["data"])))
    notebook = Notebook(lab, saved_notebook.name, None)
    page = notebook.page
    player = page.frame_locator(".jp-OutputArea-output iframe").first
    player.locator('[data-role="counter"]').wait_for(timeout=60_000)
    assert "of 30" in player.locator('[data-role="counter"]').inner_text()
    page.locator('[data-role="counter"]', has_text="step 30 (paused)").wait_for(timeout=60_000)
    assert no_widget_error(page)
    notebook.shot("saved-trusted.png")
    assert notebook.console_errors() == []
    page.close()
