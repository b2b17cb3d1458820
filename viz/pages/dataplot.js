/* dataplot.js: the data and what the model predicts, one frame at a time.
   tracegrad.dataPlot(figure, options) draws into the element figure (a canvas
   it adds) and writes its legend into options.note and its heading into
   options.title (both optional). options: samples ({X, y, classes, names}),
   grid ({axes, outputCount, confident} or null: no plane to draw), outputs
   (unpacked: the model's outputs over the grid at each frame), wrong (unpacked:
   1 where a sample is misclassified, or null), count (the number of frames).
   chosen (optional): the index of the sample other panels show (the player's network
   view of one sample, the live page's graph of one), ringed in red; null for none.
   Two inputs: the plane shaded by the prediction, its decision boundary and the
   samples; one input: the samples and the fitted curve. Returns {show(k), layout(),
   canvas, pointAt(event), sampleAt(event), dotAt(index), choose(index)}: show draws frame k; layout
   measures the figure again (after a resize) and keeps the legend one height for every
   frame, so the plot above it keeps one size; pointAt gives the data coordinates under
   a mouse event (null outside the plot); sampleAt the index of the sample whose dot is
   within 10 px of it (null if none); dotAt(i) where sample i's dot is ({x, y}, the
   page's coordinates); choose rings another sample (null: none). */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var P = tracegrad.plotting;
  var TICK_FONT = "11px Helvetica, Arial, sans-serif";
  var CHOSEN = [214, 39, 40];  // the chosen sample's ring

  tracegrad.dataPlot = function (figure, options) {
    var samples = options.samples, grid = options.grid, outputs = options.outputs, wrong = options.wrong;
    var note = options.note || document.createElement("p"), title = options.title;
    var canvas = document.createElement("canvas"), position = 0, placed = null;
    var chosen = options.chosen === undefined ? null : options.chosen;
    figure.appendChild(canvas);
    var twoInputs = grid && grid.axes.length === 2, oneInput = grid && grid.axes.length === 1;
    var curveRange = null;
    if (oneInput) {  // the y range: the samples', widened, so the curve may leave it without moving it
      var low = Math.min.apply(null, samples.y), high = Math.max.apply(null, samples.y), span = (high - low) || 1;
      curveRange = [low - 0.25 * span, high + 0.25 * span];
    }
    function classColour(label) { return P.classColour(samples.classes, label); }

    function scoreImage(k, nx, ny) {  // the prediction over the grid, one pixel per grid point
      var image = new ImageData(nx, ny), out = outputs.row(k), n = grid.outputCount;
      for (var j = 0; j < ny; j++) {
        for (var i = 0; i < nx; i++) {
          var point = j * nx + i, colour, strength;
          if (n === 1) {
            var s = out[point];
            colour = s > 0 ? P.BLUE : P.ORANGE;
            strength = Math.min(1, Math.abs(s) / grid.confident);
          } else {  // several classes: the largest output, by how much it leads
            var best = 0, second = -Infinity;
            for (var c = 1; c < n; c++) { if (out[point * n + c] > out[point * n + best]) { best = c; } }
            for (c = 0; c < n; c++) { if (c !== best) { second = Math.max(second, out[point * n + c]); } }
            colour = classColour(samples.classes[best]);
            strength = Math.min(1, (out[point * n + best] - second) / grid.confident);
          }
          P.setPixel(image, i, j, P.mix(colour, 0.15 + 0.45 * strength));
        }
      }
      return image;
    }

    function boundaries(k, nx, ny) {  // the values whose zero line is a decision boundary
      var out = outputs.row(k), n = grid.outputCount;
      if (n === 1) { return [out]; }
      var lines = [];
      for (var c = 0; c < n; c++) {  // class c's lead over the best other class
        var lead = new Float32Array(nx * ny);
        for (var p = 0; p < nx * ny; p++) {
          var other = -Infinity;
          for (var d = 0; d < n; d++) { if (d !== c) { other = Math.max(other, out[p * n + d]); } }
          lead[p] = out[p * n + c] - other;
        }
        lines.push(lead);
      }
      return lines;
    }

    function widestTick(range) {
      var context = canvas.getContext("2d");
      context.font = TICK_FONT;
      return Math.max.apply(null, P.niceTicks(range[0], range[1], 5).map(function (t) {
        return context.measureText(P.formatNumber(t, 3)).width;
      }));
    }
    function drawAxes(context, box, xs, ys, xName, yName) {
      context.strokeStyle = "#999"; context.lineWidth = 1;
      context.strokeRect(box.left, box.top, box.width, box.height);
      context.fillStyle = "#444"; context.font = TICK_FONT;
      context.textAlign = "center"; context.textBaseline = "top";
      // fewer ticks on a narrow plot, so their labels never run together
      P.niceTicks(xs[0], xs[1], Math.max(2, Math.min(5, Math.floor(box.width / 45)))).forEach(function (t) {
        var x = box.left + (t - xs[0]) / (xs[1] - xs[0]) * box.width;
        context.fillText(P.formatNumber(t, 3), x, box.top + box.height + 3);
        context.beginPath(); context.moveTo(x, box.top + box.height); context.lineTo(x, box.top + box.height + 3); context.stroke();
      });
      context.textAlign = "right"; context.textBaseline = "middle";
      P.niceTicks(ys[0], ys[1], 5).forEach(function (t) {
        var y = box.top + (1 - (t - ys[0]) / (ys[1] - ys[0])) * box.height;
        context.fillText(P.formatNumber(t, 3), box.left - 5, y);
        context.beginPath(); context.moveTo(box.left - 3, y); context.lineTo(box.left, y); context.stroke();
      });
      context.textAlign = "center"; context.textBaseline = "bottom";
      context.fillText(xName, box.left + box.width / 2, box.top + box.height + 30);
      context.save(); context.translate(12, box.top + box.height / 2); context.rotate(-Math.PI / 2);
      context.textBaseline = "middle"; context.fillText(yName, 0, 0); context.restore();
    }

    function drawData(k) {
      // the box's exact size, rounded down (clientHeight rounds up half a pixel past the legend)
      var room = figure.getBoundingClientRect();
      var width = Math.floor(room.width), height = Math.floor(room.height);
      if (!grid) {
        P.fitCanvas(canvas, figure, 10, 10);
        return;
      }
      var xs = [grid.axes[0][0], grid.axes[0][grid.axes[0].length - 1]];
      var ys = twoInputs ? [grid.axes[1][0], grid.axes[1][grid.axes[1].length - 1]] : curveRange;
      // room at the left for the axis title and the widest tick label beside it, 36 px
      // below for the ticks and the x axis title; the input plane is drawn square
      var left = 25 + Math.ceil(widestTick(ys)), right = 8, top = 6, below = 36;
      var box = { left: left, top: top, width: width - left - right, height: height - top - below };
      if (twoInputs) { box.width = box.height = Math.max(10, Math.min(box.width, box.height)); }
      var c = P.fitCanvas(canvas, figure, box.left + box.width + right, box.top + box.height + below);
      canvas.style.left = Math.max(0, (width - c.width) / 2) + "px";
      var context = c.context;
      function toX(x) { return box.left + (x - xs[0]) / (xs[1] - xs[0]) * box.width; }
      function toY(y) { return box.top + (1 - (y - ys[0]) / (ys[1] - ys[0])) * box.height; }
      placed = { box: box, xs: xs, ys: ys };
      context.clearRect(0, 0, c.width, c.height);
      context.save();
      context.beginPath(); context.rect(box.left, box.top, box.width, box.height); context.clip();
      var i, wrongNow = wrong ? wrong.row(k) : null;
      if (twoInputs) {
        var nx = grid.axes[0].length, ny = grid.axes[1].length;
        var small = document.createElement("canvas");
        small.width = nx; small.height = ny;
        small.getContext("2d").putImageData(scoreImage(k, nx, ny), 0, 0);
        // pixel centres on the grid points: the image reaches half a cell past the box
        var cellX = box.width / (nx - 1), cellY = box.height / (ny - 1);
        context.imageSmoothingEnabled = true;
        context.drawImage(small, box.left - cellX / 2, box.top - cellY / 2, box.width + cellX, box.height + cellY);
        context.strokeStyle = "#000"; context.lineWidth = 2; context.beginPath();
        boundaries(k, nx, ny).forEach(function (values) {
          P.zeroLine(values, nx, ny, function (gi, gj) {
            return [box.left + gi * cellX, box.top + box.height - gj * cellY];
          }).forEach(function (segment) {
            context.moveTo(segment[0][0], segment[0][1]); context.lineTo(segment[1][0], segment[1][1]);
          });
        });
        context.stroke();
        for (i = 0; i < samples.X.length; i++) {
          var px = toX(samples.X[i][0]), py = toY(samples.X[i][1]);
          context.beginPath(); context.arc(px, py, 4.5, 0, 2 * Math.PI);
          context.fillStyle = P.css(classColour(samples.y[i])); context.fill();
          context.strokeStyle = "#fff"; context.lineWidth = 1; context.stroke();
          if (wrongNow && wrongNow[i]) {
            context.beginPath(); context.arc(px, py, 8, 0, 2 * Math.PI);
            context.strokeStyle = "#000"; context.lineWidth = 1.6; context.stroke();
          }
        }
      } else {
        context.strokeStyle = "#ddd"; context.lineWidth = 1; context.beginPath();
        context.moveTo(box.left, toY(0)); context.lineTo(box.left + box.width, toY(0)); context.stroke();
        for (i = 0; i < samples.X.length; i++) {
          context.beginPath(); context.arc(toX(samples.X[i][0]), toY(samples.y[i]), 4, 0, 2 * Math.PI);
          context.fillStyle = P.css(P.BLUE); context.fill();
          if (wrongNow && wrongNow[i]) { context.strokeStyle = "#000"; context.lineWidth = 1.6; context.stroke(); }
        }
        var out = outputs.row(k);
        context.strokeStyle = P.css(P.ORANGE); context.lineWidth = 2.5; context.beginPath();
        grid.axes[0].forEach(function (x, j) {
          if (j === 0) { context.moveTo(toX(x), toY(out[j])); } else { context.lineTo(toX(x), toY(out[j])); }
        });
        context.stroke();
      }
      if (chosen !== null && samples.X[chosen]) {  // the chosen sample: a red ring, over the misclassified one
        context.beginPath();
        context.arc(toX(samples.X[chosen][0]), twoInputs ? toY(samples.X[chosen][1]) : toY(samples.y[chosen]), 11, 0, 2 * Math.PI);
        context.strokeStyle = P.css(CHOSEN); context.lineWidth = 3; context.stroke();
      }
      context.restore();
      drawAxes(context, box, xs, ys, twoInputs ? "x0 (first input)" : "x (input)",
               twoInputs ? "x1 (second input)" : "y (target and prediction)");
    }

    // the most samples misclassified at any step: the legend is laid out for it
    function missedAt(k) { return wrong.row(k).reduce(function (a, b) { return a + b; }, 0); }
    var mostMissed = 0;
    for (var frame = 0; wrong && frame < options.count; frame++) { mostMissed = Math.max(mostMissed, missedAt(frame)); }
    function dataNote(k, missedShown) {
      if (!grid) {
        if (title) { title.textContent = "The data"; }
        note.textContent = "The model has " + (samples.X[0] || []).length + " inputs: there is no plane to draw.";
        return;
      }
      var missed = missedShown !== undefined ? missedShown : wrong ? missedAt(k) : 0;
      // each key and its words stay on one line: a line may break between keys, never inside one
      function item(swatch, words) { return '<span class="tg-key-item">' + swatch + " " + words + "</span>"; }
      var ring = '<span class="tg-key-ring"></span>';
      var chosenKey = chosen === null ? [] : [item('<span class="tg-key-ring tg-key-chosen"></span>',
        options.chosenName || "the sample shown")];
      if (oneInput) {
        note.innerHTML = [item('<span class="tg-key" style="background:' + P.css(P.BLUE) + '"></span>', "training samples"),
          item('<span class="tg-key-line" style="border-color:' + P.css(P.ORANGE) + '"></span>', "what the model predicts at each x")]
          .concat(wrong ? [item(ring, "misclassified (" + missed + ")")] : []).concat(chosenKey).join(" ");
        return;
      }
      var keys = (samples.classes || []).map(function (label, index) {
        return item('<span class="tg-key" style="background:' + P.css(classColour(label)) + '"></span>', "class " + samples.names[index]);
      });
      var shading = grid.outputCount === 1 ? "Shaded by the model's score (blue > 0, orange < 0)"
        : "Shaded by the class with the largest output";
      note.innerHTML = keys.concat([item('<span class="tg-key-line"></span>', "decision boundary"),
                                    item(ring, "misclassified (" + missed + ")")]).concat(chosenKey).join(" ") +
        "<br>" + shading + ", paler where it is less sure.";
    }

    // the input point under a mouse event (clientX, clientY), or null outside the plot
    function pointAt(event) {
      if (!placed) { return null; }
      var r = canvas.getBoundingClientRect(), box = placed.box;
      var fx = (event.clientX - r.left - box.left) / box.width, fy = (event.clientY - r.top - box.top) / box.height;
      if (fx < 0 || fx > 1 || fy < 0 || fy > 1) { return null; }
      return [placed.xs[0] + fx * (placed.xs[1] - placed.xs[0]), placed.ys[1] - fy * (placed.ys[1] - placed.ys[0])];
    }

    function dotAt(i) {  // where sample i's dot is, in the page's (client) coordinates
      var r = canvas.getBoundingClientRect(), box = placed.box, row = samples.X[i];
      var value = twoInputs ? row[1] : samples.y[i];
      return { x: r.left + box.left + (row[0] - placed.xs[0]) / (placed.xs[1] - placed.xs[0]) * box.width,
               y: r.top + box.top + (1 - (value - placed.ys[0]) / (placed.ys[1] - placed.ys[0])) * box.height };
    }
    function sampleAt(event) {
      if (!placed) { return null; }
      var best = null, nearest = 10;
      samples.X.forEach(function (row, i) {
        var dot = dotAt(i), distance = Math.hypot(dot.x - event.clientX, dot.y - event.clientY);
        if (distance <= nearest) { nearest = distance; best = i; }
      });
      return best;
    }

    return {
      canvas: canvas, pointAt: pointAt, sampleAt: sampleAt, dotAt: function (i) { return placed ? dotAt(i) : null; },
      choose: function (index) { chosen = index === undefined ? null : index; dataNote(position); drawData(position); },
      // the legend first: the plot takes the room it leaves
      show: function (k) { position = k; dataNote(k); drawData(k); },
      // the legend keeps the height it has with the largest count, so its lines
      // break alike at every step and the plot above it keeps one size
      layout: function () {
        note.style.minHeight = "";
        dataNote(position, mostMissed);
        note.style.minHeight = note.getBoundingClientRect().height + "px";
      }
    };
  };
})();
