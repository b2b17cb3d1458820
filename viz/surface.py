"""loss_surface(): the loss over two parameters, with the path training took (Figure 2 of
the blog post "The Beginning of Humanity's Last Invention").

The loss is recomputed at each point of a grid by ``tracegrad.replay``: the
graph's own forward rules, with the two parameters set to the grid's values
and every other leaf at its value. For a model with only those two
parameters that is its whole error surface; for a larger one it is the slice
through the other parameters' values, and the figure says so. The path's
points carry their own losses (recorded, or recomputed at each point), since
in a larger model they do not lie on one slice.

Drawn with matplotlib's object-oriented API (no pyplot), as viz.plot is.
"""

import math
import os
from pathlib import Path

import numpy as np

from tracegrad import Value, grad, replay

from .format import GraphNodes, format_number
from .layout import neuron_of_label

__all__ = ["loss_surface", "LossSurface"]

DEFAULT_RESOLUTION = 41
# the grid reaches this share of the path's extent beyond it on every side
MARGIN = 0.25


def loss_surface(loss, parameters=None, *, lr=None, path=None, resolution=DEFAULT_RESOLUTION, span=None):
    """The loss over a grid of two parameters, as a LossSurface (``.figure()``, ``.save(path)``).

    parameters: the two leaves [p, q]; by default, for a graph an nn model
    made, its two parameters with the largest |gradient| here. lr: draw the
    gradient-descent step p ← p − lr·∂L/∂p from here (square_neuron with lr=1:
    (3, 7) → (−33, −11)). path: the points training took instead, a list of
    (p, q) pairs or a viz Recording of the same model. resolution: points per
    side. span: ((p low, p high), (q low, q high)) instead of the path's range
    with a margin.
    """
    if not isinstance(loss, Value):
        raise TypeError(f"loss_surface() needs the loss, a Value, got {loss!r} ({type(loss).__name__})")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not 3 <= resolution <= 400:
        raise ValueError(f"loss_surface(): resolution must be an int from 3 to 400, got {resolution!r}")
    nodes = GraphNodes(loss)
    leaves = [node for node in nodes.order if not node.inputs]
    grads = dict(zip(leaves, grad(loss, leaves, allow_unused=True)))  # d loss / d leaf, no .grad changed
    if parameters is None:
        candidates = [leaf for leaf in leaves if leaf.label and _is_nn_parameter(leaf.label)]
        if len(candidates) < 2:
            raise ValueError("loss_surface(): say which two parameters, as loss_surface(loss, [w, b]): "
                             "this graph was not made by an nn model, so its data and its parameters "
                             "cannot be told apart")
        parameters = sorted(candidates, key=lambda leaf: -abs(grads[leaf]))[:2]
    parameters = list(parameters)
    if len(parameters) != 2 or parameters[0] is parameters[1]:
        raise ValueError(f"loss_surface(): parameters must be two different leaves, got {len(parameters)}")
    for p in parameters:
        if not isinstance(p, Value) or p not in nodes.index or p.inputs:
            raise ValueError(f"loss_surface(): {p!r} is not a leaf of the loss's graph")
    p, q = parameters
    names = [nodes.name(p), nodes.name(q)]
    start = (p.data, q.data)
    points, losses, recorded_losses = _path(loss, grads, p, q, lr, path)
    if span is None:
        span = _span([x for x, _ in points], [y for _, y in points])
    xs = np.linspace(span[0][0], span[0][1], resolution)
    ys = np.linspace(span[1][0], span[1][1], resolution)
    values = np.array([[replay(loss, {p: float(x), q: float(y)}) for x in xs] for y in ys])
    others = [leaf for leaf in leaves if leaf is not p and leaf is not q and leaf.label
              and _is_nn_parameter(leaf.label)]
    return LossSurface(names, nodes.name(loss), xs, ys, values, points, losses, recorded_losses,
                       start, exact=not others)


def _is_nn_parameter(label):
    return neuron_of_label(label) is not None and label.rsplit(".", 1)[1][0] in "wb"


def _path(loss, grads, p, q, lr, path):
    """The path's points, the loss at each, and whether those losses were recorded in training."""
    if lr is not None and path is not None:
        raise ValueError("loss_surface(): give lr (one step from here) or path (the points taken), not both")
    start = (p.data, q.data)
    if path is None:
        points = [start]
        if lr is not None:
            if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr):
                raise ValueError(f"loss_surface(): lr must be a finite number, got {lr!r}")
            points.append((p.data - lr * grads[p], q.data - lr * grads[q]))
        return points, [replay(loss, {p: x, q: y}) for x, y in points], False
    if hasattr(path, "frames") and hasattr(path, "parameters"):  # a Recording (not imported: the player uses this)
        position = {id(parameter): k for k, parameter in enumerate(path.parameters)}
        if id(p) not in position or id(q) not in position:
            raise ValueError("loss_surface(): the recording is of another model: "
                             "the two parameters are not among its parameters")
        points = [(frame.values[position[id(p)]], frame.values[position[id(q)]]) for frame in path.frames]
        return points, [frame.loss for frame in path.frames], True
    points = []
    for k, point in enumerate(path):
        try:
            x, y = (float(v) for v in point)
        except (TypeError, ValueError):
            raise ValueError(f"loss_surface(): path point {k} must be two numbers, got {point!r}") from None
        points.append((x, y))
    if not points:
        raise ValueError("loss_surface(): path is empty")
    return points, [replay(loss, {p: x, q: y}) for x, y in points], False


