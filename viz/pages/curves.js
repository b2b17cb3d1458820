/* curves.js: the loss (and accuracy) at every recorded step, with a marker at one.
   tracegrad.curves(box, options) draws an SVG filling the element box.
   options: steps (the step number of each frame), loss (one number a frame),
   accuracy (one fraction a frame, or null), lossName, title (an element for
   the heading, optional). A loss that falls by orders of magnitude is drawn on
   a logarithmic axis. Returns {layout(), show(k)}: layout draws the curves for
   the box's current size; show(k) moves the marker to frame k. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var P = tracegrad.plotting;

  tracegrad.curves = function (box, options) {
    var steps = options.steps, loss = options.loss, accuracy = options.accuracy, count = steps.length;
    var svg = P.svgElement("svg", {}, box), marker = {}, position = 0;
    // A loss that falls by orders of magnitude (a regression's first steps) would
    // leave the rest of its curve flat along the bottom on a linear axis: when
    // three quarters of the points lie in the bottom tenth, the axis is
    // logarithmic, one tick per power of 10 (a loss of exactly 0 sits on the floor).
    var lossTop = Math.max.apply(null, loss) || 1;
    var lossPositive = loss.filter(function (l) { return l > 0; });
    var logScale = lossPositive.length > 0 &&
      loss.filter(function (l) { return l < lossTop / 10; }).length >= 0.75 * loss.length;
    var logRange = logScale ? [Math.floor(Math.log10(Math.min.apply(null, lossPositive))),
                               Math.ceil(Math.log10(lossTop))] : null;
    if (options.title) {
      options.title.textContent = options.lossName + " loss over all samples (black" +
        (logScale ? ", log scale" : "") + ")" + (accuracy ? " and accuracy (green, dashed)" : "") + ", step by step";
    }

    function layout() {
      while (svg.firstChild) { svg.removeChild(svg.firstChild); }
      var width = Math.max(50, box.clientWidth), height = Math.max(50, box.clientHeight);
      svg.setAttribute("width", width); svg.setAttribute("height", height);
      // (never below 1 px: a box not laid out yet is 50 px wide, less than the margins)
      var plot = { left: 48, top: 8, width: Math.max(1, width - 48 - (accuracy ? 44 : 12)), height: Math.max(1, height - 38) };
      var last = steps[count - 1] || 1, top = lossTop;
      function toX(step) { return plot.left + step / last * plot.width; }
      function toY(value) {
        if (!logScale) { return plot.top + (1 - value / top) * plot.height; }
        var at = value > 0 ? Math.max(logRange[0], Math.log10(value)) : logRange[0];
        return plot.top + (1 - (at - logRange[0]) / Math.max(1, logRange[1] - logRange[0])) * plot.height;
      }
      function toYa(a) { return plot.top + (1 - a) * plot.height; }
      P.svgElement("rect", { x: plot.left, y: plot.top, width: plot.width, height: plot.height, fill: "none", stroke: "#bbb" }, svg);
      function label(text, x, y, anchor, colour) {
        var t = P.svgElement("text", { x: x, y: y, "text-anchor": anchor, "font-size": 11, fill: colour || "#444",
                                       "font-family": "Helvetica, Arial, sans-serif" }, svg);
        t.textContent = text;
      }
      if (logScale) {  // a faint line at each power of 10, labelled where there is room
        var decades = Math.max(1, logRange[1] - logRange[0]), every = Math.ceil(decades * 16 / plot.height);
        for (var e = logRange[0]; e <= logRange[1]; e++) {
          var y = toY(Math.pow(10, e));
          P.svgElement("line", { x1: plot.left, x2: plot.left + plot.width, y1: y, y2: y, stroke: "#eee" }, svg);
          if ((e - logRange[0]) % every === 0) { label(P.formatNumber(Math.pow(10, e), 3), plot.left - 4, y + 4, "end"); }
        }
      } else {
        P.niceTicks(0, top, 4).forEach(function (t) { label(P.formatNumber(t, 3), plot.left - 4, toY(t) + 4, "end"); });
      }
      P.niceTicks(0, last, 5).forEach(function (t) { if (t === Math.round(t)) { label(String(t), toX(t), plot.top + plot.height + 13, "middle"); } });
      label("step", plot.left + plot.width / 2, plot.top + plot.height + 28, "middle");
      function path(series, y, attributes) {
        var d = series.map(function (v, i) { return (i ? "L" : "M") + toX(steps[i]).toFixed(1) + "," + y(v).toFixed(1); }).join("");
        attributes.d = d; attributes.fill = "none";
        return P.svgElement("path", attributes, svg);
      }
      path(loss, toY, { stroke: "#000", "stroke-width": 1.6 });
      if (accuracy) {
        [0, 0.5, 1].forEach(function (a) { label(Math.round(a * 100) + "%", plot.left + plot.width + 4, toYa(a) + 4, "start", "#00775a"); });
        path(accuracy, toYa, { stroke: "#009e73", "stroke-width": 1.6, "stroke-dasharray": "5 3" });
      }
      marker.line = P.svgElement("line", { y1: plot.top, y2: plot.top + plot.height, stroke: "#d62728", "stroke-width": 1.5 }, svg);
      marker.loss = P.svgElement("circle", { r: 4, fill: "#d62728" }, svg);
      marker.accuracy = accuracy ? P.svgElement("circle", { r: 4, fill: "#009e73", stroke: "#fff" }, svg) : null;
      marker.place = function (k) {
        var x = toX(steps[k]);
        marker.line.setAttribute("x1", x); marker.line.setAttribute("x2", x);
        marker.loss.setAttribute("cx", x); marker.loss.setAttribute("cy", toY(loss[k]));
        if (marker.accuracy) { marker.accuracy.setAttribute("cx", x); marker.accuracy.setAttribute("cy", toYa(accuracy[k])); }
      };
    }

    return {
      layout: function () { layout(); marker.place(position); },
      show: function (k) { position = k; if (marker.place) { marker.place(k); } }
    };
  };
})();
