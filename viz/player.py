"""player_html(): the training player, a page that replays a Recording step by step.

Python gives the page every number it shows (viz.recording records them);
the page (viz/pages/player.*, on the shared pieces described in viz.page)
draws them. Long arrays travel as base64 of little-endian binary: float64 for
the parameters and the optimizer's state (the page shows the engine's own
numbers), float32 for the model's output over the grid, and one byte per grid
point for the small picture of each neuron (each picture scaled to its own
largest |output|, which is sent alongside). That keeps a 2-16-16-1 network on
moons over 100 epochs to about 3.5 MB.
"""

import base64
import math

import numpy as np

from tracegrad.nn import MLP
from tracegrad.nn.train import is_correct

from .format import format_number
from .page import build_page, inline_svg, page_part

__all__ = ["player_html", "frame_bytes"]

STYLES = ("base.css", "network.css", "player.css", "surface.css")
# the shared pieces, the panels' scripts (each draws one panel from given data; the
# network, live and explorer views reuse them), then the player's controls
SCRIPTS = ("sized.js", "timeline.js", "panzoom.js", "graphview.js", "plotting.js", "dataplot.js", "curves.js",
           "networkview.js", "paramtable.js", "samplegraph.js", "samplepass.js", "neuronzoom.js", "surfaceplot.js", "player.js")
# Significant digits of the page's numbers: enough to see them move, few enough to read.
DIGITS = 4
# The small picture of each hidden neuron keeps every TILE_STRIDE-th grid point along each axis.
TILE_STRIDE = 2
# The score at which the picture's shading is full: a hinge or squared-error score
# aims at ±1; a logit of 3 is a probability of 0.95.
_CONFIDENT_SCORE = {"hinge": 1.0, "mse": 1.0, "half_squared_error": 1.0}


def player_html(recording, *, title=None):
    """The player page (a str) for a Recording."""
    frames = recording.frames
    model = recording.model
    data = {
        "digits": DIGITS,
        "steps": [f.step for f in frames],
        "epochs": [f.epoch for f in frames],
        "loss": [f.loss for f in frames],
        "accuracy": [f.accuracy for f in frames] if recording.tracks_accuracy else None,
        "batchLoss": [f.batch_loss for f in frames],
        "lossName": recording.loss_name,
        "optimizer": _describe_optimizer(recording.optimizer),
        "adamSteps": [f.state.get("t") for f in frames],
        "parameters": {
            "labels": recording.labels,
            "values": _pack([f.values for f in frames], "<f8"),
            "grads": _pack([f.grads if f.grads is not None else [math.nan] * len(f.values) for f in frames],
                           "<f8"),
            "state": {name: _pack([f.state[name] for f in frames], "<f8")
                      for name in frames[0].state if name != "t"},
        },
        "samples": _samples(recording),
    }
    nout = recording.nout
    data["samples"]["wrong"] = _pack([_wrong(f.predictions, recording.y) for f in frames], "u1") \
        if recording.tracks_accuracy else None
    axes = recording.grid_axes
    if axes:
        table = np.stack([f.grid for f in frames])  # frames × grid points × neurons
        data["grid"] = {"axes": axes, "outputs": _pack(table[:, :, -nout:], "<f4"), "outputCount": nout,
                        "confident": _CONFIDENT_SCORE.get(recording.loss_name, 3.0)}
        if isinstance(model, MLP) and model.layers[:-1]:
            data["tiles"] = _tiles(table[:, :, :-nout], axes, TILE_STRIDE)
    svg = ""
    if isinstance(model, MLP):
        data["network"] = _network(model, recording.parameters)
        # the sample shown going through the network; the page computes its z, a and δ
        # at each step from the step's parameters (samplepass.js), for any sample clicked
        data["sample"] = recording.sample if recording.sample is not None else 0
        data["surface"] = _surface(recording)
    elif recording.graph is not None:
        svg, graph_data = _graph(recording.graph)
        data["graph"] = graph_data
    sizes = " → ".join(str(n) for n in [model.nin] + model.nouts) if isinstance(model, MLP) else ""
    what = f"MLP {sizes}" if sizes else type(model).__name__
    heading = title or f"Training {what} on {len(recording.X)} samples"
    data["description"] = (f"{what}, {len(recording.parameters)} parameters; {recording.loss_name} loss; "
                           f"{data['optimizer']}")
    return build_page("player.html", title=f"tracegrad: {heading}", heading=heading, data=data,
                      styles=STYLES, scripts=SCRIPTS, markup={"board": page_part("board.html", graph=svg)})


# Points per side of the error surface's grid: each is a forward pass over every sample.
PLAYER_SURFACE_SIDE = 25


