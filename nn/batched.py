"""The batched path of fit() and predict(): one sample's graph, replayed over the batch.

A model and its loss make the same graph for every sample when nothing in
them branches on the data. fit() records that graph (autograd.batch.Tape)
and then runs each step as a few dozen numpy operations over the whole batch
instead of thousands of scalar nodes; the gradients are those of the scalar
path (to rounding).

How the graph is recorded depends on what is known about the model. nn's
Neuron, Layer and MLP never branch on their inputs' numbers, so their graph
is recorded once, on the first sample, and the loss once per distinct target
on top of it: the targets (and cross_entropy's one-hot row, which its Python
code picks by the label) are the loss graph's constants, one per sample, and
the loss graphs of different targets must have one shape. Any other model
may branch anywhere, so its graph is recorded for every sample and they must
agree. (Nothing cheaper is sound: a learner's model may branch on the input
numbers it is handed, on a Value's .data, on random numbers or on its own
state, and only running it on a sample shows what it does there.) When
they do not, or an operation has no rule over arrays (a learner's own,
written with a _backward function), fit says why and trains on the scalar
path.
"""

import math
import operator
from numbers import Real

import numpy as np

from tracegrad import Value, no_grad
from tracegrad.batch import StructureMismatch, Tape

from .losses import LOSSES, bce_with_logits, half_squared_error, mse
from .shapes import _ACTIVATION_FUNCTIONS

__all__ = ["BatchedLoss", "ArrayTraining", "batched_outputs", "StructureMismatch"]


class BatchedLoss:
    """The mean of ``loss_fn`` over any batch of (X, y), its gradient into the model's parameters.

    Raises StructureMismatch (with the reason) when the graph cannot be replayed.
    """

    def __init__(self, model, X, y, loss_fn, known_mean):
        def loss_part(output, target):
            self.single = not isinstance(output, list)
            loss = loss_fn([output], [target])
            if not isinstance(loss, Value):
                raise TypeError(f"fit(): the loss must return a Value, got {loss!r}")
            return [loss] + ([output] if self.single else output)

        def one_sample(x, target):
            return loss_part(model(x), target)  # numbers, as the scalar path passes them: the model wraps them

        rows = number_rows(X) if never_branches(model) else None
        try:
            if rows is not None:
                elementwise = loss_fn in (mse, half_squared_error, bce_with_logits)
                # nn's models and losses read no .data to make a number: the check that rebuilds
                # the graph with the parameters nudged would find nothing, for the cost of a forward pass
                self.tape = Tape.record_split(model, loss_part, rows, list(y), elementwise_targets=elementwise,
                                              check_parameters=loss_fn not in LOSSES.values())
                outputs = len(self.tape.roots) - 1
                if elementwise and not _plain_targets(y, None if self.single else outputs, loss_fn):
                    # the loss ran on a few targets: it checks them all, as the scalar path would
                    stand_in = Value(0.0) if self.single else [Value(0.0)] * outputs
                    with no_grad():
                        loss_fn([stand_in] * len(y), list(y))
            else:
                self.tape = Tape.record(one_sample, list(zip(X, y)), inputs=False)
        except (TypeError, ValueError) as error:
            if isinstance(error, StructureMismatch):
                raise
            # A target the loss refuses: its message names the sample as a list of one;
            # the loss over every sample names it as the scalar path does (y[57]).
            _raise_as_the_whole_batch(model, X, y, loss_fn)
            raise
        self.outputs = len(self.tape.roots) - 1
        if not known_mean:
            self._check_mean_over_samples(model, X, y, loss_fn)

    def step(self, model, batch):
        """(mean loss, outputs per sample), with every parameter's grad set to d loss / d parameter.

        None when a number came out inf or nan: the scalar path then redoes the
        batch, and raises the error that says where.
        """
        roots = self.tape.forward(samples=batch)
        if not all(np.isfinite(column).all() for column in roots):
            return None
        model.zero_grad()
        if not self.tape.backward(self.seeds(batch)):
            return None
        return self.mean_loss(roots), self.outputs_of(roots)

    def seeds(self, batch):
        """What backward() starts from: d mean loss / d each sample's loss, nothing from the outputs."""
        return [1.0 / len(batch)] + [0.0] * self.outputs

    @staticmethod
    def mean_loss(roots):
        """The batch's mean loss from forward()'s roots, as the scalar path takes it: one sum, one division.

        The sum left to right, as Value.sum adds (a running sum's last number; numpy's
        sum() adds pairwise, Python's, since 3.12, with compensation: other last digits)."""
        losses = roots[0]
        return float(losses[0]) if len(losses) == 1 else float(np.add.accumulate(losses)[-1]) / len(losses)

    def outputs_of(self, roots):
        """The model's output for each sample of the batch: floats, or lists for several outputs."""
        outputs = [column.tolist() for column in roots[1:]]
        return outputs[0] if self.single else [list(row) for row in zip(*outputs)]

    def _check_mean_over_samples(self, model, X, y, loss_fn):
        """A loss function of our user's must be a mean over samples for a batch to split into them."""
        few = list(range(min(len(X), 4)))
        whole = loss_fn([model(X[k]) for k in few], [y[k] for k in few]).data
        per_sample = self.tape.forward(samples=few)[0].tolist()
        mean = per_sample[0] if len(few) == 1 else sum(per_sample) / len(few)
        if not math.isclose(whole, mean, rel_tol=1e-9, abs_tol=1e-12):
            raise StructureMismatch(
                f"the loss of {len(few)} samples together ({whole:g}) is not the mean of their own "
                f"losses ({mean:g}), so a batch cannot be split into samples"
            )


