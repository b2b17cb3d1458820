"""tracegrad's neural networks, built on autograd (placeholder until nn lands)."""

__all__ = []
