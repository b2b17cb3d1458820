"""fit(): the training loop written once, with a progress bar; predict() and accuracy().

The loop is the one a learner writes by hand (forward, loss, zero_grad,
backward, step) and remains the way to do anything fit() does not.
"""

import math
import random
import warnings

import numpy as np
from tqdm import tqdm

from tracegrad import Value, no_grad

from .batched import ArrayTraining, BatchedLoss, StructureMismatch, batched_outputs, never_branches
from .losses import LOSSES
from .optim import Adam, Optimizer

__all__ = ["fit", "predict", "accuracy", "StepInfo", "ScalarPathWarning", "Trainer"]

# the losses whose targets are classes: fit reports accuracy for them by default
CLASSIFICATION_LOSSES = ("hinge", "bce_with_logits", "cross_entropy")


def loss_named(loss, accuracy, where):
    """(name, function, whether accuracy is tracked) for a loss given by its name in LOSSES or as a function.

    accuracy None tracks it for the classification losses; True or False decides.
    fit(), viz's Recording and its live run read their ``loss=`` and ``accuracy=`` so.
    """
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"{where}: unknown loss {loss!r}; choose one of {', '.join(map(repr, LOSSES))} "
                             "or pass a function loss(predictions, targets)")
        return loss, LOSSES[loss], loss in CLASSIFICATION_LOSSES if accuracy is None else bool(accuracy)
    if callable(loss):
        return getattr(loss, "__name__", "loss"), loss, bool(accuracy)
    raise TypeError(f"{where}: loss must be a name or a function, got {loss!r}")


class StepInfo:
    """What fit() tells an ``on_step`` function after each optimizer step.

    ``loss``, ``accuracy``, ``predictions``, ``values`` and ``grads`` describe the
    model *before* the step: the batch's mean loss, the fraction of the batch
    classified right (None when fit does not track accuracy), the model's output
    for each sample of the batch (floats, or lists for several outputs), and each
    parameter's value and the gradient the step used, in ``model.parameters()``
    order. ``model`` and ``optimizer`` are live objects, read *after* the step
    (for instance Adam's ``m``, ``v`` and ``t``, or SGD's ``velocities``).

    fit's batched path keeps the numbers in arrays during training: the lists
    are made when first read, and reading ``model``, ``optimizer`` or
    ``parameters`` first writes the arrays back into the Values, so a function
    that reads none of them costs the training nothing. Such a function
    may read the numbers after the step from ``arrays`` instead (see there).
    """

    __slots__ = ("step", "epoch", "batch", "loss", "accuracy", "_predictions", "_values", "_grads",
                 "_parameters", "_model", "_optimizer", "_write_back", "arrays")

    def __init__(self, step, epoch, batch, loss, accuracy, predictions, parameters, values, grads, model,
                 optimizer, write_back=None, arrays=None):
        self.step = step  # counts optimizer steps from 0 over the whole run
        self.epoch = epoch  # from 0
        self.batch = batch  # the indexes into X and y of this step's samples
        self.loss, self.accuracy = loss, accuracy
        # predictions, values, grads: lists, or functions that make them when first read
        self._predictions, self._values, self._grads = predictions, values, grads
        self._parameters, self._model, self._optimizer = parameters, model, optimizer
        self._write_back = write_back
        # fit's batched path: the nn.batched.ArrayTraining that holds, after the step, the parameters
        # (.data), their gradients and the optimizer's state (.state) as numpy arrays in
        # optimizer.params order (.model_order picks model.parameters()); None on the scalar path.
        # To read, never to change.
        self.arrays = arrays

    def trains(self, model, optimizer):
        """True when this step is of ``model`` with ``optimizer`` (checked without writing arrays back)."""
        return self._model is model and self._optimizer is optimizer

    def _made(self, name):
        made = getattr(self, name)
        if callable(made):
            made = made()
            setattr(self, name, made)
        return made

    @property
    def predictions(self):
        return self._made("_predictions")

    @property
    def values(self):
        return self._made("_values")

    @property
    def grads(self):
        return self._made("_grads")

    def _live(self, thing):
        if self._write_back is not None:
            self._write_back()
        return thing

    @property
    def parameters(self):
        """model.parameters()"""
        return self._live(self._parameters)

    @property
    def model(self):
        return self._live(self._model)

    @property
    def optimizer(self):
        return self._live(self._optimizer)

    def __repr__(self):
        accuracy = "" if self.accuracy is None else f", accuracy={self.accuracy:.4g}"
        return f"StepInfo(step={self.step}, epoch={self.epoch}, loss={self.loss:.6g}{accuracy})"


