"""viz.trace: the recorded passes carry the worked examples' numbers and agree with the engine."""

import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracegrad
from tracegrad import Value
from tracegrad.viz import trace
from tracegrad.viz.examples import network_221
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
