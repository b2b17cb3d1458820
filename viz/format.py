"""How viz writes numbers and names nodes: shared by the drawing, the text view and the trace."""

import re

from tracegrad import replay, topological_order
from tracegrad.engine import power_exponent

__all__ = ["DEFAULT_DIGITS", "format_number", "without_noise", "input_scale", "as_factor", "is_off_relu",
           "check_graph_size", "GraphNodes", "shown_text", "values_after"]

# Six significant digits write every number of the worked examples exactly (0.32, -0.408,
# -0.2448, 0.083232) while hiding float noise such as 0.32000000000000006.
DEFAULT_DIGITS = 6


# Rounding noise: a result this small a fraction of the numbers it was computed from is 0 up to
# rounding. 0.1 + 0.2 - 0.3 gives 5.55e-17; gradients that cancel, 3.469e-18. A float's
# relative error is 1.1e-16 an operation, so this allows thousands of operations' worth.
NOISE = 1e-12


def format_number(x, digits=DEFAULT_DIGITS, scale=0.0):
    """x in at most ``digits`` significant digits: 0.32, -0.408, 36, 1e-05 (never 0.0000).

    scale: the size of the numbers x was computed from (the largest magnitude
    among them). An x smaller than scale·1e-12 is rounding noise around 0 and is
    written 0 (0.1 + 0.2 - 0.3 is 5.55e-17 in floats); 1e-20 on its own stays 1e-20.
    """
    check_digits(digits)
    x = without_noise(x, scale)
    text = format(x, f".{digits}g")
    # -0.0 appears when a zero gradient is multiplied by a negative number;
    # "-0" next to a gradient would look like a sign that means something.
    return "0" if text == "-0" else text


def without_noise(x, scale):
    """0.0 when x is rounding noise beside numbers of size scale (|x| < scale·1e-12), else x."""
    return 0.0 if abs(x) < NOISE * abs(scale) else x


def input_scale(node):
    """The largest magnitude among node's inputs' values: the scale its own value is computed at."""
    return max((abs(inp.data) for inp in node.inputs), default=0.0)


# Control characters (NUL, ESC of a terminal colour code, tab, newline, DEL, ...)
# and lone surrogates (half of a UTF-16 pair: no UTF-8 file can hold one).
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def shown_text(text):
    """A label or an operation name as it is shown: control characters and lone surrogates
    written as Python writes them in a string ("\\x1b", "\\x00", "\\ud800"), everything else as it is.

    Such characters are invisible, break Graphviz and terminals, or cannot be
    written to a UTF-8 file; escaped, the learner sees that they are there.
    """
    return _UNSHOWABLE.sub(lambda match: repr(match.group())[1:-1], text)


def as_factor(text):
    """A written number after an operator: a negative one in parentheses, "3 · (-2)"."""
    return f"({text})" if text.startswith("-") else text


def is_off_relu(node):
    """True for a ReLU node whose input was <= 0: it passes no gradient back."""
    return node.op == "relu" and node.local_grads[0] == 0.0


def check_graph_size(root, max_nodes, what="draw", max_edges=None):
    """Raise a ValueError when root's graph has more than max_nodes nodes (or max_edges edges).

    It stops counting at the first node or edge past a limit, so a graph of a
    million nodes is refused after visiting a few hundred, before any naming
    or drawing work. An edge is what a drawing draws: one from each operand
    to the operation that uses it, one from an operation to its result.
    """
    seen = {root}
    stack = [root]
    edges = 0
    while stack:
        inputs = stack.pop().inputs
        if inputs:
            edges += len(inputs) + 1
            if max_edges is not None and edges > max_edges:
                raise ValueError(
                    f"this graph has more than {max_edges} edges, too many to {what} legibly "
                    f"(max_nodes={max_nodes} allows {max_edges}); use viz.text_tree() for a text view, "
                    f"{what} a smaller example, or pass max_nodes=None to try anyway"
                )
        for inp in inputs:
            if inp not in seen:
                seen.add(inp)
                if len(seen) > max_nodes:
                    raise ValueError(
                        f"this graph has more than {max_nodes} nodes, too many to {what} legibly "
                        f"(max_nodes={max_nodes}); use viz.text_tree() for a text view, draw a "
                        "smaller example, or pass max_nodes=None to try anyway"
                    )
                stack.append(inp)


