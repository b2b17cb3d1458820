"""The network view: backpropagation at the level of neurons, as it is worked by hand in the
blog post "The Beginning of Humanity's Last Invention".

A graph made by an ``nn`` model names where each node belongs
(``L1.N0.w0``, ``L1.N0.z``): each neuron's weighted sum is one ``linear`` node
z = w·x + b, and its activation a = relu(z) (or tanh, sigmoid; none for a
linear neuron) the node that uses it. The view reads those neurons back out
of the graph, layer by layer, and records what the blog post writes for each:

- forward, layer by layer: z = W·a + b, then a = relu(z), with the numbers;
- backward: the output's error δ = ∂C/∂z, each hidden neuron's
  δ = (Σ w·δ of the next layer) × relu′(z), and from δ every gradient,
  ∂C/∂b = δ and ∂C/∂w = a·δ;
- with ``lr``, the update w ← w − lr·∂C/∂w.

Every number comes from the engine: values from the graph, gradients from
the graph's trace (viz.trace: the chain rule node by node, from zero, changing
no ``.grad``), which the view is given: viz.views.network() traces a loss first,
the stepper's page hands over the trace it shows. This module never traces, so
the stepper can hold the view without a circle (trace -> stepper -> network).
The page (viz/pages/network.*, drawn by the shared networkview.js) steps
through them on the network drawn as columns of neurons.
"""

import base64
import math

import numpy as np

from tracegrad import Value

from .format import as_factor, format_number, shown_text
from .layout import neuron_of_label, neuron_number

__all__ = ["NetworkView", "Neuron", "step_links"]

_ACTIVATIONS = ("relu", "tanh", "sigmoid")
# a'(z) written with the neuron's own numbers
_SLOPES = {"relu": "relu′(z)", "tanh": "(1 − a²)", "sigmoid": "a·(1 − a)", "linear": "1"}
STYLES = ("base.css", "network.css", "quiz.css")
SCRIPTS = ("timeline.js", "graphview.js", "plotting.js", "networkview.js", "quiz.js", "network.js")


class Neuron:
    """One neuron of the drawn network: its nodes (z, a), its parameters and where its inputs come from."""

    __slots__ = ("name", "layer", "index", "z", "a", "activation", "weights", "bias", "sources")

    def __init__(self, name, z, a, activation, weights, bias, sources):
        self.name = name
        self.layer, self.index = neuron_number(name)
        self.z, self.a, self.activation = z, a, activation
        self.weights, self.bias, self.sources = weights, bias, sources

    def __repr__(self):
        return f"<Neuron {self.name} ({self.activation}), {len(self.weights)} inputs>"


