"""Code written for micrograd 0.1.0 runs unchanged on tracegrad, with the same numbers.

Each program below uses only micrograd's public API (Value(x), + - * /
** relu, numbers on either side, backward, .data, .grad, repr, the internals
people use for drawing graphs: _prev, _op, _backward; and nn's Neuron, Layer,
MLP, parameters(), zero_grad(), with weights drawn from the global random
module). It takes micrograd's classes as arguments and runs once with
micrograd's and once with ours.

Initial weights match bit for bit: both draw random.uniform(-1, 1) from the
global generator, layer by layer, neuron by neuron, weight by weight.
Computed numbers can differ in the last bit, never more, for three reasons:
micrograd computes a / b as a * b**-1 (we divide); it visits a node's inputs
in set order, so a gradient's contributions may be added in another order;
and its neuron adds the bias first (b + w0·x0 + w1·x1 + ...) where ours sums
w0·x0 + w1·x1 + ... + b as one node. Programs without division whose leaves
get one contribution each match exactly.
"""

import math
import random

import pytest

from tracegrad import nn as our_nn
from tracegrad import Value as OurValue

micrograd_engine = pytest.importorskip("micrograd.engine")
micrograd_nn = pytest.importorskip("micrograd.nn")
TheirValue = micrograd_engine.Value


def _same(ours, theirs, exact):
    if exact:
        return ours == theirs
    return math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-12)


def _assert_same_nodes(ours, theirs, exact):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert _same(a.data, b.data, exact), (k, "data", a.data, b.data)
        assert _same(a.grad, b.grad, exact), (k, "grad", a.grad, b.grad)


# --- programs ---------------------------------------------------------------------


def mixed_expression(Value):
    """Every operator, numbers on both sides, a node reused, and c += c + 1."""
    p = Value(1.5)
    q = Value(-2.5)
    c = p * q + q**3
    c += c + 1
    c += 2 * c - (3 - p)
    s = (p - q).relu() + (q * 2).relu() + 0.5  # the second relu gets a negative input
    t = c / s + 4 / (s + 1) - q / 2.0
    t += -p * t
    u = (t**2) / 3.0 + 1.5 * (c - 5).relu() + (c * -1).relu() ** 0.5
    u.backward()
    return [p, q, c, s, t, u]


def polynomial(Value):
    """No division, one use per leaf: must match micrograd bit for bit."""
    a, b, x = Value(0.75), Value(-1.25), Value(2.0)
    y = (a * x**3 + b).relu() - (x - a) ** 2
    y.backward()
    return [a, b, x, y]


def train_tiny_mlp(Value, steps=5):
    """A hand-written micrograd-style 2-8-1 ReLU MLP, hinge loss, plain SGD."""
    rng = random.Random(1234)
    sizes = [2, 8, 1]
    layers = []
    for nin, nout in zip(sizes, sizes[1:]):
        layers.append([([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(0.0)) for _ in range(nout)])
    params = [p for layer in layers for w, b in layer for p in w + [b]]
    xs = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(20)]
    ys = [1 if x0 * x1 > 0 else -1 for x0, x1 in xs]

    def model(x):
        for k, layer in enumerate(layers):
            outs = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in layer]
            x = outs if k == len(layers) - 1 else [o.relu() for o in outs]
        return x[0]

    losses = []
    for step in range(steps):
        scores = [model(x) for x in xs]
        hinge = [(1 + -y * score).relu() for y, score in zip(ys, scores)]
        loss = sum(hinge) * (1.0 / len(hinge)) + 1e-4 * sum(p * p for p in params)
        for p in params:
            p.grad = 0
        loss.backward()
        rate = 1.0 - 0.9 * step / steps
        for p in params:
            p.data -= rate * p.grad
        losses.append(loss)
    return losses + params


def manual_backward_with_internals(Value):
    """What a graph-drawing notebook does: walk _prev, read _op, call _backward by hand."""
    x, w = Value(3.0), Value(-0.5)
    out = (x * w + x) ** 2 + (w * 4).relu()

    topo, visited = [], set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(out)
    out.grad = 1.0
    for v in reversed(topo):
        v._backward()
    return [x, w, out], topo


def regression_after_seeding(Value, nn, steps=6):
    """A learner's script: seed, build MLP(2, [16, 16, 1]), draw data, a few steps of descent.

    The data are drawn from the global generator after the model, so they agree
    only if both libraries drew exactly as many numbers for the weights.
    """
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    points = [(random.uniform(-1, 1), random.uniform(-1, 1)) for _ in range(16)]
    targets = [0.5 * u - v * v for u, v in points]

    losses = []
    for _ in range(steps):
        predictions = [model([Value(u), Value(v)]) for u, v in points]
        loss = sum((p - t) ** 2 for p, t in zip(predictions, targets)) / len(points)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data += -0.05 * p.grad
        losses.append(loss.data)
    return losses, model.parameters()


def neuron_and_layer_by_hand(Value, nn):
    """A ReLU neuron and a linear layer built after random.seed, then one backward pass."""
    random.seed(7)
    neuron = nn.Neuron(3)
    layer = nn.Layer(3, 2, nonlin=False)
    x = [Value(0.5), Value(-1.5), Value(2.0)]
    first, second = layer(x)
    out = neuron(x) * first + second
    out.backward()
    return [out] + x + neuron.parameters() + layer.parameters()


def _bits(values):
    return [float(v.data).hex() for v in values]


# --- tests -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _global_random_put_back():
    """These programs seed the global generator, as a learner's script does; undo it after."""
    state = random.getstate()
    yield
    random.setstate(state)


