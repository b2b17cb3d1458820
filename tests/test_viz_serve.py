"""`tracegrad train DATASET --live` and viz.watch: the live page served on 127.0.0.1 with a token."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from page_helpers import CHROMIUM_ARGS, chromium

SCREENSHOTS = os.environ.get("TRACEGRAD_SCREENSHOTS")


class Served:
    """`tracegrad train moons --live` in a subprocess (its browser: a command that does nothing)."""

    def __init__(self, *arguments):
        env = dict(os.environ, BROWSER="true", PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from tracegrad.viz.cli import main; sys.exit(main())",
             "train", "moons", "--live", "--no-progress", *arguments],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for line in self.process.stdout:
            found = re.search(r"live page: (http://127\.0\.0\.1:(\d+)/\?token=(\S+))", line)
            if found:
                self.url, self.port, self.token = found.group(1), int(found.group(2)), found.group(3)
                break
        else:
            pytest.fail("no URL printed: " + self.process.stderr.read())
        self.base = f"http://127.0.0.1:{self.port}"

    def status(self, path):
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    def events(self, count, until=None, timeout=30):
        """The first ``count`` server-sent events, or those up to the event named ``until``: [(name, data)]."""
        found, name = [], None
        with urllib.request.urlopen(f"{self.base}/events?token={self.token}", timeout=timeout) as stream:
            for raw in stream:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    found.append((name, json.loads(line[6:])))
                    if len(found) == count or name == until:
                        return found
        return found

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def port_is_closed(port):
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_train_live_serves_frames_to_the_token_only_and_stops_on_ctrl_c():
    served = Served("--epochs", "3000")
    try:
        assert served.status("/") == 403 and served.status("/?token=wrong") == 403
        assert served.status("/events") == 403 and served.status(f"/live.js?token={served.token}") == 404
        assert served.status(f"/../../etc/passwd?token={served.token}") == 404
        with urllib.request.urlopen(served.url, timeout=10) as answer:
            page = answer.read().decode("utf-8")
        assert 'data-tracegrad="live"' in page and not re.search(r"\b(src|href)\s*=\s*\"http", page)
        events = served.events(6)  # connecting starts the training
        assert events[0][0] == "setup" and events[0][1]["script"] is True
        frames = [data for name, data in events if name == "frame"]
        assert len(frames) >= 4 and frames[-1]["step"] > frames[0]["step"]
        assert frames[-1]["curve"]["steps"][-1] == frames[-1]["step"]
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(timeout=20) == 130
        assert port_is_closed(served.port)
    finally:
        served.stop()


def test_train_live_stops_serving_when_the_page_closes_after_training():
    served = Served("--epochs", "30")
    try:
        events = served.events(10_000, until="player")  # training ends with the player page; then we leave
        assert events[-1][0] == "player"
        player = events[-1][1]["html"]
        assert player.startswith("<!DOCTYPE html>") and 'data-tracegrad="player"' in player
        assert [data for name, data in events if name == "frame"][-1]["ended"] is True
        assert served.process.wait(timeout=30) == 0
        # the same line as `tracegrad train`: the loss after the last update, the player's last step
        printed = re.search(r"final loss (\S+), accuracy (\S+)% on the training samples "
                            r"\(after the last update, step 30: the player's last step\)", served.process.stdout.read())
        shown = json.loads(re.search(r'<script type="application/json" data-role="data">(.*?)</script>',
                                     player, re.S).group(1))
        assert printed and printed.group(1) == f"{shown['loss'][-1]:.4g}"
        assert printed.group(2) == f"{100 * shown['accuracy'][-1]:.1f}"
        assert port_is_closed(served.port)
    finally:
        served.stop()


def test_the_served_page_draws_the_run_and_pauses_the_script():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if chromium() is None:
        pytest.skip("no chromium on this machine")
    served = Served("--epochs", "4000")
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(served.url)
            page.wait_for_function("() => /step [1-9]\\d\\d/.test(document.querySelector('[data-role=counter]')"
                                   ".textContent)", timeout=120_000)
            page.locator('[data-role="play"]', has_text="Pause").click()
            # generous waits: a machine busy with other work makes the script slow, not wrong
            page.locator('[data-role="counter"]', has_text="paused").wait_for(timeout=60_000)
            paused_at = page.locator('[data-role="counter"]').inner_text()
            page.wait_for_timeout(600)
            assert page.locator('[data-role="counter"]').inner_text() == paused_at  # the script waits
            if SCREENSHOTS:
                page.screenshot(path=os.path.join(SCREENSHOTS, "served-paused.png"))
            page.locator('[data-role="step"]').click()
            step = int(re.search(r"step (\d+)", paused_at).group(1))
            page.locator('[data-role="counter"]', has_text=f"step {step + 1} ").wait_for(timeout=60_000)
            page.locator('[data-role="play"]').click()
            page.locator('[data-role="save"]:not([hidden])').wait_for(timeout=300_000)  # training has ended
            assert errors == []
            browser.close()
        assert served.process.wait(timeout=30) == 0  # the page closed after training: serving stopped
        assert port_is_closed(served.port)
    finally:
        served.stop()
