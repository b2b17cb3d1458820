"""tracegrad's engine: scalar Values that record a graph and back-propagate through it."""

from .batch import StructureMismatch, Tape, replay
from .check import GradcheckError, gradcheck
from .engine import backward, grad, topological_order
from .value import ARRAY_RULES, Value, is_grad_enabled, no_grad

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