def _raise_as_the_whole_batch(model, X, y, loss_fn):
    """Run loss_fn over every target with stand-in predictions: the error it raises, if any."""
    with no_grad():
        try:
            output = model(X[0])
        except Exception:  # noqa: BLE001 (the model's own error is the one to report: raised by the caller)
            return
        stand_in = [Value(0.0) for _ in output] if isinstance(output, list) else Value(0.0)
        loss_fn([stand_in] * len(y), list(y))


def _plain_targets(y, outputs, loss_fn):
    """True when an elementwise loss takes every target as it is: finite floats or ints (in [0, 1]
    for bce_with_logits), in lists of ``outputs`` for a model with several outputs (None: one).
    False means only that the loss itself must look (and say what is wrong, if anything)."""
    if outputs is not None:
        if not all(type(t) in (list, tuple) and len(t) == outputs for t in y):
            return False
        y = [v for t in y for v in t]
    if not {type(t) for t in y} <= {float, int}:
        return False
    try:
        numbers = np.array(y, dtype=float)
    except OverflowError:  # an int too large for a float
        return False
    if not np.isfinite(numbers).all():
        return False
    return loss_fn is not bce_with_logits or bool(((numbers >= 0.0) & (numbers <= 1.0)).all())


def never_branches(model):
    """True for nn's own models, whose graph is the same whatever the input's numbers.

    The model's class must call as Neuron, Layer or MLP do, and so must each
    neuron in it, with one of nn's activations: a learner's own neuron put in
    a layer by hand is not known not to branch.
    """
    from .module import MLP, Layer, Neuron

    call = type(model).__call__
    if call is Neuron.__call__:
        neurons = [model]
    elif call is Layer.__call__:
        neurons = model.neurons
    elif call is MLP.__call__:
        neurons = [n for layer in model.layers for n in layer.neurons]
    else:
        return False
    activations = list(_ACTIVATION_FUNCTIONS.values())
    return all(type(n).__call__ is Neuron.__call__ and any(n._apply is f for f in activations) for n in neurons)


def number_rows(X):
    """X as a 2-D float array when every row is a list (or array) of finite real numbers of one length;
    else None (the scalar path, row by row, says what is wrong where)."""
    if isinstance(X, np.ndarray):
        if X.ndim != 2 or X.dtype.kind not in "iuf":
            return None
        rows = X.astype(float)
    else:
        plain = all(type(row) in (list, tuple) for row in X) and {type(v) for row in X for v in row} <= {float, int}
        for row in [] if plain else X:  # plain floats and ints are numbers: no need to ask each one
            if not isinstance(row, (list, tuple)) or not all(isinstance(v, Real) for v in row):
                return None
        try:
            rows = np.array(X, dtype=float)
        except (TypeError, ValueError, OverflowError):
            return None
        if rows.ndim != 2:
            return None
    return rows if np.isfinite(rows).all() else None


