"""Graph walks: topological order, grad, backward.

A node's ``inputs`` are its operands and its ``local_grads`` the derivative of
the node with respect to each, computed in the forward pass. The chain rule is
then five lines, the heart of grad():

    grads = {output: 1.0}
    for node in reversed(topological_order(output)):
        upstream = grads.get(node, 0.0)
        for inp, local in zip(node.inputs, node.local_grads):
            grads[inp] = grads.get(inp, 0.0) + local * upstream

backward() computes the same sums, made fast for training: it keeps them on
each node's ``grad`` instead of a dict, walks the graph once to order it,
reads the slots behind ``inputs`` and ``local_grads`` (see engine.py) instead
of building those tuples for every node, and lets leaves accumulate across
calls as PyTorch's do. Everything here is iterative, so a chain of a million
operations needs no more than Python's default recursion limit.
"""

import threading

from .engine import Value, real_number

__all__ = ["topological_order", "grad", "backward"]


def topological_order(root, within=None):
    """Every node of root's graph once, each after all of its inputs; root last.

    Depth-first post-order with an explicit stack: a node is pushed once to be
    expanded and once more, beneath its inputs, to be emitted after them.
    within: a set of nodes to keep to (root is always kept); an input outside it
    is not visited, nor is anything behind it (viz draws a part of a graph so).
    """
    _check_value(root, "topological_order()")
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        # reversed, so the first input is expanded first: a deterministic order
        for inp in reversed(node.inputs):
            if inp not in seen and (within is None or inp in within):
                stack.append((inp, False))
    return order


# While backward() walks the graph, an interior node's grad holds this very
# float: it marks the node as seen, so the walk needs no set of every node (a
# set costs about 40 bytes a node, a quarter of a graph's memory).
_SEEN = float("nan")


def grad(output, inputs, allow_unused=False):
    """d output / d input for each of inputs, as a tuple of floats; no ``.grad`` changes.

    Like ``torch.autograd.grad``: an input that output does not depend on is an
    error, unless ``allow_unused=True``, which gives 0.0 for it.
    """
    single = isinstance(inputs, Value)
    wanted = (inputs,) if single else tuple(inputs)
    for position, node in enumerate((output, *wanted)):
        what = "output" if position == 0 else f"inputs[{position - 1}]"
        _check_value(node, f"grad() {what}")

    grads = {output: 1.0}
    for node in reversed(topological_order(output)):
        upstream = grads.get(node, 0.0)
        for inp, local in zip(node.inputs, node.local_grads):
            grads[inp] = grads.get(inp, 0.0) + local * upstream

    result = []
    for position, node in enumerate(wanted):
        if node not in grads and not allow_unused:
            raise ValueError(
                f"grad(): inputs[{position}] {node!r} is not part of output's graph "
                "(pass allow_unused=True to get 0.0 for it)"
            )
        result.append(grads.get(node, 0.0))
    return tuple(result)


def backward(root, gradient=1):
    """Set every node's ``grad`` to d root / d node (times ``gradient``); leaves accumulate.

    Order matters: in ``b = a + a; c = b + b`` the node b must have received
    both of its contributions from c (dc/db = 2) before it passes anything on
    to a, which then gets 2 * 2 = 4. Walking a topological order in reverse
    guarantees that every consumer of a node is done before the node is.

    Interior gradients are recomputed from zero on every call; leaves (nodes
    with no inputs: data and parameters) accumulate across calls until zeroed,
    as in PyTorch. Each call adds its whole gradient to a leaf in one addition,
    so calling this twice exactly doubles leaf grads, nothing more.
    """
    _check_value(root, "backward()")
    given = gradient
    gradient = real_number(gradient, "backward() gradient")
    with _one_walk_at_a_time:
        _backward(root, gradient, given)


# The walk below marks nodes in their .grad, so two walks of one graph at once
# (two threads) would each take the other's marks for their own and lose a
# contribution. One at a time, two calls add twice, as in PyTorch. Reentrant:
# a learner's _backward may call backward() on a graph of its own.
_one_walk_at_a_time = threading.RLock()


def _backward(root, gradient, given):
    # The walk of topological_order, in one loop. None on the stack marks
    # "the node below me has all its inputs done": it goes into the order.
    # A leaf gathers this call's gradient from zero and gets its earlier grad
    # added back at the end (summing the contributions straight onto the old
    # grad would round differently, and a second call would not give exactly
    # twice the first); a leaf whose grad is 0 already needs neither.
    order, leaves, earlier_grads = [], [], []
    stack = [root]
    try:
        while stack:
            node = stack.pop()
            if node is None:
                order.append(stack.pop())
                continue
            x = node._x
            if x is None:
                if node.grad != 0.0:
                    leaves.append(node)
                    earlier_grads.append(node.grad)
                    node.grad = 0.0
                continue
            if node.grad is _SEEN:
                continue
            node.grad = _SEEN
            stack.append(node)
            stack.append(None)
            y = node._y
            if y is not None:
                if y.grad is not _SEEN:
                    stack.append(y)
                if x.grad is not _SEEN:
                    stack.append(x)
            elif type(x) is tuple:
                stack.extend(reversed(x))
            elif x.grad is not _SEEN:
                stack.append(x)
    except BaseException:  # out of memory, Ctrl-C: take the marks back out
        _zero(node for node in stack if node is not None and node.grad is _SEEN)
        _zero(order)
        _add(leaves, earlier_grads)
        raise
    del stack
    _zero(order)
    root.grad += gradient
    try:
        for node in reversed(order):
            local = node._dx
            if type(local) is float or type(local) is int:  # an int: x * y after y.data = 2
                # chain rule: d root / d input += (d node / d input) * (d root / d node)
                upstream = node.grad
                node._x.grad += local * upstream
                y = node._y
                if y is not None:
                    y.grad += node._dy * upstream
            elif type(local) is tuple:  # many operands (a sum, w·x+b): one local derivative each
                upstream = node.grad
                for inp, slope in zip(node._x, local):
                    inp.grad += slope * upstream
            else:  # None: a learner's own operation, whose _backward does the same
                node._backward()
    except BaseException:  # a learner's _backward failed: every leaf keeps what it had
        recorded = set(leaves)
        _zero(inp for node in order for inp in node.inputs if inp._x is None and inp not in recorded)
        for leaf, earlier in zip(leaves, earlier_grads):
            leaf.grad = earlier
        raise
    _add(leaves, earlier_grads)
    if root._x is not None and type(given) is int:
        root.grad = given  # micrograd's root reads grad=1, not 1.0 (an int is exact either way)


def _zero(nodes):
    for node in nodes:
        node.grad = 0.0


def _add(leaves, earlier_grads):
    for leaf, earlier in zip(leaves, earlier_grads):
        leaf.grad += earlier


def _check_value(node, where):
    """A TypeError naming what was passed, unless node is a Value."""
    if not isinstance(node, Value):
        raise TypeError(f"{where} needs a Value, got {node!r} ({type(node).__name__})")
