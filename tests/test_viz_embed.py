"""The stepper and the player as a notebook shows them: the output's text/html inside a host page, as
JupyterLab embeds it (innerHTML, then each script made afresh so it runs), possibly hidden or resized;
and the same output after JupyterLab's sanitizer, where no script runs."""

import html
import re
from html.parser import HTMLParser

import pytest

from tracegrad.nn import MLP, SGD, make_xor
from tracegrad.viz import record, trace
from tracegrad.viz.examples import network_221, square_neuron
from tracegrad.viz.page import script_json
from page_helpers import SHOW_SCALAR, Page

# A notebook's output area: a column about as wide as JupyterLab's at 1366 px. render() puts the
# output's HTML in and makes each <script> afresh, as JupyterLab's renderHTML does for a trusted output.
HOST = """<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body style="margin: 0; font: 14px sans-serif;">
<div style="height: 60px;">In [1]:</div>
<div id="cell" style="width: %(width)dpx; margin-left: 80px;"></div>
<div style="height: 1500px;">the rest of the notebook</div>
<script type="application/json" id="output">%(output)s</script>
<script>
function render(hidden) {
  var cell = document.getElementById("cell");
  cell.style.display = hidden ? "none" : "";
  cell.innerHTML = JSON.parse(document.getElementById("output").textContent);
  cell.querySelectorAll("script").forEach(function (old) {
    var fresh = document.createElement("script");
    Array.prototype.forEach.call(old.attributes, function (a) { fresh.setAttribute(a.name, a.value); });
    fresh.textContent = old.textContent;
    old.parentNode.replaceChild(fresh, old);
  });
}
%(start)s
</script></body></html>"""

STARTS = ["render(false);", "requestAnimationFrame(function () { render(false); });",
          "setTimeout(function () { render(false); }, 0);",
          "document.addEventListener('DOMContentLoaded', function () { render(false); });"]

# Each data/grad line of every value box that lies outside its box's shape (CSS px, half a px of slack).
OUTSIDE = """() => {
  const out = [];
  document.querySelectorAll('g.node').forEach(g => {
    const shape = g.querySelector('path, polygon, ellipse');
    if (!shape) { return; }
    const box = shape.getBoundingClientRect();
    g.querySelectorAll('text').forEach(t => {
      if (!/^(data|grad) /.test(t.textContent)) { return; }
      const r = t.getBoundingClientRect();
      if (!(r.width > 0 && r.left >= box.left - 0.5 && r.right <= box.right + 0.5
            && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5)) {
        out.push(g.querySelector('title').textContent + ': ' + t.textContent);
      }
    });
  });
  return out;
}"""


def host_page(tmp_path, output, start="render(false);", width=1090, name="notebook.html"):
    path = tmp_path / name
    path.write_text(HOST % {"output": script_json(output), "start": start, "width": width}, encoding="utf-8")
    return path


READY = "(() => { const c = document.querySelector('[data-role=\"counter\"]'); return !!c && c.textContent !== ''; })()"


def stepper_frame(page):
    """The page's frame once it shows its first step (polled from here: the frame's document is
    replaced when its srcdoc loads, which a wait inside the frame does not survive)."""
    element = page.page.wait_for_selector("#cell iframe", state="attached")
    for _ in range(200):
        try:
            frame = element.content_frame()  # a new Frame once the srcdoc replaces about:blank
            if frame and frame.evaluate(READY):
                frame.evaluate(SHOW_SCALAR)  # an nn model's graph opens in its network view
                return frame
        except Exception:  # the frame's document is being replaced
            pass
        page.page.wait_for_timeout(50)
    raise AssertionError("the page in the frame never showed its first step")


def settle(page):
    # two animation frames: the frame's observers have run and it has drawn
    page.page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.page.wait_for_timeout(50)


@pytest.fixture(scope="module")
def network_221_output():
    return trace(network_221()[0])._repr_html_()


