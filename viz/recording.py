"""Recording: a training run, step by step, for the training player page.

``viz.record(model, X, y, loss=..., optimizer=..., epochs=...)`` trains with
``nn.fit`` and returns a Recording; or make one yourself and hand it to fit
as its ``on_step``::

    run = Recording(model, X, y, loss="hinge", optimizer=optimizer)   # step 0, now
    nn.fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=40, on_step=run)
    run.save_html("run.html")

Frame k is the model after k optimizer steps (frame 0: before any). It holds
what the model is at that moment: every parameter's value, the gradient
computed there (the one step k + 1 uses; not computed for the last frame),
the optimizer's state after k steps (Adam's m and v, SGD's momentum buffer),
the loss and accuracy over all training samples, the prediction for each
sample, and the outputs of every neuron over a grid of the input plane (two
inputs) or along the input line (one input). The page replays these numbers;
it computes none of them.

An MLP's neurons are evaluated over the grid with numpy (a matrix product per
layer and the engine's array rule for each activation); other models through
nn.predict.
"""

import math

import numpy as np

from tracegrad import ARRAY_RULES, Value, grad, no_grad, topological_order
from tracegrad.nn import MLP, SGD, Adam, fit, predict
from tracegrad.nn.optim import Optimizer
from tracegrad.nn.train import is_correct, loss_named

from .format import shown_text

__all__ = ["Recording", "Frame", "record", "frames_every"]

# The grid: points per side of the input plane, points along the input line.
PLANE_RESOLUTION = 33
LINE_RESOLUTION = 101
# A page's budget: a long run keeps every k-th step, so its player page stays about this size.
PAGE_BYTES = 4_000_000
# A sample's computation graph is drawn when it has at most this many nodes
# (the 2-2-1 network with its loss has about 30).
GRAPH_MAX_NODES = 60


class Frame:
    """The model after ``step`` optimizer steps, as plain numbers (see the module's docstring).

    ``values``, ``grads`` and each list in ``state`` follow ``model.parameters()``;
    ``grads`` is None where no gradient was computed (the last frame), an entry
    of ``state`` is nan where the optimizer holds nothing yet (SGD's momentum
    buffer before the first step). ``loss`` and ``accuracy`` are over all
    training samples; ``batch_loss`` is the loss of the batch the gradient
    came from (the same with one batch per epoch). ``predictions`` has the
    model's output for each sample (a list per sample for several outputs).
    """

    __slots__ = ("step", "epoch", "values", "grads", "state", "loss", "accuracy", "batch_loss",
                 "predictions", "grid")

    def __init__(self, step, epoch, values, state, loss, accuracy, predictions, grid):
        self.step = step
        self.epoch = epoch  # the epoch of the step that made this frame; None for frame 0
        self.values = values
        self.grads = None
        self.state = state
        self.loss = loss
        self.accuracy = accuracy
        self.batch_loss = None
        self.predictions = predictions
        self.grid = grid  # numpy array: every neuron's output at each grid point (None: no grid)

    def __repr__(self):
        accuracy = "" if self.accuracy is None else f", accuracy {self.accuracy:.1%}"
        return f"<Frame: step {self.step}, loss {self.loss:.4g}{accuracy}>"


