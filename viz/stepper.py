"""stepper_html(): the page that steps through a Trace on its drawn graph.

Python records everything the page shows, as plain data: for each step, the
nodes and edges it highlights, the values and gradients it reveals, the labels
on the edges a gradient flows back along, and for each node the explicit sum
that makes its gradient. The page (viz/pages/stepper.*, on the shared pieces
described in viz.page) only shows it. Nodes are found by the drawing's ids
(``n3`` for a value, ``op3`` for the operation that made it).
"""

import math
from decimal import Decimal

from tracegrad import replay

from .dot import LARGE_GRAPH, MAX_DRAWN_NODES, edge_limit
from .format import as_factor, check_graph_size, format_number, is_off_relu, values_after
from .layout import neuron_clusters
from .network import NetworkView, step_links
from .page import build_page, inline_svg

__all__ = ["stepper_html", "central_difference"]

STYLES = ("base.css", "stepper.css", "quiz.css", "surface.css")
SCRIPTS = ("sized.js", "timeline.js", "panzoom.js", "graphview.js", "quiz.js", "plotting.js", "surfaceplot.js",
           "stepper.js")
# a graph an nn model made also carries its network view (viz.network), and the switch between them
NETWORK_STYLES = ("network.css",)
NETWORK_SCRIPTS = ("networkview.js", "network.js", "switch.js")
# The error surface around the step of gradient descent at the end: the loss is replayed at each
# of SURFACE_RESOLUTION² points, for a graph of at most SURFACE_MAX_NODES nodes.
SURFACE_RESOLUTION = 41
SURFACE_MAX_NODES = 300


def stepper_html(recorded, *, max_nodes=MAX_DRAWN_NODES, **draw_options):
    """The HTML page (a str) for a Trace; draw_options go to viz.draw (digits come from the trace)."""
    if max_nodes is not None:
        check_graph_size(recorded.root, max_nodes, max_edges=edge_limit(max_nodes))
    nodes = recorded.nodes
    root_name = nodes.name(recorded.root)
    # The page reveals values and gradients step by step, and marks an off ReLU
    # only when its step is reached: the drawing itself carries no such styling.
    steps = _steps(recorded)
    # The backward steps write each local derivative beside its edge ("× 2·(z - y) = 18"):
    # in a graph small enough, Graphviz makes room for it there, one line for each drawn
    # edge (x*x draws two); in a larger one the page finds room itself, with wider gaps
    # between columns than a still picture needs.
    # (Not on an edge of a neuron's box: room made there bends the box's edges into long loops.)
    notes = {}
    if len(nodes.order) <= LARGE_GRAPH:
        clusters = neuron_clusters(nodes)
        for k, backward in enumerate(recorded.backward_steps):
            node = nodes.order[backward.index]
            for edge, text, _ in steps[len(recorded.forward_steps) + 1 + k].get("flows", []):
                tail = nodes.order[int(edge.split("->")[0][1:])]
                if clusters.get(tail) is None and clusters.get(node) is None:
                    notes.setdefault(tuple(edge.split("->")), []).append(text)
    drawing = recorded.draw(show_grads=True, highlight_gated=False, max_nodes=max_nodes,
                            edge_notes=notes, **draw_options)
    if not notes:
        drawing.digraph.graph_attr["ranksep"] = "0.55"
    svg = inline_svg(drawing)
    # the leaves are given, not computed: their values show from the first step
    given = [nodes.id(node) for node in nodes.order if not node.inputs]
    data = {"steps": steps, "details": _details(recorded, steps), "given": given}
    surface = _surface(recorded)
    if surface is not None:  # shown at the last steps, the update and what follows it
        data["surface"] = surface
    styles, scripts, markup = STYLES, SCRIPTS, {"svg": svg, "legend": _LEGEND, "switch": "", "network": "",
                                                 "hidden": ""}
    view = _network_view(recorded)
    if view is not None:  # a graph an nn model made opens in its network view; the scalar graph is one click away
        to_scalar, to_network = step_links(view, [(step["phase"], step.get("node")) for step in data["steps"]])
        markup["network"] = view.app_html(start="first", hidden=False, switch=_switch("stepper", "Scalar graph"),
                                          links={"toScalar": to_scalar, "toNetwork": to_network})
        markup["switch"] = _switch("network", "Network view")
        markup["hidden"] = " hidden"
        styles, scripts = STYLES + NETWORK_STYLES, SCRIPTS + NETWORK_SCRIPTS
    return build_page(
        "stepper.html",
        title=f"tracegrad: forward and backward pass of {root_name}",
        heading=f"Forward and backward pass of {root_name}",
        data=data, styles=styles, scripts=scripts, markup=markup,
    )


