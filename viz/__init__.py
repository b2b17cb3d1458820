"""tracegrad's views: graphs, traces, plots and the command line."""

from .dot import Drawing, draw, draw_dot
from .explore import explore
from .expression import ExpressionError, parse
from .format import format_number
from .network import NetworkView
from .recording import Frame, Recording, record
# viz.render stays the module (not shadowed by its function): viz.render.render(source, "svg")
from .render import RenderError, find_renderer
from .serve import Watcher, watch
from .surface import LossSurface, loss_surface
from .text import text_tree
from .widget import Live, live
from .trace import BackwardStep, Contribution, ForwardStep, Leaf, Trace, trace
# after viz.network: viz.network is the function network(), not the module
from .views import network

__all__ = [
    "draw",
    "draw_dot",
    "Drawing",
    "parse",
    "ExpressionError",
    "RenderError",
    "find_renderer",
    "format_number",
    "network",
    "loss_surface",
    "LossSurface",
    "NetworkView",
    "record",
    "live",
    "explore",
    "watch",
    "Watcher",
    "Live",
    "Recording",
    "Frame",
    "text_tree",
    "trace",
    "Trace",
    "ForwardStep",
    "BackwardStep",
    "Contribution",
    "Leaf",
]
