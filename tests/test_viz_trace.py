"""viz.trace: the recorded passes carry the worked examples' numbers and agree with the engine."""

import math
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracegrad
from tracegrad import Value
from tracegrad.viz import format_number, trace
from tracegrad.viz.examples import network_221, square_neuron
from examples_by_hand import network_221_by_hand, square_neuron_by_hand


def contribution_texts(recorded):
    return [c.text for step in recorded.backward_steps for c in step.contributions]


def test_square_neuron_trace_shows_the_worked_gradients():
    loss, w, b = square_neuron_by_hand()
    recorded = trace(loss)
    assert recorded.grad(w) == 36.0 and recorded.grad(b) == 18.0
    texts = contribution_texts(recorded)
    assert "grad(w) += x · grad(w*x) = 2 · 18 = 36" in texts
    assert "grad(b) += 1 · grad(n) = 1 · 18 = 18" in texts
    printed = str(recorded)
    assert "L = (z - y)**2 = 9**2 = 81" in printed
    assert "grad(z - y) += 2·(z - y) · grad(L) = 18 · 1 = 18" in printed


def test_square_neuron_gated_relu_is_marked():
    # after the blog post's update (w = -9, b = -7) the neuron's input is -25: the ReLU is off
    loss, w, b = square_neuron_by_hand(w=-9.0, b=-7.0)
    recorded = trace(loss)
    relu_steps = [step for step in recorded.backward_steps if step.op == "relu"]
    assert [step.relu_off for step in relu_steps] == [True]
    assert recorded.grad(w) == 0.0 and recorded.grad(b) == 0.0
    assert "grad(n) += 0 (ReLU off: n ≤ 0) · grad(z) = 0 · (-8) = 0" in str(recorded)
    assert "ReLU off: its input is ≤ 0, so nothing flows back" in str(recorded)


def test_network_221_trace_carries_the_hand_computation():
    cost, params = network_221_by_hand()
    printed = str(trace(cost))
    for line in (
        "L1.N0.z = L1.N0.w0*x0 + L1.N0.w1*x1 + L1.N0.b = 0.2 + 0.02 + 0.1 = 0.32",
        "L1.N1.z = L1.N1.w0*x0 + L1.N1.w1*x1 + L1.N1.b = 0.15 + 0.07 + (-0.3) = -0.08",
        "L2.N0.z = L2.N0.w0*L1.N0.a + L2.N0.w1*L1.N1.a + L2.N0.b = 0.192 + 0 + 0.2 = 0.392",
        "C = 0.5*(L2.N0.z - y)**2 = 0.5*0.166464 = 0.083232",
        "grad(L2.N0.b) += 1 · grad(L2.N0.z) = 1 · (-0.408) = -0.408",
        "grad(L2.N0.w0) += L1.N0.a · grad(L2.N0.w0*L1.N0.a) = 0.32 · (-0.408) = -0.13056",
        "grad(L1.N0.a) += L2.N0.w0 · grad(L2.N0.w0*L1.N0.a) = 0.6 · (-0.408) = -0.2448",
        "grad(L1.N0.w0) += x0 · grad(L1.N0.w0*x0) = 0.5 · (-0.2448) = -0.1224",
        "grad(L1.N0.w1) += x1 · grad(L1.N0.w1*x1) = 0.1 · (-0.2448) = -0.02448",
        "L1.N1.b   0",
        "L2.N0.w1  0",
    ):
        assert line in printed, line


def test_network_221_leaf_gradients():
    cost, params = network_221_by_hand()
    recorded = trace(cost)
    expected = {"L2.N0.b": -0.408, "L2.N0.w0": -0.13056, "L2.N0.w1": 0.0, "L1.N0.b": -0.2448,
                "L1.N1.b": 0.0, "L1.N0.w0": -0.1224, "L1.N0.w1": -0.02448,
                "L1.N1.w0": 0.0, "L1.N1.w1": 0.0}
    for label, value in expected.items():
        assert recorded.grad(params[label]) == pytest.approx(value, abs=1e-15), label


def test_running_sum_at_a_node_used_more_than_once():
    x = Value(2.0, label="x")
    y = x * x + x
    y.label = "y"
    texts = contribution_texts(trace(y))
    assert texts == [
        "grad(x*x) += 1 · grad(y) = 1 · 1 = 1",
        "grad(x) += 1 · grad(y) = 1 · 1 = 1",
        "grad(x) += x · grad(x*x) = 2 · 1 = 2;  grad(x) = 1 + 2 = 3",
        "grad(x) += x · grad(x*x) = 2 · 1 = 2;  grad(x) = 3 + 2 = 5",
    ]