def _surface(recorded):
    """With trace(parameters=, lr=): the error surface over two parameters with the step taken on it
    (LossSurface.page_data), over the two parameters given or, for an nn model's graph, the two with
    the largest gradients; None without a step, for a larger graph, or when no two can be chosen."""
    from .surface import loss_surface

    if recorded.lr is None or len(recorded.nodes.order) > SURFACE_MAX_NODES:
        return None
    parameters = list(recorded.parameters)
    try:
        return loss_surface(recorded.root, parameters if len(parameters) == 2 else None, lr=recorded.lr,
                            resolution=SURFACE_RESOLUTION).page_data()
    except ValueError:
        return None


def _network_view(recorded):
    """The network view of the traced graph when an nn model made it, else None."""
    try:
        return NetworkView._of_trace(recorded, recorded.lr)
    except ValueError:  # not a network: no neurons, or neurons that do not form layers
        return None


def _switch(to, words):
    return (f'<button type="button" data-role="switch-view" data-to="{to}" '
            f'title="The same step, in the other view">{words}</button>')


_LEGEND = ('<b class="current">red</b>: the current node; <b class="input">blue</b>: its inputs; '
           '<b class="given">yellow</b>: leaves, given from the start. '
           "Click a node for what it holds. Drag to pan; zoom with Ctrl (⌘) + wheel, a pinch or the buttons.")


def _steps(recorded):
    nodes = recorded.nodes
    number = lambda x: format_number(x, recorded.digits)  # noqa: E731
    gated = nodes.gated()
    steps = []
    total = len(recorded.forward_steps)
    for k, step in enumerate(recorded.forward_steps):
        node = nodes.order[step.index]
        interior = bool(step.op)
        lines = [step.formula]
        # the leaves this step introduces, on one line: a neuron's weighted sum has five
        given = [leaf.text for leaf in step.leaves if leaf.text != leaf.name]
        constants = [leaf.name for leaf in step.leaves if leaf.text == leaf.name]
        if given:
            lines.append(f"{', '.join(given)}  ({'leaves' if len(given) > 1 else 'a leaf'}: "
                         "given, not computed)")
        if constants:
            lines.append(f"{', '.join(constants)}  ({'constants' if len(constants) > 1 else 'a constant'})")
        record = {
            "phase": "forward",
            "node": step.index,
            "title": f"Forward pass, step {k + 1} of {total}: "
                     + (f"compute {step.name}" if interior else f"the leaf {step.name}"),
            "current": [step.node_id] + ([nodes.op_id(node)] if interior else []),
            "inputs": list(dict.fromkeys(step.input_ids)),
            "edges": [f"{i}->op{step.index}" for i in dict.fromkeys(step.input_ids)]
                     + ([f"op{step.index}->{step.node_id}"] if interior else []),
            "data": [step.node_id] + [leaf.node_id for leaf in step.leaves],
        }
        if is_off_relu(node):
            record["off"] = [nodes.op_id(node)]
            lines.append(f"This ReLU is off: its input {step.input_names[0]} = "
                         f"{number(node.inputs[0].data)} ≤ 0, so it outputs 0, and in the "
                         "backward pass it will send 0 back.")
        record["text"] = "\n".join(lines)
        steps.append(record)

    root_id, root_name = nodes.id(recorded.root), nodes.name(recorded.root)
    root_term = nodes.term(recorded.root, tight=True)  # "d (x*x + x) / d x", not "d x*x + x / d x"
    steps.append({
        "phase": "backward",
        "node": nodes.index[recorded.root],
        "title": f"Backward pass starts at the output: grad({root_name}) = 1",
        "text": f"d {root_term} / d {root_term} = 1. Each node, from the output towards the inputs, "
                "now sends (local derivative) × (its own grad) back to each of its inputs.",
        "current": [root_id], "grads": {root_id: "1"},
    })
    total = len(recorded.backward_steps)
    for k, step in enumerate(recorded.backward_steps):
        op_id = f"op{step.index}"
        lines = [c.text for c in step.contributions]
        if step.relu_off:
            lines.append("This ReLU is off (its input is ≤ 0): its local derivative is 0, "
                         "so it sends 0 back, whatever its own grad.")
        edges = list(dict.fromkeys(f"{c.input_id}->{op_id}" for c in step.contributions))
        flows, drawn = [], {}
        for c in step.contributions:
            local = number(c.local_grad)
            # "× 2·(z - y) = 18"; a rule that is its own number ("1", "0 (ReLU off…)") gives "× 1"
            rule = "" if c.local_rule.split(" ")[0] == local else f"{c.local_rule} = "
            # a label for each drawn edge: x*x draws two edges x -> ×, one per operand, in order
            edge = f"{c.input_id}->{op_id}"
            drawn[edge] = occurrence = drawn.get(edge, -1) + 1
            flows.append([edge, f"× {rule}{local}", occurrence])
        blocked = [c.input_id for c in step.contributions if nodes.order[_index(c.input_id)] in gated]
        node = nodes.order[step.index]
        sends_zero = node in gated or is_off_relu(node)
        steps.append({
            "phase": "backward",
            "node": step.index,
            "title": f"Backward pass, step {k + 1} of {total}: {step.name} "
                     f"(grad {number(step.grad)}) sends to its inputs",
            "text": "\n".join(lines),
            "current": [step.node_id, op_id],
            "inputs": [c.input_id for c in step.contributions],
            "edges": [f"{op_id}->{step.node_id}"] + edges,
            "flows": flows,
            "grads": {c.input_id: number(c.grad_after) for c in step.contributions},
            # the edges a 0 goes back along (viz.draw dashes the same ones): from here to
            # each input, when this node sends 0, and from a blocked value into its operation
            "gated": blocked + (edges if sends_zero else [])
                     + [f"op{_index(i)}->{i}" for i in blocked if nodes.order[_index(i)].inputs],
        })
    leaves = [leaf for step in recorded.forward_steps for leaf in step.leaves if leaf.text != leaf.name]
    steps.append({
        "phase": "done",
        "title": f"Done: every node holds d {root_term} / d node. The leaves' gradients (the leaves in blue):",
        "text": "\n".join(f"grad({leaf.name}) = {number(recorded.grad(nodes.order[_index(leaf.node_id)]))}"
                          for leaf in leaves),
        "inputs": [leaf.node_id for leaf in leaves],
    })
    if recorded.lr is not None:
        steps += _update_steps(recorded)
    return steps


