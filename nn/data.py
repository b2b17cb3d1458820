"""Small toy data sets in plain Python: two moons, circles, XOR, spirals, y = x².

Each generator returns ``(X, y)`` as plain lists: X holds one list of input
numbers per sample, y one target per sample, shuffled. ``noise`` is the
standard deviation of Gaussian noise added to each coordinate (to y for
make_squares). ``seed`` makes the draw repeatable with a generator of its
own; without it the draw comes from Python's global ``random`` module, as
micrograd's and scikit-learn's data do from theirs, so ``random.seed(1337)``
at the top of a script makes the whole run repeatable. scikit-learn's names
``n_samples=`` and ``random_state=`` (an int) work too.

Binary labels are 0 and 1; ``signed=True`` gives −1 and +1 instead, as the
hinge loss wants (or convert: ``[2 * t - 1 for t in y]``).
"""

import math
from numbers import Real

from .module import _rng

__all__ = ["make_moons", "make_circles", "make_xor", "make_spiral", "make_squares", "DATASETS", "MIN_SAMPLES",
           "ToyData", "toy_dataset", "losses_for", "default_noise"]


def make_moons(n=100, *, noise=0.1, seed=None, signed=False, n_samples=None, random_state=None):
    """Two interleaving half circles: class 0 the upper arc, class 1 the lower, shifted right."""
    n, noise, rng = _check(n, noise, seed, "make_moons", n_samples, random_state)
    upper = n // 2
    lower = n - upper
    samples = []
    for i in range(upper):
        t = math.pi * _fraction(i, upper)
        samples.append(([math.cos(t), math.sin(t)], 0))
    for i in range(lower):
        t = math.pi * _fraction(i, lower)
        samples.append(([1.0 - math.cos(t), 0.5 - math.sin(t)], 1))
    return _finish(samples, noise, rng, signed, "make_moons")


def make_circles(n=100, *, noise=0.1, factor=0.5, seed=None, signed=False, n_samples=None, random_state=None):
    """Two rings around the origin: class 0 of radius 1, class 1 of radius ``factor``."""
    n, noise, rng = _check(n, noise, seed, "make_circles", n_samples, random_state)
    if isinstance(factor, bool) or not isinstance(factor, Real) or not 0.0 < factor < 1.0:
        raise ValueError(f"make_circles: factor must be a number in (0, 1), got {factor!r}")
    outer = n // 2
    inner = n - outer
    samples = []
    for count, radius, label in ((outer, 1.0, 0), (inner, float(factor), 1)):
        for i in range(count):
            t = 2.0 * math.pi * i / count
            samples.append(([radius * math.cos(t), radius * math.sin(t)], label))
    return _finish(samples, noise, rng, signed, "make_circles")


def make_xor(n=100, *, noise=0.1, seed=None, signed=False, n_samples=None, random_state=None):
    """Points uniform in the square [−1, 1]²: class 1 where the two coordinates' signs differ."""
    n, noise, rng = _check(n, noise, seed, "make_xor", n_samples, random_state)
    samples = []
    for _ in range(n):
        a, b = rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
        samples.append(([a, b], int((a > 0.0) != (b > 0.0))))
    return _finish(samples, noise, rng, signed, "make_xor")


def make_spiral(n=90, *, classes=3, noise=0.1, seed=None, n_samples=None, random_state=None):
    """``classes`` spiral arms from the centre outwards, labelled 0..classes−1."""
    n, noise, rng = _check(n, noise, seed, "make_spiral", n_samples, random_state)
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 2:
        raise ValueError(f"make_spiral: classes must be an int >= 2, got {classes!r}")
    if n < classes:
        raise ValueError(f"make_spiral: n = {n} is fewer than one sample per class ({classes})")
    samples = []
    for label in range(classes):
        count = n // classes + (1 if label < n % classes else 0)
        for i in range(count):
            r = (i + 1) / count  # radius from near the centre to 1
            # arms start evenly spaced round the circle and each turns 4 radians
            t = 2.0 * math.pi * label / classes + 4.0 * r
            samples.append(([r * math.sin(t), r * math.cos(t)], label))
    return _finish(samples, noise, rng, False, "make_spiral")


def make_squares(n=20, *, noise=0.0, seed=None, low=-1.0, high=1.0, n_samples=None, random_state=None):
    """Samples of y = x² (plus noise) for x uniform in [low, high]; X rows are ``[x]``."""
    n, noise, rng = _check(n, noise, seed, "make_squares", n_samples, random_state)
    for name, bound in (("low", low), ("high", high)):
        if isinstance(bound, bool) or not isinstance(bound, Real) or not math.isfinite(bound):
            raise TypeError(f"make_squares: {name} must be a finite number, got {bound!r}")
    if not low < high:
        raise ValueError(f"make_squares: low must be below high, got low={low}, high={high}")
    # all x first, then the noise: the same seed gives the same x at any noise level
    xs = [rng.uniform(low, high) for _ in range(n)]
    y = [x * x + rng.gauss(0.0, noise) if noise else x * x for x in xs]
    _check_finite(y, noise, "make_squares")
    return [[x] for x in xs], y


