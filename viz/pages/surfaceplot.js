/* surfaceplot.js: the error surface (viz.loss_surface) with the path training took over it.
   tracegrad.surfacePlot(figure, surface, note) draws into the element figure (a
   canvas it adds) what Python computed (LossSurface.page_data): the loss over a
   grid of two parameters (values[j][i] at xs[i], ys[j]), shaded by rank (dark
   low, yellow high) so the shape near the minimum shows however high the loss
   climbs elsewhere; the flat region (gradient 0: a ReLU off) hatched; and the
   path's points up to the one shown, the start a blue dot and the point shown a
   green square. note (optional) gets the caption. Returns {layout(), show(k),
   shown()}: show(k) draws the path's points 0..k; shown() the points drawn last.
   tracegrad.surfaceBox(container, surface) puts one in a box over container,
   shown (with the whole path) or hidden by its toggle(on). */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var P = tracegrad.plotting;
  var FONT = "11px Helvetica, Arial, sans-serif";
  // viridis, five stops: low is dark, high is light
  var STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

  function known(v) { return v !== null && isFinite(v); }  // (a loss that overflowed is sent as null)
  function colour(t) {
    var x = Math.max(0, Math.min(1, t)) * (STOPS.length - 1), i = Math.min(STOPS.length - 2, Math.floor(x)), f = x - i;
    return STOPS[i].map(function (c, k) { return c + (STOPS[i + 1][k] - c) * f; });
  }

  tracegrad.surfacePlot = function (figure, surface, note) {
    var canvas = document.createElement("canvas"), position = 0, drawn = [];
    figure.appendChild(canvas);
    var xs = surface.xs, ys = surface.ys, nx = xs.length, ny = ys.length;
    var sorted = [];
    surface.values.forEach(function (row) { row.forEach(function (v) { if (known(v)) { sorted.push(v); } }); });
    sorted.sort(function (a, b) { return a - b; });
    function rank(v) {  // the share of the grid's values below v
      var low = 0, high = sorted.length;
      while (low < high) { var mid = (low + high) >> 1; if (sorted[mid] < v) { low = mid + 1; } else { high = mid; } }
      return sorted.length > 1 ? low / (sorted.length - 1) : 0.5;
    }
    var image = new ImageData(nx, ny);
    surface.values.forEach(function (row, j) {
      row.forEach(function (v, i) { P.setPixel(image, i, j, known(v) ? colour(rank(v)) : [255, 255, 255]); });
    });
    var small = document.createElement("canvas");
    small.width = nx; small.height = ny;
    small.getContext("2d").putImageData(image, 0, 0);
    if (note) { note.textContent = surface.caption; }

    function draw() {
      var room = figure.getBoundingClientRect(), width = Math.floor(room.width), height = Math.floor(room.height);
      var left = 48, right = 8, top = 6, below = 34;
      var box = { left: left, top: top, width: Math.max(10, width - left - right), height: Math.max(10, height - top - below) };
      var c = P.fitCanvas(canvas, figure, width, height), context = c.context;
      function toX(x) { return box.left + (x - xs[0]) / (xs[nx - 1] - xs[0]) * box.width; }
      function toY(y) { return box.top + (1 - (y - ys[0]) / (ys[ny - 1] - ys[0])) * box.height; }
      context.clearRect(0, 0, c.width, c.height);
      context.save();
      context.beginPath(); context.rect(box.left, box.top, box.width, box.height); context.clip();
      var cellX = box.width / (nx - 1), cellY = box.height / (ny - 1);
      context.imageSmoothingEnabled = true;
      context.drawImage(small, box.left - cellX / 2, box.top - cellY / 2, box.width + cellX, box.height + cellY);
      // the flat region: hatched, cell by cell
      context.strokeStyle = "rgba(255, 255, 255, 0.75)"; context.lineWidth = 1;
      surface.flat.forEach(function (row, j) {
        row.forEach(function (flat, i) {
          if (!flat) { return; }
          var x = toX(xs[i]) - cellX / 2, y = toY(ys[j]) - cellY / 2;
          context.save(); context.beginPath(); context.rect(x, y, cellX + 0.5, cellY + 0.5); context.clip();
          context.beginPath();
          for (var d = -cellY; d < cellX + cellY; d += 6) { context.moveTo(x + d, y + cellY); context.lineTo(x + d + cellY, y); }
          context.stroke(); context.restore();
        });
      });
      // the path up to the point shown
      drawn = surface.points.slice(0, position + 1);
      context.strokeStyle = "#d62728"; context.lineWidth = 2; context.beginPath();
      drawn.forEach(function (p, k) { if (k) { context.lineTo(toX(p[0]), toY(p[1])); } else { context.moveTo(toX(p[0]), toY(p[1])); } });
      context.stroke();
      context.fillStyle = "#d62728";
      drawn.forEach(function (p) { context.beginPath(); context.arc(toX(p[0]), toY(p[1]), 2.5, 0, 2 * Math.PI); context.fill(); });
      var start = drawn[0], now = drawn[drawn.length - 1];
      context.fillStyle = "#1f77b4"; context.strokeStyle = "#fff"; context.lineWidth = 1.5;
      context.beginPath(); context.arc(toX(start[0]), toY(start[1]), 6, 0, 2 * Math.PI); context.fill(); context.stroke();
      if (drawn.length > 1) {
        context.fillStyle = "#2ca02c";
        context.fillRect(toX(now[0]) - 5, toY(now[1]) - 5, 10, 10); context.strokeRect(toX(now[0]) - 5, toY(now[1]) - 5, 10, 10);
      }
      context.restore();
      context.strokeStyle = "#999"; context.lineWidth = 1; context.strokeRect(box.left, box.top, box.width, box.height);
      context.fillStyle = "#444"; context.font = FONT; context.textAlign = "center"; context.textBaseline = "top";
      P.niceTicks(xs[0], xs[nx - 1], Math.max(2, Math.min(5, Math.floor(box.width / 50)))).forEach(function (t) {
        context.fillText(P.formatNumber(t, 3), toX(t), box.top + box.height + 3);
      });
      context.textAlign = "right"; context.textBaseline = "middle";
      P.niceTicks(ys[0], ys[ny - 1], Math.max(2, Math.min(5, Math.floor(box.height / 30)))).forEach(function (t) {
        context.fillText(P.formatNumber(t, 3), box.left - 4, toY(t));
      });
      context.textAlign = "center"; context.textBaseline = "bottom";
      context.fillText(surface.names[0], box.left + box.width / 2, box.top + box.height + 32);
      context.save(); context.translate(10, box.top + box.height / 2); context.rotate(-Math.PI / 2);
      context.textBaseline = "middle"; context.fillText(surface.names[1], 0, 0); context.restore();
      var label = surface.loss + " = " + P.formatNumber(surface.losses[drawn.length - 1], 4) +
        (surface.recorded ? " (recorded)" : "") + " at (" + P.formatNumber(now[0], 4) + ", " + P.formatNumber(now[1], 4) + ")";
      context.font = "bold " + FONT; context.textAlign = "left"; context.textBaseline = "top";
      var wide = context.measureText(label).width;
      context.fillStyle = "rgba(255, 255, 255, 0.85)"; context.fillRect(box.left + 4, box.top + 4, wide + 8, 16);
      context.fillStyle = "#222"; context.fillText(label, box.left + 8, box.top + 6);
    }
    return {
      layout: draw,
      show: function (k) { position = Math.max(0, Math.min(surface.points.length - 1, k)); draw(); },
      shown: function () { return drawn.map(function (p) { return p.slice(); }); },
      canvas: canvas
    };
  };

  tracegrad.surfaceBox = function (container, surface) {
    var box = document.createElement("aside");
    box.className = "tg-surface-box tg-no-pan";
    box.setAttribute("data-role", "surface");
    box.hidden = true;
    var title = document.createElement("div");
    title.className = "tg-surface-title";
    title.textContent = "The error surface: " + surface.loss + " over " + surface.names[0] + " and " + surface.names[1] +
                        ", and the step taken";
    var figure = document.createElement("div");
    figure.className = "tg-surface-figure";
    var note = document.createElement("p");
    note.className = "tg-surface-note";
    box.appendChild(title); box.appendChild(figure); box.appendChild(note);
    container.appendChild(box);
    var plot = tracegrad.surfacePlot(figure, surface, note);
    return {
      plot: plot,
      toggle: function (on) {
        box.hidden = !on;
        if (on) {
          plot.show(surface.points.length - 1);
          box.setAttribute("data-path", JSON.stringify(plot.shown()));  // the points drawn, for a test to read
        }
      }
    };
  };
})();
