"""The training player page: self-contained, and in headless Chromium it plays, steps, slides and resets
to the recorded numbers."""

import re

import pytest

from tracegrad import Value, topological_order
from tracegrad.nn import MLP, SGD, Adam, Module, make_moons, make_squares, make_xor
from page_helpers import Page, data_of, inline_page
from tracegrad.viz import format_number, record
from tracegrad.viz.page import page_file
from tracegrad.viz.player import DIGITS, SCRIPTS


def moons_run(epochs=12):
    X, y = make_moons(30, noise=0.1, seed=2, signed=True)
    model = MLP(2, [6, 6, 1], seed=0)
    return record(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.1), epochs=epochs,
                  progress=False)


@pytest.fixture(scope="module")
def moons():
    return moons_run()


def number(x):
    return format_number(x, DIGITS) if x == x else "\u2014"  # nan: nothing held yet


def test_page_is_self_contained_and_built_from_package_files(moons):
    page = moons.to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"\b(src|href)\s*=", page)
    assert not re.findall(r"https?://(?!www\.w3\.org/)", page)
    for name in ("base.css", "player.css") + SCRIPTS:
        assert page_file(name).strip() in page
    data = data_of(page)
    assert data["steps"] == list(range(13)) and data["loss"] == [f.loss for f in moons.frames]


def test_jupyter_shows_the_player_inline_in_its_own_frame(moons):
    shown = moons._repr_html_()
    assert 'setAttribute("sandbox", "allow-scripts")' in shown
    inner = inline_page(shown)
    assert inner.startswith("<!DOCTYPE html>") and 'data-tracegrad="player"' in inner


def test_a_recording_as_the_last_expression_of_a_notebook_cell_shows_the_player():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        "from tracegrad.nn import MLP, Adam, make_xor\nfrom viz import record\n"
        "X, y = make_xor(12, seed=0, signed=True)\nmodel = MLP(2, [2, 1], seed=0)\n"
        "record(model, X, y, loss='hinge', optimizer=Adam(model.parameters(), lr=0.1), epochs=3, progress=False)")]
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    output = notebook.cells[0].outputs[-1]
    assert output["output_type"] == "execute_result"
    assert 'data-tracegrad="player"' in inline_page(output["data"]["text/html"])
    assert output["data"]["text/plain"].startswith("<Recording: 4 frames")


# --- in a real browser ---------------------------------------------------------------


def counter(page):
    return page.page.inner_text('[data-role="counter"]')


def picture(page):
    return page.page.evaluate("document.querySelector('[data-role=\"data-figure\"] canvas').toDataURL()")


def table(page):
    return page.page.evaluate("""Array.from(document.querySelectorAll('[data-role="params"] tbody tr'))
        .map(r => Array.from(r.cells).map(c => c.textContent))""")


def expected_table(recording, k):
    frame = recording.frames[k]
    grads = frame.grads or [float("nan")] * len(frame.values)
    return [[label, number(v), number(g), number(m), number(s)]
            for label, v, g, m, s in zip(recording.labels, frame.values, grads, frame.state["m"], frame.state["v"])]


def test_play_changes_the_step_and_the_boundary_and_pause_stops(browser, moons, tmp_path):
    page = Page(browser, moons.save_html(tmp_path / "run.html"))
    assert counter(page) == "step 0 of 12 (before training)"
    before = picture(page)
    page.page.get_by_role("button", name="Play").click()
    page.page.wait_for_function("!document.querySelector('[data-role=\"counter\"]').textContent.startsWith('step 0 ')")
    page.page.get_by_role("button", name="Pause").click()
    shown = counter(page)
    assert shown != "step 0 of 12 (before training)"
    assert picture(page) != before  # the boundary moved with the model
    page.page.wait_for_timeout(300)
    assert counter(page) == shown  # paused
    assert page.page.get_by_role("button", name="Play").is_visible()
    assert page.errors == [] and page.requests == [page.url]


