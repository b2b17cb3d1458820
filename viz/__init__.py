"""tracegrad's views: graphs, traces, plots and the command line."""

__all__ = []