def test_the_output_is_a_still_picture_a_script_and_the_page():
    shown = trace(square_neuron()[0])._repr_html_()
    assert shown.startswith('<div class="tracegrad-output">') and "<iframe" not in shown
    assert '<img src="data:image/svg+xml;base64,' in shown and "Run this cell (or trust the notebook)" in shown
    settings = re.search(r'<script type="application/json" data-role="tracegrad-page">(.*?)</script>', shown, re.S)
    page = __import__("json").loads(settings.group(1))["page"]
    assert page.startswith("<!DOCTYPE html>") and "grad(w) += x · grad(w*x) = 2 · 18 = 36" in page


def test_loaded_20_times_every_number_is_inside_its_node(browser, tmp_path, network_221_output):
    for k in range(20):
        path = host_page(tmp_path, network_221_output, STARTS[k % len(STARTS)], name=f"n{k}.html")
        page = Page(browser, path)
        frame = stepper_frame(page)
        settle(page)
        assert frame.evaluate(OUTSIDE) == [], f"load {k + 1}"
        last = frame.evaluate("document.querySelector('[data-role=\"slider\"]').max")
        frame.fill('[data-role="slider"]', last)  # every gradient known: the longest lines
        assert frame.inner_text('[data-role="counter"]') == f"step {int(last) + 1} of {int(last) + 1}"
        assert frame.evaluate(OUTSIDE) == [], f"load {k + 1}, last step"
        assert page.errors == [], f"load {k + 1}"
        page.page.close()


def test_hidden_when_rendered_then_shown(browser, tmp_path, network_221_output):
    page = Page(browser, host_page(tmp_path, network_221_output, "render(true);"))
    page.page.wait_for_selector("#cell iframe", state="attached")
    page.page.wait_for_timeout(300)  # the frame loads and runs while hidden
    page.page.evaluate("document.getElementById('cell').style.display = ''")
    frame = stepper_frame(page)
    settle(page)
    assert frame.evaluate(OUTSIDE) == []
    for _ in range(12):  # into the backward pass: labels on the edges, placed once shown
        frame.click('[data-role="next"]')
    assert frame.inner_text('[data-role="counter"]') == "step 13 of 18"
    assert frame.evaluate(OUTSIDE) == []
    labels = frame.evaluate("Array.from(document.querySelectorAll('.tg-edge-label-back'))"
                            ".map(r => r.getBoundingClientRect().width)")
    assert labels and min(labels) > 10
    assert page.errors == []


def test_resized_the_page_lays_itself_out_again(browser, tmp_path, network_221_output):
    page = Page(browser, host_page(tmp_path, network_221_output))
    frame = stepper_frame(page)
    settle(page)
    page.page.evaluate("document.getElementById('cell').style.width = '640px'")
    settle(page)
    assert frame.evaluate(OUTSIDE) == []
    # opened afresh for the new width: the whole graph across it, or 1:1 where its text would be
    # smaller than 10 px, and the current node in view
    fits = frame.evaluate("""() => {
        const view = document.querySelector('.tg-viewport').getBoundingClientRect();
        const drawing = document.querySelector('.tg-viewport > svg').getBoundingClientRect();
        const text = Math.min(...Array.from(document.querySelectorAll('g.node text'))
          .map(t => t.getBoundingClientRect().height));
        const current = document.querySelector('g.node.tg-current').getBoundingClientRect();
        return {across: drawing.left >= view.left && drawing.right <= view.right, text: text,
                current: current.left >= view.left && current.right <= view.right};
      }""")
    assert (fits["across"] or fits["text"] >= 12) and fits["text"] >= 9 and fits["current"]
    page.page.evaluate("document.getElementById('cell').style.width = '1090px'")
    settle(page)
    assert frame.evaluate(OUTSIDE) == []
    assert page.errors == []


