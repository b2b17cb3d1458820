"""viz.dot: the DOT text of a drawing, its rules, and its options."""

import html
import os
from xml.etree import ElementTree
from pathlib import Path

import pytest

from tracegrad import Value
from tracegrad.viz import draw
from tracegrad.viz.format import format_number
from examples_by_hand import network_221_by_hand, square_neuron_by_hand


def test_square_neuron_numbers_after_backward():
    loss, w, b = square_neuron_by_hand()
    loss.backward()
    source = draw(loss).source
    assert "grad 36" in source and "grad 18" in source and "data 81" in source


def test_network_221_numbers_after_backward():
    cost, _ = network_221_by_hand()
    cost.backward()
    source = draw(cost).source
    for number in ("0.32", "-0.08", "0.392", "0.083232", "-0.408", "-0.2448", "-0.1224",
                   "-0.02448", "-0.13056"):
        assert f" {number}<" in source or f" {number}>" in source, number


def test_same_graph_same_source_byte_for_byte():
    first, _ = network_221_by_hand()
    second, _ = network_221_by_hand()
    first.backward()
    second.backward()
    assert draw(first).source == draw(second).source


def test_grads_before_backward_are_shown_as_not_computed():
    loss, _, _ = square_neuron_by_hand()
    source = draw(loss).source
    assert "grad —" in source and "grad 0" not in source
    assert "not computed yet" in source


def test_format_number_significant_digits():
    assert format_number(1e-05) == "1e-05"
    assert format_number(0.32000000000000006) == "0.32"
    assert format_number(0.083232, digits=4) == "0.08323"
    assert format_number(-0.0) == "0"


# --- golden files: the exact DOT text, so any change to a drawing shows up in a diff.
# After an intended change, rewrite them with: TRACEGRAD_UPDATE_GOLDEN=1 pytest tests/test_viz_dot.py

GOLDEN = Path(__file__).parent / "golden"


def golden_cases():
    def square_neuron_before():
        return draw(square_neuron_by_hand()[0])

    def square_neuron_after():
        loss = square_neuron_by_hand()[0]
        loss.backward()
        return draw(loss)

    def square_neuron_gated():
        loss = square_neuron_by_hand(w=-9.0, b=-7.0)[0]
        loss.backward()
        return draw(loss)

    def network_221_after():
        cost = network_221_by_hand()[0]
        cost.backward()
        return draw(cost)

    return {"square_neuron_before_backward.dot": square_neuron_before,
            "square_neuron.dot": square_neuron_after,
            "square_neuron_gated.dot": square_neuron_gated,
            "network_221.dot": network_221_after}


@pytest.mark.parametrize("name", sorted(golden_cases()))
def test_golden_dot(name):
    source = golden_cases()[name]().source
    path = GOLDEN / name
    if os.environ.get("TRACEGRAD_UPDATE_GOLDEN"):
        path.write_text(source, encoding="utf-8", newline="\n")
    assert path.read_text(encoding="utf-8") == source


def node_line(source, node_id):
    return next(line for line in source.splitlines() if line.strip().startswith(node_id + " ["))


def edge_line(source, edge):
    return next(line for line in source.splitlines() if line.strip() == edge or line.strip().startswith(edge + " ["))


def test_square_neuron_gated_relu_is_highlighted():
    loss, _, _ = square_neuron_by_hand(w=-9.0, b=-7.0)
    loss.backward()
    source = draw(loss).source
    assert 'relu<br/><font point-size="8">off</font>' in source
    for node_id in ("n0", "n2", "n3", "n4"):  # w, w*x, b, n: all behind the switched-off ReLU
        assert "dashed" in node_line(source, node_id)
    for node_id in ("n5", "n6", "n7", "n8"):  # z, y, z - y, L: gradients flow
        assert "dashed" not in node_line(source, node_id)
    assert "blocked by a ReLU that is off" in source
    assert "dashed" not in draw(loss, highlight_gated=False).source
    # every edge along which the gradient 0 goes back is dashed, into an operation or out of it
    for edge in ("n0 -> op2", "n1 -> op2", "op2 -> n2", "n2 -> op4", "n3 -> op4", "op4 -> n4", "n4 -> op5"):
        assert "dashed" in edge_line(source, edge), edge
    for edge in ("op5 -> n5", "n5 -> op7", "op7 -> n7"):
        assert "dashed" not in edge_line(source, edge), edge


