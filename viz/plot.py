"""Plots of a training run: the loss curve, and what the trained model does with its inputs.

Needs matplotlib (a dependency of tracegrad). Figures are drawn with
matplotlib's object-oriented API on an Agg canvas, never through pyplot, so
it works on a machine without a display and leaves a notebook's own
matplotlib backend alone.
"""

import io
import os

from tracegrad.nn import predict
from tracegrad.files import replace_file

__all__ = ["MissingMatplotlib", "INSTALL_HINT", "require_matplotlib", "check_plot_path",
           "training_figure", "save_training_plot"]

INSTALL_HINT = "pip install matplotlib"

# Okabe & Ito's palette: distinguishable with every common kind of colour blindness.
_CLASS_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
_LOSS_COLOUR, _ACCURACY_COLOUR = "#000000", "#009E73"
_PLOT_FORMATS = (".png", ".svg", ".pdf")
# predict() replays a model over all its rows at once, with an array per node as long as
# the rows; a few hundred rows at a time keep the grid's memory to that of a small batch.
_ROWS_AT_ONCE = 400


class MissingMatplotlib(ImportError):
    """matplotlib is not installed; the message says how to install it."""


def require_matplotlib():
    """Raise MissingMatplotlib unless matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401
    except ImportError:
        raise MissingMatplotlib(f"plotting needs matplotlib: {INSTALL_HINT}") from None


def check_plot_path(path):
    """A ValueError unless path ends in .png, .svg or .pdf.

    The suffix is read as matplotlib reads it: a bare ".svg" is a hidden file
    with no suffix, which matplotlib would quietly save as ".svg.png".
    """
    if os.path.splitext(str(path))[1].lower() not in _PLOT_FORMATS:
        raise ValueError(f"a plot's file name must end in {', '.join(_PLOT_FORMATS)}, got {str(path)!r}")


def save_training_plot(path, model, X, y, history, *, title="", loss_name="loss", resolution=60,
                       true_curve=None):
    """Write training_figure(...) to path (.png, .svg or .pdf); returns path."""
    check_plot_path(path)
    figure = training_figure(model, X, y, history, title=title, loss_name=loss_name,
                             resolution=resolution, true_curve=true_curve)
    picture = io.BytesIO()
    # drawn in memory, then written in one step: a failed write keeps the old file
    figure.savefig(picture, format=os.path.splitext(str(path))[1].lower()[1:], dpi=110)
    replace_file(path, picture.getvalue())
    return path


def training_figure(model, X, y, history, *, title="", loss_name="loss", resolution=60,
                    true_curve=None):
    """A matplotlib Figure with two panels: the loss (and accuracy) per epoch, and the model.

    For two inputs (a classification data set) the right panel shades the plane
    by the class the model predicts, on a ``resolution`` × ``resolution`` grid,
    with the training samples on top (ringed in black when misclassified). For one input (a regression such as y = x²)
    it draws the model's curve through the samples, and ``true_curve``, a pair
    (function of x, legend text), when given.
    """
    require_matplotlib()
    from matplotlib.figure import Figure

    if not X or len(X) != len(y):
        raise ValueError("training_figure(): X and y must be non-empty and of the same length")
    if len(X[0]) not in (1, 2):
        raise ValueError(f"training_figure() plots models with 1 or 2 inputs, this one has {len(X[0])}")
    figure = Figure(figsize=(11, 4.6), layout="constrained")
    loss_axes, model_axes = figure.subplots(1, 2, width_ratios=(1, 1.15))
    _loss_panel(loss_axes, history, loss_name)
    if len(X[0]) == 2:
        _boundary_panel(model_axes, model, X, y, resolution)
    else:
        _curve_panel(model_axes, model, X, y, resolution, true_curve)
    if title:
        figure.suptitle(title, fontsize=12)
    return figure


def _loss_panel(axes, history, loss_name):
    losses = history["loss"]
    epochs = range(1, len(losses) + 1)
    marker = "o" if len(losses) <= 30 else None  # a few epochs: show each one
    lines = axes.plot(epochs, losses, color=_LOSS_COLOUR, marker=marker, markersize=3, label=loss_name)
    axes.set_xlabel("epoch")
    axes.set_ylabel(f"{loss_name} (mean over the training samples)")
    axes.set_ylim(bottom=0)
    axes.set_xlim(1, max(len(losses), 2))
    axes.grid(alpha=0.3)
    title = f"Loss per epoch: {losses[0]:.3g} → {losses[-1]:.3g}"
    if history.get("accuracy"):
        accuracy = [100 * a for a in history["accuracy"]]
        right = axes.twinx()
        lines += right.plot(epochs, accuracy, color=_ACCURACY_COLOUR, linestyle="--",
                            marker=marker, markersize=3, label="accuracy")
        right.set_ylabel("accuracy on the training samples (%)", color=_ACCURACY_COLOUR)
        right.set_ylim(0, 105)
        right.tick_params(axis="y", colors=_ACCURACY_COLOUR)
        title += f", accuracy {accuracy[-1]:.0f}%"
    axes.legend(lines, [line.get_label() for line in lines], loc="center right")
    axes.set_title(title, fontsize=11)


def _boundary_panel(axes, model, X, y, resolution):
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D

    classes = sorted(set(y))
    colours = [_CLASS_COLOURS[i % len(_CLASS_COLOURS)] for i in range(len(classes))]
    xs = np.array([row[0] for row in X])
    ys = np.array([row[1] for row in X])
    pad_x, pad_y = 0.15 * np.ptp(xs) + 0.1, 0.15 * np.ptp(ys) + 0.1
    gx = np.linspace(xs.min() - pad_x, xs.max() + pad_x, resolution)
    gy = np.linspace(ys.min() - pad_y, ys.max() + pad_y, resolution)
    grid = [[float(a), float(b)] for b in gy for a in gx]
    outputs = _predict(model, grid)
    index = np.array([_predicted_index(o) for o in outputs]).reshape(resolution, resolution)
    # one output is a score: draw its zero line, smoother than the edge between grid cells
    score = None if isinstance(outputs[0], list) else np.array(outputs).reshape(resolution, resolution)

    cmap = ListedColormap(colours)
    levels = np.arange(len(classes) + 1) - 0.5
    axes.contourf(gx, gy, index, levels=levels, cmap=cmap, alpha=0.25)
    if score is not None:
        axes.contour(gx, gy, score, levels=[0.0], colors="black", linewidths=1.2)
    else:
        # each class's own edge: where two classes meet, their edges coincide in one line
        # (contouring the class index itself would draw 0|2 borders twice, at 0.5 and 1.5)
        for k in range(len(classes)):
            if (index == k).any() and not (index == k).all():
                axes.contour(gx, gy, (index == k).astype(float), levels=[0.5], colors="black",
                             linewidths=1.0)
    position = {label: i for i, label in enumerate(classes)}
    axes.scatter(xs, ys, c=[colours[position[label]] for label in y], s=22,
                 edgecolors="white", linewidths=0.6, zorder=3)
    wrong = [i for i, (row, label) in enumerate(zip(X, y))
             if _predicted_index(predict(model, [row])[0]) != position[label]]
    if wrong:
        axes.scatter(xs[wrong], ys[wrong], s=70, facecolors="none", edgecolors="black",
                     linewidths=1.2, zorder=4)

    handles = [Line2D([], [], linestyle="", marker="o", markersize=6, markerfacecolor=colour,
                      markeredgecolor="white", label=f"class {_label(label, classes)}")
               for label, colour in zip(classes, colours)]
    handles.append(Line2D([], [], color="black", linewidth=1.2, label="decision boundary"))
    if wrong:
        handles.append(Line2D([], [], linestyle="", marker="o", markersize=9, markerfacecolor="none",
                              markeredgecolor="black", label=f"misclassified ({len(wrong)})"))
    axes.legend(handles=handles, loc="best", fontsize=9, framealpha=0.85)
    axes.set_xlabel("x0 (first input)")
    axes.set_ylabel("x1 (second input)")
    axes.set_title("What the model predicts: shaded by predicted class,\n"
                   "dots are the training samples in their true class", fontsize=11)


def _predict(model, rows):
    """predict() over rows, _ROWS_AT_ONCE at a time."""
    return [output for start in range(0, len(rows), _ROWS_AT_ONCE)
            for output in predict(model, rows[start:start + _ROWS_AT_ONCE])]


def _curve_panel(axes, model, X, y, resolution, true_curve):
    import numpy as np

    xs = [row[0] for row in X]
    low, high = min(xs), max(xs)
    pad = 0.1 * (high - low) + 0.05
    grid = np.linspace(low - pad, high + pad, 4 * resolution)
    fitted = _predict(model, [[float(t)] for t in grid])
    if isinstance(fitted[0], list):
        raise ValueError("training_figure(): a model with one input should have one output")
    axes.scatter(xs, y, color=_CLASS_COLOURS[0], s=22, zorder=3, label="training samples")
    if true_curve is not None:
        function, text = true_curve
        axes.plot(grid, [function(float(t)) for t in grid], color="grey", linestyle=":", label=text)
    axes.plot(grid, fitted, color=_CLASS_COLOURS[1], linewidth=2, label="the model's prediction")
    axes.axvspan(low - pad, low, color="grey", alpha=0.08)
    axes.axvspan(high, high + pad, color="grey", alpha=0.08, label="outside the training range")
    axes.set_xlim(low - pad, high + pad)
    axes.set_xlabel("x (input)")
    axes.set_ylabel("y (target and prediction)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=9, loc="upper center")
    axes.set_title("What the model predicts: its curve through the samples", fontsize=11)


def _predicted_index(output):
    """The class index a model output stands for, as nn.accuracy counts it.

    Several outputs: the index of the largest. One output: a score, class 1 of
    two (the positive one) when > 0, else class 0.
    """
    if isinstance(output, list):
        return max(range(len(output)), key=output.__getitem__)
    return int(output > 0.0)


def _label(label, classes):
    """How the legend names a class: "0", "1", or "-1", "+1" for signed labels."""
    text = f"{label:g}"
    return f"+{text}" if min(classes) < 0 and label > 0 else text
