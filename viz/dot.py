"""draw(): the computation graph of a Value as DOT text, wrapped in a Drawing.

This module only builds the graph description (with the graphviz package);
it never runs a program. Drawing.save() and the Jupyter display hand the DOT
text to viz.render, which finds ``dot`` or graphviz-pure.

Rules the drawing follows, so that a learner can rely on them:

- Node ids are positions in ``autograd.topological_order(root)``, so the same
  graph always gives byte-identical DOT text (golden-file tests, diffs).
- Gradients count as computed when ``root.grad != 0``: ``backward()`` sets the
  root's gradient to 1, and a fresh Value has 0. Before that, boxes say
  ``grad —`` rather than showing zeros that look like a bug.
- A node is *gated* when every path from it to the root passes through a ReLU
  whose input is <= 0: that ReLU's derivative is 0, so the node's gradient is
  0 whatever happens downstream (seed 000's point about gating).
"""

import html
import math
import re
from pathlib import Path

import graphviz

from autograd import Value

from . import render as _render
from .format import DEFAULT_DIGITS, GraphNodes, check_digits, format_number, is_off_relu

__all__ = ["draw", "Drawing", "DEFAULT_MAX_NODES", "SAVE_FORMATS"]

DEFAULT_MAX_NODES = 500
SAVE_FORMATS = (".svg", ".png", ".dot")

# nn labels parameters and neuron outputs "L<layer>.N<neuron>.<name>".
_NEURON_LABEL = re.compile(r"^L(\d+)\.N(\d+)\.(.+)$")

_OP_TEXT = {"-": "−", "*": "×", "/": "÷"}
# Operand roles for operations where order matters; other edges stay unlabelled.
_OPERAND_ROLES = {"-": ("", "minus"), "/": ("", "divided by"), "**": ("base", "exponent")}

_GATED_FILL = "#e4e4e4"
_OFF_RELU_FILL = "#f6c7c7"
_SIGN_FILLS = {1: "#cfe0f5", -1: "#fbd9b8"}  # blue / orange: readable with red-green colour blindness
_MAGNITUDE_FILLS = ("#ffffff", "#e3eef9", "#c6dbef", "#9ecae1", "#6baed6")
_LEAF_FILL = "#fff6d5"  # data and parameters: what a learner sets or trains


def draw(
    root,
    *,
    show_grads="auto",
    digits=DEFAULT_DIGITS,
    highlight_gated=True,
    color=None,
    group_neurons=True,
    max_nodes=DEFAULT_MAX_NODES,
):
    """The computation graph of root, left to right, as a Drawing (``.source``, ``.save(path)``).

    show_grads: "auto" shows gradients once computed (``root.grad != 0``) and
    ``grad —`` before; True always shows the numbers; False hides them.
    digits: significant digits for every number. highlight_gated: grey out
    nodes whose gradient a switched-off ReLU blocks, and mark that ReLU.
    color: None, "sign" (blue grad > 0, orange grad < 0) or "magnitude"
    (darker = larger |grad|). group_neurons: box each neuron's nodes (labels
    ``L1.N0.*``) in a cluster. max_nodes: refuse larger graphs (None: no limit).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() needs a Value, got {root!r} ({type(root).__name__})")
    check_digits(digits)
    if show_grads == "auto":
        grads = "numbers" if root.grad != 0.0 else "pending"
    elif show_grads is True:
        grads = "numbers"
    elif show_grads is False:
        grads = "hidden"
    else:
        raise ValueError(f"show_grads must be 'auto', True or False, got {show_grads!r}")
    if color not in (None, "sign", "magnitude"):
        raise ValueError(f"color must be None, 'sign' or 'magnitude', got {color!r}")
    if color is not None and grads == "hidden":
        raise ValueError(f"color={color!r} colours by gradient: it needs show_grads 'auto' or True")
    if color is not None and grads == "pending":
        raise ValueError(
            f"color={color!r} colours by gradient, but the gradients are not computed: "
            "call backward() first (or pass show_grads=True)"
        )
    nodes = GraphNodes(root, digits)
    if max_nodes is not None and len(nodes.order) > max_nodes:
        raise ValueError(
            f"this graph has {len(nodes.order)} nodes, too many to draw legibly "
            f"(max_nodes={max_nodes}); use viz.text_tree() for a text view, draw a smaller "
            "example, or pass max_nodes=None to draw it anyway"
        )
    return Drawing(_digraph(nodes, grads, digits, highlight_gated, color, group_neurons))


class Drawing:
    """A drawn graph: ``.source`` is the DOT text; ``save(path)`` writes .svg, .png or .dot.

    In Jupyter it shows itself as SVG. Rendering runs the system ``dot`` if
    installed, else graphviz-pure (see viz.render).
    """

    def __init__(self, digraph):
        self.digraph = digraph

    @property
    def source(self):
        """The DOT text; the same graph always gives the same text."""
        return self.digraph.source

    def pipe(self, format="svg"):
        """The drawing rendered as "svg" or "png", as bytes."""
        return _render.render(self.source, format)

    def save(self, path):
        """Write the drawing to path; its suffix (.svg, .png or .dot) picks the format."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in SAVE_FORMATS:
            raise ValueError(
                f"cannot save a drawing as {path.name!r}: the file name must end in "
                f"{', '.join(SAVE_FORMATS)}"
            )
        if suffix == ".dot":
            path.write_text(self.source, encoding="utf-8")
        else:
            path.write_bytes(self.pipe(suffix[1:]))
        return path

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/svg+xml": self._repr_svg_()}

    def _repr_svg_(self):
        return self.pipe("svg").decode("utf-8")

    def __repr__(self):
        return f"<Drawing: {self.source.count(' -> ')} edges; .source is the DOT text, .save(path) writes it>"


