"""LiveRun: a model training step by step, changed as it trains, drawn as it goes.

The session behind ``viz.live`` (the notebook widget, viz.widget) and behind
``tracegrad train --live`` (the local page, viz.serve). It holds the model, the
data and the optimizer, takes optimizer steps when asked (``step(n)``), and
describes the model as it is now for the page: ``setup()`` (what changes
rarely: the data, the network's shape, the parameter names) and ``frame()``
(the numbers of this moment, in the training player's format for one frame).

A step is fit's step on all samples, taken by fit's own nn.train.Trainer:
forward, loss, zero_grad, backward (on fit's batched path, nn.batched, when
the graph replays), then the optimizer's step. The model's Values are the
ones trained: after any call returns, ``model.parameters()`` hold what the
next frame shows.

Everything the learner changes while it trains is part of the run's history
(``events``): the learning rate, the optimizer (whose state starts afresh),
points added or removed, a reset. ``recording`` turns the run into the
training player (viz.recording.Recording), its frames thinned evenly to the
page's size budget, keeping every frame where the data or a setting changed.

Not thread-safe on purpose: one caller at a time (see viz.widget for how the
notebook widget keeps it so).
"""

import math

import numpy as np

from tracegrad import Value, no_grad
from tracegrad.nn import LOSSES, MLP, SGD, Adam
from tracegrad.nn.optim import Optimizer
from tracegrad.nn.train import Trainer, is_correct, loss_named

from . import player
from .format import format_number, shown_text
from .page import page_part
from .player import TILE_STRIDE
from .recording import PAGE_BYTES, Frame, Recording, _evaluator, _grid_axes, _grid_rows, _optimizer_state, _SampleGraph

__all__ = ["LiveRun", "OPTIMIZERS", "page_markup"]

# The optimizers the page offers by name; each starts with the run's learning rate.
OPTIMIZERS = {"SGD": lambda params, lr: SGD(params, lr=lr),
              "SGD with momentum": lambda params, lr: SGD(params, lr=lr, momentum=0.9),
              "Adam": lambda params, lr: Adam(params, lr=lr)}
# How many frames the run keeps for .recording: past this, every other one is
# dropped (never one where something changed), so memory stays bounded.
KEPT_FRAMES = 400
# The most points of the loss curve sent with each frame (evenly thinned).
CURVE_POINTS = 600
# Both live views (viz.widget in a notebook, viz.serve in a browser) send a frame at most
# this often (seconds): about ten a second, paced for the eye.
FRAME_INTERVAL = 0.1


def page_markup():
    """The live page's markup: its controls (live-app.html) around the training player's board (board.html)."""
    return page_part("live-app.html", board=page_part("board.html", graph=""))


