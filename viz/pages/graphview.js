/* graphview.js: find and change the parts of a Graphviz SVG by their ids.
   tracegrad.graphView(svg) indexes every node and edge group by its <title>
   (viz.draw's ids: "n3" for a value box, "op3" for the operation that made it,
   "n2->op3" for an edge; two parallel edges share one title). It can set a
   value box's "data ..." and "grad ..." lines, add and remove classes, write
   a label at the middle of an edge, and draw an arrowhead pointing back along
   an edge (the direction gradients flow). */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var SVG = "http://www.w3.org/2000/svg";

  tracegrad.graphView = function (svg) {
    var byId = {}, lines = {};
    svg.querySelectorAll("g.node, g.edge").forEach(function (g) {
      var title = g.querySelector("title");
      if (!title) { return; }
      var id = title.textContent.trim();
      (byId[id] = byId[id] || []).push(g);
    });
    // each value box's "data" and "grad" lines, centred (their text changes length)
    Object.keys(byId).forEach(function (id) {
      var g = byId[id][0];
      if (!g.classList.contains("node")) { return; }
      var shape = g.querySelector("path, polygon, ellipse");
      g.querySelectorAll("text").forEach(function (text) {
        var kind = text.textContent.slice(0, 5);
        if (kind !== "data " && kind !== "grad ") { return; }
        if (shape) {
          var box = shape.getBBox();
          text.setAttribute("text-anchor", "middle");
          text.setAttribute("x", String(box.x + box.width / 2));
        }
        lines[id] = lines[id] || {};
        lines[id][kind.trim()] = { element: text, drawn: text.textContent };
      });
    });
    var layer = document.createElementNS(SVG, "g");  // labels and arrows added on top
    layer.setAttribute("class", "tg-overlay");
    (svg.querySelector("g.graph") || svg).appendChild(layer);

    function elements(id) { return byId[id] || []; }
    function setLine(id, kind, text, className) {
      var line = lines[id] && lines[id][kind];
      if (!line) { return; }
      line.element.textContent = text;
      line.element.setAttribute("class", className || "");
    }
    function mark(ids, className) {
      ids.forEach(function (id) { elements(id).forEach(function (g) { g.classList.add(className); }); });
    }
    function unmarkAll(className) {
      svg.querySelectorAll("." + className).forEach(function (g) { g.classList.remove(className); });
    }
    function clearOverlay() { while (layer.firstChild) { layer.removeChild(layer.firstChild); } }

    // A label on a white background at the middle of the edge's path.
    function edgeLabel(id, text) {
      elements(id).slice(0, 1).forEach(function (g) {
        var path = g.querySelector("path");
        if (!path) { return; }
        var middle = path.getPointAtLength(path.getTotalLength() / 2);
        var label = document.createElementNS(SVG, "text");
        label.setAttribute("x", String(middle.x));
        label.setAttribute("y", String(middle.y - 5));
        label.setAttribute("text-anchor", "middle");
        label.setAttribute("class", "tg-edge-label");
        label.textContent = text;
        var back = document.createElementNS(SVG, "rect");
        back.setAttribute("class", "tg-edge-label-back");
        layer.appendChild(back);
        layer.appendChild(label);
        var box = label.getBBox();
        back.setAttribute("x", String(box.x - 3));
        back.setAttribute("y", String(box.y - 1));
        back.setAttribute("width", String(box.width + 6));
        back.setAttribute("height", String(box.height + 2));
      });
    }
    // An arrowhead at the start of the edge, pointing back towards its tail.
    function backArrow(id) {
      elements(id).forEach(function (g) {
        var path = g.querySelector("path");
        if (!path) { return; }
        var tip = path.getPointAtLength(0), from = path.getPointAtLength(Math.min(10, path.getTotalLength()));
        var dx = tip.x - from.x, dy = tip.y - from.y, length = Math.hypot(dx, dy) || 1;
        dx /= length; dy /= length;
        var size = 9, half = 4.5;
        var points = [[tip.x, tip.y],
                      [tip.x - dx * size - dy * half, tip.y - dy * size + dx * half],
                      [tip.x - dx * size + dy * half, tip.y - dy * size - dx * half]];
        var arrow = document.createElementNS(SVG, "polygon");
        arrow.setAttribute("points", points.map(function (p) { return p.join(","); }).join(" "));
        arrow.setAttribute("class", "tg-back-arrow");
        layer.appendChild(arrow);
      });
    }
    return { ids: function () { return Object.keys(byId); }, elements: elements, lines: lines,
             setLine: setLine, mark: mark, unmarkAll: unmarkAll, edgeLabel: edgeLabel,
             backArrow: backArrow, clearOverlay: clearOverlay };
  };
})();
