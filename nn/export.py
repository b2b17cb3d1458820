"""Outgrowing tracegrad: the same model as a PyTorch module, with the same weights.

PyTorch stays optional: it is imported only when to_torch() is called.
"""

__all__ = ["to_torch"]


def to_torch(model):
    """An equivalent ``torch.nn.Sequential`` of Linear and activation modules, in float64.

    Works for an MLP, a Layer or a single Neuron. The result maps a tensor of
    shape (batch, nin) to (batch, nout); its ``[i]``-th Linear holds layer i's
    weights as ``weight[j][k] = layers[i].neurons[j].w[k]``.
    """
    try:
        import torch
    except ImportError:
        raise ImportError(
            "to_torch() needs PyTorch, which tracegrad does not install: pip install torch"
        ) from None

    activations = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
    modules = []
    for nin, nout, weights, biases, activation in _layers(model):
        # skip_init: no random initialisation, so torch's global generator is left alone
        linear = torch.nn.utils.skip_init(torch.nn.Linear, nin, nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(weights, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(biases, dtype=torch.float64))
        modules.append(linear)
        if activation != "linear":
            modules.append(activations[activation]())
    return torch.nn.Sequential(*modules)


def _layers(model):
    """(nin, nout, weight rows, biases, activation) for each layer of model.

    An MLP is known by its layers, a Layer by its neurons, a Neuron by its
    weights w (nn.module imports this module, so it names no class of it).
    """
    if hasattr(model, "layers"):
        layers = model.layers
    elif hasattr(model, "neurons"):
        layers = [model]
    elif hasattr(model, "w") and hasattr(model, "b"):
        return [(len(model.w), 1, [model.weights()], [model.bias()], model.activation)]
    else:
        raise TypeError(f"to_torch() converts an MLP, Layer or Neuron, got {type(model).__name__}")
    return [(layer.nin, layer.nout, layer.weights(), layer.biases(), layer.activation)
            for layer in layers]