class Recording:
    """A training run, frame by frame; call it from ``nn.fit(..., on_step=recording)``.

    Making it records frame 0 (the model as it is now). ``loss`` is fit's
    (a name from nn.LOSSES or a function); ``optimizer`` the one fit steps.
    ``accuracy`` as in fit (default: for the classification losses). ``every``:
    record every k-th step only (call finish() after fit to record the last
    state too). ``sample``: the training sample the page shows first going through
    an MLP (any other can be clicked), or whose computation graph it draws for a
    small model of another kind (None: none).
    """

    def __init__(self, model, X, y, *, loss, optimizer, accuracy=None, every=1, sample=0):
        self.loss_name, self._loss, self.tracks_accuracy = loss_named(loss, accuracy, "Recording")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Recording: optimizer must be an nn optimizer such as SGD or Adam, got {optimizer!r}")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"Recording: every must be a positive int, got {every!r}")
        if not isinstance(X, (list, tuple)) or not isinstance(y, (list, tuple)) or len(X) != len(y) or not X:
            raise ValueError("Recording: X and y must be lists of the same, non-zero length")
        if sample is not None and (isinstance(sample, bool) or not isinstance(sample, int)
                                   or not 0 <= sample < len(X)):
            raise ValueError(f"Recording: sample must be an index into X (0 to {len(X) - 1}) or None, "
                             f"got {sample!r}")
        self.model, self.optimizer, self.X, self.y = model, optimizer, list(X), list(y)
        self.sample = sample
        self.every = every
        self.parameters = model.parameters()
        self.labels = [shown_text(p.label) or f"p{i}" for i, p in enumerate(self.parameters)]
        self.grid_axes = _grid_axes(self.X)
        self._grid_rows = _grid_rows(self.grid_axes)
        self._layout, self._evaluate = _evaluator_of_values(model, self.parameters, self._grid_rows + self.X,
                                                            reuse=True)
        # how many outputs the model has: predictions are lists exactly when more than one
        self.nout = model.nouts[-1] if isinstance(model, MLP) else _output_count(model, self.X[0])
        if self.tracks_accuracy and self.nout == 1:  # the class of each target, for is_correct's rule
            self._positive = np.array([t > 0 for t in self.y])
        self._frames = []
        self._by_step = {}
        self._next_step = 0  # the step fit should report next
        self.history = None  # fit's history, when made by record()
        self.graph = _SampleGraph.make(model, X, y, sample, self._loss)
        self._record(0, None)

    # --- recording ---------------------------------------------------------

    def __call__(self, info):
        """Record what fit reports after a step (an nn.StepInfo): called by fit as its on_step."""
        if not info.trains(self.model, self.optimizer):
            raise ValueError("Recording: fit is training another model or optimizer than the one "
                             "this recording was made for")
        if info.step != self._next_step:
            raise ValueError(f"Recording: expected step {self._next_step} from fit, got step {info.step}; "
                             "a recording follows one run of fit (make a new one for another run)")
        self._next_step += 1
        frame = self._by_step.get(info.step)
        if frame is not None:  # info's values and grads are those of the model before this step
            frame.grads = list(info.grads)
            frame.batch_loss = info.loss
            if len(info.batch) == len(self.X):  # fit's loss is over all samples: the frame's own
                if info.step == 0:
                    own = self._loss_of(frame.predictions)
                    if not math.isclose(info.loss, own, rel_tol=1e-6, abs_tol=1e-12):
                        raise ValueError(
                            f"Recording: fit's loss at step 0 is {info.loss:.6g} but the recording's "
                            f"{self.loss_name} is {own:.6g}: give the Recording the same loss as fit")
                frame.loss = info.loss
        if self._next_step % self.every == 0:
            # On fit's batched path its arrays hold the numbers after the step: reading them spares
            # writing them into the Values, except for the sample's graph, which the Values compute.
            if info.arrays is not None and self._layout is not None and self.graph is None:
                self._record(self._next_step, info.epoch, arrays=info.arrays)
            else:
                self._record(self._next_step, info.epoch, parameters=info.parameters)
        self._last_epoch = info.epoch

    def finish(self):
        """Record the model as it is now as the last frame, unless that step is recorded already."""
        if self._next_step not in self._by_step:
            self._record(self._next_step, getattr(self, "_last_epoch", None))
        return self

    def _record(self, step, epoch, *, parameters=None, arrays=None):
        """Record frame ``step`` from the parameters' Values (default: the model's) or from fit's arrays."""
        if arrays is None:
            parameters = self.parameters if parameters is None else parameters
            values = np.array([p.data for p in parameters], dtype=float)
            state = _optimizer_state(self.optimizer, parameters)
        else:
            values = arrays.data[arrays.model_order]
            state = _optimizer_state_of_arrays(self.optimizer, arrays.state, arrays.model_order)
        table = self._evaluate(values)
        grid, on_samples = table[:len(self._grid_rows)], table[len(self._grid_rows):]
        outputs = on_samples[:, -self.nout:]
        predictions = outputs.tolist() if self.nout > 1 else outputs[:, 0].tolist()
        loss = None  # fit reports it with the step's gradient; else computed when first read
        accuracy = None
        if self.tracks_accuracy and self.nout == 1:  # is_correct's rule, over every sample at once
            accuracy = int(np.count_nonzero((outputs[:, 0] > 0.0) == self._positive)) / len(self.y)
        elif self.tracks_accuracy:
            accuracy = sum(is_correct(p, t) for p, t in zip(predictions, self.y)) / len(self.y)
        # float32 is all the page draws the grid with, and half the memory of a long run
        frame = Frame(step, epoch, values.tolist(), state, loss, accuracy, predictions,
                      grid.astype(np.float32, order="C") if self._grid_rows else None)
        if self.graph is not None:
            self.graph.record(self.model, self.X, self.y, self._loss)
        self._frames.append(frame)
        self._by_step[step] = frame

    def loss_at(self, values):
        """The loss over all samples with the parameters at values (an array in ``parameters`` order);
        None for a model other than an MLP (the player's error surface reads it)."""
        if getattr(self, "_layout", None) is None:  # (a live run's recording has none)
            return None
        if getattr(self, "_on_samples", None) is None:
            self._on_samples = _evaluator_of_values(self.model, self.parameters, self.X)[1]
        outputs = self._on_samples(np.asarray(values, dtype=float))[:, -self.nout:]
        return self._loss_of(outputs.tolist() if self.nout > 1 else outputs[:, 0].tolist())

    def _loss_of(self, predictions):
        """The loss over all samples, from the model's predictions for them."""
        with no_grad():
            wrapped = [[Value(v) for v in p] if isinstance(p, list) else Value(p) for p in predictions]
            return self._loss(wrapped, self.y).data

    # --- reading it back ----------------------------------------------------

    @property
    def frames(self):
        """The Frames recorded so far, step 0 first."""
        for frame in self._frames:
            if frame.loss is None:  # fit did not report this one (the last, or with minibatches)
                frame.loss = self._loss_of(frame.predictions)
        return self._frames

    def __len__(self):
        return len(self._frames)

    def __getitem__(self, index):
        return self.frames[index]

    def __repr__(self):
        last = self.frames[-1]
        return (f"<Recording: {len(self.frames)} frames, steps 0 to {last.step}, loss "
                f"{self.frames[0].loss:.4g} -> {last.loss:.4g}; .save_html(path) writes the player>")

    def to_html(self, *, title=None):
        """The training player: one self-contained HTML page (a str) that replays this recording."""
        from .player import player_html

        return player_html(self, title=title)

    def save_html(self, path, *, title=None):
        """Write to_html() to path (UTF-8); returns the path."""
        from .page import save_page

        return save_page(path, self.to_html(title=title))

    def _repr_html_(self):
        # Jupyter: the player inline, in its own frame
        from .page import inline_frame

        return inline_frame(self.to_html(), title="training player", height=760, still=self._still_png(),
                            still_type="image/png",
                            still_note="The loss and the model after the last step. Run this cell (or trust "
                                       "the notebook) to replay the training step by step.")

    def _still_png(self):
        """The loss curve and the final model as a small PNG, for a notebook whose scripts do not run;
        None without matplotlib, fit's history, or a model of 1 or 2 inputs."""
        import io

        from .plot import MissingMatplotlib, training_figure

        if self.history is None or len(self.X[0]) not in (1, 2):
            return None
        try:
            figure = training_figure(self.model, self.X, self.y, self.history, loss_name=self.loss_name,
                                     resolution=40)
        except MissingMatplotlib:
            return None
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=72)
        return buffer.getvalue()