class ScalarPathWarning(UserWarning):
    """fit() could not replay the model's graph over a batch and trains on the scalar path."""


def fit(model, X, y, *, loss="mse", optimizer=None, epochs=100, batch_size=None,
        progress=True, seed=None, accuracy=None, on_step=None, batched=None):
    """Train ``model`` on inputs X and targets y; return the per-epoch history.

    X: one list of numbers per sample, or a 2-D numpy array; y: one target
    per sample (a number, a class index, or a list of numbers for several
    outputs), or a numpy array (1-D, or 2-D with a row per sample).

    ``loss`` is a name from nn.LOSSES or a function ``loss(predictions, targets)
    -> Value``. ``optimizer`` defaults to ``Adam(model.parameters(), lr=0.01)``.
    ``batch_size=None`` takes one step per epoch on all of X; otherwise each
    epoch visits X in batches, reshuffled with ``random.Random(seed)`` (with no
    seed, the global ``random``: ``random.seed`` makes the run repeatable).
    ``progress=False`` hides the tqdm bar. ``on_step``, a function, is called
    after every optimizer step with a StepInfo (to record or watch a run).

    ``batched=None`` (the default) records the graph of model and loss for
    each sample once and replays it over every batch with numpy, when the
    samples all make the same graph (nn's models and losses always do): the
    same gradients, hundreds of times faster. Otherwise it trains on the
    scalar path, node by node, with a ScalarPathWarning saying why.
    ``batched=False`` always takes the scalar path (to watch it, or to time
    it); ``batched=True`` raises the reason instead of falling back.

    Returns ``{"loss": [...], "accuracy": [...]}``, one entry per epoch: the
    mean loss over the epoch's batches, each measured just before its step.
    "accuracy" (see accuracy()) is there for the classification losses hinge,
    bce_with_logits and cross_entropy, or when ``accuracy=True``.
    """
    _, loss_fn, track_accuracy = loss_named(loss, accuracy, "fit()")
    X, y = _as_lists(X, y, "fit")
    n = _check_data(X, y, "fit")
    _positive_int(epochs, "epochs")
    if batch_size is not None:
        _positive_int(batch_size, "batch_size")
    parameters = model.parameters()
    if optimizer is None:
        optimizer = Adam(parameters, lr=0.01)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit(): optimizer must be an nn optimizer such as SGD or Adam, got {optimizer!r}")
    if on_step is not None and not callable(on_step):
        raise TypeError(f"fit(): on_step must be a function of one StepInfo, got {on_step!r}")
    held = {id(p) for p in optimizer.params}
    if not any(id(p) in held for p in parameters):
        raise ValueError(
            "fit(): the optimizer holds none of this model's parameters; "
            "make it with SGD(model.parameters(), ...) for this model"
        )

    if batched not in (None, True, False):
        raise TypeError(f"fit(): batched must be None, True or False, got {batched!r}")
    trainer = Trainer(model, X, y, loss_fn, optimizer, batched=batched, known_mean=isinstance(loss, str))
    if trainer.why_scalar is not None:
        warnings.warn(f"fit() trains on the scalar path: {trainer.why_scalar}", ScalarPathWarning, stacklevel=2)

    rng = random if seed is None else random.Random(seed)
    order = list(range(n))
    size = n if batch_size is None else batch_size
    history = {"loss": []}
    if track_accuracy:
        history["accuracy"] = []
    steps_done = 0
    description = "fit (batched)" if trainer.fast is not None else "fit (scalar)"
    try:
        with tqdm(range(epochs), desc=description, unit="epoch", disable=not progress) as bar:
            for epoch in bar:
                if size < n:
                    rng.shuffle(order)
                mean_loss, fraction_right = _epoch(trainer, order, size, track_accuracy, on_step, epoch,
                                                   steps_done)
                steps_done += -(-n // size)
                history["loss"].append(mean_loss)
                if track_accuracy:
                    history["accuracy"].append(fraction_right)
                if progress:  # formatting it costs as much as a small network's step
                    postfix = {"loss": f"{mean_loss:.4g}"}
                    if track_accuracy:
                        postfix["accuracy"] = f"{fraction_right:.1%}"
                    bar.set_postfix(postfix, refresh=False)
    finally:  # on return, on an error, on Ctrl-C: the Values hold what training reached
        trainer.write_back()
    return history


def _epoch(trainer, order, size, count_correct, on_step, epoch, first_step):
    """One pass over X in batches of ``size`` taken in ``order``, a step per batch.

    Returns the mean loss and the fraction classified right (None unless
    ``count_correct``), both measured on each batch's predictions just before
    its step, so no extra forward pass.
    """
    model, optimizer, y, arrays = trainer.model, trainer.optimizer, trainer.y, trainer.arrays
    total_loss, correct = 0.0, 0
    for step, start in enumerate(range(0, len(order), size), start=first_step):
        batch = order[start:start + size]
        batch_loss, outputs, values, grads = trainer.step(batch, watched=on_step is not None)
        total_loss += batch_loss * len(batch)
        batch_correct = 0
        if count_correct:
            if callable(outputs):
                outputs = outputs()
            batch_correct = sum(is_correct(o, y[i]) for o, i in zip(outputs, batch))
            correct += batch_correct
        if on_step is not None:
            on_step(StepInfo(step, epoch, batch, batch_loss,
                             batch_correct / len(batch) if count_correct else None, outputs,
                             model.parameters() if arrays is None else arrays.params_in_model_order,
                             values, grads, model, optimizer,
                             write_back=None if arrays is None else arrays.write_back, arrays=arrays))
            if arrays is not None and arrays.written:  # the function read the Values: it may have set them
                arrays.load()
    return total_loss / len(order), (correct / len(order) if count_correct else None)


class Trainer:
    """fit's step, written once: forward, loss, zero_grad, backward and the optimizer's step on a batch.

    fit() loops over it; anything else that steps a model itself (viz.live) calls
    it too. Made once for a model, its data, loss and optimizer: the batched
    path's graph (nn.batched) is recorded here, never per step. ``batched`` is
    fit's; ``why_scalar`` says why the graph could not be replayed (None when it
    can, or when ``batched=False`` asked for the scalar path).

    With ``in_arrays=True`` (fit) the parameters, their gradients and the
    optimizer's state live in numpy arrays between steps when they can
    (nn.batched.ArrayTraining): write_back() puts them into the Values, load()
    reads the Values back after something changed them. With ``in_arrays=False``
    the Values hold every step's numbers as it returns, and ``optimizer`` may be
    replaced between steps.
    """

    def __init__(self, model, X, y, loss_fn, optimizer, *, batched=None, known_mean=False, in_arrays=True,
                 where="fit()"):
        self.model, self.X, self.y, self.loss_fn, self.optimizer = model, X, y, loss_fn, optimizer
        self.where = where
        self.fast = self.arrays = self.why_scalar = None
        if batched is not False:
            try:
                self.fast = BatchedLoss(model, X, y, loss_fn, known_mean=known_mean)
            except StructureMismatch as why:
                if batched:
                    raise
                self.why_scalar = why
        if self.fast is not None and in_arrays:
            self.arrays = ArrayTraining.make(self.fast, model, optimizer)

    def step(self, batch, *, watched=False):
        """One optimizer step on the samples ``batch`` (indexes into X and y).

        Returns (the batch's mean loss, the outputs per sample, the parameters'
        values before the step, their gradients), all of the model before the
        step; outputs, values and grads may be functions that make the lists when
        called (the array path), and values and grads are None unless ``watched``
        on the other paths. An OverflowError, naming what, when a number is inf or nan.
        """
        model, optimizer, arrays, fast = self.model, self.optimizer, self.arrays, self.fast
        stepped = arrays.step(batch) if arrays is not None else None
        if stepped is not None:  # the parameters in arrays: the lists only when something reads them
            roots, before, grad = stepped
            if not np.isfinite(arrays.data).all():
                arrays.write_back()
                _check_finite([p.data for p in optimizer.params], "a parameter after the step", self.where)
            return (fast.mean_loss(roots), _once(fast.outputs_of, roots), _once(_listed, before, arrays.model_order),
                    _once(_listed, grad, arrays.model_order))
        done = fast.step(model, batch) if fast is not None and arrays is None else None
        if done is None:  # the scalar path, or a batch whose numbers overflowed: say where
            done = _scalar_step(model, self.X, self.y, batch, self.loss_fn, self.where)
        batch_loss, outputs = done
        values = grads = None
        if watched:
            parameters = model.parameters()
            values, grads = [p.data for p in parameters], [p.grad for p in parameters]
        optimizer.step()
        _check_finite([p.data for p in optimizer.params], "a parameter after the step", self.where)
        if arrays is not None:
            arrays.load()
        return batch_loss, outputs, values, grads

    def write_back(self):
        """The Values (and the optimizer's lists) hold what the arrays hold."""
        if self.arrays is not None:
            self.arrays.write_back()

def _once(make, *arguments):
    """A function that makes ``make(*arguments)`` when called (a StepInfo calls it once, if read)."""
    return lambda: make(*arguments)


def _listed(array, order):
    return array[order].tolist()


def _scalar_step(model, X, y, batch, loss_fn, where="fit()"):
    """Forward, loss and backward node by node: (the batch's loss, its outputs as floats)."""
    targets = [y[i] for i in batch]
    predictions = [model(X[i]) for i in batch]
    # Check outputs, not only the loss: relu(nan) is 0, so a model whose
    # numbers overflowed can report a perfect hinge loss of 0 and go on training.
    for output in predictions:
        _check_finite(_floats(output), "a prediction", where)
    batch_loss = loss_fn(predictions, targets)
    if not isinstance(batch_loss, Value):
        raise TypeError(f"{where}: the loss must return a Value, got {batch_loss!r}")
    _check_finite(batch_loss.data, "the loss", where)
    model.zero_grad()
    batch_loss.backward()
    _check_finite([p.grad for p in model.parameters()], "a gradient", where)
    return batch_loss.data, [_floats(p) for p in predictions]


def _check_finite(numbers, what, where="fit()"):
    """An OverflowError, rather than training on, once a number is inf or nan."""
    for x in numbers if isinstance(numbers, list) else [numbers]:
        if not math.isfinite(x):
            raise OverflowError(
                f"{where}: training diverged: {what} is {x}, beyond what a float can hold; "
                "try a smaller learning rate"
            )


def predict(model, X, *, batched=None):
    """The model's outputs for each input row, as plain floats (a list of floats per row
    for a model with several outputs).

    For nn's Neuron, Layer and MLP and 32 rows or more (``batched=None``), one
    row's graph is recorded and replayed over all rows with numpy; otherwise
    each row runs node by node without recording a graph. ``batched=True``
    replays any model, which must then not branch on its inputs' values
    (checked on two rows only); ``batched=False`` never replays. X may be a
    2-D numpy array, as in fit().
    """
    X, _ = _as_lists(X, None, "predict")
    if batched is None:
        batched = len(X) >= 32 and never_branches(model)
    if batched and X:
        try:
            return batched_outputs(model, X)
        except StructureMismatch:
            pass
    with no_grad():
        return [_floats(model(x)) for x in X]


def accuracy(model, X, y):
    """The fraction of samples the model classifies right.

    One output: class positive when the output (a score or logit) is > 0,
    compared with label > 0 (so 0/1 and −1/+1 labels both work). Several
    outputs: the class is the index of the largest. X and y may be numpy
    arrays, as in fit().
    """
    X, y = _as_lists(X, y, "accuracy")
    n = _check_data(X, y, "accuracy")
    return sum(is_correct(p, t) for p, t in zip(predict(model, X), y)) / n


def _floats(output):
    """A model output (Value or list of Values) as plain floats."""
    if isinstance(output, list):
        return [v.data for v in output]
    return output.data


def is_correct(output, target):
    """accuracy's rule: one output is a score (the positive class when > 0), several a class index."""
    if isinstance(output, list):
        return max(range(len(output)), key=output.__getitem__) == target
    return (output > 0.0) == (target > 0)


def _as_lists(X, y, where):
    """numpy arrays as the lists they stand for: X 2-D (a row per sample), y 1-D or 2-D (a row per sample)."""
    if isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise ValueError(f"{where}(): X must be a 2-D array, one row of inputs per sample, "
                             f"got an array of shape {X.shape}")
        X = X.tolist()
    if isinstance(y, np.ndarray):
        if y.ndim not in (1, 2):
            raise ValueError(f"{where}(): y must be a 1-D array (a target per sample) or a 2-D one (a row of "
                             f"targets per sample), got an array of shape {y.shape}")
        y = y.tolist()
    return X, y


def _check_data(X, y, where):
    if not isinstance(X, (list, tuple)) or not isinstance(y, (list, tuple)):
        raise TypeError(f"{where}(): X and y must be lists, one entry per sample")
    if len(X) != len(y):
        raise ValueError(f"{where}(): X has {len(X)} samples but y has {len(y)}")
    if not X:
        raise ValueError(f"{where}(): no samples")
    return len(X)


def _positive_int(n, name):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"fit(): {name} must be a positive int, got {n!r}")
