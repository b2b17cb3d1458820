"""trace(): the forward and the backward pass of a graph, node by node, with the numbers.

The forward pass is read layer by layer (viz.layout.layered_order): each
operation with its inputs, and each leaf together with the first operation
that uses it. The backward pass is that order reversed, recomputed here from
the numbers every node stores (``local_grads``), so the trace shows each
chain-rule step the engine takes:

    grad(w) += x · grad(w*x) = 2 · 18 = 36

When a node is used more than once, its gradient is the sum of what each use
sends, and the trace writes out the running sum. trace() only reads the
graph: it changes no ``.grad`` (``backward()`` fills them; ``draw()`` shows them).
"""

from dataclasses import dataclass

import math

from tracegrad import Value
from tracegrad.engine import power_exponent

from .format import (DEFAULT_DIGITS, GraphNodes, as_factor, check_digits, check_graph_size, format_number,
                     input_scale, is_off_relu, shown_text, values_after, without_noise)
from .layout import layered_order, neuron_clusters
from .notation import fill, notation_of

__all__ = ["trace", "Trace", "ForwardStep", "BackwardStep", "Contribution", "Leaf", "ParameterUpdate",
           "ReluSwitch"]


@dataclass(frozen=True)
class Leaf:
    """A leaf (data, a parameter or a constant), shown with the first operation that uses it."""

    node_id: str
    name: str
    value: float
    text: str  # "w = 3", or "2" for an unlabelled constant


@dataclass(frozen=True)
class ForwardStep:
    """One node of the forward pass: what it is computed from and its value."""

    index: int  # position in the topological order, as in the drawing's id n<index>
    node_id: str
    name: str
    op: str  # "" for a leaf
    input_ids: tuple
    input_names: tuple
    value: float
    formula: str  # "n = w*x + b = 6 + 7 = 13"
    leaves: tuple = ()  # the Leaf of each input first used here


@dataclass(frozen=True)
class Contribution:
    """What one node sends back to one of its inputs: local gradient × its own gradient."""

    input_id: str
    input_name: str
    local_rule: str  # d node / d input as a formula: "x", "1", "2·(z - y)"
    local_grad: float
    upstream: float  # the sending node's gradient
    amount: float  # local_grad * upstream
    grad_before: float  # the input's gradient before this contribution
    grad_after: float
    use: int  # 1 for the input's first contribution, 2 for its second, ...
    text: str  # "grad(w) += x · grad(w*x) = 2 · 18 = 36"


@dataclass(frozen=True)
class BackwardStep:
    """One node of the backward pass: its gradient, sent on to each of its inputs."""

    index: int  # the node's position in the topological order
    node_id: str
    name: str
    op: str
    grad: float  # d root / d this node, complete when the node is reached
    contributions: tuple
    relu_off: bool  # a ReLU whose input is <= 0: it sends 0 back whatever its gradient


@dataclass(frozen=True)
class ParameterUpdate:
    """One parameter's step of gradient descent: after = before - lr·grad."""

    node_id: str
    name: str
    before: float
    grad: float
    after: float
    text: str  # "w = 3 - 1·36 = -33"


@dataclass(frozen=True)
class ReluSwitch:
    """A ReLU that the update switches off (or on): its input changed sign."""

    node_id: str  # the ReLU's value box
    name: str
    input_before: float
    input_after: float
    on: bool  # on after the update
    text: str


# A step of text per node: ten thousand steps are already more than anyone reads,
# and a million-node graph would take minutes and gigabytes before drawing refused it.
MAX_TRACED_NODES = 10_000


