"""network(): the network view of an nn model, or of a graph one made (its loss).

A floor above viz.trace and viz.network: a loss is traced first (viz.trace, the
chain rule node by node), then viz.network reads the neurons out of that trace.
viz.network itself never traces, so the stepper's page (made by viz.trace) can
hold a network view of the trace it shows without an import circle.
"""

import math

from tracegrad import Value

from .format import DEFAULT_DIGITS, check_digits
from .network import NetworkView
from .trace import trace

__all__ = ["network"]


def network(model_or_loss, *, lr=None, digits=DEFAULT_DIGITS):
    """The network view of an nn model (an MLP) or of a graph one made (its loss or its output).

    A loss gives every number: each neuron's z, a and δ = ∂C/∂z, each weight's
    ∂C/∂w, stepping forward layer by layer and backward as the blog post does; with
    ``lr`` the last step updates every parameter (w ← w − lr·∂C/∂w). An MLP
    alone gives its weights (and the rest once called on a sample and a loss).
    Shown inline in Jupyter; ``save_html(path)`` writes the page.
    """
    from tracegrad.nn import MLP

    check_digits(digits)
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr)):
        raise ValueError(f"network(): lr must be a finite number, got {lr!r}")
    if isinstance(model_or_loss, MLP):
        return NetworkView._of_model(model_or_loss, digits)
    if isinstance(model_or_loss, Value):
        return NetworkView._of_trace(trace(model_or_loss, digits=digits), lr)
    raise TypeError(f"network() needs an nn.MLP or a Value computed by one (its loss), got "
                    f"{model_or_loss!r} ({type(model_or_loss).__name__})")