def test_forward_steps_are_operations_with_their_leaves_and_the_drawing_ids():
    loss, _, _ = square_neuron_by_hand()
    recorded = trace(loss)
    order = tracegrad.topological_order(loss)
    assert [step.node_id for step in recorded.forward_steps] == ["n2", "n4", "n5", "n7", "n8"]
    assert [step.value for step in recorded.forward_steps] == [order[i].data for i in (2, 4, 5, 7, 8)]
    assert recorded.forward_steps[0].input_names == ("w", "x")
    # each leaf appears with the first operation that uses it, once
    assert [[leaf.text for leaf in step.leaves] for step in recorded.forward_steps] == \
        [["w = 3", "x = 2"], ["b = 7"], [], ["y = 4"], []]
    assert [step.index for step in recorded.backward_steps] == [8, 7, 5, 4, 2]  # leaves send nothing
    assert "  2  w*x = 3*2 = 6   with w = 3, x = 2" in str(recorded)


def test_forward_steps_of_the_221_network_go_layer_by_layer():
    cost, _ = network_221()
    recorded = trace(cost)
    names = [step.name for step in recorded.forward_steps]
    layer_of = [1 if "L1." in name else 2 if ("L2." in name or name == "ŷ") else 3 for name in names]
    assert layer_of == sorted(layer_of)  # every layer-1 node before every layer-2 node, loss last
    assert names[:4] == ["L1.N0.z", "L1.N0.a", "L1.N1.z", "L1.N1.a"]  # neuron by neuron
    assert names[-1] == "C"
    # the backward pass is the same order reversed
    assert [s.name for s in recorded.backward_steps] == [n for n in reversed(names)]


def test_trace_is_read_only():
    loss, w, b = square_neuron_by_hand()
    trace(loss)
    assert w.grad == 0.0 and loss.grad == 0.0  # trace() before backward() fills nothing
    loss.backward()
    before = {node: node.grad for node in tracegrad.topological_order(loss)}
    recorded = trace(loss)
    assert {node: node.grad for node in before} == before  # trace() after backward() changes nothing
    assert w.grad == 36.0 and recorded.grad(w) == 36.0


def test_a_drawing_made_from_a_trace_shows_the_traces_numbers():
    loss, w, b = square_neuron_by_hand()
    source = trace(loss).draw().source
    assert "<b>w</b><br/>data 3<br/>grad 36" in source  # though w.grad is still 0
    loss.backward()
    loss.backward()  # w.grad is now 72, the trace's number stays d L / d w
    assert "<b>w</b><br/>data 3<br/>grad 36" in trace(loss).draw().source



def test_a_drawing_or_page_made_from_a_trace_writes_the_traces_digits():
    x = Value(1.0, label="x")
    y = x / 3.0
    recorded = trace(y, digits=3)
    assert "data 0.333" in recorded.draw().source and "0.3333" not in recorded.draw().source
    assert "0.333333" in recorded.draw(digits=6).source
    page = recorded.to_html()
    assert "0.333" in page and "0.3333" not in page

def test_no_constant_receives_a_gradient_in_the_221_trace():
    cost, _ = network_221()
    printed = str(trace(cost))
    assert "grad(0.5)" not in printed and "grad(2)" not in printed
    assert "C = (ŷ - y)**2*0.5 = 0.166464*0.5 = 0.083232" in printed


def test_trace_rejects_what_is_not_a_value():
    with pytest.raises(TypeError, match=r"trace\(\) needs a Value, got 3"):
        trace(3)
    with pytest.raises(ValueError, match="digits must be a whole number"):
        trace(Value(1.0), digits=0)



def test_a_graph_over_the_limit_is_refused_before_any_work(monkeypatch):
    module = sys.modules["tracegrad.viz.trace"]  # the package's name viz.trace is the function

    def named(*args, **kwargs):
        raise AssertionError("the graph's nodes were named before the refusal")

    monkeypatch.setattr(module, "GraphNodes", named)
    wide = Value.sum([Value(float(i)) for i in range(module.MAX_TRACED_NODES)])  # one node more
    with pytest.raises(ValueError, match=r"more than 10000 nodes, too many to trace.*max_nodes=None"):
        trace(wide)
    with pytest.raises(ValueError, match="more than 5 nodes"):
        trace(Value.sum([Value(1.0)] * 3) * Value(2.0) + 1.0, max_nodes=5)


