"""viz.live in marimo (its own notebook server, where anywidget runs through mo.ui.anywidget).

The notebook's cell ends with the Live object itself: marimo asks it for
``_display_()``, which wraps the widget as mo.ui.anywidget. The server runs the
notebook as an app (``marimo run``) on 127.0.0.1 with a random token, its
settings in the test's folder; Chromium plays and pauses it. Skipped where
marimo is not installed (it is in the test extra).
"""

import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request

import pytest

from jupyterlab_helpers import _free_port, stop
from page_helpers import CHROMIUM_ARGS, chromium

pytest.importorskip("anywidget")
pytest.importorskip("marimo", reason="marimo is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

NOTEBOOK = '''import marimo

app = marimo.App()


@app.cell
def _():
    from tracegrad.nn import MLP, Adam, make_moons
    from tracegrad import viz
    X, y = make_moons(100, noise=0.1, seed=0, signed=True)
    model = MLP(2, [16, 16, 1], seed=0)
    view = viz.live(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.01))
    view
    return
'''


def step_shown(page):
    return int(re.search(r"step (\d+)", page.locator('[data-role="counter"]').inner_text()).group(1))


def test_live_in_marimo_plays_and_pauses(tmp_path):
    if chromium() is None:
        pytest.skip("no chromium on this machine")
    (tmp_path / "live.py").write_text(NOTEBOOK, encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_STATE_HOME=str(tmp_path / "state"), MARIMO_SKIP_UPDATE_CHECK="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "marimo", "-y", "run", "live.py", "--headless", "--host", "127.0.0.1",
         "--port", str(port), "--token-password", token, "--no-sandbox"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("marimo did not start within 120 s") from None
                time.sleep(0.3)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{base}/?access_token={token}")
            counter = page.locator('[data-role="counter"]')
            counter.wait_for(timeout=120_000)
            assert step_shown(page) == 0 and "paused" in counter.inner_text()
            page.locator('[data-role="play"]').click()
            # (the widget sits in shadow roots inside marimo's own: Playwright's locators find it, a query does not)
            deadline = time.monotonic() + 120
            while not (step_shown(page) >= 20 and "training" in counter.inner_text()):
                assert time.monotonic() < deadline, counter.inner_text()
                page.wait_for_timeout(200)
            page.locator('[data-role="play"]').click()  # now labelled Pause
            counter.filter(has_text="paused").wait_for(timeout=60_000)
            paused_at = step_shown(page)
            page.wait_for_timeout(1000)
            assert step_shown(page) == paused_at >= 20  # the kernel stopped training
            if os.environ.get("TRACEGRAD_SCREENSHOTS"):
                page.screenshot(path=os.path.join(os.environ["TRACEGRAD_SCREENSHOTS"], "marimo-paused.png"))
            assert [e for e in errors if re.search(r"tracegrad|live", e, re.I)] == []
            browser.close()
    finally:
        stop(server)