def _update_steps(recorded):
    """With trace(parameters=, lr=): the update of the parameters, then the forward pass it leads to."""
    nodes = recorded.nodes
    number = lambda x: format_number(x, recorded.digits)  # noqa: E731
    lines = recorded.update_lines()
    updated = [update.node_id for update in recorded.updates]
    steps = [{
        "phase": "update",
        "title": lines[0],
        "text": "\n".join(update.text for update in recorded.updates)
                + "\nThe gradients are those of the old parameters; the next backward pass computes new ones.",
        "current": updated,
        "values": {update.node_id: number(update.after) for update in recorded.updates},
    }]
    if recorded.next_value is None:
        return steps
    changes = {update_node: update.after for update_node, update in zip(recorded.parameters, recorded.updates)}
    after = values_after(nodes, changes, [node for node in nodes.order if node.inputs])
    root_name = nodes.name(recorded.root)
    switched = [switch.text for switch in recorded.switches]
    steps.append({
        "phase": "after",
        "title": f"The forward pass again, with the new parameters: {root_name} = "
                 f"{number(recorded.root.data)} → {number(recorded.next_value)}",
        "text": "\n".join(switched or ["No ReLU switches on or off."]),
        "current": [nodes.id(recorded.root)] + [switch.node_id for switch in recorded.switches],
        "values": {nodes.id(node): number(value) for node, value in after.items() if value != node.data},
        # a new forward pass: the old gradients no longer hold, and the ReLUs are as the new values make them
        "reset": True,
        "off": [nodes.op_id(node) for node in nodes.order if node.op == "relu" and after[node.inputs[0]] <= 0],
    })
    return steps


def _index(node_id):
    return int(node_id[1:])


