"""nn.module: network_221 by hand, labels, micrograd compatibility, activations, seeds, explicit weights."""

import math
import random

import pytest

from tracegrad import Value, gradcheck, no_grad, topological_order
from tracegrad.nn import MLP, SGD, Layer, Module, Neuron, half_squared_error

NETWORK_221_WEIGHTS = [[[0.4, 0.2], [0.3, 0.7]], [[0.6, 0.9]]]
NETWORK_221_BIASES = [[0.1, -0.3], [0.2]]
TIGHT = dict(rel=1e-12, abs=1e-15)


def network_221_model():
    return MLP.from_weights(NETWORK_221_WEIGHTS, NETWORK_221_BIASES, activation="relu")


def nodes_by_label(root):
    return {node.label: node for node in topological_order(root) if node.label}


# --- network_221: the 2-2-1 network worked by hand -------------------------------


def test_network_221_forward_pass_cost_and_labels():
    model = network_221_model()
    y_hat = model([0.5, 0.1])
    cost = half_squared_error(y_hat, 0.8)
    nodes = nodes_by_label(cost)

    assert [nodes["L1.N0.z"].data, nodes["L1.N1.z"].data] == pytest.approx([0.32, -0.08], **TIGHT)
    assert [nodes["L1.N0.a"].data, nodes["L1.N1.a"].data] == pytest.approx([0.32, 0.0], **TIGHT)
    assert y_hat is nodes["L2.N0.z"]  # linear output: ŷ is the output neuron's z
    assert "L2.N0.a" not in nodes
    assert y_hat.data == pytest.approx(0.392, **TIGHT)
    assert cost.data == pytest.approx(0.083232, **TIGHT)


def test_network_221_gradients():
    model = network_221_model()
    half_squared_error(model([0.5, 0.1]), 0.8).backward()
    hidden, output = model.layers
    assert output.neurons[0].b.grad == pytest.approx(-0.408, **TIGHT)
    assert [w.grad for w in output.neurons[0].w] == pytest.approx([-0.13056, 0.0], **TIGHT)
    assert [n.b.grad for n in hidden.neurons] == pytest.approx([-0.2448, 0.0], **TIGHT)
    assert [w.grad for w in hidden.neurons[0].w] == pytest.approx([-0.1224, -0.02448], **TIGHT)
    assert [w.grad for w in hidden.neurons[1].w] == [0.0, 0.0]


def test_network_221_one_step_of_gradient_descent():
    model = network_221_model()
    optimizer = SGD(model.parameters(), lr=0.1)
    optimizer.zero_grad()
    half_squared_error(model([0.5, 0.1]), 0.8).backward()
    optimizer.step()
    (w1, w2), (b1, b2) = model.weights(), model.biases()
    assert w2[0] == pytest.approx([0.613056, 0.9], **TIGHT)
    assert b2 == pytest.approx([0.2408], **TIGHT)
    assert w1[0] == pytest.approx([0.41224, 0.202448], **TIGHT)
    assert w1[1] == pytest.approx([0.3, 0.7], **TIGHT)
    assert b1 == pytest.approx([0.12448, -0.3], **TIGHT)


def test_network_221_parameter_labels():
    model = network_221_model()
    assert [p.label for p in model.parameters()] == [
        "L1.N0.w0", "L1.N0.w1", "L1.N0.b",
        "L1.N1.w0", "L1.N1.w1", "L1.N1.b",
        "L2.N0.w0", "L2.N0.w1", "L2.N0.b",
    ]
    assert model.layers[0].neurons[1].w[0].label == "L1.N1.w0"


def test_standalone_neuron_and_layer_labels():
    neuron = Neuron(2, seed=0)
    out = neuron([1.0, 2.0])
    assert [p.label for p in neuron.parameters()] == ["N.w0", "N.w1", "N.b"]
    assert out.label == "N.a" and out.inputs[0].label == "N.z"
    layer = Layer(2, 2, seed=0)
    assert layer.neurons[1].b.label == "L.N1.b"
    named = Layer(2, 1, seed=0, name="hidden")
    assert named([1.0, 2.0]).label == "hidden.N0.a"


# --- micrograd compatibility ----------------------------------------------------


def test_same_seed_same_weights_as_micrograd_seeded_globally():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    saved = random.getstate()
    try:
        random.seed(1337)
        theirs = micrograd_nn.MLP(2, [16, 16, 1])
    finally:
        random.setstate(saved)
    ours = MLP(2, [16, 16, 1], seed=1337)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]


