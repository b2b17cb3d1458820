/* samplegraph.js: one sample's computation graph, its numbers at each frame.
   tracegrad.sampleGraph(panel, options) works on a Graphviz drawing already in
   the panel (viz.draw's SVG inside the element with data-role "viewport"), with
   the panel's zoom buttons (tracegrad.panZoom) and its "graph-title" and
   "graph-note" parts. options: graph ({sample, ids, data, grads}: each frame's
   texts for each value box, null where not computed; viz.player's _graph),
   samples ({X, y}), digits. Returns {show(k)}: writes frame k's data and grad
   into every value box. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var P = tracegrad.plotting;

  tracegrad.sampleGraph = function (panel, options) {
    var graph = options.graph, samples = options.samples;
    function part(role) { return panel.querySelector('[data-role="' + role + '"]'); }
    function number(x) { return P.formatNumber(x, options.digits); }
    var viewport = part("viewport"), svg = viewport.querySelector("svg");
    var view = tracegrad.graphView(svg);
    tracegrad.panZoom(viewport, svg, { controls: panel });
    var x = samples.X[graph.sample].map(number).join(", ");
    part("graph-title").textContent = "Computation graph of sample " + graph.sample + " (x = [" + x + "], y = " +
      number(samples.y[graph.sample]) + ")";
    part("graph-note").textContent = "This sample's own loss, each node's data, and grad = d (its loss) / d node; " +
      "the table's gradient is the mean of these over all samples. Drag to pan.";
    return {
      show: function (k) {
        var texts = graph.data[k], gradients = graph.grads[k];
        graph.ids.forEach(function (id, i) {
          view.setLine(id, "data", texts ? "data " + texts[i] : "data \u2014", "");
          view.setLine(id, "grad", gradients ? "grad " + gradients[i] : "grad \u2014", "");
        });
      }
    };
  };
})();