def trace(root, *, parameters=None, lr=None, digits=DEFAULT_DIGITS, max_nodes=MAX_TRACED_NODES):
    """Record root's forward pass and backward pass node by node, as a Trace.

    Read-only: no ``.grad`` or ``.data`` changes. The trace's numbers are d root / d node
    computed from zero, whatever the ``.grad`` fields hold; ``trace.draw()``
    and ``trace.to_html()`` show those numbers. With ``parameters`` (leaves
    of root's graph, such as ``model.parameters()``) and a learning rate
    ``lr``, the trace ends with one step of gradient descent, p - lr·grad(p)
    for each, and its consequence: root's next value, and each ReLU that
    the step switches off or on (``updates``, ``next_value``, ``switches``).
    max_nodes: refuse a larger graph with a ValueError before any other work
    (None: no limit).
    """
    if not isinstance(root, Value):
        raise TypeError(f"trace() needs a Value, got {root!r} ({type(root).__name__})")
    check_digits(digits)
    if (parameters is None) != (lr is None):
        raise ValueError("trace(): parameters and lr go together: give both for a step of gradient "
                         f"descent at the end, or neither (got parameters={parameters!r}, lr={lr!r})")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float))
                           or not math.isfinite(lr) or lr < 0):
        raise ValueError(f"trace(): lr must be a finite number >= 0, got {lr!r}")
    if max_nodes is not None:
        check_graph_size(root, max_nodes, what="trace")
    nodes = GraphNodes(root, digits)
    parameters = None if parameters is None else _checked_parameters(nodes, parameters)
    number = lambda x: format_number(x, digits)  # noqa: E731
    order = layered_order(nodes, neuron_clusters(nodes))

    introduced = set()
    forward = []
    for node in order:
        fresh = [inp for inp in node.inputs if not inp.inputs and inp not in introduced]
        introduced.update(fresh)
        leaves = tuple(Leaf(nodes.id(leaf), nodes.name(leaf), leaf.data, _leaf_text(nodes, leaf, number))
                       for leaf in dict.fromkeys(fresh))  # x*x introduces x once
        forward.append(_forward_step(nodes, node, number, leaves))
    forward = tuple(forward)

    # The chain rule over the forward order reversed: every user of a node is
    # done before the node, as in autograd.backward.
    grads = {root: 1.0}
    uses = {}
    steps = []
    for node in reversed(order):
        if not node.inputs:
            continue
        upstream = grads.get(node, 0.0)
        contributions = []
        for position, (inp, local) in enumerate(zip(node.inputs, node.local_grads)):
            before = grads.get(inp, 0.0)
            amount = local * upstream
            # shares that cancel give 0, not rounding noise such as 3.469e-18
            grads[inp] = after = without_noise(before + amount, max(abs(before), abs(amount)))
            if not inp.inputs and not inp.label:
                continue  # a constant such as the 0.5 of ½(ŷ - y)²: no one differentiates by it
            uses[inp] = use = uses.get(inp, 0) + 1
            rule = _local_rule(nodes, node, position)
            text = (f"grad({nodes.name(inp)}) += {rule} · grad({nodes.name(node)}) = "
                    f"{as_factor(number(local))} · {as_factor(number(upstream))} = {number(amount)}")
            if use > 1:  # a node used more than once: its gradient is the running sum
                text += (f";  grad({nodes.name(inp)}) = {number(before)} + "
                         f"{as_factor(number(amount))} = {number(after)}")
            contributions.append(Contribution(
                nodes.id(inp), nodes.name(inp), rule, local, upstream, amount, before, after,
                use, text))
        steps.append(BackwardStep(
            nodes.index[node], nodes.id(node), nodes.name(node), node.op, upstream,
            tuple(contributions), is_off_relu(node)))

    recorded = Trace(root, nodes, forward, tuple(steps),
                     {node: grads.get(node, 0.0) for node in nodes.order}, digits)
    if parameters is not None:
        recorded._add_update(parameters, float(lr))
    return recorded


def _checked_parameters(nodes, parameters):
    """parameters as a tuple of leaves of the traced graph; a ValueError names the first that is not one."""
    if isinstance(parameters, Value):
        raise TypeError("trace(): parameters must be a list of Values (such as model.parameters()), "
                        f"got the single Value {parameters!r}: write parameters=[{parameters.label or 'p'}]")
    checked = []
    for p in parameters:
        if not isinstance(p, Value):
            raise TypeError(f"trace(): each parameter must be a Value, got {p!r} ({type(p).__name__})")
        if p not in nodes.index:
            raise ValueError(f"trace(): the parameter {p!r} is not part of the traced graph")
        if p.inputs:
            raise ValueError(f"trace(): the parameter {nodes.name(p)} is computed from other values, "
                             "not a leaf: only leaves are updated")
        if p in checked:
            raise ValueError(f"trace(): the parameter {nodes.name(p)} is given twice")
        checked.append(p)
    return tuple(checked)


