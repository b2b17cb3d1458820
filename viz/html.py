"""stepper_html(): one self-contained HTML page that steps through a trace on the drawn graph.

The page needs no network and no server: the SVG drawing (rendered through
viz.render) and the steps (as JSON) are inside it, with a little plain
JavaScript. Previous / Next (or the arrow keys) walk the forward pass, node by
node, then the backward pass; the current node is highlighted, its formula is
shown, and values and gradients appear in the drawing as they are computed.
Nodes are found by the drawing's deterministic ids (the SVG ``<title>`` of
each node: ``n3`` for a value, ``op3`` for the operation that made it).
"""

import html
import json
import re

from .dot import draw
from .format import format_number

__all__ = ["stepper_html"]


def stepper_html(recorded, **draw_options):
    """The HTML page (a str) for a Trace; draw_options go to viz.draw (digits come from the trace)."""
    root = recorded.root
    digits = recorded.digits
    number = lambda x: format_number(x, digits)  # noqa: E731
    # The gradients in the picture are filled in step by step by the page itself,
    # from the trace's numbers; drawing them now only sizes the boxes.
    drawing = draw(root, show_grads=True, digits=digits, **draw_options)
    svg = _inline_svg(drawing.pipe("svg").decode("utf-8"))

    nodes = recorded.nodes
    steps = []
    total_forward = len(recorded.forward_steps)
    for k, step in enumerate(recorded.forward_steps):
        interior = bool(step.op)
        steps.append({
            "phase": "forward",
            "title": f"Forward pass, step {k + 1} of {total_forward}: "
                     + (f"compute {step.name}" if interior else f"the leaf {step.name}"),
            "text": step.formula,
            "current": [step.node_id] + ([nodes.op_id(nodes.order[step.index])] if interior else []),
            "inputs": list(step.input_ids),
            "edges": [f"{i}->op{step.index}" for i in step.input_ids]
                     + ([f"op{step.index}->{step.node_id}"] if interior else []),
            "data": step.node_id,
        })
    root_id = nodes.id(root)
    root_name = nodes.name(root)
    steps.append({
        "phase": "backward",
        "title": f"Backward pass starts at the output: grad({root_name}) = 1",
        "text": f"d {root_name} / d {root_name} = 1. Each node, output first, now sends "
                "(local gradient) × (its own grad) to each of its inputs.",
        "current": [root_id], "inputs": [], "edges": [], "grads": {root_id: "1"},
    })
    total_backward = len(recorded.backward_steps)
    for k, step in enumerate(recorded.backward_steps):
        op_id = f"op{step.index}"
        lines = [c.text for c in step.contributions]
        if step.relu_off:
            lines.append("This ReLU is off (its input is ≤ 0): its local gradient is 0, "
                         "so nothing flows back through it.")
        steps.append({
            "phase": "backward",
            "title": f"Backward pass, step {k + 1} of {total_backward}: {step.name} "
                     f"(grad {number(step.grad)}) sends to its inputs",
            "text": "\n".join(lines),
            "current": [step.node_id, op_id],
            "inputs": [c.input_id for c in step.contributions],
            "edges": [f"{c.input_id}->{op_id}" for c in step.contributions]
                     + [f"{op_id}->{step.node_id}"],
            "grads": {c.input_id: number(c.grad_after) for c in step.contributions},
        })
    leaves = [node for node in nodes.order if not node.inputs and node.label]
    steps.append({
        "phase": "done",
        "title": "Done: every node holds d " + root_name + " / d node",
        "text": "\n".join(f"grad({node.label}) = {number(recorded.grad(node))}" for node in leaves),
        "current": [], "inputs": [nodes.id(node) for node in leaves], "edges": [], "grads": {},
    })

    return _PAGE.format(
        title=html.escape(f"tracegrad: stepping through {root_name}"),
        heading=html.escape(root_name),
        svg=svg,
        steps=_script_json(steps),
    )


