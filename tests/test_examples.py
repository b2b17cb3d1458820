"""viz.examples: the seeds' worked numbers, as literal expectations."""

import pytest

from tracegrad import Value
from tracegrad.viz.examples import EXAMPLES, network_221, square_neuron


def test_seed_000_square_neuron():
    loss, nodes = square_neuron()
    assert loss is nodes["L"]
    assert (nodes["z"].data, loss.data) == (13.0, 81.0)
    loss.backward()
    # The chain rule: dL/dw = 2(z - y)·x = 36, dL/db = 2(z - y) = 18 (the seed's 12 and 14 are slips)
    assert nodes["w"].grad == 36.0
    assert nodes["b"].grad == 18.0
    assert nodes["x"].grad == 54.0 and nodes["y"].grad == -18.0


def test_seed_001_network_forward():
    cost, nodes = network_221()
    assert cost is nodes["C"]
    assert nodes["L1.N0.z"].data == pytest.approx(0.32)
    assert nodes["L1.N1.z"].data == pytest.approx(-0.08)
    assert nodes["L1.N0.a"].data == pytest.approx(0.32)
    assert nodes["L1.N1.a"].data == 0.0
    assert nodes["yhat"].data == pytest.approx(0.392)
    assert cost.data == pytest.approx(0.083232)


def test_seed_001_network_backward():
    cost, nodes = network_221()
    cost.backward()
    expected = {
        "yhat": -0.408,
        "L2.N0.b": -0.408,  # δ of the output layer
        "L2.N0.w0": -0.13056,  # δ · a1 (the seed rounds it to -0.13)
        "L2.N0.w1": 0.0,  # a1[1] = 0: the second hidden neuron is off
        "L1.N0.b": -0.2448,  # δ¹ = 0.6 · (-0.408) · relu'(0.32)
        "L1.N0.w0": -0.1224,
        "L1.N0.w1": -0.02448,
        "L1.N1.b": 0.0,  # relu'(-0.08) = 0
        "L1.N1.w0": 0.0,
        "L1.N1.w1": 0.0,
    }
    for label, g in expected.items():
        assert nodes[label].grad == pytest.approx(g, abs=1e-12), label


def test_seed_001_one_step_of_gradient_descent():
    cost, nodes = network_221()
    cost.backward()
    eta = 0.1
    updated = {label: nodes[label].data - eta * nodes[label].grad
               for label in ("L2.N0.b", "L1.N0.b", "L1.N0.w0", "L1.N1.b")}
    assert updated == pytest.approx(
        {"L2.N0.b": 0.2408, "L1.N0.b": 0.12448, "L1.N0.w0": 0.41224, "L1.N1.b": -0.3}
    )


def test_builders_make_fresh_graphs_every_call():
    first, _ = square_neuron()
    second, _ = square_neuron()
    first.backward()
    assert second.grad == 0.0 and first is not second


def test_examples_table_names_the_command_line_examples():
    assert set(EXAMPLES) == {"square", "221"}
    for build, title in EXAMPLES.values():
        loss, nodes = build()
        assert isinstance(loss, Value) and title
