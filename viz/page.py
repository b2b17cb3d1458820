"""One self-contained HTML page from the package's page files plus JSON data.

Every tracegrad page has one head: ``pages/page.html``, the skeleton with the
page's ``{{title}}``, its ``{{styles}}``, its ``{{body}}`` and its ``{{scripts}}``.
Each page's own file in ``viz/pages/`` (stepper.html, player.html, live.html)
holds only its body, with ``{{name}}`` slots, filled by build_page(), which
then puts it in the skeleton:

- ``{{title}}`` and any other text slot: escaped HTML text;
- ``{{styles}}``: the CSS files named, inline in one ``<style>``;
- ``{{scripts}}``: the JavaScript files named, each inline in a ``<script>``;
- ``{{data}}``: the page's numbers as JSON, safe inside ``<script>`` (no
  ``</script>`` or ``<!--`` can appear in it), read by the page's script with
  ``JSON.parse(root.querySelector('[data-role="data"]').textContent)``;
- markup slots (an SVG drawing) passed as ``markup=``, inserted as they are.

The page needs no network and no server, so it works from ``file://``.
inline_frame() wraps a page for Jupyter (``_repr_html_``): a still picture
with one line of text, and a script (pages/frame.js) that replaces them with
the page in an ``<iframe srcdoc>`` of its own, so several pages in one
notebook never share styles, ids or keys, and a notebook whose scripts do not
run (an untrusted one) shows the picture and says how to get the page.

A part of a page is filled alone: fill_template() for one with data and text
slots (the network view's network-app.html, which the stepper's page holds
too), page_part() for one with markup slots only (board.html, the player's
and the live page's panels); whole_page() puts a body already made into the
skeleton. All of them fill a file's slots in one pass (_fill).

To make a new page: write ``pages/NAME.html``, its body (start from stepper.html: a
``.tg-app`` root with a ``.tg-header`` and a ``.tg-viewport``), a small
``pages/NAME.js`` that reads its data and wires the shared scripts together
(``tracegrad.timeline`` for steps, play and a slider; ``tracegrad.panZoom``
for an SVG; ``tracegrad.graphView`` for a drawing's nodes and edges;
``tracegrad.plotting`` for numbers and colours; and the player's panels, each
drawing into an element you give it from data you give it, with ``layout()``
after a resize and ``show(k)`` for frame k: ``tracegrad.dataPlot``,
``tracegrad.curves``, ``tracegrad.networkView``, ``tracegrad.paramTable``,
``tracegrad.sampleGraph``; each script's opening comment lists its options), then
call ``build_page("NAME.html", title=..., data=..., styles=["base.css", ...],
scripts=["timeline.js", ..., "NAME.js"])``.
"""

import base64
import html
import json
import re
from importlib import resources
from pathlib import Path

from tracegrad.files import replace_file

__all__ = ["build_page", "fill_template", "whole_page", "page_part", "inline_frame", "inline_svg", "page_file",
           "save_page", "script_json"]

_SLOT = re.compile(r"\{\{(\w+)\}\}")


def page_file(name):
    """The text of a file in viz/pages (package data), read with importlib.resources."""
    return resources.files("tracegrad.viz").joinpath("pages", name).read_text(encoding="utf-8")


def page_part(name, **markup):
    """A piece of page in viz/pages shared by several pages (board.html), its slots filled with markup
    (as is, in one pass, as build_page fills a page's)."""
    return _fill(name, markup)


def script_json(data):
    """JSON that is safe inside <script>: no "</script>" or "<!--" can appear in it.

    A lone surrogate (half of a UTF-16 pair, from a label a broken decode made)
    is written as JSON's \\udXXX escape: as it is, no UTF-8 file could hold it.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_LONE_SURROGATE = re.compile("[\\ud800-\\udfff]")


def build_page(template, *, title, data, styles=(), scripts=(), markup=None, **texts):
    """A whole page (a str): template, the page's body, filled as fill_template() does, in the skeleton."""
    return whole_page(fill_template(template, data=data, markup=markup, **texts),
                      title=title, styles=styles, scripts=scripts)


def whole_page(body, *, title, styles=(), scripts=()):
    """body (markup, as is) inside pages/page.html, with its title (escaped) and the files named inline."""
    return _fill("page.html", {"title": html.escape(str(title)), "body": body,
                               "styles": "\n".join(page_file(name) for name in styles),
                               "scripts": "\n".join(_script(name) for name in scripts)})


def fill_template(template, *, data=None, markup=None, **texts):
    """A page file's slots filled: texts escaped, markup as is, data as JSON safe in <script>."""
    values = {name: html.escape(str(text)) for name, text in texts.items()}
    values.update(markup or {})
    values["data"] = script_json(data)
    return _fill(template, values)


def _fill(template, values):
    def fill(match):
        name = match.group(1)
        if name not in values:
            raise KeyError(f"page file {template} has a slot {{{{{name}}}}} with no value")
        return values[name]

    # one pass, so a slot-like text inside a filled value (a label "{{data}}") stays text
    return _SLOT.sub(fill, page_file(template))


def save_page(path, page):
    """Write a page (a str) to path in UTF-8; returns the path as a Path.

    The page is written beside path and renamed into place (tracegrad.files.replace_file),
    so a reader never sees half a page, and a failed write leaves the old page as it was.
    """
    path = Path(path)
    replace_file(path, page.encode("utf-8"))
    return path


def inline_svg(drawing):
    """A Drawing rendered as an <svg> element alone: the XML prolog and DOCTYPE do not belong inside HTML."""
    svg = drawing.pipe("svg").decode("utf-8")
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("the renderer returned no <svg> element")
    return re.sub(r"<!--.*?-->", "", svg[start:], flags=re.S)


def inline_frame(page, *, title="tracegrad", height=640, still=None, still_type="image/svg+xml",
                 still_note="Run this cell (or trust the notebook) to get the interactive page."):
    """page for a notebook output: a still picture and a line of text, replaced by the page when scripts run.

    The output holds ``still`` (the bytes of an image, or None for none) under
    ``still_note``, a line that says what it shows and that running the cell (or
    trusting the notebook) brings the page; the page as JSON; and pages/frame.js, which
    puts the page in a sandboxed ``<iframe srcdoc>`` ``height`` px tall (grown
    or shrunk to what the page asks for) and removes the still picture. A
    sanitizer that strips scripts (JupyterLab's, for an untrusted notebook)
    leaves the picture and the sentence, never an empty frame.
    """
    height = int(str(height).removesuffix("px"))
    picture = ""
    if still is not None:
        encoded = base64.b64encode(still).decode("ascii")
        picture = (f'<img src="data:{still_type};base64,{encoded}" alt="{html.escape(title)}" '
                   'style="max-width: 100%; height: auto;">')
    settings = script_json({"page": page, "title": title, "height": height})
    return (f'<div class="tracegrad-output">'
            f'<div class="tracegrad-still">'
            f'<p style="margin: 0.2em 0 0.5em 0; color: #555;">{html.escape(still_note)}</p>'
            f'{picture}</div>'
            f'<script type="application/json" data-role="tracegrad-page">{settings}</script>'
            f'{_script("frame.js")}</div>')


def _script(name):
    text = page_file(name)
    if "</script" in text.lower():  # would end the inline script early
        raise ValueError(f"page script {name} contains '</script': it cannot be inlined")
    return f"<script>\n{text}\n</script>"