def test_max_nodes_none_lifts_the_limit():
    wide = Value.sum([Value(float(i), label=f"x{i}") for i in range(10_050)])
    recorded = trace(wide, max_nodes=None)
    assert len(recorded.forward_steps) == 1 and recorded.grad(wide) == 1.0

def test_every_operation_is_written_out():
    x = Value(2.0, label="x")
    k = Value(2.0, label="k")
    out = (x - 0.5) / x ** k + (-x).tanh() + x.sigmoid().log() * x.exp() + x ** 3
    printed = str(trace(out))
    for piece in ("1/(x**k)", "-(x - 0.5)/(x**k)²", "k·x**(k - 1)", "(x**k)·ln x", "(1 - tanh(-x)²)",
                  "sigmoid(x)·(1 - sigmoid(x))", "exp(x) · grad", "1/sigmoid(x)", "3·x**2", "-1 · grad(-x)"):
        assert piece in printed, piece


# Random graphs over a few leaves: the trace's gradients are exactly the engine's.
_UNARY = [lambda v: v.tanh(), lambda v: v.sigmoid(), lambda v: v.relu(), lambda v: -v,
          lambda v: v ** 2, lambda v: (v * v + 1.0).log(), lambda v: (v * 0.1).exp()]
_BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
           lambda a, b: a / (b * b + 1.0), lambda a, b: Value.sum([a, b, a])]


@settings(max_examples=60, deadline=None)
@given(
    leaves=st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=4),
    program=st.lists(st.tuples(st.booleans(), st.integers(0, 99), st.integers(0, 99),
                               st.integers(0, 99)), min_size=1, max_size=12),
)
def test_trace_gradients_equal_the_engine(leaves, program):
    inputs = [Value(v, label=f"x{i}") for i, v in enumerate(leaves)]
    made = list(inputs)
    for binary, op, i, j in program:
        a, b = made[i % len(made)], made[j % len(made)]
        made.append(_BINARY[op % len(_BINARY)](a, b) if binary else _UNARY[op % len(_UNARY)](a))
    root = made[-1]
    if not all(math.isfinite(node.data) for node in made):
        return
    expected = tracegrad.grad(root, inputs, allow_unused=True)
    recorded = trace(root)
    # the trace adds a node's contributions in the layered order, which may differ
    # from the engine's, so the sums agree to rounding, not always to the last bit
    for node, value in zip(inputs, expected):
        if node in recorded.nodes.index:
            assert recorded.grad(node) == pytest.approx(value, rel=1e-12, abs=1e-12)
            assert node.grad == 0.0  # and the trace filled no .grad


def test_a_trace_names_its_size_and_shows_its_table_in_ipython():
    x = Value(2.0, label="x")
    recorded = trace(x * x)
    assert repr(recorded) == "<Trace of 'x*x': 1 forward step, 1 backward step; print() it>"

    class Printer:  # the part of IPython's pretty printer that _repr_pretty_ uses
        def __init__(self):
            self.written = ""

        def text(self, text):
            self.written += text

    printer = Printer()
    recorded._repr_pretty_(printer, cycle=False)
    assert printer.written == str(recorded) and "grad(x) += x · grad(x*x)" in printer.written


# --- names made from an expression, inside larger formulas --------------------------

# the operand of a derivative "d A / d B": a bracketed group, or a word with perhaps a call
_DERIVATIVE_OPERAND = re.compile(r"\bd (\((?:[^()]|\([^()]*\))*\)|[^\s(]+(?:\([^()]*\))?)")
# a function applied to a nudged leaf in the check: "f(x + h)", "L(w − h)"
_APPLIED = re.compile(r"(\S+)\(\w+ [+−] h\)")


def misplaced_names(text):
    """The pieces of text where a name made from an expression stands inside a formula unbracketed."""
    wrong = []
    for operand in _DERIVATIVE_OPERAND.findall(text):
        # "d x*x / d x" reads as d x times x: an operand is one word, a call, or bracketed
        if not operand.startswith("(") and re.search(r"[-+*/]", re.sub(r"\([^()]*\)", "", operand)):
            wrong.append(f"d {operand}")
    wrong += [f"{f}(…)" for f in _APPLIED.findall(text) if not re.fullmatch(r"[\w.]+", f)]
    return wrong


def page_texts(recorded):
    """Every text the stepper page shows: each step's title and text, each node's click box."""
    from tracegrad.viz.stepper import _details, _steps

    steps = _steps(recorded)
    texts = [step["title"] + "\n" + step["text"] for step in steps]
    texts += [flow[1] for step in steps for flow in step.get("flows", [])]
    for about in _details(recorded, steps).values():
        texts += [about["value"], about.get("sum", ""), about["total"], about["check"],
                  about.get("gradTitle", "")] + [use["text"] for use in about["uses"]]
    return "\n".join(texts)


