"""Turn DOT text into SVG or PNG with the system ``dot``, or graphviz-pure when there is none.

graphviz-pure is a pip-installed port of ``dot``, so rendering works right
after ``pip install tracegrad`` on a machine without Graphviz. The graphviz
Python package is only used to write DOT text: its own render() always runs
``dot``, which is exactly what may be missing.
"""

import os
import shutil
import subprocess
import sys

__all__ = ["RenderError", "RenderTimeout", "FORMATS", "find_renderer", "render"]

FORMATS = ("svg", "png")
DEFAULT_TIMEOUT = 60  # seconds; a graph that takes longer is too big to read anyway


class RenderError(RuntimeError):
    """Rendering DOT failed: no renderer found, it exited with an error, or it took too long."""


class RenderTimeout(RenderError):
    """The renderer took longer than its time limit."""


def find_renderer():
    """The path of the program that renders DOT: system ``dot`` first, else ``graphviz-pure``.

    graphviz-pure is looked for on PATH and beside the running Python (a
    virtual environment's ``bin`` directory need not be on PATH).
    """
    if sys.platform == "emscripten":  # Pyodide (JupyterLite, marimo in the browser) runs no programs
        found = None
    else:
        found = (
            shutil.which("dot")
            or shutil.which("graphviz-pure")
            or shutil.which("graphviz-pure", path=os.path.dirname(sys.executable))
        )
    if found is None:
        raise RenderError(
            "cannot render: neither Graphviz's `dot` nor `graphviz-pure` was found; "
            "run `pip install graphviz-pure` (wheels for x86-64 and 64-bit ARM) or install Graphviz "
            "(apt install graphviz, brew install graphviz, conda install graphviz); in a browser "
            "(Pyodide) save the drawing as .dot, or use tracegrad.viz.text_tree() for a plain-text view"
        )
    return found


def render(source, format="svg", timeout=DEFAULT_TIMEOUT, dpi=None, max_side=None):
    """DOT text rendered as ``format`` ("svg" or "png"); returns the bytes.

    dpi: a PNG's resolution. max_side: a PNG's longest side in pixels; a larger
    drawing is scaled down to fit (Graphviz's ``size``), so its memory is bounded.
    """
    if format not in FORMATS:
        raise ValueError(f"cannot render format {format!r}; choose one of {', '.join(FORMATS)}")
    program = find_renderer()
    options = [f"-Gdpi={dpi}"] if dpi else []
    if max_side:
        inches = max_side / (dpi or 72)  # Graphviz's size is in inches: 72 points, dpi pixels each
        options.append(f"-Gsize={inches:.4f},{inches:.4f}")
    try:
        done = subprocess.run(
            [program, f"-T{format}"] + options,
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise RenderTimeout(
            f"{os.path.basename(program)} took longer than {timeout} s to lay out the graph; "
            "it is probably too large to draw legibly: try viz.text_tree() or a smaller example"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(
            f"{os.path.basename(program)} -T{format} failed (exit {done.returncode}): {message}"
        )
    return done.stdout