class ArrayTraining:
    """fit's batched steps with the parameters, their gradients and the optimizer's state in arrays.

    A step is then a few numpy calls from start to end: no Python loop over
    the parameters. The Values (``data``, ``grad``) and the optimizer's lists
    hold the arrays' numbers after write_back(), which fit calls when it
    returns or is interrupted, and when an ``on_step`` function reads the
    model, the optimizer or the parameters. ``make`` gives None, for the
    step-by-step write-back instead, when the optimizer is a learner's own or
    the graph reads a shared leaf that the optimizer does not hold.
    """

    @classmethod
    def make(cls, fast, model, optimizer):
        if not optimizer._has_array_step():
            return None
        params, in_model = optimizer.params, model.parameters()
        position = {id(p): i for i, p in enumerate(params)}
        in_order = len(in_model) == len(params) and all(map(operator.is_, in_model, params))  # the usual
        if not in_order and (len(in_model) != len(position) or any(id(p) not in position for p in in_model)):
            return None  # the scalar path zeroes model.parameters() and steps optimizer.params: keep it
        shared = [position.get(id(leaf)) for leaf in fast.tape.shared_leaves]
        if None in shared:
            return None
        return cls(fast, optimizer, shared, range(len(params)) if in_order else [position[id(p)] for p in in_model])

    def __init__(self, fast, optimizer, shared, model_order):
        self.fast, self.optimizer, self.params = fast, optimizer, optimizer.params
        self._shared = np.array(shared, dtype=np.intp)  # the tape's shared leaves among the parameters
        self.model_order = np.asarray(model_order, dtype=np.intp)  # model.parameters() among them
        in_order = isinstance(model_order, range)
        self.params_in_model_order = list(self.params) if in_order else [self.params[i] for i in model_order]
        self.load()

    def load(self):
        """Read the Values and the optimizer's lists into the arrays."""
        self.data = np.array([p.data for p in self.params], dtype=float)
        self.grad = np.array([p.grad for p in self.params], dtype=float)
        self.state = self.optimizer._arrays(np)
        self.written = True  # the Values hold what the arrays hold

    def write_back(self):
        """Put the arrays' numbers into the Values and the optimizer's lists."""
        if self.written:
            return
        for p, data, grad in zip(self.params, self.data.tolist(), self.grad.tolist()):
            p.data = data
            p.grad = grad
        self.optimizer._set_arrays(self.state)
        self.written = True

    def step(self, batch):
        """Forward, backward and the optimizer's step: (the tape's roots, the values and grads the step used).

        None, with the Values written back and nothing stepped, when a number
        came out inf or nan: the scalar path then redoes the batch.
        """
        tape = self.fast.tape
        # fit shuffles only when it splits X into batches: a batch of every sample is in order
        roots = tape.forward(samples=None if len(batch) == tape.recorded else batch, shared=self.data[self._shared])
        totals = None
        if all(np.isfinite(column).all() for column in roots):
            totals = tape.gradient(self.fast.seeds(batch))
        if totals is None:
            self.write_back()
            return None
        before = self.data.copy()
        grad = np.zeros(len(self.params))
        grad[self._shared] = totals
        self.grad = grad  # a new array each step: a StepInfo kept from an earlier step keeps its own
        self.optimizer._array_step(np, self.data, grad, self.state)
        self.written = False
        return roots, before, grad


def batched_outputs(model, X):
    """model(x) for every row of X as plain floats (lists for several outputs), through a Tape.

    Records two rows (the first and the last) with their numbers as inputs,
    then replays every row: only for a model that does not branch on its
    inputs' values (nn's Neuron, Layer and MLP never do). A StructureMismatch
    when a row is not a list of finite numbers as long as the others (the
    scalar path then says which and why).
    """
    rows = number_rows(X)
    if rows is None:
        raise StructureMismatch("a row of X is not a list of finite numbers of the same length as the others")
    kind = {}

    def one_sample(inputs):
        output = model(inputs)
        kind["single"] = not isinstance(output, list)
        return output

    tape = Tape.record(one_sample, [(rows[0].tolist(),), (rows[-1].tolist(),)], check_parameters=False)
    # the tape's table holds a number per node per row: replay a few MB of it at a time
    chunk = max(1, _TABLE_NUMBERS // tape.size)
    columns = [[] for _ in tape.roots]
    for start in range(0, len(rows), chunk):
        for column, values in zip(columns, tape.forward(inputs=rows[start:start + chunk])):
            column.extend(values.tolist())
    return columns[0] if kind["single"] else [list(row) for row in zip(*columns)]


_TABLE_NUMBERS = 2_000_000  # 16 MB of float64