EXPRESSIONS = ["x*x + x", "(x + y)*(x - y)", "(x + y)**2 + x", "x**y", "tanh(x*y) + x", "-x*y",
               "-(x + y)", "x/(x + y)", "exp(-x)*y", "relu(x - y)*x", "sigmoid(x*y)**2"]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_names_made_from_an_expression_are_bracketed_inside_formulas(expression):
    from tracegrad.viz import parse

    recorded = trace(parse(expression, {"x": 2.0, "y": 3.0}))
    assert misplaced_names(str(recorded)) == []
    assert misplaced_names(page_texts(recorded)) == []
    # the checker finds what it looks for
    assert misplaced_names("d x*x + x / d x") == ["d x*x"]
    assert misplaced_names("(x*x + x)(x + h) = 6.005") == ["x)(…)"]


def test_x_squared_plus_x_reads_as_maths_in_the_page_and_the_check():
    from tracegrad.viz import parse

    recorded = trace(parse("x*x + x", {"x": 2.0}))
    texts = page_texts(recorded)
    assert "d (x*x + x) / d (x*x + x) = 1" in texts
    assert "grad(x*x) = d (x*x + x) / d (x*x): the sum" in texts
    assert "(f = x*x + x)" in texts and "f(x + h) = f(2.001) = 6.00500100" in texts
    assert "Gradients of the leaves (d (x*x + x) / d leaf)" in str(recorded)


def test_a_learners_own_operation_writes_its_derivative_with_brackets():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    inner = x * y
    out = Value(inner.data ** 3, (inner,), "cube")
    printed = str(trace(out + x))
    assert "d cube(x*y) / d (x*y)" in printed or "d (cube(x*y)) / d (x*y)" in printed, printed
    assert misplaced_names(printed) == []


# --- trace(loss, parameters=, lr=): the step of gradient descent and its consequence -------


def test_without_parameters_the_trace_ends_at_the_gradients():
    loss, _ = square_neuron()
    recorded = trace(loss)
    assert recorded.updates == () and recorded.next_value is None and recorded.lr is None
    assert str(recorded).splitlines()[-1] == "  y  -18" and "gradient descent" not in str(recorded)


def test_square_neuron_ends_with_its_update_and_the_relu_switching_off():
    loss, nodes = square_neuron()
    w, b = nodes["w"], nodes["b"]
    recorded = trace(loss, parameters=[w, b], lr=1)
    printed = str(recorded)
    assert printed.index("Gradients of the leaves") < printed.index("One step of gradient descent, learning rate 1")
    assert "  w = 3 - 1·36 = -33\n  b = 7 - 1·18 = -11" in printed
    assert "The forward pass again, with the new parameters: L = 81 -> 16" in printed
    assert "the ReLU z = relu(w*x + b) switches off: w*x + b = 13 -> -77 ≤ 0" in printed
    # an independent computation: the chain rule by hand, then the post's forward pass, z = max(0, w·x + b)
    w_new, b_new = 3 - 1 * (2 * (13 - 4) * 2), 7 - 1 * (2 * (13 - 4))
    z_new = max(0.0, w_new * 2 + b_new)
    assert [u.after for u in recorded.updates] == [w_new, b_new] == [-33, -11]
    assert z_new == 0 and recorded.next_value == (z_new - 4) ** 2 == 16  # the post: z = max(0, ...) = 0
    [switch] = recorded.switches
    assert (switch.name, switch.on, switch.input_before, switch.input_after) == ("z", False, 13, -77)
    assert (w.data, b.data, w.grad, b.grad) == (3, 7, 0, 0)  # read-only