def test_network_221_neurons_are_clusters_with_short_labels():
    cost, _ = network_221_by_hand()
    cost.backward()
    source = draw(cost).source
    for neuron in ("L1.N0", "L1.N1", "L2.N0"):
        assert f'subgraph "cluster_{neuron}"' in source
    assert "<b>w0</b><br/>data 0.4<br/>grad -0.1224" in source  # L1.N0.w0 inside box L1.N0
    assert 'tooltip="L1.N0.w0"' in source
    assert "subgraph" not in draw(cost, group_neurons=False).source


def test_an_input_used_by_a_blocked_neuron_sends_0_along_that_edge_only():
    cost, _ = network_221_by_hand()
    cost.backward()
    source = draw(cost).source
    x0 = next(line.split()[0] for line in source.splitlines() if "tooltip=x0]" in line)
    assert "dashed" not in node_line(source, x0)  # x0 itself gets a gradient, from L1.N0
    into = [line.strip() for line in source.splitlines() if line.strip().startswith(x0 + " -> op")]
    # x0 feeds L1.N0 (on: its gradient flows) and L1.N1 (whose ReLU is off: 0 comes back)
    assert len(into) == 2
    assert ["dashed" in line for line in into] == [False, True]


def test_show_grads_options():
    loss, _, _ = square_neuron_by_hand()
    assert "<br/>grad" not in draw(loss, show_grads=False).source
    assert "not computed" not in draw(loss, show_grads=False).source
    assert "<br/>grad 0>" in draw(loss, show_grads=True).source  # forced: the raw zeros
    with pytest.raises(ValueError, match="show_grads must be 'auto', True or False"):
        draw(loss, show_grads="yes")


def test_colour_by_gradient():
    loss, _, _ = square_neuron_by_hand()
    with pytest.raises(ValueError, match="call backward\\(\\) first"):
        draw(loss, color="sign")
    loss.backward()
    sign = draw(loss, color="sign").source
    assert '#cfe0f5' in node_line(sign, "n0") and '#fbd9b8' in node_line(sign, "n6")  # w > 0, y < 0
    magnitude = draw(loss, color="magnitude").source
    assert "darkest: |grad| = 54" in magnitude
    with pytest.raises(ValueError, match="needs show_grads 'auto' or True"):
        draw(loss, color="sign", show_grads=False)
    with pytest.raises(ValueError, match="color must be None, 'sign' or 'magnitude'"):
        draw(loss, color="red")


def test_colour_by_gradient_when_gradients_overflowed():
    # d/dx (log x · 1e300) = 1e300 / x = inf at x = 1e-10
    x = Value(1e-10, label="x")
    loss = x.log() * 1e300
    loss.backward()
    assert x.grad == float("inf")
    magnitude = draw(loss, color="magnitude").source
    assert "#6baed6" in node_line(magnitude, "n0")  # the darkest fill
    assert "darkest: |grad| = inf" in magnitude
    # and minus the same again: x's two contributions inf - inf give nan, which has no sign
    y = Value(1e-10, label="y")
    loss = y.log() * 1e300 + y.log() * -1e300
    loss.backward()
    assert y.grad != y.grad
    assert "#6baed6" in node_line(draw(loss, color="magnitude").source, "n0")
    sign = node_line(draw(loss, color="sign").source, "n0")
    assert "#fbd9b8" not in sign and "#cfe0f5" not in sign


def test_constants_are_small_and_numbers_use_digits():
    x = Value(0.123456789, label="x")
    y = 2 * x
    source = draw(y, digits=3).source
    assert 'label=2 ' in node_line(source, "n0") and "fontsize=9" in node_line(source, "n0")
    assert "data 0.123<" in source
    assert "data 1e-05<" in draw(Value(1e-05, label="tiny")).source


def test_draw_rejects_what_is_not_a_value():
    with pytest.raises(TypeError, match=r"draw\(\) needs a Value, got 3.0 \(float\)"):
        draw(3.0)


# --- user text: labels and operation names are text, never markup or DOT syntax ----------

_LINK_OP = '<<table href="javascript:alert(1)"><tr><td>click</td></tr></table>>'


def _own_op(op, label=""):
    x = Value(1.0, label="x")
    return Value(x.data * 2, (x,), op, label, local_grads=(2.0,))