def _inline_svg(svg):
    """The <svg> element alone: the XML prolog and DOCTYPE do not belong inside HTML."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("the renderer returned no <svg> element")
    return re.sub(r"<!--.*?-->", "", svg[start:], flags=re.S)


def _script_json(data):
    """JSON that is safe inside <script>: no "</script>" or "<!--" can appear in it."""
    text = json.dumps(data, ensure_ascii=False, indent=0)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: Helvetica, Arial, sans-serif; margin: 0; color: #222; }}
  #panel {{ position: sticky; top: 0; background: #fafafa; border-bottom: 1px solid #ccc;
            padding: 0.6em 1em; z-index: 1; }}
  #panel h1 {{ font-size: 1.05em; margin: 0 0 0.3em 0; }}
  #controls button {{ font-size: 1em; padding: 0.2em 0.9em; }}
  #counter {{ margin-left: 0.8em; color: #555; }}
  #title {{ font-weight: bold; margin: 0.5em 0 0.2em 0; }}
  #text {{ font-family: Menlo, Consolas, monospace; font-size: 0.95em; white-space: pre-wrap;
           margin: 0; min-height: 2.6em; }}
  #help {{ color: #666; font-size: 0.85em; }}
  #graph {{ padding: 1em; overflow: auto; }}
  /* fill the width (small graphs grow, large ones shrink) but stay within the window */
  #graph svg {{ width: 100%; height: auto; max-height: calc(100vh - 13em); }}
  g.node.current > path, g.node.current > polygon, g.node.current > ellipse,
  g.node.current > g > a > path, g.node.current > g > a > polygon, g.node.current > g > a > ellipse
    {{ stroke: #d62728; stroke-width: 3.5px; }}
  g.node.involved > path, g.node.involved > polygon, g.node.involved > ellipse,
  g.node.involved > g > a > path, g.node.involved > g > a > polygon, g.node.involved > g > a > ellipse
    {{ stroke: #1f77b4; stroke-width: 3px; }}
  g.edge.involved > path {{ stroke: #1f77b4; stroke-width: 2.5px; }}
  g.edge.involved > polygon {{ stroke: #1f77b4; fill: #1f77b4; }}
  text.pending {{ fill: #999999; }}
  text.changed {{ fill: #d62728; font-weight: bold; }}
</style>
</head>
<body>
<div id="panel">
  <h1>Forward and backward pass of {heading}</h1>
  <div id="controls">
    <button id="prev" type="button">&larr; Previous</button>
    <button id="next" type="button">Next &rarr;</button>
    <span id="counter"></span>
    <span id="help">(or use the arrow keys; red: the current node, blue: its inputs)</span>
  </div>
  <div id="title"></div>
  <pre id="text"></pre>
</div>
<div id="graph">
{svg}
</div>
<script type="application/json" id="steps">{steps}</script>
<script>
"use strict";
(function () {{
  var steps = JSON.parse(document.getElementById("steps").textContent);
  // title -> its elements: one per node, and one per edge, so x*x's two parallel edges both light up
  var byTitle = {{}};
  document.querySelectorAll("#graph g.node, #graph g.edge").forEach(function (g) {{
    var t = g.querySelector("title");
    if (t) {{ (byTitle[t.textContent.trim()] = byTitle[t.textContent.trim()] || []).push(g); }}
  }});
  function each(id, action) {{ (byTitle[id] || []).forEach(action); }}
  // The "data ..." and "grad ..." lines of each value box, with what they say when known.
  var lines = {{}};
  Object.keys(byTitle).forEach(function (id) {{
    var g = byTitle[id][0];
    if (!g.classList.contains("node")) {{ return; }}
    var shape = g.querySelector("path, polygon, ellipse");
    g.querySelectorAll("text").forEach(function (t) {{
      var kind = t.textContent.slice(0, 5);
      if (kind !== "data " && kind !== "grad ") {{ return; }}
      if (shape) {{  // centre the line, since its text will change length
        var box = shape.getBBox();
        t.setAttribute("text-anchor", "middle");
        t.setAttribute("x", String(box.x + box.width / 2));
      }}
      lines[id] = lines[id] || {{}};
      lines[id][kind.trim()] = {{ element: t, final: t.textContent }};
    }});
  }});
  var position = 0;

  function setLine(id, kind, text, className) {{
    var line = lines[id] && lines[id][kind];
    if (!line) {{ return; }}
    line.element.textContent = text;
    line.element.setAttribute("class", className || "");
  }}

  function show(index) {{
    position = Math.max(0, Math.min(steps.length - 1, index));
    var step = steps[position];
    var dataShown = {{}}, grads = {{}}, changed = {{}};
    for (var i = 0; i <= position; i++) {{
      if (steps[i].data) {{ dataShown[steps[i].data] = true; }}
      if (steps[i].grads) {{
        Object.keys(steps[i].grads).forEach(function (id) {{ grads[id] = steps[i].grads[id]; }});
      }}
    }}
    if (step.grads) {{ Object.keys(step.grads).forEach(function (id) {{ changed[id] = true; }}); }}
    var forward = step.phase === "forward";
    Object.keys(lines).forEach(function (id) {{
      if (lines[id].data) {{
        if (!forward || dataShown[id]) {{
          setLine(id, "data", lines[id].data.final, forward && id === step.data ? "changed" : "");
        }} else {{
          setLine(id, "data", "data ?", "pending");
        }}
      }}
      if (lines[id].grad) {{
        if (grads[id] !== undefined) {{
          setLine(id, "grad", "grad " + grads[id], changed[id] ? "changed" : "");
        }} else {{
          setLine(id, "grad", "grad \\u2014", "pending");
        }}
      }}
    }});
    Object.keys(byTitle).forEach(function (id) {{
      each(id, function (g) {{ g.classList.remove("current", "involved"); }});
    }});
    step.inputs.concat(step.edges).forEach(function (id) {{
      each(id, function (g) {{ g.classList.add("involved"); }});
    }});
    step.current.forEach(function (id) {{
      each(id, function (g) {{ g.classList.remove("involved"); g.classList.add("current"); }});
    }});
    document.getElementById("title").textContent = step.title;
    document.getElementById("text").textContent = step.text;
    document.getElementById("counter").textContent = "step " + (position + 1) + " of " + steps.length;
    document.getElementById("prev").disabled = position === 0;
    document.getElementById("next").disabled = position === steps.length - 1;
    var focus = (byTitle[step.current[0]] || [])[0];
    if (focus && focus.scrollIntoView) {{ focus.scrollIntoView({{ block: "nearest", inline: "nearest" }}); }}
  }}

  document.getElementById("prev").addEventListener("click", function () {{ show(position - 1); }});
  document.getElementById("next").addEventListener("click", function () {{ show(position + 1); }});
  document.addEventListener("keydown", function (event) {{
    if (event.key === "ArrowRight") {{ show(position + 1); event.preventDefault(); }}
    else if (event.key === "ArrowLeft") {{ show(position - 1); event.preventDefault(); }}
    else if (event.key === "Home") {{ show(0); event.preventDefault(); }}
    else if (event.key === "End") {{ show(steps.length - 1); event.preventDefault(); }}
  }});
  show(0);
}})();
</script>
</body>
</html>
"""