def micrograd_style_training(model, Value, X, y, steps):
    """User code as written for micrograd; only the imports differ between the two runs."""
    record = []
    for k in range(steps):
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        for p in model.parameters():
            p.grad = 0
        total_loss.backward()
        first = model.layers[0].neurons[3]
        record.append((total_loss.data, [s.data for s in scores], first.w[1].grad, first.b.grad,
                       [p.grad for p in model.parameters()]))
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
    return record


def test_micrograd_user_code_runs_unchanged_and_agrees():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    from micrograd.engine import Value as MicrogradValue

    rng = random.Random(5)
    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(12)]
    y = [1 if a * b > 0 else -1 for a, b in X]
    ours = MLP(2, [8, 8, 1], seed=3)
    theirs = micrograd_nn.MLP(2, [8, 8, 1])
    for mine, other in zip(ours.parameters(), theirs.parameters()):
        other.data = mine.data
    ours_record = micrograd_style_training(ours, Value, X, y, steps=4)
    theirs_record = micrograd_style_training(theirs, MicrogradValue, X, y, steps=4)
    for (l1, s1, w1, b1, g1), (l2, s2, w2, b2, g2) in zip(ours_record, theirs_record):
        assert l1 == pytest.approx(l2, rel=1e-12)
        assert s1 == pytest.approx(s2, rel=1e-12, abs=1e-14)
        assert (w1, b1) == pytest.approx((w2, b2), rel=1e-10, abs=1e-14)
        assert g1 == pytest.approx(g2, rel=1e-10, abs=1e-14)


def test_micrograd_shapes_and_reprs():
    model = MLP(3, [4, 4, 1], seed=0)
    assert len(model.parameters()) == (3 + 1) * 4 + (4 + 1) * 4 + (4 + 1) * 1
    assert isinstance(model([1.0, 2.0, 3.0]), Value)
    assert isinstance(MLP(3, [4, 2], seed=0)([1.0, 2.0, 3.0]), list)
    assert isinstance(Layer(3, 1, seed=0)([1.0, 2.0, 3.0]), Value)
    assert len(Layer(3, 2, seed=0)([1.0, 2.0, 3.0])) == 2
    assert [layer.neurons[0].nonlin for layer in model.layers] == [True, True, False]
    assert repr(model.layers[0].neurons[0]) == "ReLUNeuron(3)"
    assert repr(model.layers[2].neurons[0]) == "LinearNeuron(4)"
    assert repr(Neuron(2, nonlin=False, seed=0)) == "LinearNeuron(2)"
    assert repr(Neuron(2, activation="tanh", seed=0)) == "TanhNeuron(2)"
    neuron = model.layers[0].neurons[0]
    assert neuron.parameters() == neuron.w + [neuron.b]
    assert isinstance(model, Module)


def test_switching_nonlin_as_in_micrograd():
    neuron = Neuron.from_weights([1.0, 1.0], 0.0)  # ReLU
    assert neuron([-1.0, -2.0]).data == 0.0
    neuron.nonlin = False  # a plain attribute in micrograd's Neuron
    assert neuron([-1.0, -2.0]).data == -3.0
    assert repr(neuron) == "LinearNeuron(2)" and neuron.activation == "linear"
    neuron.nonlin = True
    assert neuron([-1.0, -2.0]).data == 0.0 and repr(neuron) == "ReLUNeuron(2)"


def test_mlp_and_layer_repr_show_the_architecture():
    model = MLP(2, [16, 16, 1], seed=0)
    assert repr(model) == (
        "MLP(2 -> 16 -> 16 -> 1, 337 parameters)\n"
        "  L1: Layer(2, 16, activation='relu')\n"
        "  L2: Layer(16, 16, activation='relu')\n"
        "  L3: Layer(16, 1, activation='linear')"
    )


def test_zero_grad_resets_every_parameter():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 and type(p.grad) is float for p in model.parameters())


def test_a_hidden_layer_of_one_neuron_feeds_the_next_layer():
    # micrograd would hand the next layer a bare Value here and fail
    model = MLP(2, [1, 2], seed=0)
    assert len(model([1.0, 2.0])) == 2


# --- activations ----------------------------------------------------------------


@pytest.mark.parametrize("name, f", [
    ("relu", lambda z: max(z, 0.0)),
    ("tanh", math.tanh),
    ("sigmoid", lambda z: 1.0 / (1.0 + math.exp(-z))),
    ("linear", lambda z: z),
])
def test_each_activation(name, f):
    neuron = Neuron.from_weights([0.5, -2.0], 0.25, activation=name)
    for x in ([1.0, 0.1], [-1.0, 0.5]):
        z = 0.5 * x[0] - 2.0 * x[1] + 0.25
        assert neuron(x).data == pytest.approx(f(z), rel=1e-12)
    assert neuron.activation == name