def test_the_frame_grows_to_its_content_and_the_wheel_scrolls_the_notebook(browser, tmp_path):
    output = trace(square_neuron()[0])._repr_html_()
    page = Page(browser, host_page(tmp_path, output))
    frame = stepper_frame(page)
    settle(page)
    frame_box = page.box("#cell iframe")
    inner = frame.evaluate("document.querySelector('.tg-header').offsetHeight"
                           " + document.querySelector('.tg-viewport > svg').getBoundingClientRect().height")
    assert inner < frame_box[3] <= inner + 80  # no more than the content needs, and all of it
    # square_neuron opens whole at the notebook's width: L, the output, is on screen
    whole = frame.evaluate("""() => { const v = document.querySelector('.tg-viewport').getBoundingClientRect();
        const s = document.querySelector('.tg-viewport > svg').getBoundingClientRect();
        return s.left >= v.left && s.right <= v.right; }""")
    assert whole
    scale = frame.inner_text('[data-role="zoom-level"]')
    page.page.mouse.move(frame_box[0] + frame_box[2] / 2, frame_box[1] + frame_box[3] - 40)
    page.page.mouse.wheel(0, 300)
    page.page.wait_for_timeout(200)
    assert page.page.evaluate("window.scrollY") > 0  # the notebook scrolled
    assert frame.inner_text('[data-role="zoom-level"]') == scale  # and the graph did not zoom
    assert "Ctrl" in frame.inner_text(".tg-legend")
    assert page.errors == []


# --- an untrusted notebook: JupyterLab's sanitizer ------------------------------------------------

# What JupyterLab's sanitizer (sanitize-html with the options in @jupyterlab/apputils' sanitizer.ts)
# keeps of our outputs: no <script> and nothing inside one, no <iframe>; of the attributes, class,
# id, style, title and hidden on any tag, and src, alt, width and height on <img> (its src is not
# checked for a scheme, so a data: URI stays).
KEPT_TAGS = {"a", "b", "br", "div", "em", "i", "img", "p", "pre", "span", "strong", "code", "h1", "h2", "h3"}
KEPT_ATTRIBUTES = {"class", "id", "style", "title", "hidden", "dir", "lang"}
IMG_ATTRIBUTES = {"src", "alt", "width", "height", "align", "border"}
DROPPED_WITH_CONTENT = {"script", "style", "textarea", "option", "noscript"}


class Sanitizer(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.out, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED_WITH_CONTENT:
            self.skipping += 1
        if self.skipping or tag not in KEPT_TAGS:
            return
        kept = [(k, v) for k, v in attrs if k in KEPT_ATTRIBUTES or (tag == "img" and k in IMG_ATTRIBUTES)]
        self.out.append(f"<{tag}" + "".join(f' {k}="{html.escape(v or "", quote=True)}"' for k, v in kept) + ">")

    def handle_endtag(self, tag):
        if tag in DROPPED_WITH_CONTENT:
            self.skipping -= 1
        elif not self.skipping and tag in KEPT_TAGS and tag != "img":
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(data)

    def handle_entityref(self, name):
        self.handle_data(f"&{name};")

    def handle_charref(self, name):
        self.handle_data(f"&#{name};")


def sanitized(output):
    cleaner = Sanitizer()
    cleaner.feed(output)
    cleaner.close()
    return "".join(cleaner.out)


def test_the_reproduced_sanitizer_strips_what_jupyterlabs_strips():
    dirty = ('<div class="a" onclick="x()"><iframe srcdoc="&lt;b&gt;" sandbox="allow-scripts" '
             'style="height: 9px"></iframe><script>alert(1)</script><img src="data:image/png;base64,AA" '
             'onerror="y()"></div>')
    assert sanitized(dirty) == '<div class="a"><img src="data:image/png;base64,AA"></div>'


def still_shown(page):
    """The still picture's size on screen and whether it loaded, the visible text, and any frame."""
    return page.page.evaluate("""() => {
        const img = document.querySelector('#cell img'), r = img ? img.getBoundingClientRect() : null;
        return {loaded: !!img && img.complete && img.naturalWidth > 0, width: r ? r.width : 0,
                height: r ? r.height : 0, text: document.getElementById('cell').innerText,
                frames: document.querySelectorAll('#cell iframe').length};
      }""")


def test_an_untrusted_notebook_shows_the_still_picture_and_says_to_run_the_cell(browser, tmp_path):
    output = sanitized(trace(square_neuron()[0])._repr_html_())
    assert "<script" not in output and "<iframe" not in output
    page = Page(browser, host_page(tmp_path, output))
    page.page.wait_for_function("document.querySelector('#cell img') && document.querySelector('#cell img').complete")
    shown = still_shown(page)
    assert shown["loaded"] and shown["width"] > 300 and shown["height"] > 80 and shown["frames"] == 0
    assert "Run this cell (or trust the notebook) to step through" in shown["text"]
    page.page.screenshot(path=str(tmp_path / "untrusted.png"))
    assert page.errors == []


def test_a_trusted_output_replaces_the_still_picture_by_the_page(browser, tmp_path):
    page = Page(browser, host_page(tmp_path, trace(square_neuron()[0])._repr_html_()))
    stepper_frame(page)
    shown = still_shown(page)
    assert shown["frames"] == 1 and shown["width"] == 0 and "Run this cell" not in shown["text"]
    assert page.errors == []


@pytest.fixture(scope="module")
def xor_run():
    X, y = make_xor(16, seed=0, signed=True)
    model = MLP(2, [3, 1], seed=0)
    return record(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1), epochs=4, progress=False)


