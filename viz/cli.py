"""The ``tracegrad`` command: the walkthrough, ``trace`` and ``train``.

    tracegrad                                   the two worked examples, traced; graphs to files
    tracegrad trace square | 221                an example's forward and backward pass, as a table
    tracegrad trace "tanh(w*x + b)" w=0.5 x=2 b=-1
    tracegrad train moons                       train an MLP; write the training player page

Every mistake a user can make (an unknown command, a bad expression, a missing
variable, an output path that cannot be written) is reported as one line on
stderr with exit status 2. Anything else that goes wrong is a bug in
tracegrad, and shows its traceback.
"""

import argparse
import math
import os
import sys
from importlib.metadata import PackageNotFoundError, version

from .examples import EXAMPLES, SEED_001_BIASES, SEED_001_WEIGHTS, network_221, square_neuron
from .expression import ALLOWED, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, MAX_OPERATIONS, ExpressionError, parse
from .format import format_number
from .render import RenderError

__all__ = ["main", "UsageError"]

DEFAULT_OUT = "tracegrad-out"
DATASETS = ("moons", "circles", "xor", "spiral", "squares")

# Upper bounds on every number the command takes, checked before any work starts,
# so that no argument runs for hours or fills the memory. A training step uses each
# parameter once per sample; fit replays an MLP's graph over the samples with numpy,
# at about 100 bytes and well under a microsecond per use.
MAX_EPOCHS = 10_000
MAX_SAMPLES = 10_000
MAX_HIDDEN_LAYERS = 10
MAX_LAYER_SIZE = 1_000
MAX_PARAMETERS = 10_000  # the page and the plot run the model over a grid: seconds at the limit
MAX_USES_PER_STEP = 2_000_000  # samples × parameters: ~200 MB
MAX_USES = 500_000_000  # epochs × samples × parameters: about a minute
MAX_LR = 1000  # Adam moves a weight by about lr a step: numbers stay far from overflowing
MAX_NOISE = 1000  # the toy data lie within ±2; noise 1000 already hides them completely
MAX_SEED = 2**32 - 1  # as numpy's seeds
_OUTPUT_SUFFIXES = {"svg": ".svg", "png": ".png", "html": ".html", "dot": ".dot"}


class UsageError(Exception):
    """A mistake in how tracegrad was called; main() prints it as one line and exits with 2."""


