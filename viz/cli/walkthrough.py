"""``tracegrad`` with no command: the two worked examples traced, one step of gradient descent each,
and their drawings and stepper pages written to a folder."""

import os

from ..examples import EXAMPLES, NETWORK_221_BIASES, NETWORK_221_WEIGHTS, network_221, square_neuron
from ..format import format_number
from .checks import DEFAULT_OUT, UsageError, make_folder, tracegrad_version

__all__ = ["run"]


def run(args):
    from ..trace import trace

    folder = args.out or DEFAULT_OUT
    make_folder(folder)
    number = format_number
    written = []

    print(f"tracegrad {tracegrad_version()}: backpropagation, node by node.\n")

    # square_neuron: one neuron, then the blog post's gradient-descent step (learning rate 1).
    print(_heading("square_neuron", EXAMPLES["square_neuron"][1]))
    loss, nodes = square_neuron()
    traced = trace(loss)  # read-only: the backward() below does not change it
    print(traced)
    loss.backward()
    w, b, x = nodes["w"], nodes["b"], nodes["x"]
    w_new, b_new = w.data - w.grad, b.data - b.grad
    after, after_nodes = square_neuron(w=w_new, b=b_new)
    print(
        f"\nOne step of gradient descent with learning rate 1, as in the blog post:\n"
        f"  w = {number(w.data)} - {number(w.grad)} = {number(w_new)},"
        f"  b = {number(b.data)} - {number(b.grad)} = {number(b_new)}\n"
        f"  z = relu({number(w_new)}·{number(x.data)} + ({number(b_new)})) = {number(after_nodes['z'].data)},"
        f"  L = {number(loss.data)} -> {number(after.data)}"
        "  (the ReLU is now off: no gradient flows until w·x + b > 0 again)\n"
        "  The post writes dL/dw = 2wx = 12 and dL/db = 2b = 14 and lands on w = -9, b = -7;"
        " the chain rule\n  gives dL/dw = 2(z - y)·x = 36 and dL/db = 2(z - y) = 18,"
        " as the trace above shows. Either way the ReLU ends up off.\n"
    )
    written += _save_example("square_neuron", traced, folder)

    # network_221: the 2-2-1 network, then one step with the post's learning rate 0.1.
    print(_heading("network_221", EXAMPLES["network_221"][1]))
    cost, nodes = network_221()
    traced = trace(cost)
    print(traced)
    cost.backward()
    rate = 0.1
    weights = [[[_step(nodes[f"L{i + 1}.N{j}.w{k}"], rate) for k in range(len(row))]
                for j, row in enumerate(layer)] for i, layer in enumerate(NETWORK_221_WEIGHTS)]
    biases = [[_step(nodes[f"L{i + 1}.N{j}.b"], rate) for j in range(len(layer))]
              for i, layer in enumerate(NETWORK_221_BIASES)]
    after, _ = network_221(weights=weights, biases=biases)
    changed = [label for label in sorted(nodes) if _is_parameter(label) and nodes[label].grad != 0.0]
    print(f"\nOne step of gradient descent with learning rate {number(rate)}, as in the blog post:")
    for label in changed:
        node = nodes[label]
        print(f"  {label} = {number(node.data)} - {number(rate)}·({number(node.grad)})"
              f" = {number(_step(node, rate))}")
    print(f"  the other parameters have gradient 0 (the ReLU of L1.N1 is off) and stay;"
          f" C = {number(cost.data)} -> {number(after.data)}\n")
    written += _save_example("network_221", traced, folder)

    print("Wrote:")
    width = max(len(path) for path, _ in written)
    for path, what in written:
        print(f"  {path:<{width}}  {what}")
    print('\nNext: tracegrad trace "tanh(w*x + b)" w=0.5 x=2 b=-0.3,  tracegrad train moons,'
          "  tracegrad --help")
    return 0


def _heading(name, title):
    return f"== {name}: {title} ==\n"


def _step(node, rate):
    return node.data - rate * node.grad


def _is_parameter(label):
    return label.startswith("L") and (label.endswith(".b") or ".w" in label)


def _save_example(name, traced, folder):
    """Write a traced example's drawing and stepper page into folder: [(path, description)]."""
    svg = os.path.join(folder, f"{name}.svg")
    page = os.path.join(folder, f"{name}.html")
    try:
        traced.draw().save(svg)
        traced.save_html(page)
    except OSError as error:
        raise UsageError(f"cannot write into {folder}: {error.strerror or error}") from None
    return [(svg, "the graph with every value and gradient"),
            (page, "a page that steps through both passes (open it in a browser)")]
