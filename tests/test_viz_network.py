"""viz.network: the network view and stepper, on network_221 and larger MLPs.

The numbers are checked against the blog post's hand computation (literal values)
and against PyTorch in float64; the page in headless Chromium at 1366x768.
"""

import json
import re

import pytest

from tracegrad import Value
from tracegrad.nn import MLP
from page_helpers import Page, inline_page
from tracegrad.viz import network
from tracegrad.viz.examples import NETWORK_221_BIASES, NETWORK_221_WEIGHTS, network_221


def network_221_view(lr=0.1):
    cost, nodes = network_221()
    return network(cost, lr=lr), cost, nodes


def page_data(text):
    return json.loads(re.search(r'data-role="data">(.*?)</script>', text, re.S).group(1))


def torch_network_221():
    torch = pytest.importorskip("torch")
    w1 = torch.tensor(NETWORK_221_WEIGHTS[0], dtype=torch.float64, requires_grad=True)
    b1 = torch.tensor(NETWORK_221_BIASES[0], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor(NETWORK_221_WEIGHTS[1], dtype=torch.float64, requires_grad=True)
    b2 = torch.tensor(NETWORK_221_BIASES[1], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([0.5, 0.1], dtype=torch.float64)
    z1 = w1 @ x + b1
    z1.retain_grad()
    z2 = w2 @ torch.relu(z1) + b2
    z2.retain_grad()
    cost = 0.5 * (z2[0] - 0.8) ** 2
    cost.backward()
    return {"z1": z1, "z2": z2, "w1": w1, "b1": b1, "w2": w2, "b2": b2}


# --- the numbers ----------------------------------------------------------------------

def test_network_221_has_the_seeds_deltas_gradients_and_updates():
    view, cost, _ = network_221_view()
    (n0, n1), (out,) = view.layers
    assert view.delta(out) == pytest.approx(-0.408)
    assert view.delta(n0) == pytest.approx(-0.2448)
    assert view.delta(n1) == 0.0
    assert [view.grad(w) for w in out.weights] == pytest.approx([-0.13056, 0.0])
    assert [view.grad(w) for w in n0.weights] == pytest.approx([-0.1224, -0.02448])
    assert [view.updated(w) for w in out.weights] == pytest.approx([0.613056, 0.9])
    assert [view.updated(n.bias) for n in (n0, n1)] == pytest.approx([0.12448, -0.3])
    assert view.updated(out.bias) == pytest.approx(0.2408)
    assert [view.updated(w) for w in n0.weights] == pytest.approx([0.41224, 0.202448])


def test_network_221_agrees_with_pytorch_and_with_the_engines_backward():
    reference = torch_network_221()
    view, cost, _ = network_221_view()
    (n0, n1), (out,) = view.layers
    assert [view.delta(n) for n in (n0, n1)] == pytest.approx(reference["z1"].grad.tolist(), abs=1e-15)
    assert view.delta(out) == pytest.approx(reference["z2"].grad.item(), abs=1e-15)
    for n, row in zip((n0, n1), reference["w1"].grad.tolist()):
        assert [view.grad(w) for w in n.weights] == pytest.approx(row, abs=1e-15)
    assert [view.grad(n.bias) for n in (n0, n1)] == pytest.approx(reference["b1"].grad.tolist(), abs=1e-15)
    assert [view.grad(w) for w in out.weights] == pytest.approx(reference["w2"].grad[0].tolist(), abs=1e-15)
    cost.backward()  # the engine's own backward pass gives every gradient the view shows
    for p in view.parameters:
        assert view.grad(p) == p.grad


def test_the_steps_write_the_seeds_hand_computation():
    view, _, _ = network_221_view()
    text = "\n".join(f"{s['title']}\n{s['text']}" for s in view.steps)
    for line in ("L1.N0.z = 0.4·0.5 + 0.2·0.1 + 0.1 = 0.32",
                 "L1.N1.z = 0.3·0.5 + 0.7·0.1 + (-0.3) = -0.08",
                 "L1.N1.a = relu(-0.08) = 0",
                 "L2.N0.z = 0.6·0.32 + 0.9·0 + 0.2 = 0.392",
                 "C = (ŷ - y)**2*0.5 = 0.166464*0.5 = 0.083232",
                 "δ(L2.N0) = ∂C/∂ŷ × 1 = (-0.408) × 1 = -0.408",
                 "∂C/∂L2.N0.w0 = L1.N0.a·δ(L2.N0) = 0.32·(-0.408) = -0.13056",
                 "δ(L1.N0) = (0.6·(-0.408)) × relu′(z) = (-0.2448) × 1 = -0.2448",
                 "δ(L1.N1) = (0.9·(-0.408)) × relu′(z) = (-0.3672) × 0 = 0",
                 "∂C/∂L1.N0.b = δ(L1.N0) = -0.2448",
                 "∂C/∂L1.N0.w1 = x1·δ(L1.N0) = 0.1·(-0.2448) = -0.02448",
                 "L2.N0.w0 = 0.6 − 0.1·(-0.13056) = 0.613056",
                 "L1.N0.b = 0.1 − 0.1·(-0.2448) = 0.12448",
                 "L1.N1.b = -0.3 − 0.1·0 = -0.3"):
        assert line in text, line
    phases = [s["phase"] for s in view.steps]
    # forward before backward before the update; the output's δ before the hidden layer's
    assert phases == sorted(phases, key=["forward", "backward", "update"].index)
    titles = [s["title"] for s in view.steps]
    assert titles.index(next(t for t in titles if "output's error" in t)) < \
        titles.index(next(t for t in titles if t.startswith("Backward, layer 1: δ")))


def test_each_step_reveals_only_what_is_known_by_then():
    view, _, _ = network_221_view()
    data = page_data(view.to_html())
    neurons = data["numbers"]["neurons"]
    assert neurons[0] == [["", "", ""]] * 3  # the inputs' step: nothing of the neurons yet
    assert neurons[-1] == [["0.32", "0.32", "-0.2448"], ["-0.08", "0", "0"], ["0.392", "0.392", "-0.408"]]
    titles = [s["title"] for s in data["steps"]]
    output_error = next(k for k, t in enumerate(titles) if "output's error" in t)
    assert neurons[output_error - 1][2][2] == "" and neurons[output_error][2][2] == "-0.408"
    assert neurons[output_error][0][2] == ""  # the hidden δ comes after the output's
    assert data["numbers"]["loss"][0] == "" and data["numbers"]["loss"][-1] == "0.083232"


def test_a_model_alone_shows_its_weights_and_a_graph_without_neurons_is_refused(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    view = network(model)
    assert [len(layer) for layer in view.layers] == [3, 1] and view.steps == []
    data = page_data(view.to_html())
    assert data["network"]["inputs"] == 2 and len(data["labels"]) == len(model.parameters())
    with pytest.raises(ValueError, match="no neuron"):
        network(Value(2.0, label="x") * 3)
    with pytest.raises(TypeError, match="needs an nn.MLP or a Value"):
        network([1, 2])
    with pytest.raises(ValueError, match="lr must be a finite number"):
        network(network_221_view()[1], lr=float("nan"))


def test_save_html_writes_the_page_in_place_and_jupyter_shows_it_in_a_frame(tmp_path):
    view, _, _ = network_221_view()
    path = view.save_html(tmp_path / "b.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["b.html"]  # nothing left beside it
    shown = view._repr_html_()
    assert 'setAttribute("sandbox", "allow-scripts")' in shown  # the output's script makes the frame
    assert "networkView" in inline_page(shown)


def test_user_text_in_labels_stays_text():
    x = [Value(1.0, label="<b>x</b>"), Value(2.0, label="x1")]
    model = MLP(2, [1], seed=0)
    loss = (model(x) - 1) ** 2
    loss.label = "</script><i>"
    text = network(loss).to_html()
    assert "</script><i>" not in text and "<b>x</b>" not in text


# --- in a real browser ---------------------------------------------------------------

def _geometry(page):
    return page.page.evaluate("""() => {
        const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
        const neurons = Array.from(document.querySelectorAll('.tg-network .tg-neuron')).map(g => ({
            name: g.dataset.name, box: box(g), kind: g.classList.contains('tg-input-node') ? 'input' :
              g.classList.contains('tg-loss-node') ? 'loss' : 'neuron'}));
        const sizes = Array.from(document.querySelectorAll('.tg-network text'))
            .filter(t => t.textContent !== '').map(t => parseFloat(getComputedStyle(t).fontSize));
        return {neurons, sizes, width: innerWidth, height: innerHeight};
    }""")


def _inside(box, width, height):
    return box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height


def _column_order(neurons):
    """The x of each column (inputs, L1, L2, ..., the cost), in the order they should stand."""
    def rank(item):
        if item["kind"] == "input":
            return 0
        if item["kind"] == "loss":
            return 10 ** 6
        return int(re.match(r"L(\d+)", item["name"]).group(1))
    columns = {}
    for item in neurons:
        columns.setdefault(rank(item), []).append(item["box"])
    return [(min(b[0] for b in boxes), max(b[2] for b in boxes)) for _, boxes in sorted(columns.items())]


def test_network_221_fits_1366x768_with_every_number_legible(browser, tmp_path):
    view, _, _ = network_221_view()
    page = Page(browser, view.save_html(tmp_path / "b.html"))
    found = _geometry(page)
    assert not page.errors
    assert len([n for n in found["neurons"] if n["kind"] == "neuron"]) == 3
    assert all(_inside(n["box"], found["width"], found["height"]) for n in found["neurons"])
    assert min(found["sizes"]) >= 12
    columns = _column_order(found["neurons"])
    assert all(left[1] < right[0] for left, right in zip(columns, columns[1:]))
    # every number at once: each neuron's z, a and δ, each weight's w and ∂C/∂w
    shown = page.page.evaluate(
        "Array.from(document.querySelectorAll('.tg-network text')).map(t => t.textContent).join('\\n')")
    for text in ("z 0.32", "a 0.32", "δ -0.2448", "δ 0", "δ -0.408", "= 0.083232", "w 0.613056", "∂C/∂w -0.13056",
                 "∂C/∂w -0.02448"):
        assert text in shown.split("\n"), text


def test_network_221_steps_forward_then_backward_in_the_browser(browser, tmp_path):
    view, _, _ = network_221_view()
    page = Page(browser, view.save_html(tmp_path / "b.html", start="first"))

    def neuron_texts(name):
        return page.page.evaluate(f"""Array.from(document.querySelectorAll('.tg-neuron[data-name="{name}"] text'))
                                       .map(t => t.textContent)""")
    assert neuron_texts("L1.N0") == ["L1.N0 · relu", "z", "a", "δ"]
    page.press("ArrowRight")
    assert neuron_texts("L1.N0") == ["L1.N0 · relu", "z 0.32", "a", "δ"]
    assert "L1.N0.z = 0.4·0.5 + 0.2·0.1 + 0.1 = 0.32" in page.step_text()
    marked = page.page.evaluate("Array.from(document.querySelectorAll('.tg-neuron.tg-current')).map(g => g.dataset.name)")
    assert marked == ["L1.N0", "L1.N1"]
    titles = [s["title"] for s in view.steps]
    page.press("ArrowRight", titles.index(next(t for t in titles if "output's error" in t)) - 1)
    assert neuron_texts("L2.N0")[3] == "δ -0.408" and neuron_texts("L1.N0")[3] == "δ"
    page.press("ArrowRight", 2)
    assert neuron_texts("L1.N0")[3] == "δ -0.2448" and neuron_texts("L1.N1")[3] == "δ 0"
    assert page.page.locator("line.tg-edge.tg-backward").count() == 2
    found = _geometry(page)
    assert all(_inside(n["box"], found["width"], found["height"]) for n in found["neurons"])
    assert not page.errors


def test_a_2_16_16_1_network_fits_1366x768_whole(browser, tmp_path):
    model = MLP(2, [16, 16, 1], seed=3)
    loss = (model([0.3, -0.7]) - 1) ** 2
    page = Page(browser, network(loss).save_html(tmp_path / "moons.html"))
    found = _geometry(page)
    assert not page.errors
    neurons = [n for n in found["neurons"] if n["kind"] == "neuron"]
    inputs = [n for n in found["neurons"] if n["kind"] == "input"]
    assert len(neurons) == 33 and len(inputs) == 2
    assert all(_inside(n["box"], found["width"], found["height"]) for n in neurons + inputs)
    columns = _column_order(found["neurons"])
    assert len(columns) == 5 and all(left[1] < right[0] for left, right in zip(columns, columns[1:]))
    # a neuron's numbers on hover
    page.page.hover('.tg-neuron[data-name="L2.N3"]')
    tip = page.page.inner_text('[data-role="tooltip"]')
    assert "L2.N3" in tip and "δ = ∂" in tip


def test_the_trace_page_of_an_nn_graph_switches_to_the_network_view_on_the_same_step(browser, tmp_path):
    from tracegrad.viz import trace

    cost, _ = network_221()
    page = Page(browser, trace(cost).save_html(tmp_path / "trace.html"))
    shown = lambda: page.page.evaluate(  # noqa: E731
        "Array.from(document.querySelectorAll('[data-tracegrad]')).filter(r => !r.hidden).map(r => r.dataset.tracegrad)")
    title = lambda: page.page.evaluate(  # noqa: E731
        "document.querySelector('[data-tracegrad]:not([hidden]) [data-role=\"step-title\"]').textContent")
    assert shown() == ["stepper"]
    page.press("ArrowRight", 4)  # the scalar stepper at ŷ's forward step
    assert "compute ŷ" in title()
    page.page.click('[data-tracegrad="stepper"] [data-role="switch-view"]')
    assert shown() == ["network"] and title().startswith("Forward, layer 2: z = W·a + b")
    # the keys now move the network view only
    page.press("ArrowRight", 2)
    assert title().startswith("Backward: the output's error")
    page.page.click('[data-tracegrad="network"] [data-role="switch-view"]')
    assert shown() == ["stepper"] and title() == "Backward pass starts at the output: grad(C) = 1"
    page.press("ArrowRight", 4)  # ŷ sends to the weights of layer 2: the network's layer 2 gradients
    assert "ŷ (grad -0.408) sends to its inputs" in title()
    page.page.click('[data-tracegrad="stepper"] [data-role="switch-view"]')
    assert title().startswith("Backward, layer 2: ∂C/∂b = δ and ∂C/∂w = a·δ")
    found = _geometry(page)
    assert len(found["neurons"]) == 6 and all(_inside(n["box"], found["width"], found["height"])
                                              for n in found["neurons"])
    assert not page.errors


def test_the_trace_page_of_an_nn_graph_opens_in_the_network_view_with_the_scalar_graph_a_click_away(
        browser, tmp_path):
    from tracegrad.viz import trace
    from tracegrad.viz.examples import square_neuron

    cost, _ = network_221()
    page = Page(browser, trace(cost).save_html(tmp_path / "trace.html"), scalar=False)
    shown = lambda: page.page.evaluate(  # noqa: E731
        "Array.from(document.querySelectorAll('[data-tracegrad]')).filter(r => !r.hidden).map(r => r.dataset.tracegrad)")
    title = lambda: page.page.evaluate(  # noqa: E731
        "document.querySelector('[data-tracegrad]:not([hidden]) [data-role=\"step-title\"]').textContent")
    assert shown() == ["network"] and title() == "Forward pass: the inputs are given"  # its first step
    page.page.click('[data-tracegrad="network"] [data-role="switch-view"]')
    assert shown() == ["stepper"] and title().startswith("Forward pass, step 1 of 8")
    assert page.page.evaluate("document.querySelectorAll('[data-tracegrad=\"stepper\"] g.node').length") > 20
    # a graph no model made has the scalar stepper alone
    other = Page(browser, trace(square_neuron()[0]).save_html(tmp_path / "square.html"), scalar=False)
    assert other.page.evaluate("document.querySelector('[data-tracegrad=\"stepper\"]').hidden") is False
    assert not page.errors and not other.errors


def test_a_trace_not_made_by_a_model_has_no_network_view():
    from tracegrad.viz import trace
    from tracegrad.viz.examples import square_neuron

    text = trace(square_neuron()[0]).to_html()
    assert 'data-role="switch-view"' not in text and 'data-tracegrad="network"' not in text


def test_clicking_a_neuron_shows_its_own_scalar_graph_with_what_the_step_knows(browser, tmp_path):
    view, _, _ = network_221_view()
    page = Page(browser, view.save_html(tmp_path / "b.html", start="first"))
    page.press("ArrowRight", 2)  # layer 1's z and a are known, no δ yet
    page.page.click('.tg-neuron[data-name="L1.N0"]')
    panel = page.page.locator('[data-role="zoom"]')
    assert panel.is_visible()
    texts = page.page.evaluate("Array.from(document.querySelectorAll('[data-role=\"zoom-graph\"] text'))"
                               ".map(t => t.textContent)")
    assert "w·x+b" in texts and "relu" in texts and "data 0.32" in texts and "grad -0.2448" not in texts
    assert "grad —" in texts
    assert "The backward pass has not reached this neuron yet." in panel.inner_text()
    page.press("ArrowRight", 6)  # past layer 1's δ and gradients
    texts = page.page.evaluate("Array.from(document.querySelectorAll('[data-role=\"zoom-graph\"] text'))"
                               ".map(t => t.textContent)")
    assert "grad -0.2448" in texts and "grad -0.1224" in texts
    text = panel.inner_text()
    assert "δ = ∂C/∂z = ∂C/∂a × relu′(z) = (-0.2448) × 1 = -0.2448" in text
    assert "grad(L1.N0.w0) = x0 · δ = 0.5 · (-0.2448) = -0.1224" in text
    # the panel leaves the neuron clicked in sight
    neuron = page.box('.tg-neuron[data-name="L1.N0"]')
    box = page.box('[data-role="zoom"]')
    assert neuron[0] + neuron[2] <= box[0] or box[0] + box[2] <= neuron[0]
    assert not page.errors


def test_predict_then_reveal_hides_each_new_number_until_it_is_guessed(browser, tmp_path):
    view, _, _ = network_221_view()
    page = Page(browser, view.save_html(tmp_path / "b.html", start="first"))
    page.page.check('[data-role="predict"]')
    page.page.click('[data-role="next"]')  # layer 1's weighted sums: z 0.32 and -0.08 wait
    quiz = page.page.locator('[data-role="quiz"]')
    assert quiz.is_visible()
    labels = page.page.locator('.tg-quiz-row label').all_inner_texts()
    assert labels == ["L1.N0.z =", "L1.N1.z ="]
    texts = lambda name: page.page.evaluate(  # noqa: E731
        f"Array.from(document.querySelectorAll('.tg-neuron[data-name=\"{name}\"] text')).map(t => t.textContent)")
    assert texts("L1.N0")[1] == "z"  # still hidden
    assert "0.32" not in page.step_text()
    guesses = page.page.locator('[data-role="quiz"] input')
    guesses.nth(0).fill("0.3")
    guesses.nth(1).fill("-0.08")
    page.page.click('[data-role="quiz-check"]')
    verdicts = page.page.locator('.tg-quiz-row span').all_inner_texts()
    assert verdicts[0].startswith("too low") and verdicts[1] == "✓ right"
    assert quiz.is_visible() and texts("L1.N0")[1] == "z"
    guesses.nth(0).fill("0.32")
    guesses.nth(0).press("Enter")
    assert not quiz.is_visible() and texts("L1.N0")[1] == "z 0.32"
    assert "L1.N0.z = 0.4·0.5 + 0.2·0.1 + 0.1 = 0.32" in page.step_text()
    page.page.click('[data-role="next"]')  # the activations: Reveal shows them without guessing
    assert quiz.is_visible()
    page.page.click('[data-role="quiz-reveal"]')
    assert texts("L1.N1")[2] == "a 0" and not quiz.is_visible()
    assert not page.errors
