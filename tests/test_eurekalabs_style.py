"""A program in the style of EurekaLabs' micrograd.py runs on tracegrad's Value unchanged.

Their course program keeps an optimizer's moments on each parameter (p.m, p.v),
resets grads with p.grad = 0, builds a cross-entropy from exp, sum, / and log,
and colours nodes for its drawing with a vis_color helper that sets
``_vis_color`` on whatever nodes it is given, interior ones included; its own
draw_dot walks _prev and _op and reads that attribute. The program below is
written here in that style (not copied), with tracegrad's Value in place of
the course's class; nothing in it knows it runs on tracegrad.
"""

import math
import random
import re

import graphviz

from tracegrad import Value
from tracegrad.viz import draw, trace


# --- the learner's program ----------------------------------------------------------------

def vis_color(nodes, color):
    for node in nodes:
        setattr(node, "_vis_color", color)


def graph_of(root):
    nodes, edges, stack = [], [], [root]
    while stack:
        node = stack.pop()
        if node in nodes:
            continue
        nodes.append(node)
        for child in node._prev:
            edges.append((child, node))
            stack.append(child)
    return nodes, edges


def draw_dot(root):
    nodes, edges = graph_of(root)
    dot = graphviz.Digraph(graph_attr={"rankdir": "LR"})
    for node in nodes:
        colour = node._vis_color if hasattr(node, "_vis_color") else "white"
        dot.node(str(id(node)), f"data {node.data:.4f} | grad {node.grad:.4f}", shape="record",
                 style="filled", fillcolor=colour)
        if node._op:
            dot.node(str(id(node)) + node._op, node._op)
            dot.edge(str(id(node)) + node._op, str(id(node)))
    for child, parent in edges:
        dot.edge(str(id(child)), str(id(parent)) + parent._op)
    return dot


class Neuron:
    def __init__(self, nin, rng, nonlin=True):
        self.w = [Value(rng.uniform(-1, 1) * nin**-0.5) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin
        vis_color([self.b] + self.w, "lightgreen")

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        out = act.tanh() if self.nonlin else act
        vis_color([act], "lightyellow")  # an interior node, coloured for the drawing
        return out

    def parameters(self):
        return self.w + [self.b]


class MLP:
    def __init__(self, nin, nouts, rng):
        sizes = [nin] + nouts
        self.layers = [[Neuron(sizes[i], rng, nonlin=i != len(nouts) - 1) for _ in range(sizes[i + 1])]
                       for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = [neuron(x) for neuron in layer]
        return x

    def parameters(self):
        return [p for layer in self.layers for neuron in layer for p in neuron.parameters()]


def cross_entropy(logits, target):
    ex = [x.exp() for x in logits]
    denom = sum(ex)
    probs = [x / denom for x in ex]
    return -probs[target].log()


class AdamW:
    def __init__(self, parameters, lr=0.1, betas=(0.9, 0.95), weight_decay=0.0):
        self.parameters, self.lr, self.weight_decay = parameters, lr, weight_decay
        self.beta1, self.beta2 = betas
        self.t = 0
        for p in self.parameters:
            p.m = 0
            p.v = 0

    def step(self):
        self.t += 1
        for p in self.parameters:
            p.m = self.beta1 * p.m + (1 - self.beta1) * p.grad
            p.v = self.beta2 * p.v + (1 - self.beta2) * p.grad**2
            m_hat = p.m / (1 - self.beta1**self.t)
            v_hat = p.v / (1 - self.beta2**self.t)
            p.data -= self.lr * (m_hat / (v_hat**0.5 + 1e-8) + self.weight_decay * p.data)

    def zero_grad(self):
        for p in self.parameters:
            p.grad = 0


def run_program():
    rng = random.Random(42)
    data = [([rng.uniform(-1, 1), rng.uniform(-1, 1)], i % 3) for i in range(12)]
    model = MLP(2, [6, 3], rng)
    optimizer = AdamW(model.parameters(), lr=0.1, weight_decay=1e-4)
    losses = []
    for _ in range(5):
        total = Value(0.0)
        for x, y in data:
            total = total + cross_entropy(model(x), y)
        loss = total * (1.0 / len(data))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.data)
    x = (Value(0.0), Value(0.0))
    loss = cross_entropy(model(x), 0)
    loss.backward()
    vis_color(x, "lightblue")
    return losses, loss, model


# --- what the test checks ------------------------------------------------------------------


def test_the_program_trains_colours_interior_nodes_and_draws():
    losses, loss, model = run_program()
    assert all(math.isfinite(value) for value in losses) and losses[-1] < losses[0]
    nodes, _ = graph_of(loss)
    coloured = [node for node in nodes if hasattr(node, "_vis_color")]
    assert any(node._prev for node in coloured)  # interior nodes took the attribute
    assert {node._vis_color for node in coloured} == {"lightgreen", "lightyellow", "lightblue"}
    source = draw_dot(loss).source
    assert "fillcolor=lightyellow" in source and "fillcolor=lightgreen" in source
    assert all(type(node) is Value for node in nodes)
    assert all(p.m != 0 for p in model.parameters())  # the optimizer's state lives on the parameters


def test_tracegrads_own_drawing_and_trace_take_the_same_graph():
    _, loss, _ = run_program()
    assert draw(loss).source.startswith("digraph")
    assert trace(loss).grad(loss) == 1.0


INTERNAL = re.compile(r"\b_[A-Z]\w*")  # a private class, such as the _OwnValue of before


def test_no_repr_or_message_names_an_internal_class():
    _, loss, _ = run_program()
    nodes, _ = graph_of(loss)
    texts = [repr(node) for node in nodes] + [repr(type(node)) for node in nodes[:3]]
    for attempt in (lambda: Value("a"), lambda: Value(1.0) + "x", lambda: Value(-1.0).log(),
                    lambda: Value(0.0) / Value(0.0), lambda: Value(1.0) ** "2", lambda: Value([1.0]),
                    lambda: loss.backward(gradient="1")):
        try:
            attempt()
        except Exception as error:  # noqa: BLE001 (each message is what is checked)
            texts.append(f"{type(error).__name__}: {error}")
        else:
            raise AssertionError("expected an error")
    for text in texts:
        assert not INTERNAL.search(text), text
    assert {type(node).__name__ for node in nodes} == {"Value"}