@pytest.mark.parametrize("op", [_LINK_OP, "ends in \\", "nul\x00op", "<b>bold</b>", '"quoted"'])
def test_an_operation_name_is_drawn_as_text(op):
    svg = draw(_own_op(op)).pipe("svg").decode("utf-8")
    links = [element for element in ElementTree.fromstring(svg).iter()
             if any(name.endswith("href") for name in element.attrib)]
    assert links == []  # no link made of it: only text
    shown = op.replace("\x00", "\\x00")
    assert html.escape(shown, quote=False) in svg.replace("&#45;", "-").replace("&quot;", '"')


@pytest.mark.parametrize("label, shown", [
    ("a\x1b[31mred", "a\\x1b[31mred"),  # an ANSI colour code
    ("nul\x00", "nul\\x00"),
    ("ctl\x01", "ctl\\x01"),
    ("lone\ud800", "lone\\ud800"),  # a lone surrogate: not encodable as UTF-8
    ("tab\there", "tab\\there"),
    ("ok ŷ", "ok ŷ"),
])
def test_control_characters_and_lone_surrogates_in_labels_are_drawn_escaped(label, shown):
    from tracegrad.viz import text_tree, trace

    x = Value(1.0, label=label)
    root = x * 2
    root.backward()
    svg = draw(root).pipe("svg").decode("utf-8")
    assert html.escape(shown, quote=False) in svg
    assert label not in svg or label == shown
    assert shown in text_tree(root) and shown in str(trace(root))
    page = trace(root).to_html()
    page.encode("utf-8")  # writable as a file
    assert html.escape(shown, quote=False) in page or shown.replace("\\", "\\\\") in page


def test_a_label_that_is_only_a_control_character_still_names_its_node():
    from tracegrad.viz import trace

    x = Value(2.0, label="\x07")
    steps = str(trace(_own_op("op\x1b", label="\x00") + x))
    assert "\\x07" in steps and "\\x00" in steps and "op\\x1b" in steps


# --- writing files: beside the target, then renamed over it ------------------------------

_WRITERS = {  # code that writes `path` (a str), run with `model`, `root` and `recording` made
    "Drawing.save .svg": "draw(root).save(path + '.svg')",
    "Drawing.save .png": "draw(root).save(path + '.png')",
    "Drawing.save .dot": "draw(root).save(path + '.dot')",
    "Drawing.render": "draw(root).render(path, format='svg')",
    "Trace.save_html": "trace(root).save_html(path + '.html')",
    "Recording.save_html": "recording.save_html(path + '.html')",
    "save_page": "save_page(path + '.html', 'x' * 100_000)",
    "save_training_plot": "save_training_plot(path + '.png', model, X, y, history)",
}

_WRITER_SETUP = """
import resource, sys
from tracegrad import Value
from tracegrad.nn import MLP, SGD, fit
from tracegrad.viz import draw, trace, record
from tracegrad.viz.page import save_page
from tracegrad.viz.plot import save_training_plot
path = sys.argv[1]
x = Value(0.5, label="x")
root = (x * x + 1.0).tanh() * Value(2.0, label="w")
X, y = [[0.0], [1.0]], [0.0, 1.0]
model = MLP(1, [2, 1], seed=0)
recording = record(model, X, y, epochs=2, progress=False)
history = recording.history
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), resource.RLIM_INFINITY))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="RLIMIT_FSIZE: POSIX")
@pytest.mark.parametrize("writer", list(_WRITERS))
def test_a_write_that_fails_part_way_keeps_the_old_file_and_leaves_nothing_beside_it(tmp_path, writer):
    import subprocess
    import sys

    code = _WRITERS[writer]
    base = str(tmp_path / "picture")
    suffix = {"Drawing.render": ".svg"}.get(writer) or code.split("path + '")[1].split("'")[0]
    target = Path(base + suffix)
    old = b"the old file, whole\n"
    target.write_bytes(old)
    if writer == "Drawing.render":
        Path(base).write_bytes(old)
    # a file-size limit of 500 bytes: every write past it fails as on a full disk
    done = subprocess.run([sys.executable, "-c", _WRITER_SETUP + code, base, "500"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and ("File too large" in done.stderr or "EFBIG" in done.stderr), done.stderr
    assert target.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({target.name, Path(base).name}
                                                                if writer == "Drawing.render" else {target.name})