def test_the_slider_shows_a_steps_recorded_numbers_and_reset_returns_to_step_0(browser, moons, tmp_path):
    page = Page(browser, moons.save_html(tmp_path / "run.html"))
    slider = page.page.get_by_role("slider", name="Go to step")
    for k in (7, 3, 12):
        slider.fill(str(k))
        frame = moons.frames[k]
        assert counter(page) == f"step {k} of 12 (epoch {k}" + (", after the last update)" if k == 12 else ")")
        assert page.page.inner_text('[data-role="loss"]') == number(frame.loss)
        assert page.page.inner_text('[data-role="accuracy"]') == f"{100 * frame.accuracy:.1f}%"
        assert table(page) == expected_table(moons, k)
    assert table(page)[0][2] == "\u2014"  # the last step has no gradient: the run ended there
    page.page.get_by_role("button", name="Reset").click()
    assert counter(page) == "step 0 of 12 (before training)"
    assert page.page.inner_text('[data-role="loss"]') == number(moons.frames[0].loss)
    assert table(page) == expected_table(moons, 0)
    assert page.errors == [] and page.requests == [page.url]


def boxes(page, *selectors):
    return page.page.evaluate("""selectors => selectors.map(s => {
        const r = document.querySelector(s).getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""",
                              list(selectors))


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_data_plot_keeps_one_size_and_never_covers_its_legend(browser, moons, tmp_path, size):
    page = Page(browser, moons.save_html(tmp_path / "run.html"), *size)
    figure = '[data-role="data-figure"]'
    first = None
    for k in range(len(moons.frames)):
        if k:  # step 0 as the page opens, then each step in turn
            page.page.get_by_role("slider", name="Go to step").fill(str(k))
        plot, frame, legend = boxes(page, figure + " canvas", figure, '[data-role="data-note"]')
        first = first or plot
        assert plot == first, f"step {k}: the plot is {plot}, at step 0 it was {first}"
        assert frame[0] <= plot[0] and plot[2] <= frame[2] and frame[1] <= plot[1] and plot[3] <= frame[3]
        assert plot[3] <= legend[1], f"step {k}: the plot reaches {plot[3]}, its legend starts at {legend[1]}"
    assert page.errors == []


def test_at_150_percent_zoom_the_controls_do_not_collide_and_the_plot_stays_readable(browser, moons, tmp_path):
    # a 1366x768 laptop with the browser zoomed to 150%: 911x512 CSS pixels
    page = Page(browser, moons.save_html(tmp_path / "run.html"), width=911, height=512, scale=1.5)
    counter, speed = boxes(page, '[data-role="counter"]', ".tg-speed")
    assert counter[2] <= speed[0], "the step counter runs into the speed setting"
    width = page.page.evaluate("document.querySelector('[data-role=\"counter\"]').scrollWidth")
    assert width <= counter[2] - counter[0] + 1  # its whole text inside its box
    plot = boxes(page, '[data-role="data-figure"] canvas')[0]
    assert plot[3] - plot[1] >= 200  # the board scrolls rather than shrinking the plot to a stamp
    assert page.errors == []


def test_keys_and_the_step_button_move_one_step(browser, moons, tmp_path):
    page = Page(browser, moons.save_html(tmp_path / "run.html"))
    page.page.get_by_role("button", name="Step", exact=True).click()
    assert counter(page).startswith("step 1 of 12")
    page.page.focus("body")
    page.press("ArrowRight", 2)
    assert counter(page).startswith("step 3 of 12")
    page.press("ArrowLeft")
    assert counter(page).startswith("step 2 of 12")
    page.press(" ")  # space plays
    page.page.wait_for_function("!document.querySelector('[data-role=\"counter\"]').textContent.startsWith('step 2 ')")
    page.press(" ")  # and pauses
    assert page.page.get_by_role("button", name="Play").is_visible()
    assert page.errors == []


