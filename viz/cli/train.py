"""``tracegrad train``: train an MLP on a toy data set (nn.toy_dataset) and write the training player."""

import argparse
import math
import os
import sys

from tracegrad.files import remove_empty_folders
from tracegrad.nn.data import DATASETS, MIN_SAMPLES, default_noise, losses_for

from .checks import DEFAULT_OUT, UsageError, check_writable, make_folder, number, whole_number
from .results import after_training, result_line

__all__ = ["add_command", "run"]

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


def add_command(commands):
    """The train command's arguments, added to the command line's subparsers."""
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
    train.add_argument("--epochs", type=whole_number(1, MAX_EPOCHS), default=40, metavar="N",
                       help=f"passes over the data, one Adam step each (default 40, at most {MAX_EPOCHS:,})")
    train.add_argument("--lr", type=number(0, MAX_LR, low_allowed=False), default=0.1, metavar="RATE",
                       help=f"Adam's learning rate (default 0.1, at most {MAX_LR:,})")
    train.add_argument("--hidden", type=_layer_sizes, default=[16, 16], metavar="SIZES",
                       help="hidden layer sizes, comma-separated (default 16,16; at most "
                       f"{MAX_HIDDEN_LAYERS} layers of at most {MAX_LAYER_SIZE:,})")
    defaults = ", ".join(f"{losses_for(name)[0]} for {name}" for name in DATASETS)
    every_loss = ", ".join(dict.fromkeys(loss for name in DATASETS for loss in losses_for(name)))
    train.add_argument("--loss", metavar="NAME", help=f"{every_loss} (default: {defaults})")
    train.add_argument("--samples", type=whole_number(1, MAX_SAMPLES), default=100, metavar="N",
                       help=f"how many samples to generate (default 100, at most {MAX_SAMPLES:,})")
    noises = sorted({default_noise(name) for name in DATASETS}, reverse=True)
    train.add_argument("--noise", type=number(0, MAX_NOISE, low_allowed=True), metavar="SD",
                       help=f"standard deviation of the noise added to the data (default {noises[0]:g}; "
                       + "; ".join(f"{default_noise(name):g} for {name}" for name in DATASETS
                                   if default_noise(name) != noises[0])
                       + f"; at most {MAX_NOISE:,})")
    train.add_argument("--seed", type=whole_number(0, MAX_SEED), default=0, metavar="N",
                       help=f"seed for the data and the initial weights (default 0, at most {MAX_SEED:,})")
    train.add_argument("--out", metavar="DIR", default=DEFAULT_OUT, dest="train_out",
                       help=f"folder for the page, named train-DATASET.html (default {DEFAULT_OUT})")
    train.add_argument("--html", metavar="PATH.html", help="write the training player here instead")
    train.add_argument("--plot", metavar="PATH",
                       help="also write a still picture of the loss and the final model (.png, .svg or .pdf)")
    train.add_argument("--no-plot", action="store_true", help="train and report; write no page and no picture")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train.add_argument("--live", action="store_true",
                       help="watch it train in the browser: serve the live page on 127.0.0.1 until it is closed")
    train.set_defaults(run=run)


def _layer_sizes(text):
    """An argparse type: hidden layer sizes like 16,16, within the bounds."""
    parts = text.split(",")
    size = whole_number(1, MAX_LAYER_SIZE)
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


def _paths(args):
    """(page path or None, plot path or None), each checked writable before any training."""
    page_path = plot_path = None
    if args.no_plot and (args.html or args.plot):
        raise UsageError("--no-plot writes nothing: drop it, or drop --html and --plot")
    if not args.no_plot:
        page_path = args.html or os.path.join(args.train_out, f"train-{args.dataset}.html")
        if os.path.splitext(page_path)[1].lower() != ".html":
            raise UsageError(f"--html needs a file name ending in .html, got {page_path!r}")
    if args.plot is not None:
        from ..plot import MissingMatplotlib, check_plot_path, require_matplotlib

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
        check_writable(plot_path)
    made = []  # the folders made for the page, removed again if training fails
    if page_path is not None:
        if args.html is None:
            made = make_folder(args.train_out)
        check_writable(page_path)
    return page_path, plot_path, made


