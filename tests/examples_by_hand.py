"""The worked examples square_neuron and network_221 built by hand from Values, for the viz tests.

Labels follow nn's scheme (L1.N0.w0, L1.N0.b, L1.N0.z, L1.N0.a) so the
drawings and traces read as they will for a network built with nn.
"""

from tracegrad import Value


def square_neuron_by_hand(w=3.0, b=7.0):
    """square_neuron: one ReLU neuron fitting y = x² at x = 2, L = (z - y)²; returns (L, w, b)."""
    x = Value(2.0, label="x")
    w = Value(w, label="w")
    b = Value(b, label="b")
    y = Value(4.0, label="y")
    n = w * x + b
    n.label = "n"
    z = n.relu()
    z.label = "z"
    loss = (z - y) ** 2
    loss.label = "L"
    return loss, w, b


def network_221_by_hand():
    """network_221: the 2-2-1 network, ReLU hidden layer, linear output, C = ½(ŷ − y)².

    Returns (C, params) with params a dict from label to Value.
    """
    W1 = [[0.4, 0.2], [0.3, 0.7]]
    b1 = [0.1, -0.3]
    W2 = [0.6, 0.9]
    b2 = 0.2
    x = [Value(0.5, label="x0"), Value(0.1, label="x1")]
    y = Value(0.8, label="y")
    params = {}

    def neuron(layer, index, weights, bias, inputs, activation):
        prefix = f"L{layer}.N{index}"
        ws = [Value(w, label=f"{prefix}.w{i}") for i, w in enumerate(weights)]
        b = Value(bias, label=f"{prefix}.b")
        params.update({v.label: v for v in (*ws, b)})
        z = Value.sum([w * x for w, x in zip(ws, inputs)] + [b])
        z.label = f"{prefix}.z"
        if not activation:
            return z
        a = z.relu()
        a.label = f"{prefix}.a"
        return a

    hidden = [neuron(1, i, W1[i], b1[i], x, activation=True) for i in range(2)]
    y_hat = neuron(2, 0, W2, b2, hidden, activation=False)
    cost = 0.5 * (y_hat - y) ** 2
    cost.label = "C"
    return cost, params
