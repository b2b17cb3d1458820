"""Graph walks: topological order, backward, grad.

The engine knows only that a node has ``inputs`` (a tuple of nodes) and
``local_grads`` (d node / d input, one float per input, computed in the forward
pass). Everything here is iterative, so a chain of a million operations needs no
more than Python's default recursion limit.
"""

__all__ = ["topological_order", "backward", "grad"]


def topological_order(root):
    """Every node of root's graph once, each after all of its inputs; root last.

    Depth-first post-order with an explicit stack: a node is pushed once to be
    expanded and once more, beneath its inputs, to be emitted after them.
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
            if inp not in seen:
                stack.append((inp, False))
    return order


def backward(root, gradient=1.0):
    """Set every node's ``grad`` to d root / d node; leaves accumulate.

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
    # The same walk as topological_order, fused with zeroing every grad in the
    # graph: this loop is the hot path of training. None on the stack marks
    # "the node below me has all its inputs done".
    interior, leaves, earlier_grads, seen = [], [], [], set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None:
            interior.append(stack.pop())
            continue
        if node in seen:
            continue
        seen.add(node)
        if node.inputs:
            node.grad = 0.0
            stack.append(node)
            stack.append(None)
            for inp in reversed(node.inputs):
                if inp not in seen:
                    stack.append(inp)
        else:
            # A leaf gathers this call's gradient from zero and gets its earlier
            # grad added back at the end: summing the contributions straight
            # onto the old grad would round differently, and a second call
            # would not give exactly twice the first.
            leaves.append(node)
            earlier_grads.append(node.grad)
            node.grad = 0.0
    del seen  # the walk's bookkeeping goes before the new grads arrive: a lower peak
    root.grad += gradient
    for node in reversed(interior):
        upstream = node.grad
        # chain rule: d root / d input += (d node / d input) * (d root / d node)
        for inp, local in zip(node.inputs, node.local_grads):
            inp.grad += local * upstream
    for leaf, earlier in zip(leaves, earlier_grads):
        leaf.grad += earlier


def grad(output, inputs, allow_unused=False):
    """d output / d input for each of inputs, as a tuple of floats; no ``.grad`` changes.

    Like ``torch.autograd.grad``: an input that output does not depend on is an
    error, unless ``allow_unused=True``, which gives 0.0 for it.
    """
    from .value import Value  # local import: value.py imports this module

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


def _check_value(node, where):
    """A TypeError naming what was passed, unless node is a Value."""
    from .value import Value  # local import: value.py imports this module

    if not isinstance(node, Value):
        raise TypeError(f"{where} needs a Value, got {node!r} ({type(node).__name__})")
