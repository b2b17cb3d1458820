"""``tracegrad`` with no command: the two worked examples traced, one step of gradient descent each,
and their drawings and stepper pages written to a folder."""

import os

from ..examples import EXAMPLES, LEARNING_RATES, parameters_of
from .checks import DEFAULT_OUT, UsageError, make_folder, tracegrad_version

__all__ = ["run"]


def run(args):
    folder = args.out or DEFAULT_OUT
    make_folder(folder)
    written = []

    print(f"tracegrad {tracegrad_version()}: backpropagation, node by node.\n")

    # square_neuron: one neuron, then the blog post's gradient-descent step (learning rate 1).
    print(_heading("square_neuron", EXAMPLES["square_neuron"][1]))
    traced = _traced("square_neuron")
    print(traced)
    print(
        "\n  The post writes dL/dw = 2wx = 12 and dL/db = 2b = 14 and lands on w = -9, b = -7;"
        " the chain rule\n  gives dL/dw = 2(z - y)·x = 36 and dL/db = 2(z - y) = 18,"
        " as the trace above shows. Either way the ReLU ends up off.\n"
    )
    written += _save_example("square_neuron", traced, folder)

    # network_221: the 2-2-1 network, then one step with the post's learning rate 0.1.
    print(_heading("network_221", EXAMPLES["network_221"][1]))
    traced = _traced("network_221")
    print(traced)
    print("\n  The parameters of L1.N1 and L2.N0.w1 have gradient 0 (the ReLU of L1.N1 is off) and stay.\n")
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


def _traced(name):
    """The example's trace, ending with its blog post's step of gradient descent."""
    from ..trace import trace

    loss, nodes = EXAMPLES[name][0]()
    return trace(loss, parameters=parameters_of(nodes), lr=LEARNING_RATES[name])


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