def _span(xs, ys):
    def one(values):
        low, high = min(values), max(values)
        extent = high - low or max(1.0, abs(low))
        return (low - MARGIN * extent, high + MARGIN * extent)
    return one(xs), one(ys)


class LossSurface:
    """The loss over a grid (``values[j][i]`` at ``xs[i]``, ``ys[j]``) and a path (``points``, ``losses``)."""

    def __init__(self, names, loss_name, xs, ys, values, points, losses, recorded, start, exact):
        self.names, self.loss_name = names, loss_name
        self.xs, self.ys, self.values = xs, ys, values
        self.points, self.losses, self.recorded = points, losses, recorded
        self.start, self.exact = start, exact
        self.held_at = "the first point"  # where a slice holds the other parameters

    @property
    def caption(self):
        """What the picture is: the whole surface, or a slice, and where the path's losses come from."""
        p, q = self.names
        if self.exact:
            text = f"{self.loss_name} over {p} and {q}, every other leaf (the data) held at its value"
        else:
            text = (f"a slice: {self.loss_name} over {p} and {q} with every other parameter held at its "
                    f"value at {self.held_at}")
        if self.recorded:
            text += "; the path's points carry the losses recorded in training"
        return text

    def page_data(self):
        """What a page draws (viz/pages/surfaceplot.js), as plain data: the grid, its flat region,
        the path with its losses and the caption; a loss that is not finite is None."""
        def number(v):
            return float(v) if math.isfinite(v) else None

        return {"names": list(self.names), "loss": self.loss_name, "xs": self.xs.tolist(), "ys": self.ys.tolist(),
                "values": [[number(v) for v in row] for row in self.values],
                "flat": self.flat().astype(int).tolist(), "points": [[float(x), float(y)] for x, y in self.points],
                "losses": [number(v) for v in self.losses], "recorded": self.recorded, "caption": self.caption}

    def flat(self):
        """A mask of the grid's points where the loss does not change in any direction (gradient 0)."""
        dy, dx = np.gradient(self.values)
        return (np.abs(dx) < 1e-12) & (np.abs(dy) < 1e-12)

    def figure(self, *, title=None):
        """A matplotlib Figure: filled contours, the flat region hatched, the path with its losses."""
        from matplotlib.figure import Figure

        figure = Figure(figsize=(7.2, 5.6), layout="constrained")
        axes = figure.add_subplot()
        x, y = np.meshgrid(self.xs, self.ys)
        # levels at quantiles of the distinct values: a loss that reaches 1000 somewhere still
        # shows its shape near 0, where training goes, and a flat region counts once
        finite = self.values[np.isfinite(self.values)]
        levels = np.unique(np.quantile(np.unique(finite), np.linspace(0.0, 1.0, 25))) if finite.size else 24
        if not isinstance(levels, int) and len(levels) < 2:
            levels = 2
        filled = axes.contourf(x, y, self.values, levels=levels, cmap="viridis")
        axes.contour(x, y, self.values, levels=levels, colors="white", linewidths=0.4, alpha=0.5)
        figure.colorbar(filled, ax=axes, label=self.loss_name)
        flat = self.flat()
        if flat.any() and not flat.all():
            axes.contourf(x, y, flat.astype(float), levels=[0.5, 1.5], colors="none", hatches=["//"])
            axes.plot([], [], " ", label="hatched: flat, gradient 0 (a ReLU that is off)")
        px, py = zip(*self.points)
        axes.plot(px, py, "-", color="#d62728", linewidth=2, zorder=3)
        axes.plot(px, py, "o", color="#d62728", markersize=5, zorder=4)
        axes.plot([px[0]], [py[0]], "o", color="#1f77b4", markersize=9, zorder=5, label="start")
        axes.plot([px[-1]], [py[-1]], "s", color="#2ca02c", markersize=8, zorder=5, label="end")
        which = "recorded" if self.recorded else "at the point"
        shown = sorted({0, len(self.points) - 1})
        for k in shown:
            axes.annotate(f"({format_number(px[k], 4)}, {format_number(py[k], 4)})\n"
                          f"{self.loss_name} = {format_number(self.losses[k], 4)} ({which})",
                          (px[k], py[k]), textcoords="offset points", xytext=(8, 8 if k == 0 else -30),
                          fontsize=9, color="black",
                          bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85})
        axes.set_xlabel(self.names[0])
        axes.set_ylabel(self.names[1])
        figure.suptitle(title or f"{self.loss_name} over {self.names[0]} and {self.names[1]}", fontsize=12)
        axes.set_title(self.caption, fontsize=8, color="#444444", wrap=True)
        axes.legend(loc="upper left", fontsize=8)
        return figure

    def save(self, path):
        """Write figure() to path (.png, .svg or .pdf); returns path."""
        from .plot import check_plot_path

        check_plot_path(path)
        target = Path(path)
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:  # written beside, then renamed into place
            self.figure().savefig(partial, format=target.suffix[1:].lower(), dpi=110)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return path

    def _repr_png_(self):
        import io

        buffer = io.BytesIO()
        self.figure().savefig(buffer, format="png", dpi=90)
        return buffer.getvalue()

    def __repr__(self):
        return (f"<LossSurface of {self.loss_name} over {self.names[0]} and {self.names[1]}: "
                f"{len(self.xs)}x{len(self.ys)} grid, a path of {len(self.points)} points>")
