"""text_tree(): the computation graph as an indented tree of plain text, for terminals.

It needs no Graphviz at all. Each node shows its name, value, gradient and the
operation that made it; a node used more than once is written out the first
time and afterwards marked ``(see above)``, so the text grows with the number
of edges, never exponentially.

Two limits keep the text readable and its size in proportion to the graph.
Indentation stops at ``max_depth`` levels: a node that deep whose inputs are
not all leaves is written with ``→ inputs in part 2``, and its inputs follow
after the tree as part 2, which starts again at the left margin (a chain of
30,000 operations is 2,500 short parts, not lines 120,000 characters wide).
And the text stops after ``max_lines`` lines, with a last line saying how
many nodes were left out.
"""

from collections import deque

from tracegrad import Value

from .format import DEFAULT_DIGITS, GraphNodes, check_digits, format_number, is_off_relu, shown_text

__all__ = ["text_tree", "DEFAULT_MAX_DEPTH", "DEFAULT_MAX_LINES"]

# Twelve levels (48 characters of indentation) hold both seeds' graphs and one
# sample through a 2-16-16-1 network; a thousand lines is more than anyone reads.
DEFAULT_MAX_DEPTH = 12
DEFAULT_MAX_LINES = 1000
# Past this many nodes, text_tree() with a line limit names only the nodes of the
# lines it shows (naming every node of a million-operation chain took 8.5 s).
NAME_ALL_UP_TO = 10_000


def text_tree(root, *, show_grads="auto", digits=DEFAULT_DIGITS, max_depth=DEFAULT_MAX_DEPTH,
              max_lines=DEFAULT_MAX_LINES):
    """root's graph as an indented tree, output at the top and each node's inputs below it.

    show_grads: "auto" shows gradients once computed (``root.grad != 0``) and
    ``grad —`` before; True always shows them; False hides them. Nodes whose
    gradient a switched-off ReLU blocks are marked ``[gated by ReLU]``.
    max_depth: levels of indentation (leaves may sit one level deeper);
    deeper operations continue in numbered parts after the tree. max_lines: stop after this many lines and say how
    many nodes are not shown. None lifts either limit.
    """
    if not isinstance(root, Value):
        raise TypeError(f"text_tree() needs a Value, got {root!r} ({type(root).__name__})")
    check_digits(digits)
    if show_grads not in ("auto", True, False):
        raise ValueError(f"show_grads must be 'auto', True or False, got {show_grads!r}")
    _check_limit(max_depth, "max_depth")
    _check_limit(max_lines, "max_lines")
    computed = root.grad != 0.0 if show_grads == "auto" else show_grads
    # a huge graph with a line limit: name only the nodes of the lines shown
    within = None
    if max_lines is not None and _has_more_nodes_than(root, NAME_ALL_UP_TO):
        within = {node for _, node, _, _ in _first_lines(root, max_depth, max_lines)}
    nodes = GraphNodes(root, digits, within=within)
    # whether a ReLU blocks a node depends on all its users, which a part may not hold
    gated = nodes.gated() if within is None else set()

    def describe(node):
        if not node.inputs and not node.label:
            return f"{nodes.name(node)}  (constant)"
        text = f"{nodes.name(node)} = {format_number(node.data, digits)}"
        if computed:
            text += f"  grad {format_number(node.grad, digits)}"
        elif show_grads == "auto":
            text += "  grad —"
        if node.inputs:
            text += f"  ({node.op}, off)" if is_off_relu(node) else f"  ({shown_text(node.op)})"
        if node in gated:
            text += "  [gated by ReLU]"
        return text

    lines, shown = [], set()
    entries = _tree(root, max_depth)
    for kind, node, first, part in entries:
        if kind == "part":
            lines += ["", f"part {part}, the inputs of {nodes.name(node)} "
                          f"(the tree restarts its indentation every {max_depth} levels):",
                      describe(node)]
        elif kind == "seen":
            lines.append(f"{first}{nodes.name(node)}  ({f'see part {part}' if part else 'see above'})")
        elif kind == "cut":
            lines.append(f"{first}{describe(node)}  → inputs in part {part}")
        else:
            lines.append(first + describe(node))
        shown.add(node)
        if max_lines is not None and len(lines) >= max_lines:
            break
    if max_lines is not None and len(lines) >= max_lines and next(entries, None) is not None:
        del lines[max_lines:]  # a part's header comes as three lines at once
        if within is None:
            hidden = len(nodes.order) - len(shown)
            lines.append(f"… stopped after {max_lines:,} lines: {hidden:,} of {len(nodes.order):,} nodes "
                         "are not shown; text_tree(root, max_lines=None) shows them all")
        else:
            lines.append(f"… stopped after {max_lines:,} lines of a graph of more than {NAME_ALL_UP_TO:,} nodes "
                         "(only the part shown is named: … stands for the rest); "
                         "text_tree(root, max_lines=None) shows them all")
    if not computed and show_grads == "auto":
        lines.append("(grad —: not computed yet; call backward() on the output)")
    return "\n".join(lines)


def _tree(root, max_depth):
    """The tree's lines, in order, as (kind, node, prefix, part) with no text yet.

    kind "node": node written out, its inputs below it; "seen": node written
    before (part: the part holding its inputs, or None); "cut": node at the
    depth limit, its inputs in part ``part``; "part": part ``part`` starts
    (three lines), with node's inputs. An explicit stack, never recursion.
    """
    shown = set()
    part_of = {}  # node -> the part its inputs are written in, for nodes at the depth limit
    parts = deque()  # those nodes, in the order their parts come
    stack = [(root, "", "", 0)]  # (node, prefix for its line, prefix for its children, depth)
    while stack or parts:
        if not stack:
            node = parts.popleft()
            yield "part", node, "", part_of[node]
            _push_inputs(stack, node, "", 1)
            continue
        node, first, rest, depth = stack.pop()
        if node in shown and node.inputs:
            yield "seen", node, first, part_of.get(node)
            continue
        shown.add(node)
        # at the limit, a node whose inputs are all leaves still gets them: one line each, no part
        if max_depth is not None and depth >= max_depth and any(inp.inputs for inp in node.inputs):
            part_of[node] = len(part_of) + 2  # part 1 is the tree itself
            parts.append(node)
            yield "cut", node, first, part_of[node]
            continue
        yield "node", node, first, None
        _push_inputs(stack, node, rest, depth + 1)


def _first_lines(root, max_depth, max_lines):
    """The entries of _tree for the first max_lines lines."""
    count = 0
    for entry in _tree(root, max_depth):
        yield entry
        count += 3 if entry[0] == "part" else 1
        if count >= max_lines:
            return


def _has_more_nodes_than(root, limit):
    """Whether root's graph has more than limit nodes; it stops counting there."""
    seen, stack = {root}, [root]
    while stack:
        for inp in stack.pop().inputs:
            if inp not in seen:
                seen.add(inp)
                if len(seen) > limit:
                    return True
                stack.append(inp)
    return False


def _push_inputs(stack, node, rest, depth):
    """Push node's inputs, last first, so they come off the stack (and are written) in order."""
    last = len(node.inputs) - 1
    for position in range(last, -1, -1):
        branch, below = ("└── ", "    ") if position == last else ("├── ", "│   ")
        stack.append((node.inputs[position], rest + branch, rest + below, depth))


def _check_limit(value, name):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a whole number >= 1 or None, got {value!r}")
