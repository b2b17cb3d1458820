"""Helpers for the tests of pages: Chromium for Playwright, a page opened in it, and the data
a page or a notebook output carries. The ``browser`` fixture that uses them is in conftest.py."""

import json
import re
import shutil

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium():
    """The Chromium executable, or None where there is none."""
    for candidate in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def inline_page(shown):
    """The page inside a notebook output made by viz.page.inline_frame (its script builds the frame)."""
    assert shown.startswith('<div class="tracegrad-output">') and "<iframe" not in shown
    found = re.search(r'<script type="application/json" data-role="tracegrad-page">(.*?)</script>', shown, re.S)
    return json.loads(found.group(1))["page"]


def data_of(page_html):
    found = re.search(r'<script type="application/json" data-role="data">(.*?)</script>', page_html, re.S)
    return json.loads(found.group(1))


# A page of an nn model's graph opens in its network view; this switches it to the scalar graph
# with its button, as a learner would (true when it did).
SHOW_SCALAR = """() => {
  const network = document.querySelector('[data-tracegrad="network"]:not([hidden])');
  const stepper = document.querySelector('[data-tracegrad="stepper"][hidden]');
  if (network && stepper) { network.querySelector('[data-role="switch-view"]').click(); return true; }
  return false;
}"""


class Page:
    """A page opened in the browser, recording console errors and every request.

    scalar=True (for the tests of the scalar stepper): a page that opens in its network
    view is switched to the scalar graph (SHOW_SCALAR).
    """

    def __init__(self, browser, path, width=1366, height=768, scale=1, scalar=True):
        self.page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=scale)
        self.errors, self.requests = [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.url = path.as_uri()
        self.page.goto(self.url)
        if scalar:
            self.page.evaluate(SHOW_SCALAR)

    def titles(self, selector):
        return sorted(self.page.evaluate(
            f"Array.from(document.querySelectorAll('{selector} > title')).map(t => t.textContent)"))

    def current(self):
        return self.titles("g.node.tg-current")

    def line(self, node_id, kind):
        return self.page.evaluate(
            """([id, kind]) => {
                 const g = Array.from(document.querySelectorAll('g.node'))
                   .find(g => g.querySelector('title').textContent === id);
                 return Array.from(g.querySelectorAll('text'))
                   .map(t => t.textContent).find(t => t.startsWith(kind + ' '));
               }""", [node_id, kind])

    def text_heights(self):
        return self.page.evaluate(
            "Array.from(document.querySelectorAll('g.node text')).map(t => t.getBoundingClientRect().height)")

    def box(self, selector):
        return self.page.evaluate(f"(() => {{ const r = document.querySelector('{selector}')"
                                  ".getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()")

    def press(self, key, times=1):
        for _ in range(times):
            self.page.keyboard.press(key)

    def step_text(self):
        return self.page.inner_text('[data-role="step-text"]')