class Trace:
    """A recorded forward and backward pass; ``str(trace)`` is a readable table.

    ``forward_steps``: a ForwardStep per node, inputs first. ``backward_steps``:
    a BackwardStep per operation node, output first. ``grad(value)``: the
    traced d root / d value. ``to_html()`` / ``save_html(path)``: a
    self-contained page stepping through both passes on the drawn graph.
    """

    def __init__(self, root, nodes, forward_steps, backward_steps, grads, digits):
        self.root = root
        self.nodes = nodes
        self.forward_steps = forward_steps
        self.backward_steps = backward_steps
        self.digits = digits
        self._grads = grads
        # the step of gradient descent at the end, when trace() was given parameters and lr
        self.parameters, self.lr = (), None
        self.updates, self.switches, self.next_value, self.next_error = (), (), None, None

    def _add_update(self, parameters, lr):
        """Record p - lr·grad(p) for each parameter, root's next value and the ReLUs it switches."""
        nodes = self.nodes
        number = lambda x: format_number(x, self.digits)  # noqa: E731
        self.parameters, self.lr = parameters, lr
        changes = {p: p.data - lr * self._grads[p] for p in parameters}
        self.updates = tuple(
            ParameterUpdate(nodes.id(p), nodes.name(p), p.data, self._grads[p], changes[p],
                            f"{nodes.name(p)} = {number(p.data)} - {number(lr)}·"
                            f"{as_factor(number(self._grads[p]))} = {number(changes[p])}")
            for p in parameters)
        relus = [node for node in nodes.order if node.op == "relu"]
        try:
            after = values_after(nodes, changes, [self.root] + [relu.inputs[0] for relu in relus])
        except (ValueError, ArithmeticError) as error:  # a learner's own operation has no forward rule here
            self.next_error = str(error)
            return
        self.next_value = after[self.root]
        switches = []
        for relu in relus:
            source = relu.inputs[0]
            was_on, on = source.data > 0, after[source] > 0
            if was_on == on:
                continue
            what = (f"the ReLU {nodes.name(relu)} = relu({nodes.name(source)})" if relu.label
                    else f"the ReLU {nodes.name(relu)}")
            if on:
                consequence = "> 0, so it passes its input on and gradients flow back through it again"
            else:
                consequence = "≤ 0, so it outputs 0 and the next backward pass sends no gradient back through it"
            switches.append(ReluSwitch(
                nodes.id(relu), nodes.name(relu), source.data, after[source], on,
                f"{what} switches {'on' if on else 'off'}: {nodes.name(source)} = "
                f"{number(source.data)} -> {number(after[source])} {consequence}"))
        self.switches = tuple(switches)

    def update_lines(self):
        """The step of gradient descent as lines of text ([] without parameters and lr)."""
        if self.lr is None:
            return []
        number = lambda x: format_number(x, self.digits)  # noqa: E731
        lines = [f"One step of gradient descent, learning rate {number(self.lr)}: "
                 f"each parameter p becomes p - {number(self.lr)}·grad(p)"]
        lines += [f"  {update.text}" for update in self.updates]
        root = self.nodes.name(self.root)
        if self.next_value is None:
            lines.append(f"The forward pass again: not available here ({self.next_error})")
            return lines
        lines.append(f"The forward pass again, with the new parameters: {root} = "
                     f"{number(self.root.data)} -> {number(self.next_value)}")
        lines += [f"  {switch.text}" for switch in self.switches]
        return lines

    def grad(self, value):
        """d root / d value, as the trace computed it."""
        if value not in self._grads:
            raise ValueError(f"{value!r} is not part of the traced graph")
        return self._grads[value]

    def __str__(self):
        number = lambda x: format_number(x, self.digits)  # noqa: E731
        width = len(str(len(self.nodes.order) - 1))
        lines = ["Forward pass (layer by layer; each leaf is given where it is first used)"]
        for step in self.forward_steps:
            given = ", ".join(leaf.text for leaf in step.leaves if leaf.text != leaf.name)
            lines.append(f"  {step.index:>{width}}  {step.formula}" + (f"   with {given}" if given else ""))
        lines.append("")
        lines.append(f"Backward pass (output first; grad({self.nodes.name(self.root)}) = 1;"
                     " each node sends local gradient × its grad to its inputs)")
        for step in self.backward_steps:
            note = "  ReLU off: its input is ≤ 0, so nothing flows back" if step.relu_off else ""
            lines.append(f"  {step.index:>{width}}  {step.name}  (op {shown_text(step.op)}, "
                         f"grad {number(step.grad)}){note}")
            for contribution in step.contributions:
                lines.append(f"  {'':>{width}}      {contribution.text}")
        leaves = [node for node in self.nodes.order if not node.inputs and node.label]
        if leaves:
            lines.append("")
            lines.append(f"Gradients of the leaves (d {self.nodes.term(self.root, tight=True)} / d leaf)")
            name_width = max(len(self.nodes.name(node)) for node in leaves)
            for node in leaves:
                lines.append(f"  {self.nodes.name(node):<{name_width}}  {number(self._grads[node])}")
        if self.lr is not None:
            lines += [""] + self.update_lines()
        return "\n".join(lines)

    def __repr__(self):
        return (f"<Trace of {self.nodes.name(self.root)!r}: {_count(self.forward_steps, 'forward step')}, "
                f"{_count(self.backward_steps, 'backward step')}; print() it>")

    def _repr_pretty_(self, printer, cycle):
        # IPython and Jupyter show the whole table for a bare trace(...) in a cell
        printer.text(str(self))

    def _repr_html_(self):
        # Jupyter: the interactive stepper inline, in its own frame (text/plain stays the table).
        # A graph too big to draw shows the table alone.
        from .page import inline_frame
        from .render import RenderError

        try:
            page = self.to_html()
            still = self.draw(show_grads=True, max_nodes=None).pipe("svg")
        except (ValueError, RenderError):
            return None
        return inline_frame(page, title=f"trace of {self.nodes.name(self.root)}", still=still,
                            still_note="The finished trace: every value and gradient. Run this cell "
                                       "(or trust the notebook) to step through the forward and backward pass.")

    def draw(self, **draw_options):
        """viz.draw of the traced graph, showing the trace's values and gradients (not ``.grad``),
        in the trace's digits unless draw_options say otherwise."""
        from .dot import draw  # the drawing needs the graphviz package, the table does not

        draw_options.setdefault("digits", self.digits)
        return draw(self.root, grads=self._grads, **draw_options)

    def to_html(self, **draw_options):
        """One self-contained HTML page stepping through both passes on the drawn graph."""
        from .stepper import stepper_html

        return stepper_html(self, **draw_options)

    def save_html(self, path, **draw_options):
        """Write to_html() to path (UTF-8); returns the path."""
        from .page import save_page

        return save_page(path, self.to_html(**draw_options))