def test_network_221_ends_with_the_posts_update():
    cost, nodes = network_221()
    parameters = [node for label, node in nodes.items() if label.startswith("L") and not node.inputs]
    recorded = trace(cost, parameters=parameters, lr=0.1)
    after = {u.name: u.after for u in recorded.updates}
    assert len(after) == 9
    # the blog post's literal numbers (it rounds two of them: 0.613 and 0.2024)
    assert after["L2.N0.b"] == pytest.approx(0.2408) and after["L1.N0.b"] == pytest.approx(0.12448)
    assert after["L1.N0.w0"] == pytest.approx(0.41224) and after["L2.N0.w0"] == pytest.approx(0.613, abs=1e-4)
    assert after["L1.N0.w1"] == pytest.approx(0.2024, abs=1e-4)
    assert (after["L2.N0.w1"], after["L1.N1.w0"], after["L1.N1.w1"], after["L1.N1.b"]) == (0.9, 0.3, 0.7, -0.3)
    assert "L2.N0.b = 0.2 - 0.1·(-0.408) = 0.2408" in str(recorded)
    # the next cost, computed independently: the network written out in plain arithmetic
    p = after
    h0 = max(0.0, p["L1.N0.w0"] * 0.5 + p["L1.N0.w1"] * 0.1 + p["L1.N0.b"])
    h1 = max(0.0, p["L1.N1.w0"] * 0.5 + p["L1.N1.w1"] * 0.1 + p["L1.N1.b"])
    yhat = p["L2.N0.w0"] * h0 + p["L2.N0.w1"] * h1 + p["L2.N0.b"]
    assert recorded.next_value == pytest.approx(0.5 * (yhat - 0.8) ** 2, rel=1e-12)
    assert recorded.switches == ()  # L1.N1 stays off: -0.08 before, -0.08 after
    assert f"C = 0.083232 -> {format_number(recorded.next_value)}" in str(recorded)


def test_a_relu_switching_on_is_said_so():
    x, w = Value(1.0, label="x"), Value(-0.5, label="w")
    z = (w * x).relu()
    z.label = "z"
    loss = (z - 1.0) ** 2  # z = 0 now; its gradient is 0, so make w move through a second path
    loss = loss + (w - 1.0) ** 2
    recorded = trace(loss, parameters=[w], lr=1)
    [switch] = recorded.switches
    assert switch.on and "switches on: w*x = -0.5 -> 2.5 > 0" in switch.text


@pytest.mark.parametrize("arguments, error, match", [
    ({"parameters": []}, ValueError, "parameters and lr go together"),
    ({"lr": 0.1}, ValueError, "parameters and lr go together"),
    ({"parameters": [], "lr": -1}, ValueError, "lr must be a finite number >= 0"),
    ({"parameters": [], "lr": float("nan")}, ValueError, "lr must be a finite number"),
    ({"parameters": [], "lr": True}, ValueError, "lr must be a finite number"),
    ({"parameters": [Value(1.0, label="q")], "lr": 1}, ValueError, "not part of the traced graph"),
    ({"parameters": ["w"], "lr": 1}, TypeError, "each parameter must be a Value"),
])
def test_bad_parameters_or_learning_rates_are_refused(arguments, error, match):
    loss, _ = square_neuron()
    with pytest.raises(error, match=match):
        trace(loss, **arguments)


def test_a_parameter_must_be_a_leaf_given_once():
    loss, nodes = square_neuron()
    with pytest.raises(ValueError, match="z is computed from other values"):
        trace(loss, parameters=[nodes["z"]], lr=1)
    with pytest.raises(ValueError, match="w is given twice"):
        trace(loss, parameters=[nodes["w"], nodes["w"]], lr=1)
    with pytest.raises(TypeError, match=r"write parameters=\[w\]"):
        trace(loss, parameters=nodes["w"], lr=1)


# --- rounding noise is written 0 -------------------------------------------------------


def test_rounding_noise_beside_the_numbers_a_result_came_from_is_written_0():
    from decimal import Decimal

    from tracegrad.viz import parse
    from tracegrad.viz.format import format_number as written

    assert 0.1 + 0.2 - 0.3 != 0 and Decimal("0.1") + Decimal("0.2") - Decimal("0.3") == 0  # the exact value is 0
    assert written(0.1 + 0.2 - 0.3, scale=0.3) == "0" and written(3.469e-18, scale=0.5) == "0"
    assert written(1e-20) == "1e-20" and written(1e-12, scale=0.3) == "1e-12"  # small, not noise
    # a value that cancels: in the trace's forward pass and in the drawing
    recorded = trace(parse("a + b - c", {"a": 0.1, "b": 0.2, "c": 0.3}))
    assert "a + b - c = 0.3 - 0.3 = 0 " in str(recorded) + " " and "data 0" in recorded.draw().source
    assert "e-17" not in str(recorded) and "e-17" not in recorded.draw().source
    # gradients that cancel: 0.1 + 0.2 - 0.3 sent back to x, in the table, the drawing and the page
    recorded = trace(parse("0.1*x + 0.2*x - 0.3*x", {"x": 2.0}))
    x = next(node for node in recorded.nodes.order if node.label == "x")
    assert recorded.grad(x) == 0.0 and str(recorded).endswith("  x  0")
    assert "e-17" not in recorded.draw().source and "e-17" not in recorded.to_html()
