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
  0 whatever happens downstream (the point the single-neuron blog post makes about gating).
"""

import html
import math
from pathlib import Path

import graphviz

from tracegrad import Value
from tracegrad.files import replace_file

from . import render as _render
from .format import (DEFAULT_DIGITS, GraphNodes, check_digits, check_graph_size, format_number,
                     input_scale, is_off_relu, shown_text)
from .layout import depths, layered_order, neuron_clusters, neuron_number
from .notation import notation_of

__all__ = ["draw", "draw_dot", "Drawing", "MAX_DRAWN_NODES", "SAVE_FORMATS"]

# The most nodes draw() lays out by default (a larger graph is no longer legible);
# trace() has its own, larger limit, viz.trace.MAX_TRACED_NODES.
MAX_DRAWN_NODES = 500
SAVE_FORMATS = (".svg", ".png", ".dot")


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
    max_nodes=MAX_DRAWN_NODES,
    grads=None,
    edge_notes=None,
):
    """The computation graph of root, left to right, as a Drawing (``.source``, ``.save(path)``).

    show_grads: "auto" shows gradients once computed (``root.grad != 0``) and
    ``grad —`` before; True always shows the numbers; False hides them.
    digits: significant digits for every number. highlight_gated: grey out
    nodes whose gradient a switched-off ReLU blocks, and mark that ReLU.
    color: None, "sign" (blue grad > 0, orange grad < 0) or "magnitude"
    (darker = larger |grad|). group_neurons: box each neuron's nodes (labels
    ``L1.N0.*``) in a cluster, in layer columns. max_nodes: refuse larger
    graphs (None: no limit). grads: a mapping node -> gradient to show instead
    of each ``.grad`` (as a Trace's drawing does). edge_notes: a mapping
    ("n2", "op5") -> [text, ...], a line for each drawn edge from n2 into op5,
    for which the layout makes room beside its edge (the stepper writes each
    step's local derivatives there).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() needs a Value, got {root!r} ({type(root).__name__})")
    check_digits(digits)
    # refuse a graph too big to read before naming a single node of it
    if max_nodes is not None:
        check_graph_size(root, max_nodes, max_edges=edge_limit(max_nodes))
    grad_of = (lambda node: node.grad) if grads is None else grads.__getitem__  # noqa: E731
    computed = root.grad != 0.0 or grads is not None
    if show_grads == "auto":
        grads = "numbers" if computed else "pending"
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
    if max_nodes is not None:
        _check_edge_lengths(nodes)
    notes = edge_notes or {}
    return Drawing(_digraph(nodes, grads, grad_of, digits, highlight_gated, color, group_neurons, notes),
                   without_boxes=(lambda: _digraph(nodes, grads, grad_of, digits, highlight_gated, color, False,
                                                   notes))
                   if group_neurons else None)


def edge_limit(max_nodes):
    """The most edges draw() takes with max_nodes: twice as many.

    Graphviz's time grows with the edges: 1,200 took 12-16 s here, 2,000 over
    60 s. A graph of one- and two-operand operations has fewer than 1.5 edges
    a value, so it meets max_nodes first; only operations with many operands
    (a sum of 40 values) meet this limit.
    """
    return 2 * max_nodes


# Graphviz places a point in every column an edge crosses, and its time grows with
# their number times the nodes: x*x*...*x with 150 factors made 44,849 points (4.5 s),
# 200 factors 79,799 (9.8 s), 300 factors 179,699 (39 s, then a 60 s timeout).
# _edge_crossings counts about a quarter of Graphviz's points: 11,000 for 150 factors.
MAX_EDGE_CROSSINGS = 15_000


def _check_edge_lengths(nodes):
    """A ValueError when Graphviz would need too long to place the graph's long edges."""
    crossings, worst = _edge_crossings(nodes)
    if crossings > MAX_EDGE_CROSSINGS:
        raise ValueError(
            f"this graph's edges are too long to lay out: {nodes.name(worst)} is used by operations far "
            f"apart, and the edges cross {crossings:,} columns in all (Graphviz lays out "
            f"{MAX_EDGE_CROSSINGS:,} in seconds); use viz.text_tree() or viz.trace() for a text view, "
            "draw a smaller example, or pass max_nodes=None to try anyway"
        )


def _edge_crossings(nodes):
    """(how many columns the edges cross in all, the node whose edges cross the most).

    Columns are depths; a leaf stands just before its first user, as
    Graphviz puts it, and any other node at its depth.
    """
    depth = depths(nodes)
    total, worst, most = 0, nodes.order[-1], -1
    for node in nodes.order:
        users = nodes.consumers[node]
        if not users:
            continue
        start = depth[node] if node.inputs else min(depth[user] for user in users) - 1
        crossed = sum(depth[user] - 1 - start for user in users)
        total += crossed
        if crossed > most:
            worst, most = node, crossed
    return total, worst


def draw_dot(root, format="svg", rankdir="LR", **options):
    """micrograd's notebook helper by its name: draw(root) as a Drawing that render() writes as format.

    ``draw_dot(L, format="svg", rankdir="LR").render("gout")`` writes gout.svg.
    rankdir: "LR" (left to right) or "TB" (top to bottom); options go to draw().
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if format not in _render.FORMATS:
        raise ValueError(f"cannot render format {format!r}; choose one of {', '.join(_render.FORMATS)}")
    drawing = draw(root, **options)
    drawing.digraph.graph_attr["rankdir"] = rankdir
    drawing.format = format
    return drawing


class Drawing:
    """A drawn graph: ``.source`` is the DOT text; ``save(path)`` writes .svg, .png or .dot.

    In Jupyter it shows itself as SVG. Rendering runs the system ``dot`` if
    installed, else graphviz-pure (see viz.render).
    """

    def __init__(self, digraph, format="svg", without_boxes=None):
        self.digraph = digraph
        self.format = format  # what render() writes when it is given no format
        self._without_boxes = without_boxes  # makes the same drawing without neuron boxes

    @property
    def source(self):
        """The DOT text; the same graph always gives the same text."""
        return self.digraph.source

    def pipe(self, format="svg"):
        """The drawing rendered as "svg" or "png" (at 144 dpi, scaled down to at most
        PNG_MAX_SIDE pixels a side), as bytes."""
        options = {"dpi": PNG_DPI, "max_side": PNG_MAX_SIDE} if format == "png" else {}
        try:
            return _render.render(self.source, format, **options)
        except _render.RenderTimeout:
            raise
        except _render.RenderError:
            # Graphviz's edge router now and then fails around clusters ("triangulation
            # failed"): the same drawing without neuron boxes, rather than none at all
            if self._without_boxes is None or "cluster_" not in self.source:
                raise
            plain = self._without_boxes()
            plain.graph_attr.update(self.digraph.graph_attr)  # draw_dot's rankdir, say
            return _render.render(plain.source, format, **options)

    def render(self, filename="tracegrad.gv", directory=None, view=False, cleanup=False,
               format=None, **ignored):
        """As graphviz.Digraph.render: write the DOT text to filename and the picture to
        filename + "." + format; returns the picture's path (a str). No system Graphviz needed.

        cleanup=True removes the DOT file afterwards. view is accepted for
        compatibility and opens nothing; graphviz's other options are ignored.
        """
        format = self.format if format is None else format
        if format not in _render.FORMATS:
            raise ValueError(f"cannot render format {format!r}; choose one of {', '.join(_render.FORMATS)}")
        source_path = Path(directory or ".") / filename
        picture = source_path.with_name(f"{source_path.name}.{format}")
        picture.parent.mkdir(parents=True, exist_ok=True)
        replace_file(picture, self.pipe(format))
        if cleanup:
            source_path.unlink(missing_ok=True)
        else:
            replace_file(source_path, self.source.encode("utf-8"))
        return str(picture)

    def save(self, path):
        """Write the drawing to path in one step (see tracegrad.files); its suffix (.svg, .png or .dot) picks the format."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in SAVE_FORMATS:
            raise ValueError(
                f"cannot save a drawing as {path.name!r}: the file name must end in "
                f"{', '.join(SAVE_FORMATS)}"
            )
        replace_file(path, self.source.encode("utf-8") if suffix == ".dot" else self.pipe(suffix[1:]))
        return path

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/svg+xml": self._repr_svg_()}

    def _repr_svg_(self):
        return self.pipe("svg").decode("utf-8")

    def __repr__(self):
        return f"<Drawing: {self.source.count(' -> ')} edges; .source is the DOT text, .save(path) writes it>"


# Graphviz's crossing minimisation and network simplex are unbounded by default:
# the 150-term x*y + x*y + ... (301 nodes, two leaves used 150 times each) took
# over 90 s with either renderer. These caps bound both, and leave the layouts
# of small graphs as they were; tests/benchmarks/bench_layout.py measures them.
LAYOUT_LIMITS = {"mclimit": "0.3", "nslimit": "2", "nslimit1": "2", "searchsize": "20",
                 "remincross": "false"}
# Past this many values, tighter caps and straight edges: routing curved splines
# around hundreds of nodes was most of the remaining time (9 s -> 1-2 s there).
LARGE_GRAPH = 150
LARGE_LAYOUT_LIMITS = {"mclimit": "0.1", "nslimit": "1", "nslimit1": "1", "searchsize": "10",
                       "remincross": "false", "splines": "line"}
# PNGs at twice Graphviz's 72 dpi, so text stays sharp on today's screens
PNG_DPI = 144
# ... and at most this many pixels a side, the larger ones scaled down to fit: the
# raster is held in memory whole (x*x*...*x with 100 products was 30,736 x 5,956
# pixels, 0.8 GB in dot and 1.45 GB in graphviz-pure; scaled to fit, 71 and 75 MB)
PNG_MAX_SIDE = 6000


def _digraph(nodes, grads, grad_of, digits, highlight_gated, color, group_neurons, edge_notes):
    gated = nodes.gated() if highlight_gated else set()
    # nan (inf - inf) has no size, and max() would keep or drop it depending on order
    largest = max((abs(g) for g in map(grad_of, nodes.order) if not math.isnan(g)), default=0.0)
    graph = graphviz.Digraph(
        "tracegrad",
        graph_attr={"rankdir": "LR", "fontname": "Helvetica", "fontsize": "10",
                    "nodesep": "0.2", "ranksep": "0.3", "newrank": "true",
                    **(LARGE_LAYOUT_LIMITS if len(nodes.order) > LARGE_GRAPH else LAYOUT_LIMITS)},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"arrowsize": "0.6", "fontname": "Helvetica", "fontsize": "8"},
    )
    clusters = neuron_clusters(nodes) if group_neurons else {}
    bodies = {}  # neuron name ("L1.N0") -> its cluster subgraph

    # Nodes are written in the forward pass's layer order (each leaf just before
    # its first user), so Graphviz starts from N0 above N1 and w0 above w1.
    written = list(dict.fromkeys(
        node for operation in layered_order(nodes, clusters) for node in (*operation.inputs, operation)))
    for node in written:
        cluster = clusters.get(node)
        if cluster is None:
            target = graph
        else:
            if cluster not in bodies:
                layer, neuron = neuron_number(cluster)
                bodies[cluster] = graphviz.Digraph(
                    name=f"cluster_{cluster}",
                    graph_attr={"style": "rounded,filled", "fillcolor": "#f7f7f7", "color": "#bbbbbb"},
                )
                # The box's name is a node of its own, not a cluster label: Graphviz
                # routes edges around nodes, but straight across a cluster's label.
                bodies[cluster].node(_caption_id(cluster), label=f"{cluster}  (layer {layer}, neuron {neuron})",
                                     shape="box", color="transparent", fontsize="10", margin="0.04,0.02",
                                     height="0.2")
            target = bodies[cluster]
        target.node(nodes.id(node), **_value_attrs(nodes, node, cluster, grads, grad_of(node),
                                                    digits, node in gated, color, largest))
        if node.inputs:
            target.node(nodes.op_id(node), **_op_attrs(node, highlight_gated))
    # neurons in network order (layer, then neuron), whatever order the graph reached them in
    for cluster in sorted(bodies, key=neuron_number):
        graph.subgraph(bodies[cluster])
    if bodies:
        _network_columns(graph, nodes, clusters, written)
        # Past two neurons a layer, a layer's column is a stack of boxes of weights: a
        # quarter of the usual gap between boxes, and wider gaps between columns, keep
        # a 3-5-5-2 network no taller than it is wide. And crossing minimisation, which
        # moves whole neuron boxes without reading the invisible edges that order them
        # (it drew L2.N3 above L2.N0 in a 2-4-4-1), barely runs: the boxes stay in the
        # order they are written. network_221 (two neurons a layer) keeps its picture.
        if max(neuron_number(cluster)[1] for cluster in bodies) >= 2:
            graph.graph_attr.update(nodesep="0.05", ranksep="0.6", mclimit="0.01")

    blocked_edge = {"style": "dashed", "color": "#999999"}
    for node in written:
        if not node.inputs:
            continue
        # a gated value, or a ReLU that is off, sends 0 back along each of its edges:
        # into the operation that made it, and from there to each of its inputs
        sends_zero = node in gated or (highlight_gated and is_off_relu(node))
        # operand roles where order matters ("minus", "divided by"); other edges stay unlabelled
        row = notation_of(node.op)
        roles = row.edge_labels if row else ()
        drawn = {}  # how many edges from each input into this operation so far (x*x draws two)
        for position, inp in enumerate(node.inputs):
            attrs = {}
            role = roles[position] if position < len(roles) else ""
            if role:
                attrs["label"] = role
            occurrence = drawn[inp] = drawn.get(inp, -1) + 1
            notes = edge_notes.get((nodes.id(inp), nodes.op_id(node)), ())
            if occurrence < len(notes):
                # a bold line under the role (or under an empty line): dot routes an edge along the
                # bottom of its label, so the note lies by its own edge, a line away from the one above
                note = f'<font point-size="11"><b>{html.escape(notes[occurrence])}</b></font>'
                gap = '<font point-size="4">&#160;</font>'  # between the role and the note
                attrs["label"] = f"<{html.escape(role)}<br/>{gap}<br/>{note}>" if role else f"<&#160;<br/>{note}>"
            if sends_zero:
                attrs.update(blocked_edge)
            graph.edge(nodes.id(inp), nodes.op_id(node), **attrs)
        graph.edge(nodes.op_id(node), nodes.id(node), **(blocked_edge if node in gated else {}))

    # a backslash would start a DOT escape such as \l inside the caption
    root_name = nodes.name(nodes.order[-1]).replace("\\", "\\\\")
    caption = _caption(grads, bool(gated), color, largest, digits, root_name)
    if caption:
        graph.attr(label=caption, labelloc="b", labeljust="l")
    return graph


def _network_columns(graph, nodes, clusters, written):
    """Pin a network's picture: the inputs in one column, each layer's neurons one above the other.

    Nodes of one layer at the same depth (say every neuron's weighted sum) share
    a rank, so the layer's boxes stand in one column; an invisible edge from
    each to the next, in neuron order, keeps N0 above N1 (in a left-to-right
    drawing a rank runs top to bottom). The network's inputs (leaves outside
    any neuron that the first layer uses) stand in a column of their own before
    the first layer's weights, so no input sits between two neuron boxes.
    """
    depth = depths(nodes)
    columns = {}  # (layer, depth, value or operation) -> DOT ids in neuron order
    for node in written:
        if node not in clusters:
            continue
        layer = neuron_number(clusters[node])[0]
        if node.inputs:
            columns.setdefault((layer, depth[node], "value"), []).append(nodes.id(node))
            columns.setdefault((layer, depth[node], "op"), []).append(nodes.op_id(node))
        else:  # a weight or a bias: in the column just before the operation that uses it
            first_use = min(depth[user] for user in nodes.consumers[node])
            columns.setdefault((layer, first_use - 1, "value"), []).append(nodes.id(node))
    # each box's name below the neuron's first column (its weights)
    for cluster in sorted(set(clusters.values()), key=neuron_number):
        layer = neuron_number(cluster)[0]
        leaves = [node for node in written if clusters.get(node) == cluster and not node.inputs]
        if not leaves:
            continue
        column = columns[(layer, min(depth[user] for leaf in leaves for user in nodes.consumers[leaf]) - 1,
                          "value")]
        last = max(k for k, node_id in enumerate(column) if node_id in {nodes.id(leaf) for leaf in leaves})
        column.insert(last + 1, _caption_id(cluster))
    for ids in columns.values():
        _same_rank_in_order(graph, ids)
    # Layer l + 1's weights stand one column right of layer l's outputs, never in the
    # same rank: sharing it, the two layers' boxes overlapped in x and Graphviz could
    # only stack them, interleaved (a 2-4-4-1 drew 1764 x 3095 pt).
    ends = {}  # layer -> the depths of its first and last value columns
    for layer, depth_of, kind in columns:
        if kind == "value":
            low, high = ends.get(layer, (depth_of, depth_of))
            ends[layer] = (min(low, depth_of), max(high, depth_of))
    layers = sorted(ends)
    for left, right in zip(layers, layers[1:]):
        graph.edge(columns[(left, ends[left][1], "value")][0], columns[(right, ends[right][0], "value")][0],
                   style="invis")

    first_layer = min(neuron_number(cluster)[0] for cluster in clusters.values())
    in_first = lambda node: node in clusters and neuron_number(clusters[node])[0] == first_layer  # noqa: E731
    inputs = [node for node in written if not node.inputs and node not in clusters
              and any(in_first(user) for user in nodes.consumers[node])]
    leaves = [node for node in written if not node.inputs and in_first(node)]
    if inputs and leaves:
        _same_rank_in_order(graph, [nodes.id(node) for node in inputs], flat_heads_up=False)
        for node in inputs:  # one column to the left of the first layer's weights
            graph.edge(nodes.id(node), nodes.id(leaves[0]), style="invis")


def _caption_id(cluster):
    return f"caption {cluster}"


def _same_rank_in_order(graph, ids, flat_heads_up=True):
    """One rank holding ids, top to bottom, chained by invisible edges.

    Graphviz (both renderers alike) stacks such a chain upwards inside
    neuron boxes and downwards outside them, so the caller says which.
    """
    if len(ids) < 2:
        return
    with graph.subgraph() as row:
        row.attr(rank="same")
        for node_id in ids:
            row.node(node_id)
        for upper, lower in zip(ids, ids[1:]):
            row.edge(*((lower, upper) if flat_heads_up else (upper, lower)), style="invis")


def _value_attrs(nodes, node, cluster, grads, grad, digits, gated, color, largest):
    number = lambda x: html.escape(format_number(x, digits))  # noqa: E731
    # escape(): a name like "<a>" must not be read as an HTML-like label, nor "\\" as an escape
    attrs = {"tooltip": graphviz.escape(nodes.name(node))}
    if not node.inputs and not node.label:
        # an unlabelled constant, like the 2 in 2*x: its value is all there is to say
        attrs.update(label=format_number(node.data, digits), shape="ellipse", fontsize="9",
                     width="0.3", height="0.25", margin="0.03", color="#888888")
        return attrs

    lines = []
    # the neuron's box already names the neuron: "w0" inside L1.N0 stands for L1.N0.w0
    name = nodes.name(node).replace(cluster + ".", "") if cluster else nodes.name(node)
    if node.label:
        lines.append(f"<b>{html.escape(name)}</b>")
    else:  # an interior node carries the name the trace calls it by, small and grey
        lines.append(f'<font point-size="9" color="#555555">{html.escape(name)}</font>')
    lines.append(f"data {html.escape(format_number(node.data, digits, scale=input_scale(node)))}")
    if grads == "numbers":
        lines.append(f"grad {number(grad)}")
    elif grads == "pending":
        lines.append('<font color="#888888">grad —</font>')

    # leaves stand out in plain drawings; when colour means gradient, white means grad 0
    fill = _LEAF_FILL if not node.inputs and color is None else "#ffffff"
    style = "rounded,filled"
    if gated:
        fill, style = _GATED_FILL, "rounded,filled,dashed"
    elif color == "sign" and grad != 0.0 and not math.isnan(grad):
        fill = _SIGN_FILLS[1 if grad > 0 else -1]
    elif color == "magnitude":
        if math.isfinite(grad):
            share = abs(grad) / largest if largest else 0.0
        else:  # inf, or nan from inf - inf: beyond any scale, so the darkest
            share = 1.0
        fill = _MAGNITUDE_FILLS[min(int(share * (len(_MAGNITUDE_FILLS) - 1) + 0.5),
                                    len(_MAGNITUDE_FILLS) - 1)]
    attrs.update(label="<" + "<br/>".join(lines) + ">", shape="box", style=style,
                 fillcolor=fill, margin="0.08,0.05")
    if not nodes.consumers[node]:
        attrs["penwidth"] = "2"  # the root: the output everything is differentiated against
    return attrs


def _op_attrs(node, highlight_gated):
    row = notation_of(node.op)
    text = (row.symbol if row else "") or shown_text(node.op)
    # one-character operators (+ − × ÷) get a larger font: they must read at a glance;
    # escape(): a learner's own operation's name is text, never an HTML-like label or a DOT escape
    attrs = {"label": graphviz.escape(text), "shape": "circle" if len(text) <= 2 else "ellipse",
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