# --- how each step is written ----------------------------------------------

def _leaf_text(nodes, leaf, number):
    """ "w = 3" for a labelled leaf; an unlabelled constant is its own name ("2")."""
    return f"{nodes.name(leaf)} = {number(leaf.data)}" if leaf.label else nodes.name(leaf)


def _forward_step(nodes, node, number, leaves=()):
    name = nodes.name(node)
    input_names = tuple(nodes.name(inp) for inp in node.inputs)
    if not node.inputs:
        formula = f"{name} = {number(node.data)}  (leaf)" if node.label else f"{name}  (constant)"
    else:
        symbolic = nodes.expression(node)
        numeric = nodes.expression(node, [number(inp.data) for inp in node.inputs])
        parts = []
        for part in (name, symbolic, numeric, number(without_noise(node.data, input_scale(node)))):
            if not parts or part != parts[-1]:  # "-x = -2", not "-x = -x = -2 = -2"
                parts.append(part)
        formula = " = ".join(parts)
    return ForwardStep(nodes.index[node], nodes.id(node), name, node.op,
                       tuple(nodes.id(inp) for inp in node.inputs), input_names,
                       node.data, formula, leaves)


def _local_rule(nodes, node, position):
    """d node / d input number ``position``, as a formula in the nodes' names (viz.notation's row)."""
    inputs = node.inputs
    row = notation_of(node.op)
    if row is None:  # a learner's own operation: its derivative is known only as a number
        return f"d {nodes.term(node, tight=True)} / d {nodes.term(inputs[position], tight=True)}"
    if row.op == "relu":  # which branch this node took, and why
        if node.local_grads[0] == 0.0:
            return f"0 (ReLU off: {nodes.name(inputs[0])} ≤ 0)"
        return f"1 (ReLU on: {nodes.name(inputs[0])} > 0)"
    named = row.names_at(position, inputs)
    named["out"] = node
    n = power_exponent(node.op)

    def text_of(name, where):
        if name == "n":
            return format_number(n)
        if name == "n - 1":
            return as_factor(format_number(n - 1.0))
        if where == "argument":
            return nodes.name(named[name])
        return nodes.term(named[name], tight=where == "inside")

    return fill(row.derivative(position, len(inputs), node.op), text_of)


def _count(items, noun):
    return f"{len(items)} {noun}" + ("" if len(items) == 1 else "s")