def test_the_player_too_shows_a_still_picture_where_scripts_do_not_run(browser, tmp_path, xor_run):
    pytest.importorskip("matplotlib")
    output = xor_run._repr_html_()
    page = Page(browser, host_page(tmp_path, sanitized(output)))
    page.page.wait_for_function("document.querySelector('#cell img') && document.querySelector('#cell img').complete")
    shown = still_shown(page)
    assert shown["loaded"] and shown["width"] > 300 and shown["frames"] == 0
    assert "Run this cell (or trust the notebook) to replay the training" in shown["text"]
    trusted = Page(browser, host_page(tmp_path, output, name="trusted.html"))
    stepper_frame(trusted)
    assert still_shown(trusted)["frames"] == 1 and "Run this cell" not in still_shown(trusted)["text"]
    assert page.errors == [] and trusted.errors == []


def test_the_player_rendered_hidden_then_shown_draws_every_panel(browser, tmp_path, xor_run):
    page = Page(browser, host_page(tmp_path, xor_run._repr_html_(), "render(true);"))
    page.page.wait_for_selector("#cell iframe", state="attached")
    page.page.wait_for_timeout(300)
    page.page.evaluate("document.getElementById('cell').style.display = ''")
    frame = stepper_frame(page)
    settle(page)
    assert frame.evaluate(OUTSIDE) == []  # the sample's graph
    sizes = frame.evaluate("""Array.from(document.querySelectorAll('[data-role="data-figure"] canvas,'
        + ' [data-role="curves"] svg, [data-role="network"] svg')).map(e => e.getBoundingClientRect().width)""")
    assert len(sizes) >= 3 and min(sizes) > 100
    assert page.errors == []


@pytest.mark.parametrize("width", [1090, 360])
def test_the_players_frame_is_as_tall_as_the_player_needs_up_to_a_limit(browser, tmp_path, xor_run, width):  # noqa: F811
    page = Page(browser, host_page(tmp_path, xor_run._repr_html_(), width=width), height=1000)
    frame = stepper_frame(page)
    settle(page)
    page.page.wait_for_timeout(200)
    settle(page)
    height = page.box("#cell iframe")[3]
    header, board, stacked, rows = frame.evaluate("""() => {
        const b = document.querySelector('[data-role="board"]'), s = getComputedStyle(b);
        return [document.querySelector('.tg-header').offsetHeight, b.getBoundingClientRect().height,
                s.gridTemplateColumns.trim().split(/\\s+/).length === 1,
                s.gridTemplateRows.trim().split(/\\s+/).map(parseFloat)]; }""")
    limit = round(1000 * 0.85)
    if not stacked:  # panels in columns: the data plot about square, not a fixed 760 px
        data = frame.evaluate("document.querySelector('[data-role=\"data-figure\"]').getBoundingClientRect()")
        assert height != 760 + 2 and height <= limit + 2
        assert abs(data["height"] - data["width"]) < 0.25 * data["width"]  # the data plot is about square
    else:  # stacked on a narrow screen: every panel's full height, up to the limit, then the board scrolls
        assert sum(rows) > 1000 and limit <= height <= limit + 2  # (+ its border)
    assert header + board <= height + 2
    assert page.errors == []