def run(args):
    from tracegrad import nn

    if args.dataset is None:
        raise UsageError(f"train needs a data set: {', '.join(DATASETS)}, like: tracegrad train moons")
    # every argument is checked (the loss against the data set too) before a folder is made
    if args.dataset not in DATASETS:
        raise UsageError(f"unknown data set {args.dataset!r}; choose one of {', '.join(DATASETS)}")
    fitting = losses_for(args.dataset)
    if args.loss is not None and args.loss not in fitting:
        raise UsageError(f"--loss {args.loss} does not fit {args.dataset}; choose one of {', '.join(fitting)}")
    if args.samples < MIN_SAMPLES.get(args.dataset, 1):
        raise UsageError(f"{args.dataset} needs --samples {MIN_SAMPLES[args.dataset]} or more")
    try:
        data = nn.toy_dataset(args.dataset, args.samples, loss=args.loss, noise=args.noise, seed=args.seed)
    except ValueError as error:  # nn.data refuses a --noise whose draws overflow a float
        raise UsageError(str(error)) from None
    X, y, loss = data.X, data.y, data.loss
    _check_size_of_run(args, [len(X[0])] + args.hidden + [data.outputs])
    page_path, plot_path, made = _paths(args)

    model = nn.MLP(len(X[0]), args.hidden + [data.outputs], seed=args.seed)
    sizes = " → ".join(str(n) for n in [model.nin] + model.nouts)
    summary = (f"{args.dataset}: {len(X)} samples; MLP {sizes} ({len(model.parameters())} parameters, "
               f"ReLU); {loss} loss; Adam, learning rate {args.lr:g}; {args.epochs} epochs")
    print(summary, flush=True)
    optimizer = nn.Adam(model.parameters(), lr=args.lr)
    options = dict(loss=loss, optimizer=optimizer, epochs=args.epochs, progress=not args.no_progress,
                   accuracy=data.is_classification)
    if args.live:
        from .live import train_live

        return train_live(model, X, y, options)
    try:
        if page_path is None:
            history = nn.fit(model, X, y, **options)
        else:
            from ..recording import frames_every, record

            # one step per epoch; a long run keeps every k-th step, so the page stays a few MB
            recording = record(model, X, y, every=frames_every(model, args.epochs), **options)
            history = recording.history
    except BaseException as error:  # Ctrl-C, or numbers that outgrew a float: no page, no folder for it
        remove_empty_folders(made)
        if isinstance(error, OverflowError):  # (the bounds make it unlikely)
            raise UsageError(f"training stopped: {error}") from None
        raise
    # The model as training left it, after the last update (the player's last step): fit's
    # history holds each epoch's loss as it was met, before that epoch's last update.
    if page_path is None:
        final_loss, final_accuracy = after_training(model, X, y, loss, data.is_classification)
    else:
        last = recording.frames[-1]
        final_loss, final_accuracy = last.loss, last.accuracy
    print(result_line(final_loss, final_accuracy, optimizer.t))
    _warn_if_diverged(history["loss"], final_loss, args.lr)

    title = f"tracegrad train {args.dataset}: MLP {sizes}, {loss} loss, Adam lr {args.lr:g}"
    if page_path is not None:
        # the page is named by the data set alone: a run with other options replaces it, and says so
        replacing = os.path.exists(page_path)
        try:
            recording.save_html(page_path, title=f"tracegrad train {args.dataset}")
        except OSError as error:
            raise UsageError(f"cannot write {page_path}: {error.strerror or error}") from None
        if replacing:
            print(f"wrote {page_path}  (the training player; it replaces the page an earlier run wrote "
                  "there: --html PATH writes elsewhere)")
        else:
            print(f"wrote {page_path}  (the training player: open it in a browser)")
    if plot_path is not None:
        from ..plot import save_training_plot

        curve = None
        if data.truth is not None:
            function, written = data.truth
            curve = (function, f"{written} (what the samples come from)")
        try:
            save_training_plot(plot_path, model, X, y, history, title=title, loss_name=f"{loss} loss",
                               true_curve=curve)
        except OSError as error:
            raise UsageError(f"cannot write {plot_path}: {error.strerror or error}") from None
        print(f"wrote {plot_path}")
    return 0


def _warn_if_diverged(losses, final_loss, lr):
    """One line on stderr when training made the loss worse: not finite, or grown past its start."""
    first = losses[0] if losses else final_loss
    if math.isfinite(final_loss) and final_loss <= 2 * first:
        return
    grew = (f"became {final_loss}" if not math.isfinite(final_loss)
            else f"grew from {first:.4g} (the first epoch) to {final_loss:.4g}")
    print(f"warning: the loss {grew}: training diverged; the learning rate {lr:g} is probably too large "
          "(try a smaller --lr, such as 0.01)", file=sys.stderr)