class NetworkView:
    """A network's neurons, layer by layer, with the steps of its forward and backward pass.

    ``layers``: a list per layer of Neuron. ``inputs``: the network's input
    nodes (None for a model alone). ``steps``: each a dict with a ``title``,
    ``text`` and what it reveals. ``to_html()``, ``save_html(path)``; in
    Jupyter it shows itself inline.
    """

    def __init__(self, layers, inputs, root, parameters, digits, trace=None, lr=None):
        self.layers = layers
        self.inputs = inputs
        self.root = root
        self.parameters = parameters
        self.digits = digits
        self.lr = lr
        self._trace = trace
        self.steps = _steps(self) if trace is not None else []

    # --- made from a model, or from a graph ------------------------------------------

    @classmethod
    def _of_model(cls, model, digits):
        layers = []
        for l, layer in enumerate(model.layers, start=1):
            layers.append([Neuron(f"L{l}.N{j}", None, None, neuron.activation, list(neuron.w), neuron.b,
                                  [None] * len(neuron.w))
                           for j, neuron in enumerate(layer.neurons)])
        return cls(layers, None, None, model.parameters(), digits)

    @classmethod
    def _of_trace(cls, recorded, lr):
        """The view of a graph from its trace (viz.trace), which holds every number it shows."""
        root, digits = recorded.root, recorded.digits
        nodes = recorded.nodes
        found = {}
        for node in nodes.order:
            if node.op != "linear" or not node.inputs[0].label:
                continue
            name = neuron_of_label(node.inputs[0].label)
            if name is None:
                continue
            users = nodes.consumers[node]
            activated = [user for user in users if user.op in _ACTIVATIONS and len(users) == 1]
            a = activated[0] if activated else node
            weights, sources = list(node.inputs[0:-1:2]), list(node.inputs[1:-1:2])
            found[name] = Neuron(name, node, a, a.op if activated else "linear", weights, node.inputs[-1], sources)
        if not found:
            raise ValueError("network() needs a graph made by an nn model: no neuron (a weighted sum of "
                             "weights labelled L<layer>.N<neuron>.w<k>) was found in it")
        layers = {}
        for neuron in found.values():
            layers.setdefault(neuron.layer, []).append(neuron)
        numbers = sorted(layers)
        if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
            raise ValueError(f"network(): the graph's layers are {numbers}; they must follow one another")
        layers = [sorted(layers[l], key=lambda n: n.index) for l in numbers]
        for layer in layers:
            if [n.index for n in layer] != list(range(len(layer))):
                raise ValueError(f"network(): layer {layer[0].layer} lacks a neuron "
                                 f"(it has {', '.join(n.name for n in layer)})")
        # layer l + 1 must read layer l's outputs, in order, as in a textbook figure
        for below, above in zip(layers, layers[1:]):
            outputs = [n.a for n in below]
            for neuron in above:
                if neuron.sources != outputs:
                    raise ValueError(f"network(): {neuron.name} does not read the outputs of layer "
                                     f"{below[0].layer} in order, so the graph is not drawn as a network")
        inputs = layers[0][0].sources
        for neuron in layers[0]:
            if neuron.sources != inputs:
                raise ValueError(f"network(): {neuron.name} reads other inputs than {layers[0][0].name}")
        parameters = [p for layer in layers for n in layer for p in (*n.weights, n.bias)]
        return cls(layers, inputs, root, parameters, digits, recorded, lr)

    # --- what is known --------------------------------------------------------------

    @property
    def output(self):
        """The network's output nodes (the last layer's a), or None for a model alone."""
        return None if self.inputs is None else [n.a for n in self.layers[-1]]

    @property
    def has_loss(self):
        """True when the graph goes on past the network's output to a loss (so δ is defined)."""
        return self._trace is not None and self.root not in self.output

    def grad(self, node):
        """∂C/∂node as the trace computed it (from zero, whatever ``.grad`` holds)."""
        return self._trace.grad(node)

    def delta(self, neuron):
        """δ = ∂C/∂z of a neuron: the error the blog post propagates backwards."""
        return self._trace.grad(neuron.z)

    def updated(self, parameter):
        """parameter − lr · ∂C/∂parameter (needs lr)."""
        return parameter.data - self.lr * self._trace.grad(parameter)

    # --- the page -------------------------------------------------------------------

    def page_data(self):
        """Everything the page shows, as plain data: the structure, and each step's numbers."""
        number = lambda x: format_number(x, self.digits)  # noqa: E731
        index = {id(p): k for k, p in enumerate(self.parameters)}
        structure = {
            "inputs": len(self.layers[0][0].weights),
            "inputNames": [_input_name(self, k) for k in range(len(self.layers[0][0].weights))],
            "layers": [[{"name": n.name, "activation": n.activation, "w": [index[id(w)] for w in n.weights],
                         "b": index[id(n.bias)]} for n in layer] for layer in self.layers],
            "loss": self._trace.nodes.name(self.root) if self.has_loss else None,
        }
        labels = [shown_text(p.label) or f"p{k}" for k, p in enumerate(self.parameters)]
        frames = _frames(self) if self.steps else [_still_frame(self)]
        values = [frame["values"] for frame in frames]
        grads = [frame["grads"] for frame in frames]
        neurons = [frame["neurons"] for frame in frames]
        return {
            "digits": self.digits,
            "network": structure,
            "zoom": _zooms(self) if self._trace is not None else None,
            "labels": labels,
            "values": _pack(values),
            "grads": _pack(grads),
            "numbers": {"neurons": neurons, "inputs": [frame["inputs"] for frame in frames],
                        "loss": [frame["loss"] for frame in frames]},
            "steps": [{key: step[key] for key in ("phase", "title", "text", "current", "edges")}
                      for step in self.steps] or [{"phase": "done", "title": _still_title(self), "text": "",
                                                   "current": [], "edges": []}],
            # the view opens showing everything known; the stepper at its first step
            "start": "end",
            "lossValue": number(self.root.data) if self.has_loss else None,
        }

    def to_html(self, *, start="end"):
        """The page (a str): the network, and its steps when a loss is known."""
        from .page import whole_page

        return whole_page(self.app_html(start=start), title=f"tracegrad: {self._heading()}", styles=STYLES,
                          scripts=SCRIPTS)

    def app_html(self, *, start="end", hidden=False, switch="", links=None):
        """The view's part of a page (network-app.html filled in): the stepper's page holds it too.

        hidden: start hidden (the page shows another view first); switch: markup
        of a button that switches views; links: the step numbers switching maps
        between (viz.network.step_links).
        """
        from .page import fill_template

        if start not in ("end", "first"):
            raise ValueError(f"start must be 'end' or 'first', got {start!r}")
        data = self.page_data()
        data["start"] = start
        if links is not None:
            data["links"] = links
        return fill_template("network-app.html", data=data, heading=self._heading(),
                          markup={"switch": switch, "hidden": " hidden" if hidden else ""})

    def _heading(self):
        sizes = " → ".join(str(n) for n in [len(self.layers[0][0].weights)] + [len(l) for l in self.layers])
        if not self.has_loss:
            return f"The network {sizes}"
        return f"The network {sizes}, {self._trace.nodes.name(self.root)} = {format_number(self.root.data, self.digits)}"

    def save_html(self, path, *, start="end"):
        """Write to_html() beside path, then rename it into place; returns the path."""
        from .page import save_page

        return save_page(path, self.to_html(start=start))

    def _repr_html_(self):
        from .page import inline_frame

        return inline_frame(self.to_html(), title="network view")

    def __repr__(self):
        sizes = "-".join(str(n) for n in [len(self.layers[0][0].weights)] + [len(l) for l in self.layers])
        return f"<NetworkView {sizes}: {len(self.steps)} steps; .save_html(path) writes the page>"


