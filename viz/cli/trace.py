"""``tracegrad trace``: an example's or an expression's forward and backward pass, node by node."""

import math
import os

from tracegrad import topological_order

from ..examples import EXAMPLES, LEARNING_RATES, parameters_of
from ..expression import ALLOWED, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, MAX_OPERATIONS, parse
from ..format import format_number
from .checks import UsageError, check_writable, whole_number

__all__ = ["add_command", "run"]

_OUTPUT_SUFFIXES = {"svg": ".svg", "png": ".png", "html": ".html", "dot": ".dot"}


def add_command(commands):
    """The trace command's arguments, added to the command line's subparsers."""
    trace = commands.add_parser(
        "trace",
        help="trace an example or an expression, node by node",
        description="Print the forward and backward pass of an example (square_neuron: one ReLU "
        "neuron learning y = x²; network_221: a 2-2-1 network) or of an expression over named "
        "variables, like "
        "tracegrad trace \"tanh(w*x + b)\" w=0.5 x=2 b=-1. Expressions may use "
        f"{ALLOWED}, in at most "
        f"{MAX_LENGTH:,} characters, {MAX_OPERATIONS} operations and {MAX_DEPTH} nested parentheses, "
        f"with number exponents within ±{MAX_EXPONENT}.",
    )
    trace.add_argument("target", nargs="?", metavar="EXAMPLE_OR_EXPRESSION",
                       help=f"{' or '.join(EXAMPLES)}, or an expression in quotes; one that starts "
                       "with '-' goes after '--': tracegrad trace -- \"-x*y\" x=2 y=3")
    trace.add_argument("assignments", nargs="*", metavar="NAME=VALUE",
                       help="a value for each variable of the expression, like x=2 y=-3: "
                       "any finite number (a float: at most about 1.8e308 in size)")
    for kind, suffix in _OUTPUT_SUFFIXES.items():
        what = "the stepper page" if kind == "html" else f"the graph as {kind.upper()}"
        trace.add_argument(f"--{kind}", metavar=f"PATH{suffix}", help=f"also write {what}")
    trace.add_argument("--digits", type=whole_number(1, 17), default=6, metavar="N",
                       help="significant digits for numbers (default 6, from 1 to 17)")
    trace.set_defaults(run=run)


def run(args):
    if args.target is None:
        raise UsageError(
            f"trace needs an example ({', '.join(EXAMPLES)}) or an expression with its variables, "
            "like: tracegrad trace \"x*y + 1\" x=2 y=-3"
        )
    outputs = _outputs(args)
    root, step = _target(args.target, args.assignments)
    from ..trace import trace

    if outputs:
        _check_drawable(root, outputs)
    traced = trace(root, digits=args.digits, **step)
    drawing = None
    if any(kind != "html" for kind, _ in outputs):
        drawing = traced.draw()  # the trace's gradients, in its digits; _check_drawable checked the size
    print(traced)
    if any(not math.isfinite(traced.grad(node)) for node in traced.nodes.order):
        # each step is finite, but a chain of large local derivatives can overflow
        print("\nnote: some gradients overflowed (inf, or nan from inf - inf): "
              "the true derivatives are beyond what a float can hold")
    for kind, path in outputs:
        try:
            if kind == "html":
                traced.save_html(path)
            else:
                drawing.save(path)
        except OSError as error:
            raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
        except ValueError as error:  # the page refuses a graph it cannot draw
            raise UsageError(f"cannot write {path}: {error}") from None
        print(f"wrote {path}")
    return 0


def _check_drawable(root, outputs):
    """A UsageError, before the trace is printed, when the graph is too big to draw."""
    from ..dot import MAX_DRAWN_NODES
    from ..format import check_graph_size

    try:
        check_graph_size(root, MAX_DRAWN_NODES)
    except ValueError:
        options = "/".join(f"--{kind}" for kind, _ in outputs)
        raise UsageError(f"this graph has more than {MAX_DRAWN_NODES} nodes, too many to draw legibly; "
                         f"leave out {options} to print its trace alone") from None


def _target(target, assignments):
    """(root Value, trace()'s step arguments) for an example name, or an expression with NAME=VALUE
    assignments. An example ends with its blog post's step of gradient descent."""
    if target in EXAMPLES:
        if assignments:
            raise UsageError(f"the example {target!r} takes no variables; got {' '.join(assignments)}")
        build, _ = EXAMPLES[target]
        root, nodes = build()
        return root, {"parameters": parameters_of(nodes), "lr": LEARNING_RATES[target]}
    variables = _assignments(assignments)
    # A lone name or number is no expression worth tracing: most likely an example's name,
    # mistyped or remembered from an older version, so say which names there are.
    if (target.isidentifier() or _is_number(target)) and not variables:
        name = target if target.isidentifier() else "x"
        raise UsageError(
            f"unknown example {target!r}; the examples are {', '.join(EXAMPLES)} "
            f"(or an expression with its variables, like: tracegrad trace \"{name}*2\" {name}=3)"
        )
    root = parse(target, variables)
    # A value for a name the expression does not use is refused: most often the expression or
    # the name has a typo, and the trace would silently be of another function than the one meant.
    used = {node.label for node in topological_order(root) if not node.inputs}
    unused = [f"{name}={format_number(value)}" for name, value in variables.items() if name not in used]
    if unused:
        names = ", ".join(sorted(used)) or "none"
        raise UsageError(f"{' '.join(unused)}: the expression {target!r} does not use "
                         f"{'this variable' if len(unused) == 1 else 'these variables'} (its variables: {names})")
    return root, {}


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _assignments(items):
    """NAME=VALUE strings as a dict of floats; a UsageError names the first bad one."""
    variables = {}
    for item in items:
        name, equals, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not equals or not name or not text:
            raise UsageError(f"{item!r} is not an assignment: write NAME=VALUE with no spaces, like x=2")
        if not name.isidentifier():
            raise UsageError(f"{item!r}: {name!r} is not a variable name (letters, digits and _)")
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{item!r}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise UsageError(f"{item!r}: the value must be a finite number")
        if name in variables:
            raise UsageError(f"{name} is given twice ({name}={format_number(variables[name])} and {item})")
        variables[name] = value
    return variables


def _outputs(args):
    """[(kind, path)] for the --svg/--png/--html/--dot options given, checked before any work."""
    outputs = []
    for kind, suffix in _OUTPUT_SUFFIXES.items():
        path = getattr(args, kind)
        if path is None:
            continue
        # the file's suffix as Drawing.save reads it: ".svg" alone is a hidden file with none
        if os.path.splitext(path)[1].lower() != suffix:
            raise UsageError(f"--{kind} needs a file name ending in {suffix}, got {path!r}")
        check_writable(path)
        outputs.append((kind, path))
    return outputs