def _built_after_seed(seed, build):
    """build() right after random.seed(seed); also the global state it leaves."""
    random.seed(seed)
    model = build()
    return model, random.getstate()


@pytest.mark.parametrize("seed", [1337, 0, 42, 2**40 + 1])
@pytest.mark.parametrize("nin, nouts", [(2, [16, 16, 1]), (3, [4, 4, 1]), (1, [1]), (5, [7, 3, 2])])
def test_random_seed_then_mlp_gives_micrograds_weights_bit_for_bit(seed, nin, nouts):
    theirs, after_theirs = _built_after_seed(seed, lambda: micrograd_nn.MLP(nin, nouts))
    ours, after_ours = _built_after_seed(seed, lambda: our_nn.MLP(nin, nouts))
    assert _bits(ours.parameters()) == _bits(theirs.parameters())
    assert after_ours == after_theirs  # as many draws, so whatever is drawn next agrees too


@pytest.mark.parametrize("seed", [1337, 3])
@pytest.mark.parametrize("build", [
    lambda nn: nn.Neuron(4),
    lambda nn: nn.Neuron(1, nonlin=False),
    lambda nn: nn.Layer(3, 5),
    lambda nn: nn.Layer(16, 1, nonlin=False),
], ids=["Neuron(4)", "Neuron(1, nonlin=False)", "Layer(3, 5)", "Layer(16, 1, nonlin=False)"])
def test_random_seed_then_neuron_or_layer_gives_micrograds_weights(seed, build):
    theirs, after_theirs = _built_after_seed(seed, lambda: build(micrograd_nn))
    ours, after_ours = _built_after_seed(seed, lambda: build(our_nn))
    assert _bits(ours.parameters()) == _bits(theirs.parameters())
    assert after_ours == after_theirs


def test_a_seeded_script_trains_with_micrograds_losses_step_for_step():
    our_losses, our_params = regression_after_seeding(OurValue, our_nn)
    their_losses, their_params = regression_after_seeding(TheirValue, micrograd_nn)
    assert our_losses[-1] < 0.5 * our_losses[0]  # it learns
    assert our_losses == pytest.approx(their_losses, rel=1e-12)
    _assert_same_nodes(our_params, their_params, exact=False)


def test_neuron_and_layer_after_random_seed_match_micrograd():
    ours = neuron_and_layer_by_hand(OurValue, our_nn)
    theirs = neuron_and_layer_by_hand(TheirValue, micrograd_nn)
    assert ours[0].data != 0.0 and any(p.grad != 0.0 for p in ours[4:])  # the program does something
    _assert_same_nodes(ours, theirs, exact=False)


def test_mixed_expression_matches_micrograd():
    ours, theirs = mixed_expression(OurValue), mixed_expression(TheirValue)
    assert ours[-1].data != 0.0 and ours[0].grad != 0.0  # the program does something
    _assert_same_nodes(ours, theirs, exact=False)


def test_polynomial_matches_micrograd_exactly():
    _assert_same_nodes(polynomial(OurValue), polynomial(TheirValue), exact=True)


def test_hand_training_loop_matches_micrograd():
    ours, theirs = train_tiny_mlp(OurValue), train_tiny_mlp(TheirValue)
    losses = [v.data for v in ours[:5]]
    assert losses[-1] < losses[0]  # it trains
    _assert_same_nodes(ours, theirs, exact=False)


def test_manual_backward_through_internals_matches_micrograd():
    (ours, our_topo), (theirs, their_topo) = (
        manual_backward_with_internals(OurValue),
        manual_backward_with_internals(TheirValue),
    )
    _assert_same_nodes(ours, theirs, exact=True)
    # micrograd spells neg and sub through * and +, so only the shared ops are compared
    for topo in (our_topo, their_topo):
        assert all(isinstance(v._op, str) and isinstance(v._prev, set) for v in topo)
    assert ours[-1]._op == theirs[-1]._op == "+"
    assert {v._op for v in our_topo} >= {"", "+", "*", "**2"}
    assert {v.data for v in our_topo if not v._prev} >= {3.0, -0.5}


def test_repr_matches_micrograd_for_float_data():
    ours, theirs = polynomial(OurValue), polynomial(TheirValue)
    # a and x get float grads in both; micrograd keeps b's grad an int (1), ours is 1.0
    for a, b in ((ours[0], theirs[0]), (ours[2], theirs[2])):
        assert repr(a) == repr(b)
        assert repr(a).startswith("Value(data=") and ", grad=" in repr(a)


def test_second_backward_does_not_compound_interior_grads():
    # micrograd 0.1.0 adds into every node's grad on each call, so its interior
    # grads grow on a second backward() (and leaves then get more than double).
    # Ours recompute interior grads and exactly double the leaves. Ours only:
    # matching micrograd here would mean copying its bug.
    x = OurValue(2.0)
    h = x * 3
    y = h * h
    y.backward()
    first = (x.grad, h.grad)
    y.backward()
    assert first == (36.0, 12.0)  # dy/dx = 2h·3, dy/dh = 2h
    assert (x.grad, h.grad) == (72.0, 12.0)


def test_models_take_attributes_of_your_own_as_micrograds_do():
    random.seed(3)
    model = our_nn.MLP(2, [3, 1])
    model.note = "moons"
    model.layers[0].tag = 1
    model.layers[0].neurons[0].colour = "red"
    assert (model.note, model.layers[0].tag, model.layers[0].neurons[0].colour) == ("moons", 1, "red")
