"""The player's sample panel: the network view of one chosen sample at the step shown. Its z, a and δ
are computed by the page (samplepass.js) from the step's recorded parameters; they are checked here
against the engine's forward pass and backward() on the model set to those parameters."""

import pytest

from tracegrad.nn import LOSSES, MLP, SGD, Adam, make_moons, make_spiral, make_squares, make_xor
from page_helpers import Page
from tracegrad.viz import format_number, network, record
from tracegrad.viz.player import DIGITS


def engine_pass(run, k, sample):
    """The engine's numbers for one sample at frame k: per neuron (z, a, δ), the loss, each ∂loss/∂p."""
    model = run.model
    for p, value in zip(run.parameters, run.frames[k].values):
        p.data, p.grad = value, 0.0
    loss = LOSSES[run.loss_name]([model(run.X[sample])], [run.y[sample]])
    view = network(loss)
    neurons = [(n.z.data, n.a.data, view.delta(n)) for layer in view.layers for n in layer]
    loss.backward()
    return neurons, loss.data, [p.grad for p in run.parameters]


def page_pass(page, k, sample):
    return page.page.evaluate("""([k, s]) => {
        const data = JSON.parse(document.querySelector('[data-role="data"]').textContent);
        const values = tracegrad.plotting.unpack(data.parameters.values).row(k);
        const pass = tracegrad.samplePass(data.network, values, data.samples.X[s], data.samples.y[s], data.lossName);
        return {z: pass.z, a: pass.a, delta: pass.delta, loss: pass.loss, grads: Array.from(pass.grads)};
    }""", [k, sample])


RUNS = {
    "hinge 2-6-6-1": lambda: (make_moons(30, noise=0.1, seed=2, signed=True), MLP(2, [6, 6, 1], seed=0), "hinge"),
    "bce tanh 2-4-1": lambda: (make_xor(16, seed=1), MLP(2, [4, 1], activation="tanh", seed=1), "bce_with_logits"),
    "cross-entropy 2-5-3": lambda: (make_spiral(30, seed=0), MLP(2, [5, 3], seed=2), "cross_entropy"),
    "mse sigmoid 1-4-1": lambda: (make_squares(12, seed=0), MLP(1, [4, 1], activation="sigmoid", seed=3), "mse"),
    "half squared 3-3-2": lambda: (([[0.5, -1.0, 0.2], [1.0, 2.0, -0.4], [-0.3, 0.7, 1.1]],
                                    [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]), MLP(3, [3, 2], seed=4), "half_squared_error"),
}


@pytest.mark.parametrize("name", list(RUNS))
def test_the_pages_pass_of_a_sample_equals_the_engines(browser, tmp_path, name):
    (X, y), model, loss = RUNS[name]()
    run = record(model, X, y, loss=loss, optimizer=Adam(model.parameters(), lr=0.1), epochs=4, progress=False)
    page = Page(browser, run.save_html(tmp_path / "run.html"))
    for k, sample in ((0, 0), (3, len(X) - 1), (4, 1)):
        neurons, loss_value, grads = engine_pass(run, k, sample)
        shown = page_pass(page, k, sample)
        assert shown["z"] == pytest.approx([n[0] for n in neurons], rel=1e-12, abs=1e-12)
        assert shown["a"] == pytest.approx([n[1] for n in neurons], rel=1e-12, abs=1e-12)
        assert shown["delta"] == pytest.approx([n[2] for n in neurons], rel=1e-9, abs=1e-12)
        assert shown["loss"] == pytest.approx(loss_value, rel=1e-12)
        assert shown["grads"] == pytest.approx(grads, rel=1e-9, abs=1e-12)
    assert page.errors == []


def number(x):
    return format_number(x, DIGITS)


def test_clicking_a_point_shows_that_samples_numbers_in_its_network_at_the_step_shown(browser, tmp_path):
    X, y = make_xor(20, seed=1, signed=True)
    model = MLP(2, [2, 1], seed=3)
    run = record(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.2), epochs=6, sample=2,
                 progress=False)
    page = Page(browser, run.save_html(tmp_path / "221.html"))
    assert page.page.is_hidden('[data-role="graph-panel"]')
    title = '[data-role="sample-title"]'
    assert page.page.inner_text(title).startswith("Sample 2 through the network at step 0")

    def boxes():  # each neuron's texts as the panel shows them
        return page.page.evaluate("""Array.from(document.querySelectorAll(
            '[data-role="sample-network"] g.tg-neuron[aria-label]')).map(g =>
            Array.from(g.querySelectorAll('text')).map(t => t.textContent))""")

    for k, sample in ((0, 2), (5, 2), (5, 7), (2, 7)):
        if sample == 7 and k == 5:  # choose sample 7: click its dot in the data plot
            dot = page.page.evaluate("""document.querySelector('[data-tracegrad="player"]')
                                        .tracegradPlayer.dataPlot.dotAt(7)""")
            page.page.mouse.click(dot["x"], dot["y"])
        page.page.get_by_role("slider", name="Go to step").fill(str(k))
        assert page.page.inner_text(title).startswith(f"Sample {sample} through the network at step {k} ")
        neurons, loss_value, _ = engine_pass(run, k, sample)
        names = ["L1.N0", "L1.N1", "L2.N0"]
        assert [texts[1:] for texts in boxes()] == [[f"z {number(z)}", f"a {number(a)}", f"δ {number(d)}"]
                                                    for z, a, d in neurons]
        assert [texts[0].split(" ")[0] for texts in boxes()] == names
        loss_box = page.page.evaluate("""Array.from(document.querySelectorAll(
            '[data-role="sample-network"] g.tg-loss-node text')).map(t => t.textContent)""")
        assert loss_box == ["loss", f"= {number(loss_value)}"]
    assert page.errors == [] and page.requests == [page.url]