def _input_name(view, k):
    if view.inputs is None:
        return f"x{k}"
    node = view.inputs[k]
    return view._trace.nodes.name(node)


def _pack(rows):
    array = np.asarray(rows, dtype="<f8")
    return {"shape": list(array.shape), "dtype": array.dtype.str,
            "base64": base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")}


def _still_title(view):
    if view.inputs is None:
        return ("The model's weights. Call it on a sample and a loss, and pass the loss to "
                "viz.network, to see z, a and δ = ∂C/∂z of each neuron.")
    return "The forward pass of one sample (no loss: no δ)."


def _still_frame(view):
    """A model alone, or a graph without a loss: what is known, all at once."""
    number = lambda x: format_number(x, view.digits)  # noqa: E731
    neurons = []
    for layer in view.layers:
        for n in layer:
            known = n.z is not None
            neurons.append([number(n.z.data) if known else "", number(n.a.data) if known else "", ""])
    return {"values": [p.data for p in view.parameters], "grads": [math.nan] * len(view.parameters),
            "neurons": neurons,
            "inputs": [number(x.data) for x in view.inputs] if view.inputs is not None else
                      [""] * len(view.layers[0][0].weights),
            "loss": ""}


# --- the steps, as the blog post writes them --------------------------------------------

def _steps(view):
    nodes = view._trace.nodes
    number = lambda x: format_number(x, view.digits)  # noqa: E731
    name = nodes.name
    steps = []

    index = nodes.index
    neuron_nodes = {node for layer in view.layers for n in layer for node in (n.z, n.a)}
    loss_nodes = [index[node] for node in nodes.order if node.inputs and node not in neuron_nodes
                  and index[node] > max(index[n] for n in neuron_nodes)]

    def step(phase, title, lines, current=(), edges=(), reveal=(), covers=()):
        # covers: the graph's nodes (positions in nodes.order) whose scalar steps this step stands for
        steps.append({"phase": phase, "title": title, "text": "\n".join(lines), "current": list(current),
                      "edges": list(edges), "reveal": list(reveal), "covers": list(covers)})

    step("forward", "Forward pass: the inputs are given",
         [f"{name(x)} = {number(x.data)}" for x in view.inputs], reveal=[("input", k) for k in range(len(view.inputs))])
    for layer in view.layers:
        l = layer[0].layer
        lines = []
        for n in layer:
            terms = " + ".join(f"{as_factor(number(w.data))}·{as_factor(number(x.data))}"
                               for w, x in zip(n.weights, n.sources))
            lines.append(f"{n.name}.z = {terms} + {as_factor(number(n.bias.data))} = {number(n.z.data)}")
        step("forward", f"Forward, layer {l}: z = W·a + b (each weight times its input, plus the bias)", lines,
             current=[n.name for n in layer], edges=[[n.name, k] for n in layer for k in range(len(n.weights))],
             reveal=[("z", n.name) for n in layer], covers=[index[n.z] for n in layer])
        active = [n for n in layer if n.activation != "linear"]
        if active:
            lines = []
            for n in active:
                line = f"{n.name}.a = {n.activation}({number(n.z.data)}) = {number(n.a.data)}"
                if n.activation == "relu" and n.z.data <= 0:
                    line += "   (off: z ≤ 0, so a = 0 and relu′(z) = 0)"
                lines.append(line)
            step("forward", f"Forward, layer {l}: a = {active[0].activation}(z)", lines,
                 current=[n.name for n in active], reveal=[("a", n.name) for n in layer],
                 covers=[index[n.a] for n in active])
        else:
            step_lines = [f"{n.name}: linear, so a = z = {number(n.a.data)}" for n in layer]
            steps[-1]["text"] += "\n" + "\n".join(step_lines)
            steps[-1]["reveal"] += [("a", n.name) for n in layer]
    if view.has_loss:
        step("forward", f"Forward: the cost {name(view.root)} = {number(view.root.data)}",
             [s.formula for s in view._trace.forward_steps if s.index in loss_nodes], reveal=[("loss",)],
             covers=loss_nodes)

    if not view.has_loss:
        return steps
    last = view.layers[-1]
    cost = name(view.root)
    lines = []
    for n in last:
        da = view.grad(n.a)
        lines.append(f"δ({n.name}) = ∂{cost}/∂{name(n.a)} × {_SLOPES[n.activation]} = "
                     f"{as_factor(number(da))} × {as_factor(number(_slope(view, n)))} = {number(view.delta(n))}")
    step("backward", f"Backward: the output's error δ = ∂{cost}/∂z", lines,
         current=[n.name for n in last], reveal=[("delta", n.name) for n in last],
         covers=loss_nodes + [index[n.a] for n in last if n.a is not n.z])
    for layer_index in range(len(view.layers) - 1, -1, -1):
        layer = view.layers[layer_index]
        if layer_index < len(view.layers) - 1:
            above = view.layers[layer_index + 1]
            lines = []
            for n in layer:
                terms = " + ".join(f"{as_factor(number(m.weights[n.index].data))}·{as_factor(number(view.delta(m)))}"
                                   for m in above)
                line = (f"δ({n.name}) = ({terms}) × {_SLOPES[n.activation]} = "
                        f"{as_factor(number(view.grad(n.a)))} × {as_factor(number(_slope(view, n)))} = "
                        f"{number(view.delta(n))}")
                if n.activation == "relu" and n.z.data <= 0:
                    line += "   (ReLU off: nothing flows back)"
                lines.append(line)
            step("backward", f"Backward, layer {layer[0].layer}: δ = (Σ w·δ of the next layer) × "
                             f"{_SLOPES[layer[0].activation]} (equation 2)", lines,
                 current=[n.name for n in layer],
                 edges=[[m.name, n.index] for m in above for n in layer],
                 reveal=[("delta", n.name) for n in layer], covers=[index[n.a] for n in layer if n.a is not n.z])
        lines = []
        for n in layer:
            lines.append(f"∂{cost}/∂{shown_text(n.bias.label) or name(n.bias)} = δ({n.name}) = {number(view.grad(n.bias))}")
            for w, x in zip(n.weights, n.sources):
                lines.append(f"∂{cost}/∂{shown_text(w.label) or name(w)} = {name(x)}·δ({n.name}) = "
                             f"{as_factor(number(x.data))}·{as_factor(number(view.delta(n)))} = {number(view.grad(w))}")
        step("backward", f"Backward, layer {layer[0].layer}: ∂{cost}/∂b = δ and ∂{cost}/∂w = a·δ (equations 3, 4)",
             lines, current=[n.name for n in layer],
             edges=[[n.name, k] for n in layer for k in range(len(n.weights))],
             reveal=[("grad", id(p)) for n in layer for p in (*n.weights, n.bias)],
             covers=[index[n.z] for n in layer])
    if view.lr is not None:
        lr = number(view.lr)
        lines = [f"{shown_text(p.label) or name(p)} = {number(p.data)} − {lr}·{as_factor(number(view.grad(p)))} = "
                 f"{number(view.updated(p))}" for p in view.parameters]
        step("update", f"Update: each parameter takes a step against its gradient, p ← p − {lr}·∂{cost}/∂p",
             lines, current=[n.name for layer in view.layers for n in layer], reveal=[("update",)])
    return steps


def step_links(view, scalar_steps):
    """Which scalar step each network step stands for, and back: two lists of step numbers.

    scalar_steps: for each step of the scalar stepper, (phase, node position or None).
    A network step leads to the first scalar step of the nodes it covers (its
    phase's; a step covering none, to the first step of its phase, or the last
    step); a scalar step leads back to the network step covering its node, or
    else the last network step of its phase that comes before it.
    """
    def family(phase):
        return "forward" if phase == "forward" else "backward"

    to_scalar = []
    for step in view.steps:
        covered = set(step["covers"])
        same = [k for k, (phase, node) in enumerate(scalar_steps) if family(phase) == family(step["phase"])]
        hits = [k for k in same if scalar_steps[k][1] in covered]
        if step["phase"] == "update":
            updates = [k for k, (phase, _) in enumerate(scalar_steps) if phase == "update"]
            to_scalar.append(updates[0] if updates else len(scalar_steps) - 1)
        else:
            to_scalar.append(hits[0] if hits else (same[0] if same else 0))
    to_network = []
    for k, (phase, node) in enumerate(scalar_steps):
        holders = [s for s, step in enumerate(view.steps)
                   if family(step["phase"]) == family(phase) and node in step["covers"]]
        if phase == "update" and view.steps[-1]["phase"] == "update":
            holders = [len(view.steps) - 1]
        if not holders:
            holders = [max((s for s, first in enumerate(to_scalar) if first <= k), default=0)]
        to_network.append(holders[0])
    return to_scalar, to_network


def _zooms(view):
    """For each neuron (layer order): its own scalar graph drawn, and its chain rule written out.

    The neuron is drawn from a copy of its nodes (its inputs as leaves named as
    the network names them), so the picture holds the neuron alone; its boxes
    show the numbers of the whole graph (data, and ∂C/∂node as grad). The page
    hides what its step does not know yet: ``known`` says which box's data and
    grad belong to which reveal.
    """
    from .dot import draw
    from .format import GraphNodes
    from .page import inline_svg

    nodes = view._trace.nodes
    number = lambda x: format_number(x, view.digits)  # noqa: E731
    cost = nodes.name(view.root) if view.has_loss else "C"
    zooms = []
    for layer in view.layers:
        for n in layer:
            inputs = [Value(x.data, label=nodes.name(x)) for x in n.sources]
            weights = [Value(w.data, label=shown_text(w.label) or nodes.name(w)) for w in n.weights]
            bias = Value(n.bias.data, label=shown_text(n.bias.label) or nodes.name(n.bias))
            z = Value.linear(weights, inputs, bias)
            z.label = nodes.name(n.z)
            a = getattr(z, n.activation)() if n.activation != "linear" else z
            if a is not z:
                a.label = nodes.name(n.a)
            grads = {z: view.grad(n.z), a: view.grad(n.a), bias: view.grad(n.bias)}
            grads.update({copy: view.grad(w) for copy, w in zip(weights, n.weights)})
            grads.update({copy: view.grad(x) for copy, x in zip(inputs, n.sources)})
            drawing = draw(a, grads=grads, digits=view.digits, highlight_gated=False)
            ids = GraphNodes(a)
            known = {ids.id(z): "z", ids.id(bias): "b"}
            if a is not z:
                known[ids.id(a)] = "a"
            known.update({ids.id(copy): f"w{k}" for k, copy in enumerate(weights)})
            known.update({ids.id(copy): f"x{k}" for k, copy in enumerate(inputs)})
            delta = number(view.delta(n))
            lines = [f"z = {' + '.join(f'{w.label}·{x.label}' for w, x in zip(weights, inputs))} + {bias.label}"
                     f" = {number(n.z.data)}"]
            if a is not z:
                lines.append(f"a = {n.activation}(z) = {number(n.a.data)}")
            backward = [f"δ = ∂{cost}/∂z = ∂{cost}/∂a × {_SLOPES[n.activation]} = "
                        f"{as_factor(number(view.grad(n.a)))} × {as_factor(number(_slope(view, n)))} = {delta}",
                        f"local derivatives: ∂z/∂b = 1, ∂z/∂w_k = x_k, ∂z/∂x_k = w_k"
                        + (f", ∂a/∂z = {_SLOPES[n.activation]} = {number(_slope(view, n))}" if a is not z else ""),
                        f"grad({bias.label}) = 1 · δ = {number(view.grad(n.bias))}"]
            for w, x, original in zip(weights, inputs, n.weights):
                backward.append(f"grad({w.label}) = {x.label} · δ = {as_factor(number(x.data))} · "
                                f"{as_factor(delta)} = {number(view.grad(original))}")
            for w, x in zip(weights, inputs):
                backward.append(f"{x.label} receives {w.label} · δ = {as_factor(number(w.data))} · "
                                f"{as_factor(delta)} = {number(w.data * view.delta(n))}")
            zooms.append({"svg": inline_svg(drawing), "known": known, "forward": lines, "backward": backward})
    return zooms


def _slope(view, neuron):
    """a′(z), the activation's local derivative, as the engine stored it."""
    if neuron.activation == "linear":
        return 1.0
    return neuron.a.local_grads[0]


def _frames(view):
    """What is known after each step: parameter values and gradients (nan: not yet), neuron texts."""
    number = lambda x: format_number(x, view.digits)  # noqa: E731
    values = [p.data for p in view.parameters]
    grads = [math.nan] * len(view.parameters)
    position = {id(p): k for k, p in enumerate(view.parameters)}
    by_name = {n.name: n for layer in view.layers for n in layer}
    order = [n.name for layer in view.layers for n in layer]
    texts = {name: ["", "", ""] for name in order}
    inputs = [""] * len(view.inputs)
    loss = ""
    frames = []
    for step in view.steps:
        for item in step["reveal"]:
            kind = item[0]
            if kind == "input":
                inputs[item[1]] = number(view.inputs[item[1]].data)
            elif kind == "z":
                texts[item[1]][0] = number(by_name[item[1]].z.data)
            elif kind == "a":
                texts[item[1]][1] = number(by_name[item[1]].a.data)
            elif kind == "delta":
                texts[item[1]][2] = number(view.delta(by_name[item[1]]))
            elif kind == "grad":
                k = position[item[1]]
                grads[k] = view.grad(view.parameters[k])
            elif kind == "loss":
                loss = number(view.root.data)
            elif kind == "update":
                values = [view.updated(p) for p in view.parameters]
        frames.append({"values": list(values), "grads": list(grads),
                       "neurons": [list(texts[name]) for name in order], "inputs": list(inputs), "loss": loss})
    return frames
