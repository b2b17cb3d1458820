"""What a model is made of, checked: activation names, layer sizes, weights and biases.

nn.module builds models from these; nn.state checks a saved model's numbers
with the same checks, so a file and a constructor refuse the same things.
"""

import math
from numbers import Real

from tracegrad import Value

__all__ = ["ACTIVATIONS"]

# name -> the Value method that applies it; "linear" applies nothing.
_ACTIVATION_FUNCTIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}
ACTIVATIONS = tuple(_ACTIVATION_FUNCTIONS)


def _size(n, where):
    """n as a positive int, else a clear error."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{where} must be a positive int, got {n!r} ({type(n).__name__})")
    if n < 1:
        raise ValueError(f"{where} must be a positive int, got {n}")
    return n


def _number(x, where):
    """x as a finite float; bools and non-numbers are TypeErrors."""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{where} must be a number, got {x!r} ({type(x).__name__})")
    try:
        x = float(x)
    except OverflowError:  # an int such as 10**400, which JSON can hold
        raise ValueError(f"{where} must be finite, got an integer too large for a float") from None
    if not math.isfinite(x):
        raise ValueError(f"{where} must be finite, got {x}")
    return x


def _numbers(xs, n, where):
    """xs as a list of exactly n finite floats."""
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"{where} must be a list of {n} numbers, got {xs!r} ({type(xs).__name__})")
    if len(xs) != n:
        raise ValueError(f"{where} must have {n} numbers, got {len(xs)}")
    return [_number(x, f"{where}[{k}]") for k, x in enumerate(xs)]


def _rows(rows, nrows, ncols, where):
    """rows as nrows lists of ncols finite floats."""
    if not isinstance(rows, (list, tuple)):
        raise TypeError(f"{where} must be a list of {nrows} rows, got {rows!r} ({type(rows).__name__})")
    if len(rows) != nrows:
        raise ValueError(f"{where} must have {nrows} rows (one per neuron), got {len(rows)}")
    return [_numbers(row, ncols, f"{where}[{j}]") for j, row in enumerate(rows)]


def _sizes_from_weights(weights, where):
    """[nin, nout_1, ..., nout_L] read off nested weights, before their numbers are checked."""
    if not isinstance(weights, (list, tuple)) or not weights:
        raise ValueError(
            f"{where}: weights must be a non-empty list with one entry per layer, got {weights!r}"
        )
    for i, layer in enumerate(weights):
        if not isinstance(layer, (list, tuple)) or not layer:
            raise ValueError(
                f"{where}: weights[{i}] must be a non-empty list of rows (one per neuron), got {layer!r}"
            )
    first_row = weights[0][0]
    if not isinstance(first_row, (list, tuple)) or not first_row:
        raise ValueError(
            f"{where}: weights[0][0] must be a non-empty list of input weights, got {first_row!r}"
        )
    return [len(first_row)] + [len(layer) for layer in weights]


def _check_shapes(weights, biases, sizes, where):
    """Check weights[i][j][k] and biases[i][j] against layer sizes; raise naming the first misfit."""
    nlayers = len(sizes) - 1
    for name, value in (("weights", weights), ("biases", biases)):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{where}: {name} must be a list with one entry per layer, got {value!r}")
        if len(value) != nlayers:
            raise ValueError(f"{where}: {name} has {len(value)} layers, expected {nlayers}")
    for i in range(nlayers):
        _rows(weights[i], sizes[i + 1], sizes[i], f"{where}: weights[{i}]")
        _numbers(biases[i], sizes[i + 1], f"{where}: biases[{i}]")
