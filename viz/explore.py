"""viz.explore(): every leaf of a graph on a slider; forward and backward again at each move.

``viz.explore(loss)`` (a Value) or ``viz.explore("tanh(w*x + b)", w=0.5, x=2, b=-1)``
shows the graph with each node's data and grad, a slider for each leaf, and
for the leaf selected the loss as a function of that leaf over a range, the
tangent at its value (its slope is the leaf's gradient) and the nudge written
out: (L(x + h) − L(x)) / h, the derivative's definition, beside dL/dx as
backpropagation finds it. Moving a slider recomputes in the kernel.

The recomputation applies each node's own rule from the engine (its twin over
arrays, tracegrad.ARRAY_RULES, the one fit's batched path replays), node by
node in topological order, then the chain rule in reverse: grad(input) +=
local derivative × grad(node). The loss curve runs the same forward pass over
all the points of the range at once. The graph's own Values are not changed.
"""

import math

import numpy as np

from tracegrad import ARRAY_RULES, Value, topological_order
from tracegrad.engine import power_exponent

from .expression import parse
from .format import DEFAULT_DIGITS, format_number, shown_text
from .page import inline_svg, page_file

__all__ = ["Explorer", "explore"]

STYLES = ("base.css", "player.css", "explore.css")
SCRIPTS = ("sized.js", "panzoom.js", "graphview.js", "plotting.js", "explore.js")
# Points of the loss curve over the selected leaf's range, and the nudge's h.
LEAF_CURVE_POINTS = 121
NUDGE = 1e-3
# explore() draws the whole graph with a slider per leaf: past this many nodes the picture is
# unreadable on a screen and the sliders too many (a tighter bound than viz.dot's MAX_DRAWN_NODES).
MAX_EXPLORED_NODES = 200


def explore(root, **variables):
    """The explorer widget for a Value (or an expression with its variables' values)."""
    from .widget import anywidget_class

    explorer = Explorer(root, **variables)
    widget_class = anywidget_class("ExploreWidget", SCRIPTS + ("widget.js",))
    return ExploreView(explorer, widget_class)


class Explorer:
    """A graph whose leaves can be set; ``data``, ``grads`` and ``curve()`` of the graph as it is then."""

    def __init__(self, root, **variables):
        if isinstance(root, str):
            root = parse(root, variables)
        elif variables:
            raise TypeError("explore: variables are for an expression; a Value's leaves are set with set()")
        if not isinstance(root, Value):
            raise TypeError(f"explore: needs a Value (a loss) or an expression, got {root!r}")
        self.root = root
        self.order = topological_order(root)
        if len(self.order) > MAX_EXPLORED_NODES:
            raise ValueError(f"explore: the graph has {len(self.order)} nodes; it draws at most {MAX_EXPLORED_NODES}")
        self.position = {node: i for i, node in enumerate(self.order)}
        self.leaves = [i for i, node in enumerate(self.order) if not node.inputs]
        for i, node in enumerate(self.order):
            if node.inputs and _rule(node) is None:
                raise ValueError(f"explore: the operation {node.op!r} (node {i}) has no rule in "
                                 "tracegrad.ARRAY_RULES (a learner's own operation): it cannot be recomputed")
        self.leaf_values = [self.order[i].data for i in self.leaves]
        # an unnamed leaf is a constant of the expression: named by its value
        self.names = [shown_text(self.order[i].label) or format_number(self.order[i].data) for i in self.leaves]
        self.ranges = [_range_around(v) for v in self.leaf_values]
        self.selected = 0
        self._recompute()

    def set(self, leaf, value):
        """Give leaf (an index into leaves, or its name) a new value, and recompute."""
        k = self.leaf_index(leaf)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"explore: {self.names[k]} needs a finite number, got {value!r}")
        self.leaf_values[k] = float(value)
        low, high = self.ranges[k]
        self.ranges[k] = (min(low, value), max(high, value))
        self._recompute()

    def select(self, leaf):
        """The leaf whose curve and nudge are shown."""
        self.selected = self.leaf_index(leaf)

    def leaf_index(self, leaf):
        if isinstance(leaf, str):
            if leaf not in self.names:
                raise ValueError(f"explore: no leaf named {leaf!r}; the leaves are {', '.join(self.names)}")
            return self.names.index(leaf)
        if isinstance(leaf, bool) or not isinstance(leaf, int) or not 0 <= leaf < len(self.leaves):
            raise ValueError(f"explore: no leaf {leaf!r} (0 to {len(self.leaves) - 1})")
        return leaf

    @property
    def loss(self):
        return float(self.data[-1])

    def grad(self, leaf):
        """d root / d leaf now."""
        return float(self.grads[self.leaves[self.leaf_index(leaf)]])

    def curve(self, leaf=None):
        """(xs, losses): the root over the leaf's range, every other leaf as it is."""
        k = self.selected if leaf is None else self.leaf_index(leaf)
        xs = np.linspace(*self.ranges[k], LEAF_CURVE_POINTS)
        return xs, self._forward({k: xs})[-1] * np.ones_like(xs)

    def nudge(self, leaf=None, h=NUDGE):
        """(L(x), L(x + h), (L(x + h) − L(x)) / h) for the leaf: the slope the gradient is the limit of."""
        k = self.selected if leaf is None else self.leaf_index(leaf)
        moved = float(self._forward({k: np.array([self.leaf_values[k] + h])})[-1][0])
        return self.loss, moved, (moved - self.loss) / h

    # --- the engine's rules, node by node ------------------------------------------

    def _forward(self, overrides):
        """Each node's data (arrays over the points given for some leaves), in topological order."""
        data = []
        at_leaf = {i: k for k, i in enumerate(self.leaves)}
        self._locals = []
        for i, node in enumerate(self.order):
            if not node.inputs:
                k = at_leaf[i]
                data.append(np.atleast_1d(np.asarray(overrides.get(k, self.leaf_values[k]), dtype=float)))
                self._locals.append(())
                continue
            rule, stacked, extra = _rule(node)
            operands = [data[self.position[child]] for child in node.inputs]
            with np.errstate(all="ignore"):
                if stacked:
                    points = max(len(a) for a in operands)
                    terms = np.stack([np.broadcast_to(a, (points,)) for a in operands])[None]
                    out, local = rule(np, terms)
                    local = np.broadcast_to(local, terms.shape)[0]
                    locals_ = [local[j] for j in range(len(operands))]
                    out = np.asarray(out)[0]
                else:
                    out, locals_ = rule(np, *operands, *extra)
            data.append(np.atleast_1d(np.asarray(out, dtype=float)))
            self._locals.append(tuple(np.atleast_1d(np.asarray(g, dtype=float)) for g in locals_))
        return data

    def _recompute(self):
        data = self._forward({})
        grads = [0.0] * len(self.order)
        grads[-1] = 1.0
        for i in range(len(self.order) - 1, -1, -1):  # the chain rule, outputs first
            for child, local in zip(self.order[i].inputs, self._locals[i]):
                grads[self.position[child]] += float(local[0]) * grads[i]
        self.data = [float(d[0]) for d in data]
        self.grads = grads


