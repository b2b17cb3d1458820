"""text_tree(): the computation graph as an indented tree of plain text, for terminals.

It needs no Graphviz at all. Each node shows its name, value, gradient and the
operation that made it; a node used more than once is written out the first
time and afterwards marked ``(see above)``, so the text grows with the number
of edges, never exponentially.
"""

from autograd import Value

from .format import DEFAULT_DIGITS, GraphNodes, check_digits, format_number, is_off_relu

__all__ = ["text_tree"]


def text_tree(root, *, show_grads="auto", digits=DEFAULT_DIGITS):
    """root's graph as an indented tree, output at the top and each node's inputs below it.

    show_grads: "auto" shows gradients once computed (``root.grad != 0``) and
    ``grad —`` before; True always shows them; False hides them. Nodes whose
    gradient a switched-off ReLU blocks are marked ``[gated by ReLU]``.
    """
    if not isinstance(root, Value):
        raise TypeError(f"text_tree() needs a Value, got {root!r} ({type(root).__name__})")
    check_digits(digits)
    if show_grads not in ("auto", True, False):
        raise ValueError(f"show_grads must be 'auto', True or False, got {show_grads!r}")
    computed = root.grad != 0.0 if show_grads == "auto" else show_grads
    nodes = GraphNodes(root, digits)
    gated = nodes.gated()

    def describe(node):
        if not node.inputs and not node.label:
            return f"{nodes.name(node)}  (constant)"
        text = f"{nodes.name(node)} = {format_number(node.data, digits)}"
        if computed:
            text += f"  grad {format_number(node.grad, digits)}"
        elif show_grads == "auto":
            text += "  grad —"
        if node.inputs:
            text += f"  ({node.op}, off)" if is_off_relu(node) else f"  ({node.op})"
        if node in gated:
            text += "  [gated by ReLU]"
        return text

    lines, shown = [], set()
    # An explicit stack, never recursion: (node, prefix for its line, prefix for its children)
    stack = [(root, "", "")]
    while stack:
        node, first, rest = stack.pop()
        if node in shown and node.inputs:
            lines.append(f"{first}{nodes.name(node)}  (see above)")
            continue
        shown.add(node)
        lines.append(first + describe(node))
        last = len(node.inputs) - 1
        for position in range(last, -1, -1):  # pushed in reverse, so written in order
            branch, below = ("└── ", "    ") if position == last else ("├── ", "│   ")
            stack.append((node.inputs[position], rest + branch, rest + below))
    if not computed and show_grads == "auto":
        lines.append("(grad —: not computed yet; call backward() on the output)")
    return "\n".join(lines)