def _details(recorded, steps):
    """For each value box, what a click on it shows, piece by piece with the step each piece is known at.

    ``value``: how it was computed (known from step ``valueAt``, or from the start for a
    leaf); ``uses``: each use's share of its gradient, (local derivative) · grad(user),
    with the step it is sent at and the edge it travels; ``total`` and, for a leaf, the
    ``check`` by central differences, known once every share has arrived (``gradAt``).
    The page shows the pieces its step has reached.
    """
    nodes = recorded.nodes
    number = lambda x: format_number(x, recorded.digits)  # noqa: E731
    known_at = {}
    for position, step in enumerate(steps):
        for node_id in step.get("data", []):
            known_at.setdefault(node_id, position)
    backward_start = next(i for i, step in enumerate(steps) if step["phase"] == "backward")
    received = {}
    for k, step in enumerate(recorded.backward_steps):
        for c in step.contributions:
            received.setdefault(c.input_id, []).append((backward_start + 1 + k, step, c))
    root_name = nodes.term(recorded.root, tight=True)
    formulas = {step.node_id: step.formula for step in recorded.forward_steps}
    details = {}
    for node in nodes.order:
        node_id, name, term = nodes.id(node), nodes.name(node), nodes.term(node, tight=True)
        if not node.inputs and not node.label:
            details[node_id] = {"title": f"the constant {name}", "valueAt": 0, "gradAt": None,
                                "value": f"{name} is a constant: nothing is differentiated with respect to it.",
                                "uses": [], "total": "", "check": ""}
            continue
        if node.inputs:
            value = f"{formulas[node_id]}  (computed in the forward pass)"
        else:
            value = f"{name} = {number(node.data)}  (a leaf: given, not computed)"
        grad = recorded.grad(node)
        about = {"title": name, "value": value, "valueAt": 0 if not node.inputs else known_at.get(node_id, 0),
                 "uses": [], "total": "", "check": "", "gradTitle": f"grad({name}) = {number(grad)}"}
        if node is recorded.root:
            about["gradAt"] = backward_start
            about["total"] = f"grad({name}) = d {root_name} / d {term} = 1: it is the output."
        else:
            uses = received.get(node_id, [])
            about["gradAt"] = max((at for at, _, _ in uses), default=backward_start)
            about["sum"] = (f"grad({name}) = d {root_name} / d {term}: the sum, over each use of {name}, "
                            "of (local derivative) · grad(user):")
            for at, step, c in uses:
                about["uses"].append({
                    "at": at, "edge": f"{node_id}->op{step.index}",
                    "text": f"  from {step.name}:  {c.local_rule} · grad({step.name}) = "
                            f"{as_factor(number(c.local_grad))} · {as_factor(number(c.upstream))} = "
                            f"{number(c.amount)}"})
            amounts = [number(c.amount) for _, _, c in uses]
            if len(amounts) > 1:
                about["total"] = f"  grad({name}) = {' + '.join(as_factor(a) for a in amounts)} = {number(grad)}"
            else:
                about["total"] = f"  grad({name}) = {number(grad)}"
            if not node.inputs:
                about["check"] = central_difference(recorded, node)
        details[node_id] = about
    return details


def central_difference(recorded, leaf):
    """A check of a leaf's gradient without backpropagation, as arithmetic a learner can redo by hand.

    The output is computed again with the leaf nudged by h each way; the two
    outputs are written with as many decimals as make their difference exact to
    the trace's digits, then the difference, 2h and their quotient.
    """
    nodes = recorded.nodes
    name, digits = nodes.name(leaf), recorded.digits
    # the output as a function of the leaf: L(w + h) for a labelled output; an output named by
    # its expression is called f, since "(x*x + x)(x + h)" would read as a product
    out = nodes.name(recorded.root) if recorded.root.label else "f"
    defined = "" if recorded.root.label else f" (f = {nodes.name(recorded.root)})"
    h = 10.0 ** (math.floor(math.log10(max(1.0, abs(leaf.data)))) - 3)
    try:
        up = replay(recorded.root, {leaf: leaf.data + h})
        down = replay(recorded.root, {leaf: leaf.data - h})
    except (ValueError, ArithmeticError) as error:
        return f"Check by central differences: not available here ({error})."
    if not (math.isfinite(up) and math.isfinite(down)):
        return ("Check by central differences: not available here (the output is not defined "
                f"on both sides of {name} = {format_number(leaf.data, digits)}).")
    # decimals enough for the difference to have `digits` significant digits (or for the outputs
    # themselves to, when they are equal), and the difference computed from the written numbers
    scale = abs(up - down) or max(abs(up), abs(down)) or 1.0
    decimals = min(17, max(0, digits - 1 - math.floor(math.log10(scale))))
    up_text, down_text = f"{up:.{decimals}f}", f"{down:.{decimals}f}"
    difference = Decimal(up_text) - Decimal(down_text)
    two_h = Decimal(format_number(2 * h, 12))
    quotient = difference / two_h
    quotient_text = format_number(float(quotient), digits)
    grad = recorded.grad(leaf)
    verdict = "agrees" if math.isclose(float(quotient), grad, rel_tol=1e-4, abs_tol=1e-6) \
        else "differs (a kink, such as a ReLU at exactly 0, or rounding)"
    nudged = lambda x: format_number(x, 12)  # noqa: E731
    return "\n".join([
        f"Check without backpropagation (central differences): run the forward pass again "
        f"with {name} nudged by h = {format_number(h, 12)} each way{defined}.",
        f"  {out}({name} + h) = {out}({nudged(leaf.data + h)}) = {up_text}",
        f"  {out}({name} − h) = {out}({nudged(leaf.data - h)}) = {down_text}",
        f"  difference: {up_text} − {as_factor(down_text)} = {_plain(difference)}",
        f"  difference / 2h = {_plain(difference)} / {_plain(two_h)} = {quotient_text}"
        f"  ≈ grad({name}) = {format_number(grad, digits)}: {verdict}.",
    ])


def _plain(number):
    """A Decimal written out without an exponent: 0.0720000, not 7.20000E-2."""
    return "0" if number == 0 else format(number, "f")