class ExploreView:
    """viz.explore's widget: Explorer's numbers sent to the page, the page's sliders sent back."""

    def __init__(self, explorer, widget_class, digits=DEFAULT_DIGITS):
        from .dot import draw

        self.explorer, self.digits = explorer, digits
        drawing = draw(explorer.root, show_grads=True, digits=digits, highlight_gated=False)
        self.widget = widget_class(view="explore", styles="\n".join(page_file(n) for n in STYLES),
                                   markup=page_file("explore-app.html"))
        self.widget.setup_data = {
            "svg": inline_svg(drawing), "ids": [f"n{i}" for i in range(len(explorer.order))],
            "leaves": [{"name": name, "node": f"n{i}"} for name, i in zip(explorer.names, explorer.leaves)],
            "digits": digits, "h": NUDGE}
        self.widget.on_msg(self._on_message)
        self._publish()

    def set(self, leaf, value):
        self.explorer.set(leaf, value)
        self._publish()

    def select(self, leaf):
        self.explorer.select(leaf)
        self._publish()

    def _publish(self):
        e, number = self.explorer, lambda x: format_number(x, self.digits)  # noqa: E731
        k = e.selected
        xs, losses = e.curve()
        loss, moved, slope = e.nudge()
        self.widget.frame_data = {
            "data": [number(x) for x in e.data], "grads": [number(g) for g in e.grads],
            "values": e.leaf_values, "ranges": e.ranges, "selected": k, "loss": loss, "grad": e.grad(k),
            "curve": {"xs": xs.tolist(), "losses": [x if math.isfinite(x) else None for x in losses.tolist()]},
            "nudge": {"loss": number(loss), "moved": number(moved), "slope": number(slope),
                      "difference": number(moved - loss), "x": number(e.leaf_values[k]),
                      "grad": number(e.grad(k))}}

    def _on_message(self, _widget, content, _buffers):
        try:
            if content.get("action") == "set":
                self.explorer.set(int(content["leaf"]), float(content["value"]))
                self.explorer.select(int(content["leaf"]))
            elif content.get("action") == "select":
                self.explorer.select(int(content["leaf"]))
        except (ValueError, TypeError, KeyError):
            pass  # the page offers only leaves and numbers; anything else is ignored
        self._publish()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def _display_(self):
        """marimo shows the widget (wrapped as its mo.ui.anywidget) when a cell ends with this object."""
        import marimo

        return marimo.ui.anywidget(self.widget)

    def __repr__(self):
        return f"<tracegrad explore: {len(self.explorer.order)} nodes, {len(self.explorer.leaves)} leaves>"


def _rule(node):
    """(rule, stacked, extra arguments) of node's operation, or None when it has none over arrays."""
    exponent = power_exponent(node.op)
    key = node.op if exponent is None else "**n"
    if key not in ARRAY_RULES:
        return None
    rule, stacked = ARRAY_RULES[key]
    return rule, stacked, (() if exponent is None else (exponent,))


def _range_around(value):
    """A slider's range: the value ± the larger of 2 and twice its size."""
    span = max(2.0, 2.0 * abs(value))
    return (value - span, value + span)
