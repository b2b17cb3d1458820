"""Loss functions: predictions (Values) and targets (numbers) in, one Value out.

Each loss is the mean over samples, built from Value operations so backward()
reaches every parameter. Predictions are a list with one entry per sample
(a Value, or a list of Values for a model with several outputs), or a single
Value for one sample; targets have the same shape, as plain numbers.

The two cross-entropies are built from softplus and logsumexp, operations
that never exponentiate a large positive number: a logit of 1000 gives a
finite loss and gradient instead of an overflow. No loss branches on the
numbers, so every sample makes the same graph.
"""

import math
from numbers import Integral, Real

from tracegrad import Value

__all__ = ["mse", "half_squared_error", "hinge", "bce_with_logits", "cross_entropy", "LOSSES"]


def mse(predictions, targets):
    """Mean squared error: mean of (ŷ − y)² over every output of every sample."""
    pairs = _pairs(predictions, targets, "mse")
    return _mean([(p - t) ** 2 for p, t in pairs])


def half_squared_error(predictions, targets):
    """Mean of ½(ŷ − y)², the cost C of the 2-2-1 network's blog post; its derivative is simply ŷ − y."""
    pairs = _pairs(predictions, targets, "half_squared_error")
    return _mean([(p - t) ** 2 * 0.5 for p, t in pairs])


def hinge(scores, targets):
    """Max-margin loss, mean of max(0, 1 − y·score), for labels y of −1 or +1 (micrograd's demo)."""
    pairs = _pairs(scores, targets, "hinge")
    for i, (_, t) in enumerate(pairs):
        if t != 1.0 and t != -1.0:
            raise ValueError(
                f"hinge(): targets must be -1 or +1, got {t:g} at index {i}; "
                "for 0/1 labels use [2 * t - 1 for t in y], or signed=True in nn.data"
            )
    return _mean([(1.0 - p * t).relu() for p, t in pairs])


def bce_with_logits(logits, targets):
    """Binary cross-entropy on logits z (PyTorch's binary_cross_entropy_with_logits), targets in [0, 1].

    Per sample: −y·log σ(z) − (1 − y)·log(1 − σ(z)) = y·softplus(−z) + (1 − y)·softplus(z),
    as −log σ(z) = softplus(−z) = log(1 + e^−z). softplus is one operation,
    exact and finite for any z; the shorter softplus(z) − y·z would lose the
    small loss of a confident right answer (z = 30, y = 1) to cancellation.
    """
    pairs = _pairs(logits, targets, "bce_with_logits")
    for i, (_, y) in enumerate(pairs):
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"bce_with_logits(): targets must be in [0, 1], got {y:g} at index {i}")
    return _mean([(-z).softplus() * y + z.softplus() * (1.0 - y) for z, y in pairs])


def cross_entropy(logits, targets):
    """Softmax cross-entropy (PyTorch's cross_entropy): mean of −log softmax(z)[y].

    ``logits`` holds one list of k Values per sample, ``targets`` one class
    index 0..k−1 per sample; or one list of logits and one index for a single sample.
    Per sample: log Σ_j e^(z_j − z_y), with z_y = Σ_j t_j·z_j for t the one-hot
    vector of the class: the same graph whatever the class (so fit can replay
    it over a batch), and exact down to the tiny loss of a confident right answer.
    """
    if _is_index(targets):
        logits, targets = [logits], [targets]
    rows = _rows(logits, targets, "cross_entropy")
    terms = []
    for i, (row, t) in enumerate(zip(rows, targets)):
        if not _is_index(t):
            raise TypeError(
                f"cross_entropy(): targets[{i}] must be a class index (int), got {t!r} ({type(t).__name__})"
            )
        if not 0 <= t < len(row):
            raise ValueError(
                f"cross_entropy(): targets[{i}] is {t}, but there are {len(row)} classes (0..{len(row) - 1})"
            )
        picked = Value.sum([z * (1.0 if j == t else 0.0) for j, z in enumerate(row)])
        terms.append(Value.logsumexp([z - picked for z in row]))
    return _mean(terms)


# Losses by the name fit() accepts; the last three are classifications (fit reports accuracy).
LOSSES = {
    "mse": mse,
    "half_squared_error": half_squared_error,
    "hinge": hinge,
    "bce_with_logits": bce_with_logits,
    "cross_entropy": cross_entropy,
}


def _mean(terms):
    # one sample is its own mean: no sum-of-one and ÷ 1 nodes in a learner's drawing
    if len(terms) == 1:
        return terms[0]
    return Value.sum(terms) / len(terms)


def _pairs(predictions, targets, where):
    """Flat (prediction Value, target float) pairs, checking that the shapes match."""
    if not isinstance(predictions, (list, tuple)):
        predictions, targets = [predictions], [targets]
    elif not isinstance(targets, (list, tuple)):
        raise TypeError(
            f"{where}(): targets must be a list like predictions, got {targets!r} ({type(targets).__name__})"
        )
    if len(predictions) != len(targets):
        raise ValueError(
            f"{where}(): {len(predictions)} predictions but {len(targets)} targets"
        )
    if not predictions:
        raise ValueError(f"{where}(): no predictions (an empty list has no mean)")
    pairs = []
    for i, (p, t) in enumerate(zip(predictions, targets)):
        if isinstance(p, (list, tuple)):
            if not isinstance(t, (list, tuple)) or len(t) != len(p):
                raise ValueError(
                    f"{where}(): predictions[{i}] has {len(p)} outputs, so targets[{i}] must be a list "
                    f"of {len(p)} numbers, got {t!r}"
                )
            pairs += [(_value(pk, f"{where}(): predictions[{i}][{k}]"),
                       _target(tk, f"{where}(): targets[{i}][{k}]")) for k, (pk, tk) in enumerate(zip(p, t))]
        else:
            pairs.append((_value(p, f"{where}(): predictions[{i}]"), _target(t, f"{where}(): targets[{i}]")))
    return pairs


def _rows(logits, targets, where):
    """logits as lists of Values, one row (of at least 2 classes) per target."""
    if not isinstance(logits, (list, tuple)) or not isinstance(targets, (list, tuple)):
        raise TypeError(f"{where}(): logits and targets must be lists, one entry per sample")
    if len(logits) != len(targets):
        raise ValueError(f"{where}(): {len(logits)} rows of logits but {len(targets)} targets")
    if not logits:
        raise ValueError(f"{where}(): no predictions (an empty list has no mean)")
    rows = []
    for i, row in enumerate(logits):
        if not isinstance(row, (list, tuple)) or len(row) < 2:
            raise ValueError(
                f"{where}(): logits[{i}] must be a list of one logit per class (at least 2), got {row!r}"
            )
        rows.append([_value(z, f"{where}(): logits[{i}][{j}]") for j, z in enumerate(row)])
    return rows


def _value(p, where):
    if isinstance(p, Value):
        return p
    if isinstance(p, bool) or not isinstance(p, Real):
        raise TypeError(f"{where} must be a Value or a number, got {p!r} ({type(p).__name__})")
    return Value(p)


def _target(t, where):
    if isinstance(t, bool) or not isinstance(t, Real):
        raise TypeError(f"{where} must be a number, got {t!r} ({type(t).__name__})")
    if not math.isfinite(t):
        raise ValueError(f"{where} must be finite, got {t}")
    return float(t)


def _is_index(t):
    return isinstance(t, Integral) and not isinstance(t, bool)
