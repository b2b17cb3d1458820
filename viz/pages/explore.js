/* explore.js: viz.explore's page: a slider per leaf, the graph's numbers, and the
   root over the selected leaf with its tangent and the nudge written out.
   tracegrad.explore(container, markup, send) fills container with markup
   (explore-app.html) and returns {setup(data), frame(data)}. Python
   (viz/explore.py) sends the setup once (the drawing, the node ids, the
   leaves) and a frame after every change: each node's data and grad as text,
   the leaves' values and ranges, the curve, the gradient and the nudge. A
   slider moved sends {action: "set", leaf, value}; a leaf's name clicked,
   {action: "select", leaf}. The page computes no number: it draws the kernel's. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var P = tracegrad.plotting;
  var SLIDER_STEPS = 400;

  tracegrad.explore = function (container, markup, send) {
    container.innerHTML = markup;
    var root = container.firstElementChild, setupData = null, frameData = null, view = null, rows = [];
    function part(role) { return root.querySelector('[data-role="' + role + '"]'); }

    function build() {
      var viewport = part("viewport");
      viewport.innerHTML = setupData.svg;  // viz.draw's drawing
      var svg = viewport.querySelector("svg");
      view = tracegrad.graphView(svg);
      tracegrad.panZoom(viewport, svg, { controls: part("graph-panel") });
      var list = part("leaves");
      rows = setupData.leaves.map(function (leaf, k) {
        var row = document.createElement("div");
        row.className = "tg-leaf";
        var name = document.createElement("button");
        name.type = "button"; name.textContent = leaf.name; name.title = "Plot the root over " + leaf.name;
        var number = document.createElement("input");
        number.type = "number"; number.step = "any"; number.setAttribute("aria-label", leaf.name);
        var slider = document.createElement("input");
        slider.type = "range"; slider.min = "0"; slider.max = String(SLIDER_STEPS); slider.step = "1";
        slider.setAttribute("aria-label", leaf.name + " (slider)");
        var grad = document.createElement("span");
        grad.className = "tg-leaf-grad";
        [name, number, slider, grad].forEach(function (e) { row.appendChild(e); });
        list.appendChild(row);
        name.addEventListener("click", function () { send({ action: "select", leaf: k }); });
        slider.addEventListener("input", function () {
          var range = frameData.ranges[k];
          var value = range[0] + (range[1] - range[0]) * Number(slider.value) / SLIDER_STEPS;
          number.value = String(Number(value.toPrecision(6)));
          send({ action: "set", leaf: k, value: value });
        });
        number.addEventListener("change", function () {
          var value = Number(number.value);
          if (isFinite(value) && number.value !== "") { send({ action: "set", leaf: k, value: value }); }
        });
        return { row: row, number: number, slider: slider, grad: grad, node: leaf.node };
      });
    }

    function show() {
      var f = frameData, digits = setupData.digits;
      setupData.ids.forEach(function (id, i) {
        view.setLine(id, "data", "data " + f.data[i], "");
        view.setLine(id, "grad", "grad " + f.grads[i], "");
      });
      view.unmarkAll("tg-current");
      view.mark([setupData.leaves[f.selected].node], "tg-current");
      part("loss").textContent = f.data[f.data.length - 1];
      rows.forEach(function (r, k) {
        var range = f.ranges[k], value = f.values[k];
        r.row.classList.toggle("tg-selected", k === f.selected);
        // while a leaf's slider or number is in the learner's hands, its number is theirs: an
        // answer to an earlier move must not pull it back
        var focused = root.getRootNode().activeElement;
        if (r.number !== focused && r.slider !== focused) { r.number.value = String(Number(value.toPrecision(6))); }
        if (r.slider !== root.getRootNode().activeElement) {
          r.slider.value = String(Math.round((value - range[0]) / (range[1] - range[0]) * SLIDER_STEPS));
        }
        var node = setupData.ids.indexOf(r.node);
        r.grad.textContent = "grad " + f.grads[node];
      });
      drawCurve(f, digits);
    }

    // The root over the selected leaf, the tangent at its value (slope: its gradient), the nudge.
    function drawCurve(f, digits) {
      var box = part("curve"), name = setupData.leaves[f.selected].name, n = f.nudge;
      while (box.firstChild) { box.removeChild(box.firstChild); }
      part("curve-title").textContent = "The root over " + name + ", every other leaf as it is; " +
        "the tangent (red) at " + name + " = " + n.x + " has slope d root / d " + name + " = " + n.grad;
      var width = Math.max(120, box.clientWidth), height = Math.max(80, box.clientHeight);
      var svg = P.svgElement("svg", { width: width, height: height }, box);
      var xs = f.curve.xs, ys = f.curve.losses.filter(function (y) { return y !== null; });
      var low = Math.min.apply(null, ys), high = Math.max.apply(null, ys);
      if (high - low < 1e-12) { low -= 1; high += 1; }
      var pad = 0.08 * (high - low);
      low -= pad; high += pad;
      var plot = { left: 52, top: 8, width: width - 64, height: height - 36 };
      function toX(x) { return plot.left + (x - xs[0]) / (xs[xs.length - 1] - xs[0]) * plot.width; }
      function toY(y) { return plot.top + (1 - (y - low) / (high - low)) * plot.height; }
      P.svgElement("rect", { x: plot.left, y: plot.top, width: plot.width, height: plot.height, fill: "none",
                             stroke: "#bbb" }, svg);
      function label(text, x, y, anchor) {
        P.svgElement("text", { x: x, y: y, "text-anchor": anchor }, svg).textContent = text;
      }
      P.niceTicks(low, high, 4).forEach(function (t) { label(P.formatNumber(t, 3), plot.left - 4, toY(t) + 4, "end"); });
      P.niceTicks(xs[0], xs[xs.length - 1], 6).forEach(function (t) {
        label(P.formatNumber(t, 3), toX(t), plot.top + plot.height + 13, "middle");
      });
      label(name, plot.left + plot.width / 2, plot.top + plot.height + 27, "middle");
      var clip = "tg-clip-" + Math.random().toString(36).slice(2);
      var clipPath = P.svgElement("clipPath", { id: clip }, P.svgElement("defs", {}, svg));
      P.svgElement("rect", { x: plot.left, y: plot.top, width: plot.width, height: plot.height }, clipPath);
      var d = "", pen = "M";
      xs.forEach(function (x, i) {
        var y = f.curve.losses[i];
        if (y === null) { pen = "M"; return; }
        d += pen + toX(x).toFixed(1) + "," + toY(y).toFixed(1);
        pen = "L";
      });
      P.svgElement("path", { d: d, fill: "none", stroke: "#000", "stroke-width": 1.6, "clip-path": "url(#" + clip + ")" }, svg);
      var x0 = f.values[f.selected], span = (xs[xs.length - 1] - xs[0]) / 4;
      P.svgElement("line", { x1: toX(x0 - span), y1: toY(f.loss - f.grad * span), x2: toX(x0 + span),
                             y2: toY(f.loss + f.grad * span), stroke: "#d62728", "stroke-width": 2,
                             "clip-path": "url(#" + clip + ")", "data-role": "tangent" }, svg);
      P.svgElement("circle", { cx: toX(x0), cy: toY(f.loss), r: 4.5, fill: "#d62728" }, svg);
      part("nudge").textContent =
        "nudge " + name + " by h = " + setupData.h + ":  (L(" + name + " + h) \u2212 L(" + name + ")) / h = (" +
        n.moved + " \u2212 " + n.loss + ") / " + setupData.h + " = " + n.difference + " / " + setupData.h +
        " = " + n.slope + "\nbackpropagation:  d root / d " + name + " = " + n.grad +
        "  (the nudge's quotient tends to it as h shrinks)";
      part("nudge").style.whiteSpace = "pre-wrap";
    }

    if (window.ResizeObserver) {  // a notebook's output changes width without a window resize
      var waiting = null;
      new ResizeObserver(function () {
        clearTimeout(waiting);
        waiting = setTimeout(function () { if (frameData && view) { drawCurve(frameData, setupData.digits); } }, 60);
      }).observe(container);
    }

    return {
      setup: function (data) { setupData = data; build(); if (frameData) { show(); } },
      frame: function (data) { frameData = data; if (setupData) { show(); } },
      layout: function () { if (frameData && view) { show(); } }
    };
  };
})();