def main(argv=None):
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    _replace_unencodable_output()
    parser = _parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as done:  # --help and --version print and exit 0
            return done.code
        if args.command is not None and args.out is not None:
            where = "tracegrad train DATASET --out DIR" if args.command == "train" else "--svg/--png/--html/--dot"
            raise UsageError(f"--out before a command is the walkthrough's; for {args.command} use {where}")
        return args.run(args)
    except (UsageError, ExpressionError, RenderError) as error:
        _print_error(error)
        return 2
    except KeyboardInterrupt:
        print("tracegrad: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `tracegrad trace 221 | head`: the reader has gone; stop quietly, as other tools do
        sys.stdout = open(os.devnull, "w")
        return 0


def _replace_unencodable_output():
    """Write ? for characters the output's encoding lacks, instead of failing midway.

    A trace uses ×, · and ≤; a Windows file redirect (cp1252) or an ASCII
    locale cannot encode them, and print() would raise UnicodeEncodeError.
    """
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and stream.errors == "strict":
            stream.reconfigure(errors="replace")


def _print_error(error):
    message = " ".join(str(error).split())  # one line, whatever the message held
    if len(message) > 500:  # an argument of megabytes, quoted back: keep both ends of the line
        message = f"{message[:350]} ... {message[-100:]}"
    print(f"tracegrad: error: {message}", file=sys.stderr)


# --- the parser --------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors become a UsageError (one line) instead of usage + exit."""

    def error(self, message):
        if message.startswith("argument COMMAND: invalid choice"):
            unknown = message.split("invalid choice:", 1)[1].split("(choose", 1)[0].strip()
            raise UsageError(f"unknown command {unknown}; commands: trace, train, or none for the "
                             f"walkthrough (see {self.prog} --help)")
        hint = ""
        if "unrecognized arguments: -" in message and "unrecognized arguments: --" not in message:
            hint = ("; an expression that starts with '-' goes after '--', "
                    "like: tracegrad trace -- \"-x*y\" x=2 y=3")
        raise UsageError(f"{message}{hint} (see {self.prog} --help)")


def _parser():
    parser = _Parser(
        prog="tracegrad",
        description="Watch backpropagation: trace a graph node by node, draw it, train small networks. "
        "Without a command, runs the walkthrough of the two worked examples (Example A: one ReLU "
        "neuron learning y = x²; Example B: a 2-2-1 network).",
    )
    parser.add_argument("--version", action="version", version=f"tracegrad {_version()}")
    parser.add_argument(
        "--out", metavar="DIR",
        help=f"where the walkthrough writes its graphs (default: {DEFAULT_OUT})",
    )
    parser.set_defaults(run=_walkthrough, command=None)
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")

    trace = commands.add_parser(
        "trace",
        help="trace an example or an expression, node by node",
        description="Print the forward and backward pass of an example (square: Example A, one ReLU "
        "neuron learning y = x²; 221: Example B, a 2-2-1 network) or of an expression over named "
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
    trace.add_argument("--digits", type=_whole_number(1, 17), default=6, metavar="N",
                       help="significant digits for numbers (default 6, from 1 to 17)")
    trace.set_defaults(run=_trace)

    train = commands.add_parser(
        "train",
        help="train a small network on a toy data set and watch it learn",
        description="Train an MLP on a toy data set with a progress bar, print the final loss "
        "and accuracy, and write the training player: one page (open it in a browser) that "
        "replays the run step by step, with the data and the decision boundary, the loss and "
        "accuracy curves, the network and every parameter. --plot also writes a still picture. "
        "Limits keep a run to about a minute and "
        f"a few hundred MB: at most {MAX_PARAMETERS:,} parameters, samples × parameters at most "
        f"{MAX_USES_PER_STEP:,} (one step's graph), and epochs × samples × parameters at most "
        f"{MAX_USES:,}.",
    )
    train.add_argument("dataset", nargs="?", metavar="DATASET", help=", ".join(DATASETS))
    train.add_argument("--epochs", type=_whole_number(1, MAX_EPOCHS), default=40, metavar="N",
                       help=f"passes over the data, one Adam step each (default 40, at most {MAX_EPOCHS:,})")
    train.add_argument("--lr", type=_number(0, MAX_LR, low_allowed=False), default=0.1, metavar="RATE",
                       help=f"Adam's learning rate (default 0.1, at most {MAX_LR:,})")
    train.add_argument("--hidden", type=_layer_sizes, default=[16, 16], metavar="SIZES",
                       help="hidden layer sizes, comma-separated (default 16,16; at most "
                       f"{MAX_HIDDEN_LAYERS} layers of at most {MAX_LAYER_SIZE:,})")
    train.add_argument("--loss", metavar="NAME",
                       help="hinge, bce_with_logits, cross_entropy, mse or half_squared_error "
                       "(default: hinge for two classes, cross_entropy for spiral, mse for squares)")
    train.add_argument("--samples", type=_whole_number(1, MAX_SAMPLES), default=100, metavar="N",
                       help=f"how many samples to generate (default 100, at most {MAX_SAMPLES:,})")
    train.add_argument("--noise", type=_number(0, MAX_NOISE, low_allowed=True), metavar="SD",
                       help="standard deviation of the noise added to the data (default 0.1; "
                       f"0.05 for squares, whose targets lie in [0, 1]; at most {MAX_NOISE:,})")
    train.add_argument("--seed", type=_whole_number(0, MAX_SEED), default=0, metavar="N",
                       help=f"seed for the data and the initial weights (default 0, at most {MAX_SEED:,})")
    train.add_argument("--out", metavar="DIR", default=DEFAULT_OUT, dest="train_out",
                       help=f"folder for the page, named train-DATASET.html (default {DEFAULT_OUT})")
    train.add_argument("--html", metavar="PATH.html", help="write the training player here instead")
    train.add_argument("--plot", metavar="PATH",
                       help="also write a still picture of the loss and the final model (.png, .svg or .pdf)")
    train.add_argument("--no-plot", action="store_true", help="train and report; write no page and no picture")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train.set_defaults(run=_train)
    return parser


def _version():
    try:
        return version("tracegrad")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def _whole_number(low, high):
    """An argparse type: a whole number from low to high."""

    def parse(text):
        try:
            n = int(text)
        except ValueError:  # not a whole number, or thousands of digits
            n = None
        if n is None and not text.strip().lstrip("+-").isdecimal():
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
        if n is None or not low <= n <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low:,} to {high:,}, got {text!r}")
        return n

    return parse


def _number(low, high, low_allowed):
    """An argparse type: a number up to high, and above low (or from low, with low_allowed)."""
    wanted = f"from {low:,g} to {high:,g}" if low_allowed else f"> {low:,g} and at most {high:,g}"

    def parse(text):
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not ((low <= x if low_allowed else low < x) and x <= high):  # also refuses nan
            raise argparse.ArgumentTypeError(f"expected a number {wanted}, got {text!r}")
        return x

    return parse


def _layer_sizes(text):
    """An argparse type: hidden layer sizes like 16,16, within the bounds."""
    parts = text.split(",")
    size = _whole_number(1, MAX_LAYER_SIZE)
    try:
        if len(parts) <= MAX_HIDDEN_LAYERS:
            return [size(part.strip()) for part in parts]
    except argparse.ArgumentTypeError:
        pass
    raise argparse.ArgumentTypeError(
        f"expected layer sizes like 16,16: at most {MAX_HIDDEN_LAYERS}, each from 1 to "
        f"{MAX_LAYER_SIZE:,}, got {text!r}"
    )


def _check_size_of_run(args, sizes):
    """Raise UsageError unless the network and the whole run stay within the bounds."""
    parameters = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    if parameters > MAX_PARAMETERS:
        network = " → ".join(str(n) for n in sizes)
        raise UsageError(f"--hidden {','.join(map(str, args.hidden))} makes an MLP {network} of "
                         f"{parameters:,} parameters; the limit is {MAX_PARAMETERS:,}")
    per_step = args.samples * parameters
    if per_step > MAX_USES_PER_STEP:
        raise UsageError(f"{args.samples:,} samples × {parameters:,} parameters is {per_step:,} parameter "
                         f"uses per step (each a node of the graph); the limit is {MAX_USES_PER_STEP:,}: "
                         "use fewer --samples or smaller --hidden layers")
    if args.epochs * per_step > MAX_USES:
        raise UsageError(f"{args.epochs:,} epochs × {args.samples:,} samples × {parameters:,} parameters is "
                         f"{args.epochs * per_step:,} parameter uses; the limit is {MAX_USES:,}: use at most "
                         f"{MAX_USES // per_step:,} epochs, or fewer --samples or smaller --hidden layers")


# --- tracegrad trace ---------------------------------------------------------


def _trace(args):
    if args.target is None:
        raise UsageError(
            f"trace needs an example ({', '.join(EXAMPLES)}) or an expression with its variables, "
            "like: tracegrad trace \"x*y + 1\" x=2 y=-3"
        )
    outputs = _outputs(args)
    root = _target(args.target, args.assignments)
    from .trace import trace

    if outputs:
        _check_drawable(root, outputs)
    traced = trace(root, digits=args.digits)
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
    from .dot import DEFAULT_MAX_NODES
    from .format import check_graph_size

    try:
        check_graph_size(root, DEFAULT_MAX_NODES)
    except ValueError:
        options = "/".join(f"--{kind}" for kind, _ in outputs)
        raise UsageError(f"this graph has more than {DEFAULT_MAX_NODES} nodes, too many to draw legibly; "
                         f"leave out {options} to print its trace alone") from None


def _target(target, assignments):
    """The root Value for an example name or an expression with NAME=VALUE assignments."""
    if target in EXAMPLES:
        if assignments:
            raise UsageError(f"the example {target!r} takes no variables; got {' '.join(assignments)}")
        build, _ = EXAMPLES[target]
        root, _ = build()
        return root
    variables = _assignments(assignments)
    if target.isidentifier() and not variables:
        raise UsageError(
            f"unknown example {target!r}; examples: {', '.join(EXAMPLES)} "
            f"(or an expression with its variables, like: tracegrad trace \"{target}*2\" {target}=3)"
        )
    return parse(target, variables)


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


def check_writable(path):
    """Raise UsageError unless a file could be created at path (its folder exists, it is no folder)."""
    if os.path.isdir(path):
        raise UsageError(f"cannot write {path}: it is a directory")
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {path}: the directory {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write {path}: no permission to write in {folder}")


def make_folder(folder):
    """Create folder (and its parents) unless it exists; a UsageError when that is impossible."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create the directory {folder}: {error.strerror or error}") from None
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write in the directory {folder}: permission denied")


# --- tracegrad train -----------------------------------------------------------


# Binary data sets take any classification loss; their labels and output count follow the loss.
_BINARY_LOSSES = ("hinge", "bce_with_logits", "cross_entropy", "mse", "half_squared_error")
_REGRESSION_LOSSES = ("mse", "half_squared_error")


def _dataset(name, samples, noise, seed, loss):
    """(X, y, number of outputs, loss) for a data set, checking the loss fits it."""
    from tracegrad import nn

    if name in ("moons", "circles", "xor"):
        loss = loss or "hinge"
        _check_loss(name, loss, _BINARY_LOSSES)
        # hinge and the squared errors push scores towards -1 and +1; the others want 0/1 labels
        signed = loss in ("hinge", "mse", "half_squared_error")
        make = {"moons": nn.make_moons, "circles": nn.make_circles, "xor": nn.make_xor}[name]
        X, y = make(samples, noise=noise, seed=seed, signed=signed)
        return X, y, (2 if loss == "cross_entropy" else 1), loss
    if name == "spiral":
        loss = loss or "cross_entropy"
        _check_loss(name, loss, ("cross_entropy",))
        if samples < 3:
            raise UsageError("spiral needs --samples 3 or more (one per arm at least)")
        X, y = nn.make_spiral(samples, noise=noise, seed=seed)
        return X, y, 3, loss
    loss = loss or "mse"
    _check_loss(name, loss, _REGRESSION_LOSSES)
    X, y = nn.make_squares(samples, noise=noise, seed=seed)
    return X, y, 1, loss


def _check_loss(dataset, loss, allowed):
    if loss not in allowed:
        raise UsageError(f"--loss {loss} does not fit {dataset}; choose one of {', '.join(allowed)}")


def _train(args):
    from tracegrad import nn

    if args.dataset is None:
        raise UsageError(f"train needs a data set: {', '.join(DATASETS)}, like: tracegrad train moons")
    if args.dataset not in DATASETS:
        raise UsageError(f"unknown data set {args.dataset!r}; choose one of {', '.join(DATASETS)}")
    # every argument is checked (the loss against the data set too) before a folder is made
    noise = args.noise if args.noise is not None else (0.05 if args.dataset == "squares" else 0.1)
    try:
        X, y, outputs, loss = _dataset(args.dataset, args.samples, noise, args.seed, args.loss)
    except ValueError as error:  # nn.data refuses a --noise whose draws overflow a float
        raise UsageError(str(error)) from None
    _check_size_of_run(args, [len(X[0])] + args.hidden + [outputs])
    page_path = plot_path = None
    if args.no_plot and (args.html or args.plot):
        raise UsageError("--no-plot writes nothing: drop it, or drop --html and --plot")
    if not args.no_plot:
        page_path = args.html or os.path.join(args.train_out, f"train-{args.dataset}.html")
        if os.path.splitext(page_path)[1].lower() != ".html":
            raise UsageError(f"--html needs a file name ending in .html, got {page_path!r}")
    if args.plot is not None:
        from .plot import MissingMatplotlib, check_plot_path, require_matplotlib

        try:
            check_plot_path(args.plot)
        except ValueError:
            raise UsageError(f"--plot needs a file name ending in .png, .svg or .pdf, got {args.plot!r}") from None
        try:
            require_matplotlib()
        except MissingMatplotlib:
            raise UsageError("--plot needs matplotlib, which tracegrad installs; it is missing here: "
                             "pip install matplotlib") from None
        plot_path = args.plot
        check_writable(plot_path)  # before training, not after
    if page_path is not None:
        if args.html is None:
            make_folder(args.train_out)
        check_writable(page_path)

    model = nn.MLP(len(X[0]), args.hidden + [outputs], seed=args.seed)
    sizes = " → ".join(str(n) for n in [model.nin] + model.nouts)
    summary = (f"{args.dataset}: {len(X)} samples; MLP {sizes} ({len(model.parameters())} parameters, "
               f"ReLU); {loss} loss; Adam, learning rate {args.lr:g}; {args.epochs} epochs")
    print(summary, flush=True)
    optimizer = nn.Adam(model.parameters(), lr=args.lr)
    options = dict(loss=loss, optimizer=optimizer, epochs=args.epochs, progress=not args.no_progress,
                   accuracy=args.dataset != "squares")
    try:
        if page_path is None:
            history = nn.fit(model, X, y, **options)
        else:
            from .recording import record

            # one step per epoch; a long run keeps every k-th step, so the page stays a few MB
            recording = record(model, X, y, every=_frames_every(model, len(X[0]), args.epochs), **options)
            history = recording.history
    except OverflowError as error:  # the numbers outgrew a float (the bounds make it unlikely)
        raise UsageError(f"training stopped: {error}") from None
    result = f"final loss {history['loss'][-1]:.4g}"
    if "accuracy" in history:
        result += f", accuracy {history['accuracy'][-1]:.1%} on the training samples"
    print(result)

    title = f"tracegrad train {args.dataset}: MLP {sizes}, {loss} loss, Adam lr {args.lr:g}"
    if page_path is not None:
        try:
            recording.save_html(page_path, title=f"tracegrad train {args.dataset}")
        except OSError as error:
            raise UsageError(f"cannot write {page_path}: {error.strerror or error}") from None
        print(f"wrote {page_path}  (the training player: open it in a browser)")
    if plot_path is not None:
        from .plot import save_training_plot

        curve = (lambda x: x * x, "y = x² (what the samples come from)") if args.dataset == "squares" else None
        try:
            save_training_plot(plot_path, model, X, y, history, title=title, loss_name=f"{loss} loss",
                               true_curve=curve)
        except OSError as error:
            raise UsageError(f"cannot write {plot_path}: {error.strerror or error}") from None
        print(f"wrote {plot_path}")
    return 0


# About 4 MB of page: the parameters' values, gradients and Adam's m and v in float64,
# the model's output over the grid in float32, a byte per point of each neuron's picture.
_PAGE_BYTES = 4_000_000


def _frames_every(model, nin, steps):
    """Record every k-th step: the smallest k that keeps the page near _PAGE_BYTES."""
    from .recording import LINE_RESOLUTION, PLANE_RESOLUTION, TILE_STRIDE

    points = PLANE_RESOLUTION ** 2 if nin == 2 else LINE_RESOLUTION if nin == 1 else 0
    tile_points = points // TILE_STRIDE ** nin if nin in (1, 2) else 0
    hidden = sum(model.nouts[:-1])
    per_frame = 4 / 3 * (len(model.parameters()) * 8 * 4 + points * model.nouts[-1] * 4 + hidden * tile_points)
    return max(1, math.ceil((steps + 1) * per_frame / _PAGE_BYTES))


# --- tracegrad (the walkthrough) ------------------------------------------------


def _walkthrough(args):
    from .trace import trace

    folder = args.out or DEFAULT_OUT
    make_folder(folder)
    number = format_number
    written = []

    print(f"tracegrad {_version()}: backpropagation, node by node.\n")

    # Example A: one neuron, then the blog post's gradient-descent step (learning rate 1).
    print(_heading("square", EXAMPLES["square"][1]))
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
    written += _save_example("square", traced, folder)

    # Example B: the 2-2-1 network, then one step with the post's learning rate 0.1.
    print(_heading("221", EXAMPLES["221"][1]))
    cost, nodes = network_221()
    traced = trace(cost)
    print(traced)
    cost.backward()
    rate = 0.1
    weights = [[[_step(nodes[f"L{i + 1}.N{j}.w{k}"], rate) for k in range(len(row))]
                for j, row in enumerate(layer)] for i, layer in enumerate(SEED_001_WEIGHTS)]
    biases = [[_step(nodes[f"L{i + 1}.N{j}.b"], rate) for j in range(len(layer))]
              for i, layer in enumerate(SEED_001_BIASES)]
    after, _ = network_221(weights=weights, biases=biases)
    changed = [label for label in sorted(nodes) if _is_parameter(label) and nodes[label].grad != 0.0]
    print(f"\nOne step of gradient descent with learning rate {number(rate)}, as in the blog post:")
    for label in changed:
        node = nodes[label]
        print(f"  {label} = {number(node.data)} - {number(rate)}·({number(node.grad)})"
              f" = {number(_step(node, rate))}")
    print(f"  the other parameters have gradient 0 (the ReLU of L1.N1 is off) and stay;"
          f" C = {number(cost.data)} -> {number(after.data)}\n")
    written += _save_example("221", traced, folder)

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


if __name__ == "__main__":
    sys.exit(main())
