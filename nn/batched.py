"""The batched path of fit() and predict(): one sample's graph, replayed over the batch.

A model and its loss make the same graph for every sample when nothing in
them branches on the data. fit() records that graph for each training sample
once (autograd.batch.Tape), checks that they all agree, and then runs each
step as a few dozen numpy operations over the whole batch instead of
thousands of scalar nodes; the gradients are those of the scalar path (to
rounding). When the samples' graphs differ, or an operation has no rule over
arrays (a learner's own, written with a _backward function), fit says why
and trains on the scalar path.
"""

import math

import numpy as np

from tracegrad import Value
from tracegrad.batch import StructureMismatch, Tape

__all__ = ["BatchedLoss", "batched_outputs", "StructureMismatch"]


class BatchedLoss:
    """The mean of ``loss_fn`` over any batch of (X, y), its gradient into the model's parameters.

    Raises StructureMismatch (with the reason) when the graph cannot be replayed.
    """

    def __init__(self, model, X, y, loss_fn, known_mean):
        def one_sample(x, target):
            output = model(x)  # numbers, as the scalar path passes them: the model wraps them
            self.single = not isinstance(output, list)
            loss = loss_fn([output], [target])
            if not isinstance(loss, Value):
                raise TypeError(f"fit(): the loss must return a Value, got {loss!r}")
            return [loss] + ([output] if self.single else output)

        self.tape = Tape.record(one_sample, list(zip(X, y)), inputs=False)
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
        if not self.tape.backward([1.0 / len(batch)] + [0.0] * self.outputs):
            return None
        losses = roots[0].tolist()
        outputs = [column.tolist() for column in roots[1:]]
        # the scalar path's mean: one sum, then one division
        mean = losses[0] if len(losses) == 1 else sum(losses) / len(losses)
        per_sample = outputs[0] if self.single else [list(row) for row in zip(*outputs)]
        return mean, per_sample

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


def batched_outputs(model, X):
    """model(x) for every row of X as plain floats (lists for several outputs), through a Tape.

    Records two rows (the first and the last) with their numbers as inputs,
    then replays every row: only for a model that does not branch on its
    inputs' values (nn's Neuron, Layer and MLP never do).
    """
    kind = {}

    def one_sample(inputs):
        output = model(inputs)
        kind["single"] = not isinstance(output, list)
        return output

    tape = Tape.record(one_sample, [(_row(X[0], 0),), (_row(X[-1], len(X) - 1),)], check_parameters=False)
    rows = [_row(x, k) for k, x in enumerate(X)]
    # the tape's table holds a number per node per row: replay a few MB of it at a time
    chunk = max(1, _TABLE_NUMBERS // tape.size)
    columns = [[] for _ in tape.roots]
    for start in range(0, len(rows), chunk):
        for column, values in zip(columns, tape.forward(inputs=rows[start:start + chunk])):
            column.extend(values.tolist())
    return columns[0] if kind["single"] else [list(row) for row in zip(*columns)]


_TABLE_NUMBERS = 2_000_000  # 16 MB of float64


def _row(x, k):
    """One sample's input as a list of numbers (what a Tape turns into input Values)."""
    if not isinstance(x, (list, tuple)):
        raise TypeError(f"sample {k} must be a list of numbers, got {x!r}")
    if any(isinstance(v, Value) for v in x):
        raise StructureMismatch(f"sample {k} holds Values, not numbers: they would be shared leaves")
    return list(x)