def _surface(recording):
    """The loss over the two parameters with the largest gradients at step 0, the others held at the
    last step's values, and the path the two took (LossSurface.page_data); None without a gradient."""
    from .surface import LossSurface, _span

    frames, parameters = recording.frames, recording.parameters
    if frames[0].grads is None or len(parameters) < 2 or recording.loss_at(frames[0].values) is None:
        return None
    p, q = np.argsort(-np.abs(np.nan_to_num(frames[0].grads)), kind="stable")[:2]
    points = [(f.values[p], f.values[q]) for f in frames]
    span = _span([x for x, _ in points], [y for _, y in points])
    xs = np.linspace(span[0][0], span[0][1], PLAYER_SURFACE_SIDE)
    ys = np.linspace(span[1][0], span[1][1], PLAYER_SURFACE_SIDE)
    values, vector = np.empty((len(ys), len(xs))), np.array(frames[-1].values, dtype=float)
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            vector[p], vector[q] = x, y
            values[j, i] = recording.loss_at(vector)
    surface = LossSurface([recording.labels[p], recording.labels[q]], recording.loss_name, xs, ys, values, points,
                          [f.loss for f in frames], True, points[0], exact=len(parameters) == 2)
    surface.held_at = f"the last step ({frames[-1].step})"
    return surface.page_data()


def frame_bytes(model, grid_points):
    """About how many bytes of page one frame of an MLP takes, base64 included: the parameters'
    values, gradients and two optimizer states in float64, the output over the grid in float32,
    a byte per tile point of each hidden neuron."""
    nin = model.nin
    tile_points = grid_points // TILE_STRIDE ** nin if nin in (1, 2) else 0
    hidden = sum(model.nouts[:-1])
    numbers = len(model.parameters()) * 8 * 4 + grid_points * model.nouts[-1] * 4 + hidden * tile_points
    return 4 / 3 * numbers


def _pack(rows, dtype):
    """rows (a list of equal-length lists or arrays) as {shape, dtype, base64}."""
    array = np.asarray(rows, dtype=dtype)
    return {"shape": list(array.shape), "dtype": array.dtype.str,
            "base64": base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")}


def _samples(recording):
    labels = recording.y
    classes = sorted(set(labels)) if recording.tracks_accuracy else None
    return {"X": recording.X, "y": labels, "classes": classes,
            "names": [_class_name(c, classes) for c in classes] if classes else None}


def _class_name(label, classes):
    text = f"{label:g}"
    return f"+{text}" if min(classes) < 0 and label > 0 else text


def _wrong(predictions, targets):
    return [0 if is_correct(p, t) else 1 for p, t in zip(predictions, targets)]


def _tiles(hidden, axes, stride):
    """Each hidden neuron's output over the grid, every ``stride``-th point, one byte per point.

    A tile is scaled by its own largest |output| (sent as "scale"), so it shows
    the shape of what the neuron computes; 128 stands for 0.
    """
    if len(axes) == 2:
        side = len(axes[0])
        kept = np.arange(0, side, stride)
        index = (kept[:, None] * side + kept[None, :]).ravel()  # rows of x1, x0 fastest
        shape = [len(kept), len(kept)]
    else:
        index = np.arange(0, len(axes[0]), stride)
        shape = [len(index)]
    picked = hidden[:, index, :].transpose(0, 2, 1)  # frames × neurons × points
    scale = np.abs(picked).max(axis=2)
    low, high = picked.min(axis=2), picked.max(axis=2)
    safe = np.where(scale > 0, scale, 1.0)[:, :, None]
    quantised = np.clip(np.rint(picked / safe * 127.0) + 128.0, 1, 255).astype("u1")
    return {"shape": shape, "values": _pack(quantised, "u1"), "low": _pack(low, "<f4"),
            "high": _pack(high, "<f4")}


def _network(model, parameters):
    """The network's structure for the page: each neuron's activation and its parameters' indexes."""
    index = {id(p): i for i, p in enumerate(parameters)}
    layers = []
    for i, layer in enumerate(model.layers):
        neurons = [{"name": f"L{i + 1}.N{j}", "activation": neuron.activation,
                    "w": [index[id(w)] for w in neuron.w], "b": index[id(neuron.b)]}
                   for j, neuron in enumerate(layer.neurons)]
        layers.append(neurons)
    return {"inputs": model.nin, "layers": layers}


def _graph(graph):
    """The sample's graph drawn once (viz.draw), and each frame's texts for its value boxes."""
    from .dot import draw

    order = graph.order
    grads = dict(zip(order, graph.grads[0])) if graph.grads[0] is not None else None
    drawing = draw(graph.root, show_grads=True, grads=grads, digits=DIGITS, highlight_gated=False)
    svg = inline_svg(drawing)
    number = lambda x: format_number(x, DIGITS)  # noqa: E731
    data = [None if values is None else [number(v) for v in values] for values in graph.data]
    grad_texts = [None if values is None else [number(g) for g in values] for values in graph.grads]
    return svg, {"sample": graph.sample, "data": data, "grads": grad_texts, "ids": [f"n{i}" for i in range(len(order))]}


def _describe_optimizer(optimizer):
    from tracegrad.nn import SGD, Adam, AdamW

    if isinstance(optimizer, AdamW):
        return f"AdamW, learning rate {optimizer.lr:g}, weight decay {optimizer.weight_decay:g}"
    if isinstance(optimizer, Adam):
        return f"Adam, learning rate {optimizer.lr:g}"
    if isinstance(optimizer, SGD):
        momentum = f", momentum {optimizer.momentum:g}" if optimizer.momentum else ""
        return f"SGD, learning rate {optimizer.lr:g}{momentum}"
    return type(optimizer).__name__