class LiveRun:
    """A model, its data and an optimizer, trained one step at a time (see the module's docstring).

    ``loss`` a name from nn.LOSSES or a function; ``optimizer`` an nn optimizer
    (default: Adam with lr=0.01, as fit); with ``loss=None`` and no optimizer the
    run only watches: ``update()`` draws the model as the learner's own loop
    left it. ``sample``: the sample whose computation graph is drawn (small
    models only).
    """

    def __init__(self, model, X, y, *, loss=None, optimizer=None, accuracy=None, sample=0):
        X, y = _check_data(X, y)
        self.model, self.X, self.y = model, X, y
        self.parameters = model.parameters()
        if not self.parameters:
            raise ValueError("live: the model has no parameters to train or show")
        self.view_only = loss is None and optimizer is None
        if loss is None:
            loss = "mse"  # only to measure the loss curve of the learner's own loop
        self.loss_name, self._loss, self.tracks_accuracy = loss_named(loss, accuracy, "live")
        if optimizer is None:
            optimizer = Adam(self.parameters, lr=0.01)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"live: optimizer must be an nn optimizer such as SGD or Adam, got {optimizer!r}")
        self.optimizer = optimizer
        self.labels = [shown_text(p.label) or f"p{i}" for i, p in enumerate(self.parameters)]
        self.nout = model.nouts[-1] if isinstance(model, MLP) else _output_count(model, X[0])
        self.initial_values = [p.data for p in self.parameters]
        self.sample = None
        self.steps_done = 0
        self.events = []  # (step, text): every change the learner made, in order
        self.curve = []  # (step, loss, accuracy): the model after `step` steps, measured by step + 1
        self.kept = []  # Frames for .recording (thinned)
        self.changed_steps = set()  # the steps at which the data or a setting changed: never thinned away
        self.diverged = None
        self._data_changed()
        self.choose_sample(sample if sample is not None and sample < len(X) else None, record=False)

    # --- what the learner can change ----------------------------------------

    @property
    def learning_rate(self):
        return self.optimizer.lr

    @learning_rate.setter
    def learning_rate(self, lr):
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"live: the learning rate must be a number > 0, got {lr!r}")
        if float(lr) != self.optimizer.lr:
            self._event(f"learning rate {self.optimizer.lr:g} \u2192 {float(lr):g}")
            self.optimizer.lr = float(lr)

    @property
    def optimizer_name(self):
        for name, make in OPTIMIZERS.items():
            made = make([Value(0.0)], 1.0)
            if type(made) is type(self.optimizer) and getattr(made, "momentum", 0) == getattr(
                    self.optimizer, "momentum", 0):
                return name
        return type(self.optimizer).__name__

    def set_optimizer(self, optimizer):
        """A new optimizer (a name from OPTIMIZERS, or an nn optimizer): its state starts afresh."""
        if isinstance(optimizer, str):
            if optimizer not in OPTIMIZERS:
                raise ValueError(f"live: unknown optimizer {optimizer!r}; choose one of "
                                 f"{', '.join(map(repr, OPTIMIZERS))} or pass an nn optimizer")
            optimizer = OPTIMIZERS[optimizer](self.parameters, self.optimizer.lr)
        elif not isinstance(optimizer, Optimizer):
            raise TypeError(f"live: optimizer must be a name or an nn optimizer, got {optimizer!r}")
        self.optimizer = optimizer
        self._event(f"optimizer: {player._describe_optimizer(optimizer)}; its state starts afresh")

    def reset(self, seed=None):
        """Back to step 0: the initial weights (``seed``: new ones drawn), a fresh optimizer, no history."""
        if seed is None:
            values = self.initial_values
        elif isinstance(self.model, MLP):
            fresh = MLP(self.model.nin, self.model.nouts, seed=seed, activation=self.model.activations[0],
                        output_activation=self.model.activations[-1])
            values = [p.data for p in fresh.parameters()]
            self.initial_values = list(values)
        else:
            raise TypeError("live: reset(seed=...) draws new weights for an nn.MLP only; "
                            "reset() returns any model to its initial weights")
        for p, value in zip(self.parameters, values):
            p.data, p.grad = value, 0.0
        optimizer = self.optimizer
        maker = OPTIMIZERS.get(self.optimizer_name)
        self.optimizer = maker(self.parameters, optimizer.lr) if maker else type(optimizer)(
            self.parameters, lr=optimizer.lr)
        self.steps_done = 0
        self.curve, self.kept, self.diverged, self.changed_steps = [], [], None, set()
        self._event("reset to the initial weights" if seed is None else f"reset to new weights (seed {seed})")

    def add_point(self, x, label):
        """Add a training sample at input x with target label; returns its index."""
        x = [float(v) for v in (x if isinstance(x, (list, tuple)) else [x])]
        if len(x) != len(self.X[0]) or not all(map(math.isfinite, x)):
            raise ValueError(f"live: a new point needs {len(self.X[0])} finite input numbers, got {x!r}")
        if self.tracks_accuracy and label not in set(self.y):
            raise ValueError(f"live: label {label!r} is none of the data's classes {sorted(set(self.y))}")
        self.X.append(x)
        self.y.append(label)
        self._data_changed()
        self._event(f"point added at ({', '.join(f'{v:.3g}' for v in x)}), target {label:g}")
        return len(self.X) - 1

    def remove_point(self, index):
        """Remove training sample ``index`` (at least two samples stay)."""
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.X):
            raise ValueError(f"live: no sample {index!r} to remove (0 to {len(self.X) - 1})")
        if len(self.X) <= 2:
            raise ValueError("live: the last two samples stay")
        x = self.X.pop(index)
        label = self.y.pop(index)
        if self.sample is not None:
            shown = self.sample if self.sample < index else (self.sample - 1 if self.sample > index else 0)
        else:
            shown = None
        self._data_changed()
        self.choose_sample(shown, record=False)
        self._event(f"point removed from ({', '.join(f'{v:.3g}' for v in x)}), target {label:g}")

    def choose_sample(self, index, *, record=True):
        """The sample whose computation graph the page draws (None: none)."""
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)
                                  or not 0 <= index < len(self.X)):
            raise ValueError(f"live: no sample {index!r} (0 to {len(self.X) - 1})")
        self.sample = index
        self.graph = _SampleGraph.make(self.model, self.X, self.y, index, self._loss)
        self.graph_svg = None

    def nearest_sample(self, x):
        """The index of the training sample nearest to input point x."""
        distances = [sum((a - b) ** 2 for a, b in zip(row, x)) for row in self.X]
        return min(range(len(self.X)), key=distances.__getitem__)

    # --- training ---------------------------------------------------------------

    def step(self, n=1):
        """Take n optimizer steps on all samples (fit's step); returns steps_done."""
        if self.view_only:
            raise RuntimeError("live: this view trains nothing (no loss or optimizer was given); "
                               "call update() from your own training loop")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"live: step(n) needs a whole number n >= 0, got {n!r}")
        for _ in range(n):
            if self.diverged:
                break
            self._one_step()
        return self.steps_done

    def _one_step(self):
        state = _optimizer_state(self.optimizer, self.parameters)  # before the step, as .recording keeps it
        self._trainer.optimizer = self.optimizer  # the learner may have changed it since the last step
        try:
            loss, outputs, values, grads = self._trainer.step(self._everything, watched=True)
        except OverflowError as error:  # a number beyond a float, said by the Trainer (or the engine) with where
            self._diverge(str(error).removeprefix("live: ").removeprefix("training diverged: "))
            return
        accuracy = self._accuracy(outputs)
        self._keep(loss, accuracy, grads, values, state)
        self.curve.append((self.steps_done, loss, accuracy))
        self.steps_done += 1

    def _diverge(self, what):
        self.diverged = f"training stopped at step {self.steps_done}: {what}; Reset starts again"
        self.events.append((self.steps_done, self.diverged))

    def update(self, loss=None):
        """Record the model as the learner's own loop left it (its values and grads); loss: a Value or number."""
        if loss is not None:
            loss = loss.data if isinstance(loss, Value) else float(loss)
        predictions = self._predictions()
        measured = self._loss_of(predictions) if loss is None else loss
        self._keep(measured, self._accuracy(predictions), grads=[p.grad for p in self.parameters])
        self.curve.append((self.steps_done, measured, self._accuracy(predictions)))
        self.steps_done += 1

    def observe(self, info):
        """Note a step that fit took (its on_step's StepInfo): the loss curve, the frames kept."""
        info.model  # noqa: B018  (reading it makes fit's batched path write its arrays back into the Values)
        frame = Frame(info.step, info.epoch, list(info.values), _optimizer_state(self.optimizer, self.parameters),
                      info.loss, info.accuracy, None, None)
        frame.grads = list(info.grads)
        self.kept.append(frame)
        if len(self.kept) > KEPT_FRAMES:
            self.kept = _thin(self.kept, KEPT_FRAMES // 2 + 1, self.changed_steps)
        self.curve.append((info.step, info.loss, info.accuracy))
        self.steps_done = info.step + 1

    # --- what the page shows ----------------------------------------------------

    def setup(self):
        """What changes rarely: the data, the grid, the network, the names; sent when any of them changes."""
        data = {"digits": player.DIGITS, "lossName": self.loss_name, "viewOnly": self.view_only,
                "optimizers": list(OPTIMIZERS), "samples": self._samples(),
                "parameters": {"labels": self.labels}}
        if self.grid_axes:
            data["grid"] = {"axes": self.grid_axes, "outputCount": self.nout,
                            "confident": player._CONFIDENT_SCORE.get(self.loss_name, 3.0)}
        if isinstance(self.model, MLP):
            data["network"] = player._network(self.model, self.parameters)
        if self.graph is not None:
            data["graph"] = {"sample": self.graph.sample, "svg": self._graph_svg(),
                             "ids": [f"n{i}" for i in range(len(self.graph.order))]}
        return data

    def _graph_svg(self):
        if self.graph_svg is None:
            self.graph.record(self.model, self.X, self.y, self._loss)
            self.graph_svg, _ = player._graph(self.graph)
            self.graph.data, self.graph.grads = [], []
        return self.graph_svg

    def frame(self):
        """The model now, as the player's data for one frame, plus the loss curve so far and the news."""
        table = self._evaluate()
        grid_part, on_samples = table[:len(self._grid_rows)], table[len(self._grid_rows):]
        predictions = self._as_predictions(on_samples)
        loss = self._loss_of(predictions)
        accuracy = self._accuracy(predictions)
        state = _optimizer_state(self.optimizer, self.parameters)
        description = (f"{self._what()}, {len(self.parameters)} parameters; {self.loss_name} loss; "
                       f"{player._describe_optimizer(self.optimizer)}")
        data = {
            "step": self.steps_done, "loss": loss, "accuracy": accuracy, "sampleCount": len(self.X),
            "learningRate": self.optimizer.lr, "optimizer": self.optimizer_name, "description": description,
            "adamSteps": state.get("t"),
            "parameters": {
                "values": player._pack([[p.data for p in self.parameters]], "<f8"),
                "grads": player._pack([[p.grad for p in self.parameters]], "<f8"),
                "state": {name: player._pack([numbers], "<f8") for name, numbers in state.items() if name != "t"},
            },
            "wrong": player._wrong(predictions, self.y) if self.tracks_accuracy else None,
            "curve": self._curve_points(loss, accuracy),
            "events": [{"step": step, "text": text} for step, text in self.events[-6:]],
            "diverged": self.diverged,
        }
        if self._grid_rows:
            hidden = grid_part[None, :, :-self.nout].astype(np.float32)
            data["outputs"] = player._pack(grid_part[None, :, -self.nout:], "<f4")
            if isinstance(self.model, MLP) and self.model.layers[:-1]:
                data["tiles"] = player._tiles(hidden, self.grid_axes, TILE_STRIDE)
        if self.graph is not None:
            self.graph.data, self.graph.grads = [], []
            self.graph.record(self.model, self.X, self.y, self._loss)
            number = lambda x: format_number(x, player.DIGITS)  # noqa: E731
            data["graph"] = {"data": [number(v) for v in self.graph.data[0]] if self.graph.data[0] else None,
                             "grads": [number(g) for g in self.graph.grads[0]] if self.graph.grads[0] else None}
        return data

    def _curve_points(self, loss, accuracy):
        points = self.curve + [(self.steps_done, loss, accuracy)]
        if len(points) > CURVE_POINTS:  # evenly thinned; the newest always kept
            stride = len(points) / CURVE_POINTS
            points = [points[int(i * stride)] for i in range(CURVE_POINTS - 1)] + [points[-1]]
        return {"steps": [p[0] for p in points], "loss": [p[1] for p in points],
                "accuracy": [p[2] for p in points] if self.tracks_accuracy else None}

    # --- the run as the static player -----------------------------------------------

    def recording(self, budget=PAGE_BYTES):
        """The run so far as a viz Recording (the training player), thinned to ``budget`` bytes of page."""
        return _LiveRecording(self, budget)

    # --- helpers ----------------------------------------------------------------

    def _data_changed(self):
        """The data changed (or is new): the grid, the evaluator and fit's batched replay follow it."""
        self.grid_axes = _grid_axes(self.X)
        self._grid_rows = _grid_rows(self.grid_axes)
        self._evaluate = _evaluator(self.model, self._grid_rows + self.X)
        self._everything = list(range(len(self.X)))
        self._trainer = None
        if not self.view_only:  # fit's step; its batched path replays the graph when it can, else node by node
            self._trainer = Trainer(self.model, self.X, self.y, self._loss, self.optimizer, in_arrays=False,
                                    known_mean=self.loss_name in LOSSES and self._loss is LOSSES[self.loss_name],
                                    where="live")
        self.changed_steps.add(self.steps_done)

    def _event(self, text):
        self.events.append((self.steps_done, text))
        self.changed_steps.add(self.steps_done)

    def _keep(self, loss, accuracy, grads, values=None, state=None):
        """Keep the model before this step's update (values and state: as they were; default now) for .recording."""
        if values is None:
            values, state = [p.data for p in self.parameters], _optimizer_state(self.optimizer, self.parameters)
        frame = Frame(self.steps_done, None, values, state, loss, accuracy, None, None)
        frame.grads = grads
        self.kept.append(frame)
        if len(self.kept) > KEPT_FRAMES:
            self.kept = _thin(self.kept, KEPT_FRAMES // 2 + 1, self.changed_steps)

    def _predictions(self):
        table = self._evaluate()
        return self._as_predictions(table[len(self._grid_rows):])

    def _as_predictions(self, on_samples):
        return on_samples[:, -self.nout:].tolist() if self.nout > 1 else on_samples[:, -1].tolist()

    def _loss_of(self, predictions):
        with no_grad():
            wrapped = [[Value(v) for v in p] if isinstance(p, list) else Value(p) for p in predictions]
            return self._loss(wrapped, self.y).data

    def _accuracy(self, predictions):
        if not self.tracks_accuracy:
            return None
        return sum(is_correct(p, t) for p, t in zip(predictions, self.y)) / len(self.y)

    def _samples(self):
        classes = sorted(set(self.y)) if self.tracks_accuracy else None
        return {"X": self.X, "y": self.y, "classes": classes,
                "names": [player._class_name(c, classes) for c in classes] if classes else None}

    def _what(self):
        if isinstance(self.model, MLP):
            return "MLP " + " \u2192 ".join(str(n) for n in [self.model.nin] + self.model.nouts)
        return type(self.model).__name__


class _LiveRecording(Recording):
    """A LiveRun's kept frames as a Recording, for player_html: the data as they are now.

    A frame from before a point was added or removed is drawn over today's
    data (its predictions recomputed from its parameter values); its loss is
    the one measured then, over the data of then.
    """

    def __init__(self, run, budget):  # noqa: no super().__init__: the frames exist already
        self.model, self.optimizer, self.X, self.y = run.model, run.optimizer, run.X, run.y
        self.loss_name, self._loss, self.tracks_accuracy = run.loss_name, run._loss, run.tracks_accuracy
        self.parameters, self.labels, self.nout = run.parameters, run.labels, run.nout
        self.grid_axes, self._grid_rows, self.every = run.grid_axes, run._grid_rows, 1
        self.graph, self.sample = None, run.sample
        # each step is one over all samples: the loss curve as fit's history, for the still picture
        self.history = {"loss": [loss for _, loss, _ in run.curve]} if run.curve else None
        if run.curve and run.tracks_accuracy:
            self.history["accuracy"] = [accuracy for _, _, accuracy in run.curve]
        now = [p.data for p in run.parameters]
        last = Frame(run.steps_done, None, now, _optimizer_state(run.optimizer, run.parameters), None, None, None,
                     None)
        frames = [f for f in run.kept if f.step < run.steps_done] + [last]
        frames = _thin(frames, max(2, budget // _frame_bytes(run)), run.changed_steps)
        names = [name for name in last.state if name != "t"]
        copies = []
        evaluate = _evaluator(run.model, run._grid_rows + run.X)
        try:
            for f in frames:
                for p, value in zip(run.parameters, f.values):
                    p.data = value
                table = evaluate()
                grid, on_samples = table[:len(run._grid_rows)], table[len(run._grid_rows):]
                state = {name: f.state.get(name, [math.nan] * len(now)) for name in names}
                if "t" in last.state:
                    state["t"] = f.state.get("t", 0)
                copy = Frame(f.step, 0, f.values, state, f.loss, None, run._as_predictions(on_samples),
                             grid.astype(np.float32) if run._grid_rows else None)
                copy.grads = f.grads
                copy.accuracy = run._accuracy(copy.predictions) if f.accuracy is None else f.accuracy
                copies.append(copy)
        finally:
            for p, value in zip(run.parameters, now):
                p.data = value
        self._frames = copies
        self._by_step = {f.step: f for f in copies}
        self._next_step = run.steps_done
        self.events = list(run.events)


def _thin(frames, budget, changed_steps):
    """At most ``budget`` frames, evenly spaced, always keeping the first, the last and each at a changed step.

    (A change at step k shows first in frame k; frame k - 1 is the last before it: both are kept.)
    """
    if len(frames) <= budget:
        return frames
    around = changed_steps | {k - 1 for k in changed_steps}
    must = {0, len(frames) - 1} | {i for i, f in enumerate(frames) if f.step in around}
    others = [i for i in range(len(frames)) if i not in must]
    room = max(0, budget - len(must))
    if room and others:
        stride = len(others) / room
        must |= {others[int(k * stride)] for k in range(room)}
    return [frames[i] for i in sorted(must)]


def _frame_bytes(run):
    """About how many bytes of page one frame of this run takes (base64 adds a third)."""
    parameters = len(run.parameters) * 8 * 4  # values, grads and two numbers of optimizer state
    grid = len(run._grid_rows) * run.nout * 4
    tiles = (len(run._grid_rows) // TILE_STRIDE ** 2 + 1) * (sum(run.model.nouts[:-1])
                                                             if isinstance(run.model, MLP) else 0)
    return int((parameters + grid + tiles + len(run.X)) * 4 / 3) + 200


def _output_count(model, x):
    with no_grad():
        out = model(x)
    return len(out) if isinstance(out, list) else 1


def _check_data(X, y):
    if hasattr(X, "tolist"):
        X = X.tolist()
    if hasattr(y, "tolist"):
        y = y.tolist()
    if not isinstance(X, (list, tuple)) or not isinstance(y, (list, tuple)) or len(X) != len(y) or len(X) < 2:
        raise ValueError("live: X and y must be lists of the same length, at least two samples")
    rows = [list(row) if isinstance(row, (list, tuple)) else [row] for row in X]
    return rows, list(y)
