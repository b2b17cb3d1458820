"""tracegrad: scalar Values that record a graph and back-propagate through it.

``import tracegrad`` is the engine; ``tracegrad.nn`` (models, losses, training)
and ``tracegrad.viz`` (drawings, traces, pages, the command line) are imported
explicitly, or on first use of the attribute. The batched path (``Tape``,
``replay``) loads numpy only when first used, so the engine starts fast.

    from tracegrad.engine import Value      # micrograd's path
    from tracegrad import nn                # micrograd's nn: Module, Neuron, Layer, MLP

How it works: each operation (tracegrad.engine) stores on its result the
derivative of the result with respect to each operand, ``local_grads``. The
chain rule over a graph is then five lines, the loop of grad()
(tracegrad.backprop):

    grads = {output: 1.0}
    for node in reversed(topological_order(output)):
        upstream = grads.get(node, 0.0)
        for inp, local in zip(node.inputs, node.local_grads):
            grads[inp] = grads.get(inp, 0.0) + local * upstream

backward() is the same sums made fast: kept on each node's ``grad``, read from
the nodes' slots, with leaves accumulating across calls as in PyTorch.
"""

import importlib

from .backprop import backward, grad, topological_order
from .check import GradcheckError, gradcheck
from .engine import ARRAY_RULES, Value, is_grad_enabled, no_grad

__all__ = [
    "Value",
    "backward",
    "grad",
    "topological_order",
    "no_grad",
    "is_grad_enabled",
    "gradcheck",
    "GradcheckError",
    "Tape",
    "StructureMismatch",
    "replay",
    "ARRAY_RULES",
]

# name -> the module that defines it, imported on first use (numpy, nn and viz are slow to import)
_LAZY = {
    "Tape": ".batch",
    "StructureMismatch": ".batch",
    "replay": ".batch",
    "batch": ".batch",
    "nn": ".nn",
    "viz": ".viz",
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'tracegrad' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name], __name__)
    value = module if name == _LAZY[name][1:] else getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
