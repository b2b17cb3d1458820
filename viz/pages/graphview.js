/* graphview.js: find and change the parts of a Graphviz SVG by their ids.
   tracegrad.graphView(svg) indexes every node and edge group by its <title>
   (viz.draw's ids: "n3" for a value box, "op3" for the operation that made it,
   "n2->op3" for an edge; two parallel edges share one title). It can set a
   value box's "data ..." and "grad ..." lines, add and remove classes, write
   a label at the middle of an edge, and draw an arrowhead pointing back along
   an edge (the direction gradients flow). Nothing here measures the page
   until a label is placed, so a drawing indexed while hidden is right. */
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
          var box = shapeBox(shape);
          text.setAttribute("text-anchor", "middle");
          text.setAttribute("x", String(box.x + box.width / 2));
        }
        lines[id] = lines[id] || {};
        lines[id][kind.trim()] = { element: text, drawn: text.textContent };
      });
    });
    // The box of a node's shape from its own coordinates (Graphviz writes absolute
    // points), not getBBox(), which reads zero while the page is hidden.
    function shapeBox(shape) {
      if (shape.tagName === "ellipse") {
        var cx = shape.cx.baseVal.value, rx = shape.rx.baseVal.value;
        return { x: cx - rx, width: 2 * rx };
      }
      var numbers = (shape.getAttribute(shape.tagName === "path" ? "d" : "points") || "")
        .match(/-?\d*\.?\d+(?:e[-+]?\d+)?/gi) || ["0", "0"];
      var xs = numbers.filter(function (_, i) { return i % 2 === 0; }).map(Number);
      var left = Math.min.apply(null, xs), right = Math.max.apply(null, xs);
      return { x: left, width: right - left };
    }
    // Where the drawing made room for a step's label beside an edge (viz.draw's edge_notes:
    // a bold line starting "× "), it is hidden until that step shows its label there.
    svg.querySelectorAll("g.edge > text").forEach(function (text) {
      var line = text.textContent.trim();  // (the room's empty first line too)
      if (line === "" || line.slice(0, 2) === "\u00d7 ") { text.classList.add("tg-note"); }
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

    // What a label must not cover: every node, the neuron boxes' captions, the
    // drawing's own edge labels ("minus"), and what the overlay already holds
    // (arrows, other labels). The drawing's parts are measured when first
    // needed (the page places labels only once it is laid out); a box measured
    // while hidden would be empty, so such a measure is not kept.
    var fixedBoxes = null;
    function obstacles() {
      if (!fixedBoxes || !fixedBoxes.some(function (box) { return box.width > 0; })) {
        fixedBoxes = [];
        svg.querySelectorAll("g.node, g.cluster > text, g.edge > text").forEach(function (e) { fixedBoxes.push(e.getBBox()); });
      }
      var placed = [];
      layer.querySelectorAll("rect, polygon").forEach(function (e) { placed.push(e.getBBox()); });
      return fixedBoxes.concat(placed);
    }
    function overlaps(a, b) {
      return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    }
    var background = svg.querySelector("g.graph > polygon");

    // Every drawn edge's path, sampled every few points with its box, to tell which
    // edge a place is nearest (measured when first needed, once laid out).
    var edgePaths = null;
    function sampledEdges() {
      if (!edgePaths) {
        edgePaths = Array.prototype.map.call(svg.querySelectorAll("g.edge > path"), function (path) {
          var length = path.getTotalLength(), points = [];
          for (var along = 0; along <= length; along += 3) { points.push(path.getPointAtLength(along)); }
          var xs = points.map(function (p) { return p.x; }), ys = points.map(function (p) { return p.y; });
          return { path: path, points: points, box: { x: Math.min.apply(null, xs), y: Math.min.apply(null, ys),
            width: Math.max.apply(null, xs) - Math.min.apply(null, xs), height: Math.max.apply(null, ys) - Math.min.apply(null, ys) } };
        });
      }
      return edgePaths;
    }
    function gap(box, point) {
      return Math.hypot(Math.max(box.x - point.x, 0, point.x - box.x - box.width),
                        Math.max(box.y - point.y, 0, point.y - box.y - box.height));
    }
    function boxGap(a, b) {
      return Math.hypot(Math.max(a.x - b.x - b.width, 0, b.x - a.x - a.width),
                        Math.max(a.y - b.y - b.height, 0, b.y - a.y - a.height));
    }
    // whether a box is nearer to this path than to any other edge's (so it reads as this edge's label)
    function nearestTo(box, path) {
      var edges = sampledEdges(), own = Infinity;
      edges.forEach(function (edge) {
        if (edge.path === path) { edge.points.forEach(function (p) { own = Math.min(own, gap(box, p)); }); }
      });
      return edges.every(function (edge) {
        if (edge.path === path || boxGap(box, edge.box) > own) { return true; }
        return edge.points.every(function (p) { return gap(box, p) > own; });
      });
    }

    // A label on a white background beside the edge's path, where it covers no
    // node and is nearer to its own edge than to any other: the middle of the
    // edge first, then further along it, then further away from it, above or
    // below (left or right of a steep edge). A label that ends up more than a
    // few points from its edge is tied to it by a dotted line. occurrence: which
    // of parallel edges with one id (x*x draws two edges x -> ×), in drawing order.
    function edgeLabel(id, text, occurrence) {
      elements(id).slice(occurrence || 0, (occurrence || 0) + 1).forEach(function (g) {
        var path = g.querySelector("path");
        if (!path) { return; }
        var label = document.createElementNS(SVG, "text");
        label.setAttribute("text-anchor", "middle");
        label.setAttribute("class", "tg-edge-label");
        label.setAttribute("data-edge", id);
        label.setAttribute("data-occurrence", String(occurrence || 0));
        label.textContent = text;
        var blocked = obstacles(), bounds = background ? background.getBBox() : null;
        var back = document.createElementNS(SVG, "rect");
        back.setAttribute("class", "tg-edge-label-back");
        layer.appendChild(back);
        layer.appendChild(label);
        label.setAttribute("x", "0");
        label.setAttribute("y", "0");
        var note = Array.prototype.filter.call(g.querySelectorAll("text.tg-note"),
                                               function (t) { return t.textContent.trim(); })[0];
        if (note) {  // the room the drawing made for it, in the drawing's own font size
          label.style.fontSize = note.getAttribute("font-size") + "px";
        }
        var size = label.getBBox(), pad = 3;
        var width = size.width + 2 * pad, height = size.height + 2;
        var length = path.getTotalLength(), box = null;
        var inset = 1;
        if (note) {  // on the room made, no taller than its line (Graphviz writes it from its left end)
          var room = note.getBBox();
          height = size.height;
          inset = 0;
          box = { x: room.x + room.width / 2 - width / 2, y: room.y + room.height / 2 - height / 2,
                  width: width, height: height };
        }
        // first where the label is nearer its own edge than any other; failing that, anywhere
        // clear (then a dotted tie joins it to its edge when it is not right beside it)
        [true, false].some(function (ownNearest) { return [0, 4, 8, 14, 20, 28, 36, 46, 58].some(function (extra) {
          if (box) { return true; }
          return [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8].some(function (t) {
            var at = path.getPointAtLength(length * t);
            var ahead = path.getPointAtLength(Math.min(length, length * t + 1));
            var behind = path.getPointAtLength(Math.max(0, length * t - 1));
            var dx = ahead.x - behind.x, dy = ahead.y - behind.y, norm = Math.hypot(dx, dy) || 1;
            var nx = -dy / norm, ny = dx / norm;  // a normal to the edge at that point
            if (ny > 0 || (ny === 0 && nx > 0)) { nx = -nx; ny = -ny; }  // the first side tried is above
            return [1, -1].some(function (side) {
              // the box's centre, far enough along the normal that the box clears the edge
              var reach = 3 + extra + Math.abs(nx) * width / 2 + Math.abs(ny) * height / 2;
              var cx = at.x + side * nx * reach, cy = at.y + side * ny * reach;
              var tried = { x: cx - width / 2, y: cy - height / 2, width: width, height: height };
              if (bounds && (tried.x < bounds.x || tried.y < bounds.y || tried.x + width > bounds.x + bounds.width ||
                             tried.y + height > bounds.y + bounds.height)) { return false; }
              if (blocked.some(function (other) { return overlaps(tried, other); })) { return false; }
              if (ownNearest && !nearestTo(tried, path)) { return false; }
              box = tried;
              return true;
            });
          });
        }); });
        if (!box) {  // nowhere clear: on the middle of the edge, as Graphviz places labels
          var middle = path.getPointAtLength(length / 2);
          box = { x: middle.x - width / 2, y: middle.y - height / 2, width: width, height: height };
        }
        label.setAttribute("x", String(box.x + width / 2));
        label.setAttribute("y", String(box.y + inset + (0 - size.y)));
        back.setAttribute("x", String(box.x));
        back.setAttribute("y", String(box.y));
        back.setAttribute("width", String(width));
        back.setAttribute("height", String(height));
        // the point of the edge nearest the label; further than a few points away, a tie joins them
        var near = null;
        for (var along = 0; along <= length; along += 2) {
          var point = path.getPointAtLength(along);
          var cx = Math.max(box.x, Math.min(box.x + width, point.x));
          var cy = Math.max(box.y, Math.min(box.y + height, point.y));
          var distance = Math.hypot(point.x - cx, point.y - cy);
          if (!near || distance < near.distance) { near = { distance: distance, x: point.x, y: point.y, cx: cx, cy: cy }; }
        }
        if (near.distance > 4 || !nearestTo(box, path)) {
          var tie = document.createElementNS(SVG, "line");
          tie.setAttribute("class", "tg-edge-label-tie");
          tie.setAttribute("x1", String(near.x));
          tie.setAttribute("y1", String(near.y));
          tie.setAttribute("x2", String(near.cx));
          tie.setAttribute("y2", String(near.cy));
          layer.insertBefore(tie, back);
        }
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
