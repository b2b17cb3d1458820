"""The two worked examples, as graphs: build them, then call backward() and look.

``square_neuron()``: one ReLU neuron learning y = x², at w = 3, b = 7,
x = 2, y = 4, with the loss L = (z - y)² (from the blog post "Truth is ever
found in simplicity": a single neuron modelling y = x²).
``network_221()``: a 2-2-1 network (ReLU hidden layer, linear output) with the
weights of the blog post "The Beginning of Humanity's Last Invention", on
x = [0.5, 0.1], y = 0.8, with the cost C = ½(ŷ - y)².

Each builder runs the forward pass only and returns ``(loss, nodes)``: the loss
Value and a dict from label to every labelled node of its graph, so a test or
the command line can read ``nodes["w"].grad`` after ``loss.backward()``.
"""

from tracegrad import Value, topological_order
from tracegrad.nn import MLP

__all__ = ["EXAMPLES", "LEARNING_RATES", "square_neuron", "network_221", "parameters_of", "NETWORK_221_WEIGHTS",
           "NETWORK_221_BIASES"]

# network_221's parameters (the blog post's) as MLP.from_weights reads them: weights[layer][neuron][input].
NETWORK_221_WEIGHTS = [[[0.4, 0.2], [0.3, 0.7]], [[0.6, 0.9]]]
NETWORK_221_BIASES = [[0.1, -0.3], [0.2]]


def square_neuron(w=3.0, b=7.0, x=2.0, y=4.0):
    """L = (relu(w·x + b) - y)²; at w = 3, b = 7, x = 2, y = 4, L = 81."""
    w, b = Value(w, label="w"), Value(b, label="b")
    x, y = Value(x, label="x"), Value(y, label="y")
    z = (w * x + b).relu()
    z.label = "z"
    loss = (z - y) ** 2
    loss.label = "L"
    return loss, _labelled(loss)


def network_221(weights=NETWORK_221_WEIGHTS, biases=NETWORK_221_BIASES, x=(0.5, 0.1), y=0.8):
    """C = ½(ŷ - y)² for a 2-2-1 network; with the post's numbers C = 0.083232.

    ReLU hidden layer, linear output. ``weights[layer][neuron][input]`` and
    ``biases[layer][neuron]`` as ``nn.MLP.from_weights`` reads them. Parameters
    are labelled as nn labels them (``L1.N0.w0`` multiplies ``x0``). The
    network's output is labelled ``ŷ`` (in ``nodes`` as ``"yhat"``), and the
    cost is written as nn.half_squared_error writes it: (ŷ - y)² × 0.5.
    """
    model = MLP.from_weights(weights, biases, activation="relu")
    x = [Value(xk, label=f"x{k}") for k, xk in enumerate(x)]
    y = Value(y, label="y")
    yhat = model(x)  # the output neuron's z: linear, so it is the prediction itself
    yhat.label = "ŷ"
    cost = (yhat - y) ** 2 * 0.5  # as nn.half_squared_error: no constant 2 to differentiate
    cost.label = "C"
    nodes = _labelled(cost)
    nodes["yhat"] = yhat
    return cost, nodes


def _labelled(root):
    """label -> node for every labelled node of root's graph."""
    return {node.label: node for node in topological_order(root) if node.label}


def parameters_of(nodes):
    """An example's parameters, the leaves a step of gradient descent changes, in nn's order:
    w, b; or L1.N0.w0, L1.N0.w1, L1.N0.b, L1.N1.w0, ..., L2.N0.b (as model.parameters() lists them)."""
    def order(label):  # "L1.N0.w1" -> (1, 0, 0, 1): layer, neuron, weights before the bias, input
        if label in ("w", "b"):
            return (0, 0, label == "b", 0)
        layer, neuron, kind = label.split(".")
        return (int(layer[1:]), int(neuron[1:]), kind == "b", int(kind[1:] or 0))

    labels = [label for label, node in nodes.items()
              if not node.inputs and (label in ("w", "b") or label.startswith("L"))]
    return [nodes[label] for label in sorted(labels, key=order)]


# The learning rate of each example's blog post, for its step of gradient descent.
LEARNING_RATES = {"square_neuron": 1.0, "network_221": 0.1}

# The command line's names for the examples: name -> (builder, one-line title).
EXAMPLES = {
    "square_neuron": (square_neuron, "one ReLU neuron learning y = x², L = (z − y)²"),
    "network_221": (network_221, "a 2-2-1 network, C = ½(ŷ − y)²"),
}