def _digraph(nodes, grads, digits, highlight_gated, color, group_neurons):
    gated = nodes.gated() if highlight_gated else set()
    # nan (inf - inf) has no size, and max() would keep or drop it depending on order
    largest = max((abs(node.grad) for node in nodes.order if not math.isnan(node.grad)), default=0.0)
    graph = graphviz.Digraph(
        "tracegrad",
        graph_attr={"rankdir": "LR", "fontname": "Helvetica", "fontsize": "10",
                    "nodesep": "0.2", "ranksep": "0.3"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"arrowsize": "0.6", "fontname": "Helvetica", "fontsize": "8"},
    )
    clusters = _neuron_clusters(nodes) if group_neurons else {}
    bodies = {}  # neuron name ("L1.N0") -> its cluster subgraph

    for node in nodes.order:
        cluster = clusters.get(node)
        if cluster is None:
            target = graph
        else:
            if cluster not in bodies:
                layer, neuron = _neuron_number(cluster)
                bodies[cluster] = graphviz.Digraph(
                    name=f"cluster_{cluster}",
                    graph_attr={"label": f"{cluster}  (layer {layer}, neuron {neuron})",
                                "style": "rounded,filled", "fillcolor": "#f7f7f7",
                                "color": "#bbbbbb", "labeljust": "l"},
                )
            target = bodies[cluster]
        target.node(nodes.id(node), **_value_attrs(nodes, node, cluster, grads, digits,
                                                    node in gated, color, largest))
        if node.inputs:
            target.node(nodes.op_id(node), **_op_attrs(node, highlight_gated))
    # neurons in network order (layer, then neuron), whatever order the graph reached them in
    for cluster in sorted(bodies, key=_neuron_number):
        graph.subgraph(bodies[cluster])

    for node in nodes.order:
        if not node.inputs:
            continue
        roles = _OPERAND_ROLES.get(node.op, ())
        for position, inp in enumerate(node.inputs):
            attrs = {}
            if position < len(roles) and roles[position]:
                attrs["label"] = roles[position]
            if inp in gated:  # no gradient flows back along this edge
                attrs.update(style="dashed", color="#999999")
            graph.edge(nodes.id(inp), nodes.op_id(node), **attrs)
        graph.edge(nodes.op_id(node), nodes.id(node))

    # a backslash would start a DOT escape such as \l inside the caption
    root_name = nodes.name(nodes.order[-1]).replace("\\", "\\\\")
    caption = _caption(grads, bool(gated), color, largest, digits, root_name)
    if caption:
        graph.attr(label=caption, labelloc="b", labeljust="l")
    return graph


def _neuron_number(neuron):
    """(layer, neuron) as numbers, from a neuron name like "L1.N0"."""
    layer, index = re.match(r"L(\d+)\.N(\d+)$", neuron).groups()
    return int(layer), int(index)


