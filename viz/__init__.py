"""tracegrad's views: graphs, traces, plots and the command line."""

from .dot import Drawing, draw
from .format import format_number
from .render import RenderError, render
from .text import text_tree
from .trace import BackwardStep, Contribution, ForwardStep, Trace, trace

__all__ = [
    "draw",
    "Drawing",
    "render",
    "RenderError",
    "format_number",
    "text_tree",
    "trace",
    "Trace",
    "ForwardStep",
    "BackwardStep",
    "Contribution",
]