def test_the_moons_network_of_a_sample_fits_its_panel_with_numbers_on_hover(browser, tmp_path):
    X, y = make_moons(100, noise=0.1, seed=2, signed=True)
    model = MLP(2, [16, 16, 1], seed=0)
    run = record(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05), epochs=3, sample=5,
                 progress=False)
    page = Page(browser, run.save_html(tmp_path / "moons.html"))
    panel = page.box('[data-role="sample-network"]')
    shapes = page.page.evaluate("""Array.from(document.querySelectorAll(
        '[data-role="sample-network"] g.tg-neuron')).map(g => { const r = g.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom]; })""")
    assert len(shapes) == 2 + 16 + 16 + 1 + 1  # the inputs, the neurons, the loss
    for left, top, right, bottom in shapes:
        assert panel[0] <= left and right <= panel[0] + panel[2] and panel[1] <= top and bottom <= panel[1] + panel[3]
    page.page.get_by_role("slider", name="Go to step").fill("2")
    page.page.hover('[data-role="sample-network"] g.tg-neuron[aria-label="L2.N3"]')
    neurons, _, _ = engine_pass(run, 2, 5)
    z, a, delta = neurons[16 + 3]
    tip = page.page.inner_text('[data-role="sample-tooltip"]')
    assert f"z = w·a + b = {number(z)}" in tip and f"= {number(delta)}" in tip
    assert page.errors == []




def test_the_players_error_surface_draws_the_recorded_path_up_to_the_step_shown(browser, tmp_path):
    X, y = make_moons(30, noise=0.1, seed=2, signed=True)
    model = MLP(2, [4, 1], seed=0)
    run = record(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.1), epochs=8, progress=False)
    page = Page(browser, run.save_html(tmp_path / "run.html"))
    grads = [abs(g) for g in run.frames[0].grads]
    p, q = sorted(range(len(grads)), key=lambda i: -grads[i])[:2]
    page.page.click('[data-role="surface-switch"]')
    assert page.page.is_visible('[data-role="surface-figure"] canvas')
    assert "a slice" in page.page.inner_text('[data-role="curves-title"] ~ .tg-note:not([hidden])')
    for k in (0, 5, 8):
        page.page.get_by_role("slider", name="Go to step").fill(str(k))
        drawn = page.page.evaluate("""document.querySelector('[data-tracegrad="player"]')
                                      .tracegradPlayer.surface.shown()""")
        assert drawn == [[f.values[p], f.values[q]] for f in run.frames[:k + 1]]
    page.page.click('[data-role="surface-switch"]')  # back to the curves
    assert page.page.is_hidden('[data-role="surface-figure"]')
    assert page.errors == []


def test_clicking_a_neuron_of_the_sample_opens_its_scalar_graph_beside_it_following_the_step(browser, tmp_path):
    X, y = make_xor(20, seed=1, signed=True)
    model = MLP(2, [3, 1], seed=3)
    run = record(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.2), epochs=6, sample=2,
                 progress=False)
    page = Page(browser, run.save_html(tmp_path / "xor.html"))
    zoom = '[data-role="neuron-zoom"]'
    assert page.page.is_hidden(zoom)
    neuron = '[data-role="sample-network"] g.tg-neuron[aria-label="L1.N1"]'

    def shown():  # each node of the zoom: its two lines
        return page.page.evaluate("""Object.fromEntries(Array.from(document.querySelectorAll(
            '[data-role="neuron-zoom"] g.tg-zoom-node')).map(g =>
            [g.dataset.name, Array.from(g.querySelectorAll('text')).map(t => t.textContent)]))""")

    def check(k, sample):
        neurons, _, grads = engine_pass(run, k, sample)
        z, a, delta = neurons[1]
        nodes = shown()
        assert nodes["z"] == [f"z = Σw·a + b = {number(z)}", f"δ = ∂loss/∂z {number(delta)}"]
        assert nodes["a"][0] == f"a = relu(z) = {number(a)}"
        weights = [run.parameters.index(w) for w in model.layers[0].neurons[1].w]
        for i, index in enumerate(weights):
            assert nodes[f"w{i}"] == [f"w{i} = {number(run.frames[k].values[index])}", f"∂loss/∂w{i} {number(grads[index])}"]
            assert nodes[f"a{i}"][0] == f"a{i} = x{i} = {number(X[sample][i])}"
        bias = run.parameters.index(model.layers[0].neurons[1].b)
        assert nodes["b"][1] == f"∂loss/∂b {number(grads[bias])}"

    page.page.get_by_role("slider", name="Go to step").fill("3")
    page.page.click(neuron)
    assert page.page.is_visible(zoom)
    check(3, 2)
    box, spot = page.box(zoom), page.box(neuron)  # beside the neuron, never over it
    assert box[0] >= spot[0] + spot[2] or box[0] + box[2] <= spot[0]
    page.page.get_by_role("slider", name="Go to step").fill("5")  # it follows the step
    check(5, 2)
    page.page.click('[data-role="zoom-close"]')
    assert page.page.is_hidden(zoom)
    page.page.focus(neuron)  # Enter on a focused neuron opens it, Escape closes it
    page.page.keyboard.press("Enter")
    assert page.page.is_visible(zoom)
    dot = page.page.evaluate("""document.querySelector('[data-tracegrad="player"]').tracegradPlayer.dataPlot.dotAt(7)""")
    page.page.mouse.click(dot["x"], dot["y"])  # another sample: the zoom follows it
    check(5, 7)
    page.page.keyboard.press("Escape")
    assert page.page.is_hidden(zoom)
    assert page.errors == []