def test_hovering_a_neuron_or_an_edge_shows_its_value_and_gradient(browser, moons, tmp_path):
    page = Page(browser, moons.save_html(tmp_path / "run.html"))
    page.page.get_by_role("slider", name="Go to step").fill("4")
    frame = moons.frames[4]
    labels = moons.labels
    page.page.hover('.tg-network g.tg-neuron[aria-label="L1.N2"]')
    tip = page.page.inner_text('[data-role="tooltip"]')
    b = labels.index("L1.N2.b")
    assert "L1.N2 (relu)" in tip and f"value {number(frame.values[b])}, gradient {number(frame.grads[b])}" in tip
    # an edge: the weight L2.N1.w3, from L1.N3 to L2.N1 (edges cross, so no point of it is its alone)
    page.page.evaluate("""() => {
        const edges = document.querySelectorAll('.tg-network line.tg-hit');
        edges[2 * 6 + 6 + 3].dispatchEvent(new MouseEvent('mouseenter'));  // after x0, x1 -> L1 and L2.N0's 6
      }""")
    tip = page.page.inner_text('[data-role="tooltip"]')
    w = labels.index("L2.N1.w3")
    assert tip.startswith("L2.N1.w3: the weight from L1.N3 to L2.N1")
    assert f"value {number(frame.values[w])}, gradient {number(frame.grads[w])}" in tip
    assert page.errors == []


class Plane(Module):
    """A model that is not an MLP: score = w0·x0 + w1·x1 + b, small enough for its graph to be drawn."""

    def __init__(self):
        self.w = [Value(0.3, label="w0"), Value(-0.5, label="w1")]
        self.b = Value(0.1, label="b")

    def __call__(self, x):
        return self.w[0] * x[0] + self.w[1] * x[1] + self.b

    def parameters(self):
        return self.w + [self.b]


def plane_run(epochs, optimizer=None, sample=0):
    X, y = make_xor(20, seed=1, signed=True)
    model = Plane()
    optimizer = optimizer or SGD(model.parameters(), lr=0.2, momentum=0.5)
    return record(model, X, y, loss="hinge", optimizer=optimizer, epochs=epochs, sample=sample, progress=False)


def test_a_small_model_other_than_an_mlp_shows_one_samples_graph_updated_at_every_step(browser, tmp_path):
    # (an MLP shows the sample going through its network instead: test_viz_sample_network.py)
    run = plane_run(6, sample=2)
    page = Page(browser, run.save_html(tmp_path / "plane.html"))
    assert page.page.is_hidden('[data-role="sample-panel"]')
    assert "Computation graph of sample 2" in page.page.inner_text('[data-role="graph-title"]')
    root = len(run.graph.data[0]) - 1
    w = [node.label for node in topological_order(run.graph.root)].index("w0")
    for k in (0, 5, 3):
        page.page.get_by_role("slider", name="Go to step").fill(str(k))
        assert page.line(f"n{root}", "data") == f"data {number(run.graph.data[k][root])}"
        assert page.line(f"n{w}", "data") == f"data {number(run.graph.data[k][w])}"
        assert page.line(f"n{w}", "grad") == f"grad {number(run.graph.grads[k][w])}"
    assert run.graph.data[5][w] != run.graph.data[0][w]
    columns = page.page.evaluate("Array.from(document.querySelectorAll('[data-role=\"params\"] th')).map(t => t.textContent)")
    assert columns == ["parameter", "value", "grad", "momentum buffer"]
    page.page.get_by_role("button", name="Reset").click()
    assert table(page)[0][3] == "\u2014"  # no momentum buffer before the first step
    assert page.errors == [] and page.requests == [page.url]


