"""gradcheck: backward's gradients against central differences."""

from .backprop import grad
from .engine import Value, no_grad, real_number

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """Raised by gradcheck when an analytic and a numerical gradient disagree."""


def gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True if d f / d input from backward matches (f(x+eps) - f(x-eps)) / 2eps for every input.

    ``f`` takes Values (one per input) and returns a Value; ``inputs`` are
    numbers or Values. On a mismatch it raises GradcheckError listing every
    input that disagrees, or returns False with ``raise_exception=False``.
    """
    inputs = list(inputs)
    # floats before they are perturbed: in float32, x + 1e-6 loses most of the 1e-6
    points = [real_number(v.data if isinstance(v, Value) else v, f"gradcheck() inputs[{i}]")
              for i, v in enumerate(inputs)]
    labels = [f" {v.label!r}" if isinstance(v, Value) and v.label else "" for v in inputs]
    leaves = [Value(x) for x in points]
    output = f(*leaves)
    if not isinstance(output, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {output!r} ({type(output).__name__})")
    analytic = grad(output, leaves, allow_unused=True)

    def evaluate(at):
        with no_grad():
            return f(*(Value(x) for x in at)).data

    mismatches = []
    for i, x in enumerate(points):
        above = list(points)
        below = list(points)
        above[i] = x + eps
        below[i] = x - eps
        numeric = (evaluate(above) - evaluate(below)) / (2 * eps)
        if abs(analytic[i] - numeric) > atol + rtol * abs(numeric):
            mismatches.append(
                f"input {i}{labels[i]} (= {x!r}): backward gave {analytic[i]!r}, "
                f"central difference gave {numeric!r}"
            )
    if mismatches and raise_exception:
        raise GradcheckError("gradcheck failed:\n  " + "\n  ".join(mismatches))
    return not mismatches