def test_activation_per_model_and_per_layer():
    model = MLP(2, [3, 3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    assert model.activations == ["tanh", "tanh", "sigmoid"]
    assert 0.0 < model([0.3, -0.2]).data < 1.0
    model = MLP(2, [3, 3, 1], activation=["sigmoid", "relu", "tanh"], seed=0)
    assert model.activations == ["sigmoid", "relu", "tanh"]
    assert Layer(2, 3, activation="tanh", seed=0).activation == "tanh"
    assert Layer(2, 3, nonlin=False, seed=0).activation == "linear"


def test_gradients_through_a_tanh_mlp_match_central_differences():
    model = MLP(3, [4, 4, 1], activation="tanh", seed=2)
    x = [0.3, -0.7, 1.1]
    assert gradcheck(lambda a, b, c: model([a, b, c]), x)  # with respect to the inputs

    model(x).backward()
    weight = model.layers[1].neurons[2].w[3]
    start, eps = weight.data, 1e-6

    def output_at(w):
        weight.data = w
        with no_grad():
            return model(x).data

    numeric = (output_at(start + eps) - output_at(start - eps)) / (2 * eps)
    assert weight.grad == pytest.approx(numeric, rel=1e-6, abs=1e-9)


# --- seeds, generators and the global random state ------------------------------


@pytest.fixture
def global_random():
    """The global random module; its state is put back after the test."""
    state = random.getstate()
    yield random
    random.setstate(state)


def _flat(model):
    return [p.data for p in model.parameters()]


# One builder per class, each given the same keywords: (name, build(**kwargs)).
BUILDERS = [
    ("Neuron", lambda **kw: Neuron(5, **kw)),
    ("Layer", lambda **kw: Layer(3, 4, **kw)),
    ("MLP", lambda **kw: MLP(2, [4, 3, 1], **kw)),
]


@pytest.mark.parametrize("name, build", BUILDERS, ids=[name for name, _ in BUILDERS])
def test_without_seed_weights_are_drawn_from_the_global_random_in_order(name, build, global_random):
    global_random.seed(2024)
    model = build()
    global_random.seed(2024)
    weights = [p.data for p in model.parameters() if not p.label.endswith(".b")]
    # micrograd's order: layer by layer, neuron by neuron, weight by weight; biases draw nothing
    assert weights == [global_random.uniform(-1, 1) for _ in weights]
    after_drawing_by_hand = global_random.getstate()
    global_random.seed(2024)
    build()
    assert global_random.getstate() == after_drawing_by_hand
    assert all(p.data == 0.0 for p in model.parameters() if p.label.endswith(".b"))


@pytest.mark.parametrize("name, build", BUILDERS, ids=[name for name, _ in BUILDERS])
def test_a_seed_or_rng_neither_reads_nor_moves_the_global_random(name, build, global_random):
    global_random.seed(1)
    seeded, from_rng = build(seed=7), build(rng=random.Random(7))
    state = global_random.getstate()
    build(seed=7)
    build(rng=random.Random(8))
    assert global_random.getstate() == state  # nothing drawn from the global generator
    global_random.seed(99)
    assert _flat(build(seed=7)) == _flat(seeded) == _flat(from_rng)  # reseeding it changes nothing
    assert _flat(build(seed=8)) != _flat(seeded)
    assert _flat(build()) != _flat(seeded)  # no seed: the global generator, now seeded with 99


def test_a_seed_gives_weights_in_minus_1_to_1_and_zero_biases():
    model = MLP(2, [4, 1], seed=7)
    assert all(-1.0 <= w < 1.0 for layer in model.weights() for row in layer for w in row)
    assert all(bias == 0.0 for layer in model.biases() for bias in layer)


def test_seed_and_rng_errors():
    with pytest.raises(ValueError, match="Neuron: give seed or rng, not both"):
        Neuron(2, seed=1, rng=random.Random(1))
    with pytest.raises(ValueError, match="MLP: give seed or rng, not both"):
        MLP(2, [1], seed=1, rng=random.Random(1))
    with pytest.raises(TypeError, match="MLP: seed must be an int or None, got 1.5"):
        MLP(2, [1], seed=1.5)
    with pytest.raises(TypeError, match=r"Layer: rng must be a random.Random .*, got 7 \(int\)"):
        Layer(2, 3, rng=7)


# --- explicit weights -----------------------------------------------------------


def test_from_weights_reads_back_the_same_numbers():
    model = network_221_model()
    assert model.weights() == NETWORK_221_WEIGHTS
    assert model.biases() == NETWORK_221_BIASES
    assert model.nin == 2 and model.nouts == [2, 1]
    assert model.activations == ["relu", "linear"]
    copy = MLP.from_weights(model.weights(), model.biases(), activation="relu")
    assert copy([0.5, 0.1]).data == model([0.5, 0.1]).data
    layer = Layer.from_weights([[1.0, 2.0]], [3.0], activation="linear")
    assert layer([1.0, 1.0]).data == 6.0 and layer.weights() == [[1.0, 2.0]] and layer.biases() == [3.0]
    neuron = Neuron.from_weights([2.0], -1.0, activation="linear")
    assert neuron.weights() == [2.0] and neuron.bias() == -1.0


def test_from_weights_errors_name_the_misfit():
    with pytest.raises(ValueError, match=r"weights\[1\]\[0\] must have 2 numbers, got 3"):
        MLP.from_weights([[[0.4, 0.2], [0.3, 0.7]], [[0.6, 0.9, 1.0]]], NETWORK_221_BIASES)
    with pytest.raises(ValueError, match=r"biases\[0\] must have 2 numbers, got 1"):
        MLP.from_weights(NETWORK_221_WEIGHTS, [[0.1], [0.2]])
    with pytest.raises(ValueError, match="biases has 1 layers, expected 2"):
        MLP.from_weights(NETWORK_221_WEIGHTS, [[0.1, -0.3]])
    with pytest.raises(TypeError, match=r"weights\[0\]\[1\]\[0\] must be a number, got '0.3' \(str\)"):
        MLP.from_weights([[[0.4, 0.2], ["0.3", 0.7]], [[0.6, 0.9]]], NETWORK_221_BIASES)
    with pytest.raises(ValueError, match=r"weights\[1\] must be a non-empty list of rows"):
        MLP.from_weights([[[0.4, 0.2]], []], [[0.1], []])
    with pytest.raises(ValueError, match="must be finite"):
        Neuron.from_weights([math.nan], 0.0)
    with pytest.raises(TypeError, match="bias must be a number, got True"):
        Neuron.from_weights([1.0], True)


# --- clear errors for bad arguments ----------------------------------------------


def test_calling_with_the_wrong_input_says_what_was_expected():
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="neuron L1.N0 takes 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"neuron L1.N0 takes a list of 2 inputs, got 1.0 \(float\)"):
        model(1.0)
    with pytest.raises(TypeError, match=r"input 1 of the model: Value\(\) needs a real number, got 'x' \(str\)"):
        model([1.0, "x"])


def test_constructor_errors():
    with pytest.raises(ValueError, match="must be one of 'relu', 'tanh', 'sigmoid', 'linear', got 'Relu'"):
        MLP(2, [1], activation="Relu")
    with pytest.raises(ValueError, match="nonlin=False means a linear neuron"):
        Neuron(2, nonlin=False, activation="tanh")
    with pytest.raises(ValueError, match="nin must be a positive int, got 0"):
        Neuron(0)
    with pytest.raises(TypeError, match=r"nouts\[1\] must be a positive int, got 2.0"):
        MLP(2, [3, 2.0])
    with pytest.raises(TypeError, match="nouts must be a non-empty list"):
        MLP(2, 3)
    with pytest.raises(ValueError, match="lists 2 names for 3 layers"):
        MLP(2, [3, 3, 1], activation=["relu", "relu"])
    with pytest.raises(ValueError, match="not both"):
        MLP(2, [3, 1], activation=["relu", "relu"], output_activation="sigmoid")


def test_forward_under_no_grad_records_nothing():
    model = MLP(2, [3, 1], seed=0)
    with no_grad():
        out = model([1.0, 2.0])
    assert out.inputs == () and out.label == "L2.N0.z"


def test_plain_number_inputs_become_one_shared_node_each():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    out = model([0.5, -0.2])
    inputs = {n.label: n for n in topological_order(out) if not n.inputs and n.label.startswith("x")}
    assert sorted(inputs) == ["x0", "x1"]  # one node each, read by all three first-layer neurons
    out.backward()
    h = 1e-6
    numeric = (model([0.5 + h, -0.2]).data - model([0.5 - h, -0.2]).data) / (2 * h)
    assert inputs["x0"].grad == pytest.approx(numeric, rel=1e-6)
