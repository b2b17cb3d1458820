"""The ``tracegrad`` command: the walkthrough, ``trace`` and ``train``.

    tracegrad                                   the two worked examples, traced; graphs to files
    tracegrad trace square_neuron | network_221 an example's forward and backward pass, as a table
    tracegrad trace "tanh(w*x + b)" w=0.5 x=2 b=-1
    tracegrad train moons                       train an MLP; write the training player page

One module per command (walkthrough, trace, train), each adding its arguments
and running them; checks holds what they share. The command holds no knowledge
of its own about what it runs: the data sets and their losses are nn's
(nn.toy_dataset), the operations expressions offer are viz.notation's, how
many steps a page keeps is the recording's.

Every mistake a user can make (an unknown command, a bad expression, a missing
variable, an output path that cannot be written) is reported as one line on
stderr with exit status 2. Anything else that goes wrong is a bug in
tracegrad, and shows its traceback.
"""

import os
import sys

from ..expression import ExpressionError
from ..render import RenderError
from . import trace, train, walkthrough
from .checks import DEFAULT_OUT, Parser, UsageError, tracegrad_version

__all__ = ["main", "UsageError"]


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
        # `tracegrad trace network_221 | head`: the reader has gone; stop quietly, as other tools do
        sys.stdout = open(os.devnull, "w")
        return 0


def _parser():
    parser = Parser(
        prog="tracegrad",
        description="Watch backpropagation: trace a graph node by node, draw it, train small networks. "
        "Without a command, runs the walkthrough of the two worked examples (square_neuron: one ReLU "
        "neuron learning y = x²; network_221: a 2-2-1 network).",
    )
    parser.add_argument("--version", action="version", version=f"tracegrad {tracegrad_version()}")
    parser.add_argument(
        "--out", metavar="DIR",
        help=f"where the walkthrough writes its graphs (default: {DEFAULT_OUT})",
    )
    parser.set_defaults(run=walkthrough.run, command=None)
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    trace.add_command(commands)
    train.add_command(commands)
    return parser


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