def record(model, X, y, *, loss="mse", optimizer=None, epochs=100, batch_size=None, seed=None,
           progress=True, accuracy=None, batched=None, every=1, sample=0):
    """Train model with nn.fit and return the Recording of the run (``.history`` is fit's history).

    The arguments are fit's (optimizer defaults to ``Adam(model.parameters(), lr=0.01)``
    as in fit), plus Recording's ``every`` and ``sample``.
    """
    if optimizer is None:
        optimizer = Adam(model.parameters(), lr=0.01)
    recording = Recording(model, X, y, loss=loss, optimizer=optimizer, accuracy=accuracy, every=every,
                          sample=sample)
    recording.history = fit(model, X, y, loss=loss, optimizer=optimizer, epochs=epochs,
                            batch_size=batch_size, progress=progress, seed=seed, accuracy=accuracy,
                            batched=batched, on_step=recording)
    return recording.finish()


# --- helpers ------------------------------------------------------------------


def frames_every(model, steps, page_bytes=PAGE_BYTES):
    """Record every k-th of steps optimizer steps: the smallest k that keeps model's player page near page_bytes."""
    from .player import frame_bytes

    nin = model.nin
    points = PLANE_RESOLUTION ** 2 if nin == 2 else LINE_RESOLUTION if nin == 1 else 0
    return max(1, math.ceil((steps + 1) * frame_bytes(model, points) / page_bytes))