def check_digits(digits):
    """Raise a clear error unless digits is a whole number from 1 to 17."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be a whole number from 1 to 17, got {digits!r}")


# How tightly each kind of expression binds, to put parentheses only where needed.
_ATOM, _SUM, _PRODUCT, _UNARY, _POWER = 5, 1, 2, 3, 4
_INFIX = {"+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT, "**": _POWER}
# Longer expressions are hard to read in a table; such nodes are named by number.
_MAX_NAME = 32


class GraphNodes:
    """The nodes of root's graph in topological order, each with a stable id and a readable name.

    The id of a node is its position in ``autograd.topological_order(root)``
    (``n0``, ``n1``, ...), never ``id()``, so the same graph always gets the
    same ids. The name is the node's label; for an unlabelled constant, its
    value; for another unlabelled node, the expression that made it from its
    inputs' names (``w*x + b``), or ``#7`` when that expression is long.
    """

    def __init__(self, root, digits=DEFAULT_DIGITS, within=None):
        """within: only these nodes (a set holding root), for the part of a huge graph a view
        shows; an input outside it is written "…", and consumers and gated() see only them."""
        self.order = topological_order(root, within)
        self.index = {node: i for i, node in enumerate(self.order)}
        self.consumers = {node: [] for node in self.order}
        for node in self.order:
            for inp in node.inputs:
                if inp in self.consumers:
                    self.consumers[inp].append(node)
        self.names = {}
        self._binding = {}
        for node in self.order:
            self.names[node], self._binding[node] = self._make_name(node, digits)

    def id(self, node):
        """The DOT id of node's value box: ``n<position>``."""
        return f"n{self.index[node]}"

    def op_id(self, node):
        """The DOT id of the small operation node that produced node."""
        return f"op{self.index[node]}"

    def name(self, node):
        return self.names[node]

    def expression(self, node, operands=None):
        """How node is computed, written with its inputs' names: "w*x + b", "relu(n)".

        operands: other texts for the inputs (for instance their values), each
        a name-like word or a number; parentheses are added where needed.
        """
        if operands is None:
            pairs = [self._name_and_binding(inp) for inp in node.inputs]
        else:
            pairs = [(text, _UNARY if text.startswith("-") else _ATOM) for text in operands]
        return _combine(shown_text(node.op), pairs)[0]

    def gated(self):
        """The nodes whose gradient a switched-off ReLU blocks (a set).

        Walking from the root towards the leaves, a node is gated when each node
        that uses it is either a ReLU that is off (input <= 0, so derivative 0)
        or is itself gated: every path to the root then carries 0. The root is
        never gated. This needs only the forward pass, not backward().
        """
        gated = set()
        for node in reversed(self.order):
            users = self.consumers[node]
            if users and all(is_off_relu(user) or user in gated for user in users):
                gated.add(node)
        return gated

    def term(self, node, tight=False):
        """node's name as a factor in a product, in parentheses if needed: "(z - y)", "w*x".

        tight: for a base of a power or a denominator, where "w*x" needs them too. The
        rule for a name inside any larger formula: only a label, a number or a call
        (w, 0.5, relu(n)) stands bare; a name made from an expression is bracketed, so
        d (x*x + x) / d (x*x), never d x*x + x / d x*x (trace and stepper write them so).
        """
        if self._binding[node] < (_ATOM if tight else _PRODUCT):
            return f"({self.names[node]})"
        return self.names[node]

    def _make_name(self, node, digits):
        if node.label:
            return shown_text(node.label), _ATOM
        if not node.inputs:
            text = format_number(node.data, digits)
            return text, (_UNARY if text.startswith("-") else _ATOM)
        text, binding = _combine(shown_text(node.op), [self._name_and_binding(i) for i in node.inputs])
        if len(text) > _MAX_NAME:
            return f"#{self.index[node]}", _ATOM
        return text, binding

    def _name_and_binding(self, node):
        if node in self.names:
            return self.names[node], self._binding[node]
        return "…", _ATOM  # outside the nodes named (see within)


def values_after(nodes, changes, wanted):
    """{node: its value recomputed with some leaves' data changed} for each node in wanted.

    Each is tracegrad.replay of that node with the changes below it; nothing
    changes in the graph. A node with no changed leaf below it keeps its value.
    """
    below = {}  # node -> the changed leaves it depends on
    for node in nodes.order:
        if not node.inputs:
            below[node] = frozenset([node]) if node in changes else frozenset()
        else:
            below[node] = frozenset().union(*(below[inp] for inp in node.inputs if inp in below))
    return {node: replay(node, {leaf: changes[leaf] for leaf in below[node]}) if below[node] else node.data
            for node in wanted}


def _combine(op, operands):
    """An operation applied to operands given as (text, binding); returns (text, binding)."""

    def wrap(operand, binding, strict=False, first=True):
        text, inner = operand
        # a negative operand after an operator is always wrapped: "a + (-0.3)", "0.9*(-0.4)"
        needed = inner < binding or (strict and inner == binding) or (not first and text[0] == "-")
        return f"({text})" if needed else text

    if power_exponent(op) is not None:  # x ** n, the number n written in the op's name: "x**2"
        return f"{wrap(operands[0], _POWER, strict=True)}{op}", _POWER
    if op in _INFIX:
        binding = _INFIX[op]
        left = wrap(operands[0], binding, strict=binding == _POWER)
        # a - (b - c) and a / (b * c) need their parentheses; a + (b + c) does not
        right = wrap(operands[1], binding, strict=op in ("-", "/", "**"), first=False)
        if binding == _SUM:
            return f"{left} {op} {right}", binding
        return f"{left}{op}{right}", binding
    if op == "sum":
        first, *rest = operands
        parts = [wrap(first, _SUM)] + [wrap(o, _SUM, first=False) for o in rest]
        return " + ".join(parts), _SUM
    if op == "linear":  # operands w1, x1, ..., wn, xn, b: "w1*x1 + ... + wn*xn + b"
        *pairs, bias = operands
        products = [_combine("*", [w, x]) for w, x in zip(pairs[0::2], pairs[1::2])]
        return _combine("sum", products + [bias])
    if len(operands) > 1:  # logsumexp(a, b, c)
        return f"{op}({', '.join(text for text, _ in operands)})", _ATOM
    if op == "neg":
        return "-" + wrap(operands[0], _UNARY, strict=True), _UNARY
    # relu(x), tanh(x), ...: a function call needs no parentheses around it
    return f"{op}({operands[0][0]})", _ATOM
