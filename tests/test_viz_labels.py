"""A parameter's label is shown as viz.format.shown_text writes it in the network view, the live page and
the explorer, as the drawing does: a control character written out escaped, markup left as text."""

from tracegrad import Value
from tracegrad.nn import MLP, Adam
from tracegrad.viz import network
from tracegrad.viz.examples import network_221
from tracegrad.viz.explore import Explorer
from tracegrad.viz.live import LiveRun
from page_helpers import Page, data_of

LABEL = "bias\n<script>window.ran = 1</script>"
SHOWN = "bias\\n<script>window.ran = 1</script>"


def test_the_network_view_shows_a_label_escaped_and_as_text(browser, tmp_path):
    cost, _ = network_221()
    bias = next(node for node in _leaves(cost) if node.label == "L1.N0.b")
    bias.label = LABEL
    view = network(cost, lr=0.1)
    data = data_of(view.to_html())
    assert SHOWN in data["labels"] and not any("\n" in label for label in data["labels"])
    assert f"∂C/∂{SHOWN} = δ(L1.N0) = -0.2448" in "\n".join(step["text"] for step in view.steps)
    page = Page(browser, view.save_html(tmp_path / "net.html", start="end"))
    assert f"{SHOWN} = 0.1 − 0.1·(-0.2448) = 0.12448" in page.page.inner_text('[data-role="step-text"]')
    page.page.hover('.tg-neuron[data-name="L1.N0"]')
    assert f"bias {SHOWN}: value" in page.page.inner_text('[data-role="tooltip"]')
    assert page.page.evaluate("window.ran") is None  # the label's <script> is text, never run
    assert page.errors == []


def test_the_live_page_and_the_explorer_name_parameters_escaped():
    model = MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[0].b.label = LABEL
    run = LiveRun(model, [[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0], loss="hinge",
                  optimizer=Adam(model.parameters(), lr=0.1))
    assert run.setup()["parameters"]["labels"][2] == SHOWN
    w, x = Value(2.0, label="w\x1b[31m"), Value(3.0, label=LABEL)
    assert Explorer(w * x).names == ["w\\x1b[31m", SHOWN]


def _leaves(root):
    from tracegrad import topological_order

    return [node for node in topological_order(root) if not node.inputs]
