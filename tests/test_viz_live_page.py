"""The live page alone in Chromium (no kernel): it draws the frames it is given, and its controls and
clicks on the data plane send the actions viz.live answers."""

import json

import pytest

from tracegrad.nn import MLP, Adam, make_moons
from tracegrad.viz import format_number
from tracegrad.viz.live import LiveRun, page_markup
from tracegrad.viz.page import page_file
from tracegrad.viz.widget import SCRIPTS, STYLES


def open_page(browser, tmp_path, run, width=1366, height=800):
    """The page's scripts and markup in a plain page; its actions collected in window.sent."""
    styles = "\n".join(page_file(name) for name in STYLES)
    scripts = "\n".join(f"<script>{page_file(name)}</script>" for name in SCRIPTS)
    markup = json.dumps(page_markup()).replace("</", "<\\/")
    path = tmp_path / "live.html"
    path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{styles}</style></head><body>"
                    f"<div id='box' class='tg-embedded'></div>{scripts}<script>window.sent = [];"
                    f"window.view = tracegrad.live(document.getElementById('box'), {markup}, "
                    "m => window.sent.push(m));</script></body></html>", encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    send(page, run, setup=True)
    return page, errors


def send(page, run, setup=False, playing=False):
    frame = dict(run.frame(), playing=playing, speed=100, news=None)
    if setup:
        page.evaluate("([s, f]) => { view.setup(s); view.frame(f); }", [run.setup(), frame])
    else:
        page.evaluate("f => view.frame(f)", frame)


def moons_run(sizes=(8, 8, 1)):
    X, y = make_moons(40, noise=0.1, seed=1, signed=True)
    model = MLP(2, list(sizes), seed=0)
    return LiveRun(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05))


def test_each_frame_redraws_the_counter_the_boundary_and_the_table(browser, tmp_path):
    run = moons_run()
    page, errors = open_page(browser, tmp_path, run)
    canvas = page.locator('[data-role="data-figure"] canvas')
    before = canvas.evaluate("c => c.toDataURL()")
    run.step(25)
    send(page, run)
    assert page.inner_text('[data-role="counter"]') == "step 25 (paused)"
    assert canvas.evaluate("c => c.toDataURL()") != before
    values = page.locator('[data-role="params"] tbody tr td:nth-child(2)').all_inner_texts()
    assert values == [format_number(p.data, 4) for p in run.parameters]
    assert errors == []


def test_while_playing_the_table_writes_the_rows_in_view_and_the_others_as_they_scroll_in(browser,
                                                                                          tmp_path):
    run = moons_run(sizes=(16, 16, 1))  # 337 parameters: most rows are below the table's fold
    page, errors = open_page(browser, tmp_path, run)
    cells = page.locator('[data-role="params"] tbody tr td:nth-child(2)')
    run.step(5)
    send(page, run, playing=True)
    expected = [format_number(p.data, 4) for p in run.parameters]
    def shows(row, text):  # the browser reports the rows in view a moment after they are
        page.wait_for_function(f"() => document.querySelectorAll('[data-role=params] tbody tr')[{row}]"
                               f".children[1].textContent === {text!r}")
    shows(0, expected[0])  # in view: the newest step
    last = len(expected) - 1
    assert cells.nth(last).inner_text() != expected[last]  # out of view: not rewritten yet
    cells.nth(last).scroll_into_view_if_needed()
    shows(last, expected[last])
    send(page, run, playing=False)  # paused: every row, seen or not
    assert cells.all_inner_texts() == expected
    assert errors == []


def test_clicks_on_the_plane_add_and_remove_and_the_buttons_send_their_actions(browser, tmp_path):
    run = moons_run(sizes=(2, 1))
    page, errors = open_page(browser, tmp_path, run)
    figure = page.locator('[data-role="data-figure"] canvas')
    box = figure.bounding_box()
    page.mouse.click(box["x"] + 60, box["y"] + 20)  # an empty corner of the plane
    page.keyboard.down("Shift")
    page.mouse.click(box["x"] + 60, box["y"] + 20)
    page.keyboard.up("Shift")
    page.click('[data-role="step"]')
    page.click('[data-role="play"]')
    page.select_option('[data-role="optimizer"]', "SGD")
    page.fill('[data-role="lr"]', "0.02")
    page.press('[data-role="lr"]', "Enter")
    sent = page.evaluate("window.sent")
    add, remove = sent[0], sent[1]
    assert add["action"] == "add" and add["label"] in (-1, 1) and len(add["x"]) == 2
    assert remove == {"action": "remove", "x": add["x"]}
    assert sent[2:] == [{"action": "step"}, {"action": "play"}, {"action": "optimizer", "value": "SGD"},
                        {"action": "lr", "value": 0.02}]
    assert errors == []


@pytest.mark.parametrize("width", [1366, 390])
def test_the_panels_never_overlap(browser, tmp_path, width):
    page, errors = open_page(browser, tmp_path, moons_run(), width=width, height=844)
    boxes = page.evaluate("""Array.from(document.querySelectorAll('.tg-panel:not([hidden])')).map(p => {
        const r = p.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] + 1 or b[2] <= a[0] + 1 or a[3] <= b[1] + 1 or b[3] <= a[1] + 1, (a, b)
    assert errors == []


RED_PIXELS = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
    for (let i = 0; i < d.length; i += 4) { if (d[i] > 190 && d[i + 1] < 70 && d[i + 2] < 70) { n++; } } return n; }"""


def test_the_live_page_rings_the_sample_whose_graph_it_draws_as_the_player_does(browser, tmp_path):
    # the ring is the shared data plot's (dataplot.js): the live page passes the sample its graph shows
    X, y = make_moons(40, noise=0.1, seed=1, signed=True)
    counts = []
    for sample in (3, None):
        model = MLP(2, [2, 1], seed=0)
        run = LiveRun(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05), sample=sample)
        page, errors = open_page(browser, tmp_path, run)
        counts.append(page.locator('[data-role="data-figure"] canvas').evaluate(RED_PIXELS))
        legend = page.inner_text('[data-role="data-note"]')
        assert ("the sample whose graph is drawn" in legend) == (sample is not None)
        assert errors == []
    assert counts[0] > 100 and counts[1] == 0