def _evaluator(model, rows):
    """A function of no arguments: _evaluator_of_values's outputs for the model's Values as they are then."""
    parameters = model.parameters()
    evaluate = _evaluator_of_values(model, parameters, rows)[1]
    return lambda: evaluate(np.array([p.data for p in parameters], dtype=float))


def _evaluator_of_values(model, parameters, rows, reuse=False):
    """A function of the parameters' values (an array in ``parameters`` order): the outputs at every row
    as an array (rows × outputs); with reuse, the same array each time, written over (read it, keep a copy).

    For an MLP, the output of every neuron, layer after layer: each layer's
    weighted sums as one matrix product over all rows, then the activation by
    the engine's own rule over arrays (autograd.ARRAY_RULES, as the batched
    path of fit uses). The same numbers as the model's, to rounding, straight
    from the values given, so fit's arrays serve as well as the Values. Other
    models go through nn.predict, reading their Values (the argument unused).
    """
    table = np.array(rows, dtype=float).reshape(len(rows), -1)
    layout = _mlp_layout(model, parameters)
    if layout is None:
        return None, lambda values: np.array(predict(model, rows), dtype=float).reshape(len(rows), -1)
    # Column-major (Fortran order): each layer's outputs are a block of whole columns in memory,
    # which a matrix product (BLAS) writes straight into and the next layer's product reads.
    columns = np.asfortranarray(table)
    width_of_all = sum(neurons for _, neurons, _, _ in layout)
    kept = np.empty((len(rows), width_of_all), order="F") if reuse else None

    def every_neuron(values):
        # reuse: the same array written over at each call (a fresh one of a few hundred KB
        # a frame costs more, in page faults, than the arithmetic)
        out = kept if reuse else np.empty((len(rows), width_of_all), order="F")
        inputs, first = columns, 0
        for start, neurons, width, activations in layout:
            # the layer's parameters, neuron after neuron: its weights, then its bias
            block = values[start:start + neurons * (width + 1)].reshape(neurons, width + 1)
            sums = out[:, first:first + neurons]
            np.matmul(inputs, block[:, :-1].T, out=sums)
            sums += block[:, -1]
            if len(set(activations)) == 1:  # nn's layers: one activation for every neuron
                if activations[0] != "linear":
                    ARRAY_RULES[activations[0]][0](np, sums, out=sums)
            else:
                for j, activation in enumerate(activations):
                    if activation != "linear":
                        ARRAY_RULES[activation][0](np, sums[:, j], out=sums[:, j])
            inputs, first = sums, first + neurons
        return out

    return layout, every_neuron


def _mlp_layout(model, parameters):
    """Where each layer of an MLP finds its numbers in ``parameters``: (start, neurons, inputs,
    activations) per layer; None for any other model, or one whose parameters are not in nn's order."""
    if type(model).__call__ is not MLP.__call__:  # a subclass may compute something else
        return None
    layout, start = [], 0
    for layer in model.layers:
        neurons = layer.neurons
        width = len(neurons[0].w)
        in_order = [p for neuron in neurons for p in neuron.w + [neuron.b]]
        if (any(len(neuron.w) != width for neuron in neurons)
                or len(parameters) < start + len(in_order)
                or any(p is not q for p, q in zip(in_order, parameters[start:]))):
            return None
        layout.append((start, len(neurons), width, [neuron.activation for neuron in neurons]))
        start += len(in_order)
    return layout if start == len(parameters) else None