def _neuron_clusters(nodes):
    """Map node -> neuron name ("L1.N0") for nodes that belong in that neuron's box.

    Labelled nodes belong by their label; an unlabelled node (like the product
    w0*x0 inside a weighted sum) joins its users' neuron when all of them share one.
    """
    clusters = {}
    for node in reversed(nodes.order):
        match = _NEURON_LABEL.match(node.label)
        if match:
            clusters[node] = f"L{match.group(1)}.N{match.group(2)}"
        elif not node.label and nodes.consumers[node]:
            owners = {clusters.get(user) for user in nodes.consumers[node]}
            if len(owners) == 1 and None not in owners:
                clusters[node] = owners.pop()
    return clusters


def _value_attrs(nodes, node, cluster, grads, digits, gated, color, largest):
    number = lambda x: html.escape(format_number(x, digits))  # noqa: E731
    # escape(): a name like "<a>" must not be read as an HTML-like label, nor "\\" as an escape
    attrs = {"tooltip": graphviz.escape(nodes.name(node))}
    if not node.inputs and not node.label:
        # an unlabelled constant, like the 2 in 2*x: its value is all there is to say
        attrs.update(label=format_number(node.data, digits), shape="ellipse", fontsize="9",
                     width="0.3", height="0.25", margin="0.03", color="#888888")
        return attrs

    lines = []
    if node.label:
        label = node.label
        if cluster and label.startswith(cluster + "."):
            label = label[len(cluster) + 1:]  # the cluster box already names the neuron
        lines.append(f"<b>{html.escape(label)}</b>")
    lines.append(f"data {number(node.data)}")
    if grads == "numbers":
        lines.append(f"grad {number(node.grad)}")
    elif grads == "pending":
        lines.append('<font color="#888888">grad —</font>')

    # leaves stand out in plain drawings; when colour means gradient, white means grad 0
    fill = _LEAF_FILL if not node.inputs and color is None else "#ffffff"
    style = "rounded,filled"
    if gated:
        fill, style = _GATED_FILL, "rounded,filled,dashed"
    elif color == "sign" and node.grad != 0.0 and not math.isnan(node.grad):
        fill = _SIGN_FILLS[1 if node.grad > 0 else -1]
    elif color == "magnitude":
        if math.isfinite(node.grad):
            share = abs(node.grad) / largest if largest else 0.0
        else:  # inf, or nan from inf - inf: beyond any scale, so the darkest
            share = 1.0
        fill = _MAGNITUDE_FILLS[min(int(share * (len(_MAGNITUDE_FILLS) - 1) + 0.5),
                                    len(_MAGNITUDE_FILLS) - 1)]
    attrs.update(label="<" + "<br/>".join(lines) + ">", shape="box", style=style,
                 fillcolor=fill, margin="0.08,0.04")
    if not nodes.consumers[node]:
        attrs["penwidth"] = "2"  # the root: the output everything is differentiated against
    return attrs


def _op_attrs(node, highlight_gated):
    text = _OP_TEXT.get(node.op, node.op)
    # one-character operators (+ − × ÷) get a larger font: they must read at a glance
    attrs = {"label": text, "shape": "circle" if len(text) <= 2 else "ellipse",
             "fontsize": "13" if len(text) == 1 else "10", "width": "0.3", "height": "0.3",
             "margin": "0.02",
             "style": "filled", "fillcolor": "#eeeeee", "color": "#777777"}
    if highlight_gated and is_off_relu(node):
        attrs.update(label="<relu<br/><font point-size=\"8\">off</font>>", fillcolor=_OFF_RELU_FILL,
                     color="#c0392b")
    return attrs


def _caption(grads, any_gated, color, largest, digits, root_name):
    notes = []
    if grads == "pending":
        notes.append("grad —: not computed yet (call backward() on the output)")
    if any_gated:
        notes.append("grey, dashed: gradient 0, blocked by a ReLU that is off (input ≤ 0)")
    if color == "sign":
        notes.append(f"blue: grad > 0 (raising the value raises {root_name}); "
                     "orange: grad < 0; white: grad 0")
    elif color == "magnitude":
        notes.append(f"darker: larger |grad| (darkest: |grad| = {format_number(largest, digits)})")
    # "\l" ends a left-justified line in a DOT label
    return "".join(note + "\\l" for note in notes)
