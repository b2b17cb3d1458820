"""nn.export: to_torch() gives a PyTorch model with the same outputs and gradients."""

import sys

import pytest

from tracegrad import Value
from tracegrad.nn import MLP, Layer, Neuron, to_torch

torch = pytest.importorskip("torch")

INPUTS = [[0.5, 0.1, -1.0], [-2.0, 0.3, 0.7], [1.5, -1.5, 0.25]]


def flat(rows):
    return [v for row in rows for v in row]


def compare(model, torch_model):
    """Outputs and every gradient (parameters and inputs) of ``model`` against ``torch_model``."""
    x = torch.tensor(INPUTS, dtype=torch.float64, requires_grad=True)
    out = torch_model(x)
    (out * torch.arange(1, out.shape[1] + 1, dtype=torch.float64)).sum().backward()

    inputs = [[Value(v) for v in row] for row in INPUTS]
    outputs = [model(row) for row in inputs]
    outputs = [o if isinstance(o, list) else [o] for o in outputs]
    total = Value.sum([o * (k + 1) for row in outputs for k, o in enumerate(row)])
    model.zero_grad()
    total.backward()

    assert flat([[o.data for o in row] for row in outputs]) == pytest.approx(
        flat(out.tolist()), rel=1e-12, abs=1e-15)
    assert flat([[v.grad for v in row] for row in inputs]) == pytest.approx(
        flat(x.grad.tolist()), rel=1e-10, abs=1e-14)
    linears = [m for m in torch_model if isinstance(m, torch.nn.Linear)]
    layers = model.layers if isinstance(model, MLP) else [model]
    assert len(linears) == len(layers)
    for layer, linear in zip(layers, linears):
        neurons = layer.neurons if isinstance(layer, Layer) else [layer]
        assert flat([[w.grad for w in n.w] for n in neurons]) == pytest.approx(
            flat(linear.weight.grad.tolist()), rel=1e-10, abs=1e-14)
        assert [n.b.grad for n in neurons] == pytest.approx(linear.bias.grad.tolist(), rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("activation, output_activation", [
    ("relu", "linear"), ("tanh", "sigmoid"), ("sigmoid", "tanh"),
])
def test_an_mlp_and_its_torch_twin_agree(activation, output_activation):
    model = MLP(3, [5, 4, 2], activation=activation, output_activation=output_activation, seed=11)
    torch_model = model.to_torch()
    assert isinstance(torch_model, torch.nn.Sequential)
    assert all(p.dtype == torch.float64 for p in torch_model.parameters())
    compare(model, torch_model)


def test_the_sequential_has_one_linear_and_one_activation_per_layer():
    torch_model = to_torch(MLP(3, [4, 1], activation="tanh", seed=0))
    assert [type(m).__name__ for m in torch_model] == ["Linear", "Tanh", "Linear"]
    assert torch_model[0].weight.shape == (4, 3)


def test_a_layer_and_a_neuron_convert_too():
    compare(Layer(3, 2, activation="tanh", seed=1), to_torch(Layer(3, 2, activation="tanh", seed=1)))
    neuron = Neuron(3, seed=2)
    compare(neuron, to_torch(neuron))


def test_to_torch_leaves_torch_random_state_alone():
    state = torch.get_rng_state()
    to_torch(MLP(2, [16, 16, 1], seed=0))
    assert torch.equal(torch.get_rng_state(), state)


def test_to_torch_without_torch_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ImportError, match="to_torch\\(\\) needs PyTorch.*pip install torch"):
        to_torch(MLP(2, [1], seed=0))


def test_to_torch_rejects_other_objects():
    with pytest.raises(TypeError, match="converts an MLP, Layer or Neuron, got list"):
        to_torch([1, 2])