def test_the_sample_graph_has_its_own_zoom_buttons_and_fit_shows_all_of_it(browser, tmp_path):
    model_run = plane_run(2)
    page = Page(browser, model_run.save_html(tmp_path / "plane.html"))
    graph = '[data-role="graph-panel"]'
    level = page.page.locator(graph + ' [data-role="zoom-level"]')
    assert level.inner_text() == "100%"  # the graph starts at its natural size
    page.page.locator(graph).get_by_role("button", name="Fit to panel").click()
    drawing, viewport = boxes(page, graph + " svg", graph + ' [data-role="viewport"]')
    assert viewport[0] <= drawing[0] and drawing[2] <= viewport[2] and viewport[1] <= drawing[1] \
        and drawing[3] <= viewport[3]
    assert level.inner_text() != "100%"
    page.page.locator(graph).get_by_role("button", name="Actual size").click()
    assert level.inner_text() == "100%"
    assert page.errors == []


def test_regression_shows_the_fitted_curve(browser, tmp_path):
    X, y = make_squares(15, noise=0.05, seed=0)
    model = MLP(1, [8, 1], seed=0)
    run = record(model, X, y, loss="mse", optimizer=Adam(model.parameters(), lr=0.05), epochs=5, progress=False)
    page = Page(browser, run.save_html(tmp_path / "squares.html"))
    assert page.page.is_hidden('[data-role="accuracy-part"]')
    assert page.page.is_visible('[data-role="sample-panel"]')  # sample 0 going through the 1-8-1 network
    first = picture(page)
    page.page.get_by_role("slider", name="Go to step").fill("5")
    assert picture(page) != first
    assert page.page.inner_text('[data-role="loss"]') == number(run.frames[5].loss)
    assert page.errors == [] and page.requests == [page.url]


def test_a_loss_that_falls_by_orders_of_magnitude_is_drawn_on_a_log_scale(browser, tmp_path):
    X, y = make_squares(30, noise=0.05, seed=0)
    model = MLP(1, [16, 16, 1], seed=0)
    run = record(model, X, y, loss="mse", optimizer=Adam(model.parameters(), lr=0.1), epochs=30, progress=False)
    losses = [f.loss for f in run.frames]
    assert sum(loss < max(losses) / 10 for loss in losses) > 0.9 * len(losses)  # flat on a linear axis
    page = Page(browser, run.save_html(tmp_path / "squares.html"))
    assert "log scale" in page.page.inner_text('[data-role="curves-title"]')
    # the curve after its first step still spans a good part of the chart's height
    spread = page.page.evaluate("""() => {
        const svg = document.querySelector('[data-role="curves"] svg'), frame = svg.querySelector('rect');
        const ys = svg.querySelector('path').getAttribute('d').split(/[ML]/).filter(Boolean)
          .map(point => Number(point.split(',')[1])).slice(1);
        return (Math.max(...ys) - Math.min(...ys)) / frame.getBBox().height;
      }""")
    assert spread > 0.4
    labels = page.page.evaluate("Array.from(document.querySelectorAll('[data-role=\"curves\"] text')).map(t => t.textContent)")
    assert {"1", "0.1", "0.01"} <= set(labels)
    assert page.errors == []


def test_a_loss_curve_that_reads_well_stays_linear(browser, moons, tmp_path):
    page = Page(browser, moons.save_html(tmp_path / "run.html"))
    assert "log scale" not in page.page.inner_text('[data-role="curves-title"]')


# --- installed from a wheel ------------------------------------------------------------