def _check(n, noise, seed, where, n_samples=None, random_state=None):
    """Checked (n, noise, generator) for a generator called ``where``.

    ``n_samples`` and ``random_state`` are scikit-learn's names for n and seed,
    so a learner's make_moons(n_samples=100, noise=0.1, random_state=1) runs.
    """
    if n_samples is not None:
        n = n_samples
    if random_state is not None:
        if seed is not None:
            raise ValueError(f"{where}: give seed or random_state, not both")
        seed = random_state
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        name = "n" if n_samples is None else "n_samples"
        raise ValueError(f"{where}: {name} must be a positive int, got {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, Real) or not (noise >= 0.0 and math.isfinite(noise)):
        raise ValueError(f"{where}: noise must be a finite number >= 0, got {noise!r}")
    return n, float(noise), _rng(seed, None, where)  # the global generator without a seed, as nn's weights


def _check_finite(numbers, noise, where):
    """A ValueError if noise pushed a number to inf: a finite noise can still be too large."""
    if not all(math.isfinite(x) for x in numbers):
        raise ValueError(f"{where}: noise {noise:g} gives numbers too large for a float; use a smaller noise")


def _fraction(i, count):
    """i / (count − 1): evenly spaced from 0 to 1 inclusive (0 when there is one point)."""
    return i / (count - 1) if count > 1 else 0.0


def _finish(samples, noise, rng, signed, where):
    """Add noise, shuffle, and split into (X, y)."""
    if noise:
        for x, _ in samples:
            x[0] += rng.gauss(0.0, noise)
            x[1] += rng.gauss(0.0, noise)
            _check_finite(x, noise, where)
    rng.shuffle(samples)
    X = [x for x, _ in samples]
    y = [2 * label - 1 if signed else label for _, label in samples]
    return X, y


# --- the toy data sets by name, each with the losses that fit it ----------------------

# Binary data sets take any classification loss (their labels follow the loss); squares is a
# regression, spiral has three classes.
DATASETS = ("moons", "circles", "xor", "spiral", "squares")
_BINARY = {"moons": make_moons, "circles": make_circles, "xor": make_xor}
_FITTING_LOSSES = {
    **{name: ("hinge", "bce_with_logits", "cross_entropy", "mse", "half_squared_error") for name in _BINARY},
    "spiral": ("cross_entropy",),
    "squares": ("mse", "half_squared_error"),
}
MIN_SAMPLES = {"spiral": 3}  # one sample per arm at least
_DEFAULT_LOSS = {"moons": "hinge", "circles": "hinge", "xor": "hinge", "spiral": "cross_entropy",
                 "squares": "mse"}


class ToyData:
    """A toy data set made by toy_dataset(): X, y, and what a model for it needs.

    outputs: how many outputs the model needs for this loss; loss: the loss's
    name; is_classification: whether accuracy means anything; truth: for the
    regression, the function the samples come from and how it is written.
    """

    def __init__(self, X, y, outputs, loss, is_classification, truth=None):
        self.X, self.y, self.outputs, self.loss = X, y, outputs, loss
        self.is_classification, self.truth = is_classification, truth


def losses_for(name):
    """The loss names that fit the data set name (the first is its default)."""
    _check_name(name)
    default = _DEFAULT_LOSS[name]
    return (default,) + tuple(loss for loss in _FITTING_LOSSES[name] if loss != default)


def default_noise(name):
    """The noise a data set gets by default: 0.05 for squares, whose targets lie in [0, 1]; else 0.1."""
    _check_name(name)
    return 0.05 if name == "squares" else 0.1


def toy_dataset(name, n=100, *, loss=None, noise=None, seed=None):
    """The data set name with n samples, labelled for loss (default: the data set's own).

    A ValueError names what does not fit: an unknown name, a loss the data set
    does not take, too few samples for the spiral's three arms.
    """
    _check_name(name)
    loss = loss or _DEFAULT_LOSS[name]
    if loss not in _FITTING_LOSSES[name]:
        raise ValueError(f"the loss {loss} does not fit {name}; choose one of {', '.join(_FITTING_LOSSES[name])}")
    noise = default_noise(name) if noise is None else noise
    if name in _BINARY:
        # hinge and the squared errors push scores towards -1 and +1; the others want 0/1 labels
        signed = loss in ("hinge", "mse", "half_squared_error")
        X, y = _BINARY[name](n, noise=noise, seed=seed, signed=signed)
        return ToyData(X, y, 2 if loss == "cross_entropy" else 1, loss, True)
    if name == "spiral":
        if n < MIN_SAMPLES[name]:
            raise ValueError(f"spiral needs {MIN_SAMPLES[name]} samples or more (one per arm at least), got {n}")
        X, y = make_spiral(n, noise=noise, seed=seed)
        return ToyData(X, y, 3, loss, True)
    X, y = make_squares(n, noise=noise, seed=seed)
    return ToyData(X, y, 1, loss, False, truth=(lambda x: x * x, "y = x²"))


def _check_name(name):
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