def _output_count(model, x):
    with no_grad():
        out = model(x)
    return len(out) if isinstance(out, list) else 1


def _grid_axes(X):
    """The grid's coordinates along each input (one or two inputs), padded around the data."""
    nin = len(X[0])
    if nin not in (1, 2):
        return []
    axes = []
    for k in range(nin):
        column = [row[k] for row in X]
        low, high = min(column), max(column)
        pad = 0.15 * (high - low) + 0.1
        count = PLANE_RESOLUTION if nin == 2 else LINE_RESOLUTION
        axes.append(np.linspace(low - pad, high + pad, count).tolist())
    return axes


def _grid_rows(axes):
    if len(axes) == 1:
        return [[x] for x in axes[0]]
    if len(axes) == 2:  # row by row, x0 varying fastest
        return [[x0, x1] for x1 in axes[1] for x0 in axes[0]]
    return []


def _optimizer_state(optimizer, parameters):
    """name -> one number per parameter (nan where the optimizer holds none), and "t" for Adam."""
    position = {id(p): i for i, p in enumerate(optimizer.params)}
    where = [position.get(id(p)) for p in parameters]

    def per_parameter(numbers):
        return [math.nan if i is None or numbers[i] is None else float(numbers[i]) for i in where]

    if isinstance(optimizer, Adam):
        state = {"m": per_parameter(optimizer.m), "v": per_parameter(optimizer.v)}
        if optimizer.v_max is not None:
            state["v_max"] = per_parameter(optimizer.v_max)
        state["t"] = optimizer.t
        return state
    if isinstance(optimizer, SGD) and optimizer.momentum:
        return {"momentum_buffer": per_parameter(optimizer.velocities)}
    return {}


def _optimizer_state_of_arrays(optimizer, state, order):
    """_optimizer_state's numbers, read from fit's arrays (``state`` in optimizer.params order,
    ``order`` picks model.parameters() among them)."""
    if isinstance(optimizer, Adam):
        named = {name: state[name][order].tolist() for name in ("m", "v", "v_max") if name in state}
        named["t"] = optimizer.t
        return named
    if isinstance(optimizer, SGD) and optimizer.momentum:
        return {"momentum_buffer": np.where(state["started"], state["velocities"], math.nan)[order].tolist()}
    return {}


class _SampleGraph:
    """One sample's loss graph, recorded at every frame: each node's data and d loss / d node."""

    def __init__(self, sample, root, order):
        self.sample = sample
        self.root = root  # frame 0's graph, for the drawing
        self.order = order  # its nodes, inputs first: the order of each frame's data and grads
        self.shape = [(node.op, len(node.inputs)) for node in order]
        self.data, self.grads = [], []  # per frame, per node (None: this frame's graph differs)

    @classmethod
    def make(cls, model, X, y, sample, loss):
        if sample is None:
            return None
        root = _sample_loss(model, X, y, sample, loss)
        if root is None:
            return None
        order = topological_order(root)
        if len(order) > GRAPH_MAX_NODES:
            return None
        return cls(sample, root, order)

    def record(self, model, X, y, loss):
        root = _sample_loss(model, X, y, self.sample, loss)
        order = topological_order(root) if root is not None else []
        if [(node.op, len(node.inputs)) for node in order] != self.shape:
            # bce_with_logits, say, writes its terms one way for a negative logit, another for a positive
            self.data.append(None)
            self.grads.append(None)
            return
        self.data.append([node.data for node in order])
        self.grads.append(list(grad(root, order)))


def _sample_loss(model, X, y, sample, loss):
    """The loss of one sample as a graph (the recording's own: no parameter's .grad changes)."""
    try:
        root = loss([model(X[sample])], [y[sample]])
    except (TypeError, ValueError):
        return None
    return root if isinstance(root, Value) else None