def test_tracegrad_train_moons_html_works_from_an_installed_wheel(installed_wheel, tmp_path):
    import subprocess
    import sys

    for name in ("player.html", "player.css", "base.css") + SCRIPTS:
        assert f"tracegrad/viz/pages/{name}" in installed_wheel.names, name
    # a plain `pip install` brings what --plot needs; the page itself needs only numpy
    requires = [line for line in installed_wheel.metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert any("matplotlib" in line and "extra" not in line for line in requires), requires
    assert any("numpy" in line and "extra" not in line for line in requires), requires
    target, env = installed_wheel.target, installed_wheel.env
    script = target / "bin" / "tracegrad"
    assert script.exists()
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run([sys.executable, str(script), "train", "moons", "--html", "run.html", "--epochs", "5",
                           "--no-progress"], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "wrote run.html" in done.stdout
    page = (work / "run.html").read_text(encoding="utf-8")
    assert 'data-tracegrad="player"' in page and page_file("player.js").strip() in page
    where = subprocess.run([sys.executable, "-c", "import tracegrad.viz; print(tracegrad.viz.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True)
    assert where.stdout.startswith(str(target))  # the installed copy ran, not the source tree


def test_each_panel_script_draws_alone_into_a_given_element_and_redraws_at_a_new_size(browser, moons, tmp_path):
    # what the network, live and explorer views build on: the panel scripts without the player
    import json

    scripts = "".join(f"<script>{page_file(name)}</script>" for name in
                      ("plotting.js", "dataplot.js", "curves.js", "networkview.js", "paramtable.js"))
    data = json.dumps(data_of(moons.to_html()))
    path = tmp_path / "alone.html"
    path.write_text(f"""<!DOCTYPE html><html><body>
<div id="net" style="position: relative; width: 400px; height: 300px"></div>
<div id="plot" style="position: relative; width: 300px; height: 300px"></div>
<div id="curves" style="width: 300px; height: 200px"></div>
<table id="params"><thead></thead><tbody></tbody></table>{scripts}
<script>
var data = {data}, P = tracegrad.plotting, grid = data.grid;
var values = P.unpack(data.parameters.values), grads = P.unpack(data.parameters.grads);
var table = tracegrad.paramTable(document.getElementById("params"), {{labels: data.parameters.labels,
  values: values, grads: grads, count: data.steps.length, digits: 4}});
window.net = tracegrad.networkView(document.getElementById("net"), {{network: data.network, values: values,
  grads: grads, labels: data.parameters.labels, count: data.steps.length, digits: 4, grid: grid,
  outputs: P.unpack(grid.outputs), tiles: null, onMark: table.mark}});
var plot = tracegrad.dataPlot(document.getElementById("plot"), {{samples: data.samples, grid: grid,
  outputs: P.unpack(grid.outputs), wrong: P.unpack(data.samples.wrong), count: data.steps.length}});
var curves = tracegrad.curves(document.getElementById("curves"), {{steps: data.steps, loss: data.loss,
  accuracy: data.accuracy, lossName: data.lossName}});
[net, plot, curves].forEach(function (view) {{ if (view.layout) {{ view.layout(); }} view.show(5); }});
table.show(5);
</script></body></html>""", encoding="utf-8")
    page = Page(browser, path)
    weights = sum(len(neuron.w) for layer in moons.model.layers for neuron in layer.neurons)
    assert page.page.evaluate("document.querySelectorAll('#net line.tg-edge').length") == weights
    assert page.page.evaluate("document.querySelector('#net svg').getAttribute('width')") == "400"
    assert page.page.evaluate("document.querySelector('#plot canvas').width") > 10
    assert page.page.evaluate("document.querySelectorAll('#curves path').length") == 2  # loss and accuracy
    rows = page.page.evaluate("Array.from(document.querySelectorAll('#params tbody tr'))"
                              ".map(r => Array.from(r.cells).map(c => c.textContent))")
    frame = moons.frames[5]
    assert rows == [[label, number(v), number(g)] for label, v, g in zip(moons.labels, frame.values, frame.grads)]
    page.page.evaluate("document.getElementById('net').style.width = '250px'; net.layout(); net.show(5)")
    assert page.page.evaluate("document.querySelector('#net svg').getAttribute('width')") == "250"
    page.page.hover("#net g.tg-neuron[aria-label='L1.N0']")
    assert page.page.evaluate("document.querySelectorAll('#params tr.tg-hovered').length") == 3  # 2 weights, bias
    assert page.errors == [] and page.requests == [page.url]
