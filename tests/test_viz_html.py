"""viz.html: the stepper page is self-contained, and works in a real headless Chromium."""

import json
import re
import shutil

import pytest

from autograd import Value
from viz import trace
from viz_seeds import seed_000, seed_001

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def steps_of(page_html):
    found = re.search(r'<script type="application/json" id="steps">(.*?)</script>', page_html, re.S)
    return json.loads(found.group(1))


def test_page_is_self_contained():
    loss, _, _ = seed_000()
    page = trace(loss).to_html()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<?xml" not in page
    # nothing to fetch: no src/href attributes, no URL outside the SVG namespace declarations
    assert not re.search(r"\b(src|href)\s*=", page)
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_steps_cover_forward_then_backward():
    loss, _, _ = seed_000()
    steps = steps_of(trace(loss).to_html())
    phases = [step["phase"] for step in steps]
    assert phases == ["forward"] * 9 + ["backward"] * 6 + ["done"]
    assert steps[0]["current"] == ["n0"] and steps[2]["current"] == ["n2", "op2"]
    assert steps[9]["grads"] == {"n8": "1"}
    assert steps[14]["text"].splitlines()[0] == "grad(w) += x · grad(w*x) = 2 · 18 = 36"
    assert steps[14]["grads"] == {"n0": "36", "n1": "54"}


def test_user_text_cannot_break_out_of_the_page():
    x = Value(1.0, label="</script><script>alert(1)</script>")
    page = trace(x * 2).to_html()
    assert "<script>alert(1)" not in page
    assert steps_of(page)[0]["text"].startswith("</script><script>alert(1)</script> = 1")


def test_save_html_writes_utf8(tmp_path):
    cost, _ = seed_001()
    path = trace(cost).save_html(tmp_path / "seed001.html")
    assert "grad(L1.N0.w0) += x0 · grad(L1.N0.w0*x0) = 0.5 · (-0.2448) = -0.1224" in \
        path.read_text(encoding="utf-8")


# --- in a real browser ---------------------------------------------------------------


def _chromium():
    for candidate in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = _chromium()
    if executable is None:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Page:
    """A stepper page opened in the browser, recording console errors and every request."""

    def __init__(self, browser, path):
        self.page = browser.new_page()
        self.errors, self.requests = [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.url = path.as_uri()
        self.page.goto(self.url)

    def current(self):
        return sorted(self.page.evaluate(
            "Array.from(document.querySelectorAll('g.current > title')).map(t => t.textContent)"))

    def involved(self):
        return sorted(self.page.evaluate(
            "Array.from(document.querySelectorAll('g.node.involved > title')).map(t => t.textContent)"))

    def line(self, node_id, kind):
        return self.page.evaluate(
            """([id, kind]) => {
                 const g = Array.from(document.querySelectorAll('g.node'))
                   .find(g => g.querySelector('title').textContent === id);
                 return Array.from(g.querySelectorAll('text'))
                   .map(t => t.textContent).find(t => t.startsWith(kind + ' '));
               }""", [node_id, kind])

    def press(self, key, times=1):
        for _ in range(times):
            self.page.keyboard.press(key)


def test_stepping_seed_000_in_chromium(browser, tmp_path):
    loss, _, _ = seed_000()
    page = Page(browser, trace(loss).save_html(tmp_path / "seed000.html"))

    assert page.current() == ["n0"]  # the leaf w
    assert page.line("n1", "data") == "data ?" and page.line("n8", "grad") == "grad —"
    page.page.click("#next")
    assert page.current() == ["n1"]
    page.press("ArrowRight")
    assert page.current() == ["n2", "op2"] and page.involved() == ["n0", "n1"]
    assert page.page.inner_text("#text") == "w*x = 3*2 = 6"
    assert page.line("n2", "data") == "data 6"
    page.press("ArrowLeft")
    assert page.current() == ["n1"] and page.line("n2", "data") == "data ?"

    page.press("ArrowRight", 8)  # to the start of the backward pass
    assert page.current() == ["n8"] and page.line("n8", "grad") == "grad 1"
    assert page.line("n0", "grad") == "grad —"
    page.press("ArrowRight", 5)  # w*x sends to w and x
    assert page.current() == ["n2", "op2"] and page.involved() == ["n0", "n1"]
    assert "grad(w) += x · grad(w*x) = 2 · 18 = 36" in page.page.inner_text("#text")
    assert page.line("n0", "grad") == "grad 36" and page.line("n3", "grad") == "grad 18"
    page.page.click("#prev")
    assert page.line("n0", "grad") == "grad —"

    page.press("End")
    assert page.page.is_disabled("#next") and page.current() == []
    page.press("Home")
    assert page.page.is_disabled("#prev") and page.current() == ["n0"]

    assert page.errors == []
    assert page.requests == [page.url]  # nothing fetched but the page itself


def test_seed_001_gated_relu_step_in_chromium(browser, tmp_path):
    cost, _ = seed_001()
    recorded = trace(cost)
    page = Page(browser, recorded.save_html(tmp_path / "seed001.html"))
    off = next(step for step in recorded.backward_steps if step.relu_off)
    steps = steps_of(page.page.content())
    target = next(i for i, step in enumerate(steps)
                  if step["phase"] == "backward" and step["current"][:1] == [off.node_id])
    page.press("ArrowRight", target)
    assert page.current() == sorted([off.node_id, f"op{off.index}"])
    assert "ReLU off" in page.page.inner_text("#text")
    page.press("End")
    assert "grad(L1.N0.w0) = -0.1224" in page.page.inner_text("#text")
    assert page.errors == [] and page.requests == [page.url]


def test_both_edges_of_x_times_x_light_up_in_chromium(browser, tmp_path):
    x = Value(3.0, label="x")
    square = x * x
    square.label = "y"
    page = Page(browser, trace(square).save_html(tmp_path / "square.html"))
    page.press("ArrowRight")  # y = x*x: its operation, and x twice over two parallel edges
    lit_edges = page.page.evaluate(
        "Array.from(document.querySelectorAll('g.edge.involved > title')).map(t => t.textContent)")
    assert sorted(lit_edges) == ["n0->op1", "n0->op1", "op1->n1"]  # both x edges, and the result's
    assert page.errors == []
