/* player.js: the training player. For each root marked data-tracegrad="player"
   it reads the frames Python recorded (viz/recording.py, viz/player.py) and
   shows frame k, the model after k optimizer steps: the data with the model's
   decision boundary (or its curve), the loss and accuracy curves with a marker,
   the network (each neuron a small picture of what it outputs over the input
   plane, each weight an edge: blue positive, orange negative, wider when
   larger), the parameter table, and for a small model one sample's graph.
   The page computes no number of the model: it draws the recorded ones. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad;
  var SVG = "http://www.w3.org/2000/svg";
  var BLUE = [0, 114, 178], ORANGE = [230, 159, 0];  // positive, negative (Okabe & Ito)
  var PALETTE = [[0, 114, 178], [230, 159, 0], [0, 158, 115], [204, 121, 167], [86, 180, 233],
                 [213, 94, 0], [240, 228, 66]];

  // --- numbers --------------------------------------------------------------

  function unpack(packed) {
    if (!packed) { return null; }
    var text = atob(packed.base64), bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    var kind = { "<f8": Float64Array, "<f4": Float32Array, "|u1": Uint8Array }[packed.dtype];
    var array = new kind(bytes.buffer);
    var row = packed.shape.slice(1).reduce(function (a, b) { return a * b; }, 1);
    return { shape: packed.shape, array: array,
             row: function (k) { return array.subarray(k * row, (k + 1) * row); } };
  }

  // Python's format(x, ".{digits}g"), as viz.format_number writes numbers; nan: not computed
  function formatNumber(x, digits) {
    if (isNaN(x)) { return "\u2014"; }
    if (!isFinite(x)) { return x > 0 ? "inf" : "-inf"; }
    if (x === 0) { return "0"; }
    var exponential = x.toExponential(digits - 1), at = exponential.indexOf("e");
    var exponent = Number(exponential.slice(at + 1)), text;
    if (exponent < -4 || exponent >= digits) {
      var mantissa = stripZeros(exponential.slice(0, at));
      text = mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "") + Math.abs(exponent);
    } else {
      text = stripZeros(x.toFixed(Math.max(0, digits - 1 - exponent)));
    }
    return text === "-0" ? "0" : text;
  }
  function stripZeros(text) {
    return text.indexOf(".") < 0 ? text : text.replace(/0+$/, "").replace(/\.$/, "");
  }
  function percent(x) { return x === null || x === undefined ? "\u2014" : (100 * x).toFixed(1) + "%"; }

  function mix(colour, amount) {  // from white towards colour
    return [255 + (colour[0] - 255) * amount, 255 + (colour[1] - 255) * amount, 255 + (colour[2] - 255) * amount];
  }
  function setPixel(image, i, j, rgb) {  // grid point (i, j); row j = 0 is the image's bottom row
    var at = ((image.height - 1 - j) * image.width + i) * 4;
    image.data[at] = rgb[0]; image.data[at + 1] = rgb[1]; image.data[at + 2] = rgb[2]; image.data[at + 3] = 255;
  }
  function css(colour) { return "rgb(" + colour.map(Math.round).join(",") + ")"; }
  function element(name, attributes, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  // A canvas filling its box, drawn in CSS pixels at the screen's resolution.
  function fitCanvas(canvas, box, width, height) {
    var ratio = window.devicePixelRatio || 1;
    width = Math.max(10, Math.floor(width === undefined ? box.clientWidth : width));
    height = Math.max(10, Math.floor(height === undefined ? box.clientHeight : height));
    canvas.width = width * ratio; canvas.height = height * ratio;
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
    var context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { context: context, width: width, height: height };
  }

  function niceTicks(low, high, count) {
    var span = high - low || 1, step = Math.pow(10, Math.floor(Math.log10(span / count)));
    [2, 5, 10].forEach(function (f) { if (span / step > count * 1.5) { step = step * f / (f === 2 ? 1 : f === 5 ? 2 : 5); } });
    var ticks = [];
    for (var t = Math.ceil(low / step) * step; t <= high + 1e-9 * span; t += step) { ticks.push(Math.abs(t) < 1e-12 * span ? 0 : t); }
    return ticks;
  }

  // The segments where a grid of values crosses 0 (marching squares, linear along each cell edge).
  function zeroLine(values, nx, ny, at) {
    var segments = [];
    function cross(i0, j0, i1, j1) {
      var a = values[j0 * nx + i0], b = values[j1 * nx + i1], t = a / (a - b);
      return at(i0 + (i1 - i0) * t, j0 + (j1 - j0) * t);
    }
    for (var j = 0; j + 1 < ny; j++) {
      for (var i = 0; i + 1 < nx; i++) {
        var corners = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]], points = [];
        for (var e = 0; e < 4; e++) {
          var p = corners[e], q = corners[(e + 1) % 4];
          var a = values[p[1] * nx + p[0]], b = values[q[1] * nx + q[0]];
          if ((a > 0) !== (b > 0)) { points.push(cross(p[0], p[1], q[0], q[1])); }
        }
        if (points.length >= 2) { segments.push([points[0], points[1]]); }
        if (points.length === 4) { segments.push([points[2], points[3]]); }
      }
    }
    return segments;
  }

  function player(root) {
    var data = JSON.parse(root.querySelector('[data-role="data"]').textContent);
    var digits = data.digits, count = data.steps.length;
    function part(role) { return root.querySelector('[data-role="' + role + '"]'); }
    function number(x) { return formatNumber(x, digits); }
    var params = data.parameters;
    var values = unpack(params.values), grads = unpack(params.grads);
    var state = {};
    Object.keys(params.state).forEach(function (name) { state[name] = unpack(params.state[name]); });
    var samples = data.samples, wrong = unpack(samples.wrong);
    var grid = data.grid, outputs = grid ? unpack(grid.outputs) : null;
    var tiles = data.tiles ? { values: unpack(data.tiles.values), low: unpack(data.tiles.low),
                               high: unpack(data.tiles.high), shape: data.tiles.shape } : null;
    var position = 0;

    function classColour(label) {
      var classes = samples.classes, index = classes.indexOf(label);
      if (classes.length === 2) { return index === 1 ? BLUE : ORANGE; }
      return PALETTE[index % PALETTE.length];
    }

    // --- the data and the model's prediction ---------------------------------
    var dataFigure = part("data-figure"), dataCanvas = document.createElement("canvas");
    dataFigure.appendChild(dataCanvas);
    var twoInputs = grid && grid.axes.length === 2, oneInput = grid && grid.axes.length === 1;
    var curveRange = null;
    if (oneInput) {  // the y range: the samples', widened, so the curve may leave it without moving it
      var low = Math.min.apply(null, samples.y), high = Math.max.apply(null, samples.y), span = (high - low) || 1;
      curveRange = [low - 0.25 * span, high + 0.25 * span];
    }

    function scoreImage(k, nx, ny) {  // the prediction over the grid, one pixel per grid point
      var image = new ImageData(nx, ny), out = outputs.row(k), n = grid.outputCount;
      for (var j = 0; j < ny; j++) {
        for (var i = 0; i < nx; i++) {
          var point = j * nx + i, colour, strength;
          if (n === 1) {
            var s = out[point];
            colour = s > 0 ? BLUE : ORANGE;
            strength = Math.min(1, Math.abs(s) / grid.confident);
          } else {  // several classes: the largest output, by how much it leads
            var best = 0, second = -Infinity;
            for (var c = 1; c < n; c++) { if (out[point * n + c] > out[point * n + best]) { best = c; } }
            for (c = 0; c < n; c++) { if (c !== best) { second = Math.max(second, out[point * n + c]); } }
            colour = classColour(samples.classes[best]);
            strength = Math.min(1, (out[point * n + best] - second) / grid.confident);
          }
          setPixel(image, i, j, mix(colour, 0.15 + 0.45 * strength));
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

    var TICK_FONT = "11px Helvetica, Arial, sans-serif";
    function widestTick(range) {
      var context = dataCanvas.getContext("2d");
      context.font = TICK_FONT;
      return Math.max.apply(null, niceTicks(range[0], range[1], 5).map(function (t) {
        return context.measureText(formatNumber(t, 3)).width;
      }));
    }
    function drawAxes(context, box, xs, ys, xName, yName) {
      context.strokeStyle = "#999"; context.lineWidth = 1;
      context.strokeRect(box.left, box.top, box.width, box.height);
      context.fillStyle = "#444"; context.font = TICK_FONT;
      context.textAlign = "center"; context.textBaseline = "top";
      // fewer ticks on a narrow plot, so their labels never run together
      niceTicks(xs[0], xs[1], Math.max(2, Math.min(5, Math.floor(box.width / 45)))).forEach(function (t) {
        var x = box.left + (t - xs[0]) / (xs[1] - xs[0]) * box.width;
        context.fillText(formatNumber(t, 3), x, box.top + box.height + 3);
        context.beginPath(); context.moveTo(x, box.top + box.height); context.lineTo(x, box.top + box.height + 3); context.stroke();
      });
      context.textAlign = "right"; context.textBaseline = "middle";
      niceTicks(ys[0], ys[1], 5).forEach(function (t) {
        var y = box.top + (1 - (t - ys[0]) / (ys[1] - ys[0])) * box.height;
        context.fillText(formatNumber(t, 3), box.left - 5, y);
        context.beginPath(); context.moveTo(box.left - 3, y); context.lineTo(box.left, y); context.stroke();
      });
      context.textAlign = "center"; context.textBaseline = "bottom";
      context.fillText(xName, box.left + box.width / 2, box.top + box.height + 30);
      context.save(); context.translate(12, box.top + box.height / 2); context.rotate(-Math.PI / 2);
      context.textBaseline = "middle"; context.fillText(yName, 0, 0); context.restore();
    }

    function drawData(k) {
      // the box's exact size, rounded down (clientHeight rounds up half a pixel past the legend)
      var room = dataFigure.getBoundingClientRect();
      var width = Math.floor(room.width), height = Math.floor(room.height);
      if (!grid) {
        fitCanvas(dataCanvas, dataFigure, 10, 10);
        return;
      }
      var xs = [grid.axes[0][0], grid.axes[0][grid.axes[0].length - 1]];
      var ys = twoInputs ? [grid.axes[1][0], grid.axes[1][grid.axes[1].length - 1]] : curveRange;
      // room at the left for the axis title and the widest tick label beside it, 36 px
      // below for the ticks and the x axis title; the input plane is drawn square
      var left = 25 + Math.ceil(widestTick(ys)), right = 8, top = 6, below = 36;
      var box = { left: left, top: top, width: width - left - right, height: height - top - below };
      if (twoInputs) { box.width = box.height = Math.max(10, Math.min(box.width, box.height)); }
      var c = fitCanvas(dataCanvas, dataFigure, box.left + box.width + right, box.top + box.height + below);
      dataCanvas.style.left = Math.max(0, (width - c.width) / 2) + "px";
      var context = c.context;
      function toX(x) { return box.left + (x - xs[0]) / (xs[1] - xs[0]) * box.width; }
      function toY(y) { return box.top + (1 - (y - ys[0]) / (ys[1] - ys[0])) * box.height; }
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
          zeroLine(values, nx, ny, function (gi, gj) {
            return [box.left + gi * cellX, box.top + box.height - gj * cellY];
          }).forEach(function (segment) {
            context.moveTo(segment[0][0], segment[0][1]); context.lineTo(segment[1][0], segment[1][1]);
          });
        });
        context.stroke();
        for (i = 0; i < samples.X.length; i++) {
          var px = toX(samples.X[i][0]), py = toY(samples.X[i][1]);
          context.beginPath(); context.arc(px, py, 4.5, 0, 2 * Math.PI);
          context.fillStyle = css(classColour(samples.y[i])); context.fill();
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
          context.fillStyle = css(BLUE); context.fill();
          if (wrongNow && wrongNow[i]) { context.strokeStyle = "#000"; context.lineWidth = 1.6; context.stroke(); }
        }
        var out = outputs.row(k);
        context.strokeStyle = css(ORANGE); context.lineWidth = 2.5; context.beginPath();
        grid.axes[0].forEach(function (x, j) {
          if (j === 0) { context.moveTo(toX(x), toY(out[j])); } else { context.lineTo(toX(x), toY(out[j])); }
        });
        context.stroke();
      }
      context.restore();
      drawAxes(context, box, xs, ys, twoInputs ? "x0 (first input)" : "x (input)",
               twoInputs ? "x1 (second input)" : "y (target and prediction)");
    }

    // the most samples misclassified at any step: the legend is laid out for it
    function missedAt(k) { return wrong.row(k).reduce(function (a, b) { return a + b; }, 0); }
    var mostMissed = 0;
    for (var frame = 0; wrong && frame < count; frame++) { mostMissed = Math.max(mostMissed, missedAt(frame)); }
    function dataNote(k, missedShown) {
      var note = part("data-note");
      if (!grid) {
        part("data-title").textContent = "The data";
        note.textContent = "The model has " + (samples.X[0] || []).length + " inputs: there is no plane to draw.";
        return;
      }
      var missed = missedShown !== undefined ? missedShown : wrong ? missedAt(k) : 0;
      // each key and its words stay on one line: a line may break between keys, never inside one
      function item(swatch, words) { return '<span class="tg-key-item">' + swatch + " " + words + "</span>"; }
      var ring = '<span class="tg-key-ring"></span>';
      if (oneInput) {
        note.innerHTML = [item('<span class="tg-key" style="background:' + css(BLUE) + '"></span>', "training samples"),
          item('<span class="tg-key-line" style="border-color:' + css(ORANGE) + '"></span>', "what the model predicts at each x")]
          .concat(wrong ? [item(ring, "misclassified (" + missed + ")")] : []).join(" ");
        return;
      }
      var keys = samples.classes.map(function (label, index) {
        return item('<span class="tg-key" style="background:' + css(classColour(label)) + '"></span>', "class " + samples.names[index]);
      });
      var shading = grid.outputCount === 1 ? "Shaded by the model's score (blue > 0, orange < 0)"
        : "Shaded by the class with the largest output";
      note.innerHTML = keys.concat([item('<span class="tg-key-line"></span>', "decision boundary"),
                                    item(ring, "misclassified (" + missed + ")")]).join(" ") +
        "<br>" + shading + ", paler where it is less sure.";
    }

    // --- loss and accuracy curves ----------------------------------------------
    var curves = part("curves"), curveSvg = element("svg", {}, curves), marker = {};
    // A loss that falls by orders of magnitude (a regression's first steps) would
    // leave the rest of its curve flat along the bottom on a linear axis: when
    // three quarters of the points lie in the bottom tenth, the axis is
    // logarithmic, one tick per power of 10 (a loss of exactly 0 sits on the floor).
    var lossTop = Math.max.apply(null, data.loss) || 1;
    var lossPositive = data.loss.filter(function (l) { return l > 0; });
    var logScale = lossPositive.length > 0 &&
      data.loss.filter(function (l) { return l < lossTop / 10; }).length >= 0.75 * data.loss.length;
    var logRange = logScale ? [Math.floor(Math.log10(Math.min.apply(null, lossPositive))),
                               Math.ceil(Math.log10(lossTop))] : null;
    part("curves-title").textContent = data.lossName + " loss over all samples (black" +
      (logScale ? ", log scale" : "") + ")" + (data.accuracy ? " and accuracy (green, dashed)" : "") + ", step by step";
    function layoutCurves() {
      while (curveSvg.firstChild) { curveSvg.removeChild(curveSvg.firstChild); }
      var width = Math.max(50, curves.clientWidth), height = Math.max(50, curves.clientHeight);
      curveSvg.setAttribute("width", width); curveSvg.setAttribute("height", height);
      var box = { left: 48, top: 8, width: width - 48 - (data.accuracy ? 44 : 12), height: height - 38 };
      var last = data.steps[count - 1] || 1, top = lossTop;
      function toX(step) { return box.left + step / last * box.width; }
      function toY(loss) {
        if (!logScale) { return box.top + (1 - loss / top) * box.height; }
        var at = loss > 0 ? Math.max(logRange[0], Math.log10(loss)) : logRange[0];
        return box.top + (1 - (at - logRange[0]) / Math.max(1, logRange[1] - logRange[0])) * box.height;
      }
      function toYa(a) { return box.top + (1 - a) * box.height; }
      element("rect", { x: box.left, y: box.top, width: box.width, height: box.height, fill: "none", stroke: "#bbb" }, curveSvg);
      function label(text, x, y, anchor, colour) {
        var t = element("text", { x: x, y: y, "text-anchor": anchor, "font-size": 11, fill: colour || "#444",
                                  "font-family": "Helvetica, Arial, sans-serif" }, curveSvg);
        t.textContent = text;
      }
      if (logScale) {  // a faint line at each power of 10, labelled where there is room
        var decades = Math.max(1, logRange[1] - logRange[0]), every = Math.ceil(decades * 16 / box.height);
        for (var e = logRange[0]; e <= logRange[1]; e++) {
          var y = toY(Math.pow(10, e));
          element("line", { x1: box.left, x2: box.left + box.width, y1: y, y2: y, stroke: "#eee" }, curveSvg);
          if ((e - logRange[0]) % every === 0) { label(formatNumber(Math.pow(10, e), 3), box.left - 4, y + 4, "end"); }
        }
      } else {
        niceTicks(0, top, 4).forEach(function (t) { label(formatNumber(t, 3), box.left - 4, toY(t) + 4, "end"); });
      }
      niceTicks(0, last, 5).forEach(function (t) { if (t === Math.round(t)) { label(String(t), toX(t), box.top + box.height + 13, "middle"); } });
      label("step", box.left + box.width / 2, box.top + box.height + 28, "middle");
      function path(series, y, attributes) {
        var d = series.map(function (v, i) { return (i ? "L" : "M") + toX(data.steps[i]).toFixed(1) + "," + y(v).toFixed(1); }).join("");
        attributes.d = d; attributes.fill = "none";
        return element("path", attributes, curveSvg);
      }
      path(data.loss, toY, { stroke: "#000", "stroke-width": 1.6 });
      if (data.accuracy) {
        [0, 0.5, 1].forEach(function (a) { label(Math.round(a * 100) + "%", box.left + box.width + 4, toYa(a) + 4, "start", "#00775a"); });
        path(data.accuracy, toYa, { stroke: "#009e73", "stroke-width": 1.6, "stroke-dasharray": "5 3" });
      }
      marker.line = element("line", { y1: box.top, y2: box.top + box.height, stroke: "#d62728", "stroke-width": 1.5 }, curveSvg);
      marker.loss = element("circle", { r: 4, fill: "#d62728" }, curveSvg);
      if (data.accuracy) { marker.accuracy = element("circle", { r: 4, fill: "#009e73", stroke: "#fff" }, curveSvg); }
      marker.place = function (k) {
        var x = toX(data.steps[k]);
        marker.line.setAttribute("x1", x); marker.line.setAttribute("x2", x);
        marker.loss.setAttribute("cx", x); marker.loss.setAttribute("cy", toY(data.loss[k]));
        if (marker.accuracy) { marker.accuracy.setAttribute("cx", x); marker.accuracy.setAttribute("cy", toYa(data.accuracy[k])); }
      };
    }

    // --- the network ------------------------------------------------------------
    var networkBox = part("network"), tooltip = part("tooltip"), network = data.network, hovered = null;
    var netSvg = element("svg", { "class": "tg-network" }, networkBox), edges = [], neurons = [];
    var largestWeight = 0;
    if (network) {
      network.layers.forEach(function (layer) {
        layer.forEach(function (neuron) {
          neuron.w.forEach(function (index) {
            for (var k = 0; k < count; k++) { largestWeight = Math.max(largestWeight, Math.abs(values.row(k)[index])); }
          });
        });
      });
    }
    function layoutNetwork() {
      while (netSvg.firstChild) { netSvg.removeChild(netSvg.firstChild); }
      edges = []; neurons = [];
      if (!network) { part("network-note").textContent = "Drawn for nn.MLP models."; return; }
      var note = "Each weight is an edge: blue positive, orange negative, wider when larger. ";
      note += twoInputs ? "Each neuron shows its output over the input plane (the data's square), scaled to its own largest value; blue > 0, orange < 0, white 0."
        : oneInput ? "Each neuron shows its output along the input line." : "";
      part("network-note").textContent = note + " Hover for numbers.";
      var width = Math.max(50, networkBox.clientWidth), height = Math.max(50, networkBox.clientHeight);
      netSvg.setAttribute("width", width); netSvg.setAttribute("height", height);
      var columns = [network.inputs].concat(network.layers.map(function (l) { return l.length; }));
      var most = Math.max.apply(null, columns), top = 18, bottom = 4;
      var tile = Math.max(8, Math.min(64, (height - top - bottom) / most * 0.8, width / columns.length * 0.42));
      var gap = Math.min(tile * 0.6, (height - top - bottom - most * tile) / Math.max(1, most - 1));
      var stepX = (width - tile - 8) / Math.max(1, columns.length - 1);
      function place(column, index) {
        var n = columns[column], total = n * tile + (n - 1) * gap;
        var y = top + (height - top - bottom - total) / 2 + index * (tile + gap);
        return { x: 4 + column * stepX, y: y };
      }
      var edgeLayer = element("g", {}, netSvg), nodeLayer = element("g", {}, netSvg);
      columns.forEach(function (n, column) {
        var name = column === 0 ? "inputs" : column === columns.length - 1 ? "output" : "layer " + column;
        if (column === columns.length - 1 && n > 1) { name = "outputs"; }
        var t = element("text", { x: 4 + column * stepX + tile / 2, y: 12, "text-anchor": "middle", "class": "tg-layer-name" }, netSvg);
        t.textContent = column === 0 || column === columns.length - 1 ? name : "L" + column + " (hidden)";
      });
      var inputs = [];
      for (var i = 0; i < network.inputs; i++) {
        var at = place(0, i), g = element("g", { "class": "tg-neuron", tabindex: "0" }, nodeLayer);
        element("circle", { cx: at.x + tile / 2, cy: at.y + tile / 2, r: Math.min(tile / 2, 16), "class": "tg-input" }, g);
        var label = element("text", { x: at.x + tile / 2, y: at.y + tile / 2 + 4, "text-anchor": "middle" }, g);
        label.textContent = "x" + i;
        inputs.push({ at: at, g: g });
        hoverable(g, { kind: "input", index: i });
      }
      var previous = inputs;
      network.layers.forEach(function (layer, l) {
        var current = layer.map(function (neuron, j) {
          var at = place(l + 1, j);
          neuron.w.forEach(function (index, from) {
            var source = previous[from].at;
            var coords = { x1: source.x + tile, y1: source.y + tile / 2, x2: at.x, y2: at.y + tile / 2 };
            var hit = element("line", Object.assign({ "class": "tg-hit" }, coords), edgeLayer);
            var line = element("line", Object.assign({ "class": "tg-edge", "stroke-opacity": "0.8" }, coords), edgeLayer);
            // many edges into one layer: thinner lines, so the picture is not a solid block
            var widest = Math.max(1.5, Math.min(6, 36 / Math.sqrt(layer.length * neuron.w.length)));
            var edge = { line: line, index: index, neuron: neuron, from: from, layer: l, widest: widest };
            edges.push(edge);
            hoverable(hit, { kind: "edge", edge: edge });
          });
          var g = element("g", { "class": "tg-neuron", tabindex: "0", "aria-label": neuron.name }, nodeLayer);
          var holder = element("foreignObject", { x: at.x, y: at.y, width: tile, height: tile }, g);
          var canvas = document.createElement("canvas");
          canvas.style.width = tile + "px"; canvas.style.height = tile + "px"; canvas.style.display = "block";
          holder.appendChild(canvas);
          element("rect", { x: at.x, y: at.y, width: tile, height: tile, "class": "tg-frame" }, g);
          var item = { at: at, g: g, canvas: canvas, neuron: neuron, layer: l, index: j, tile: tile };
          neurons.push(item);
          hoverable(g, { kind: "neuron", item: item });
          return item;
        });
        previous = current;
      });
    }

    var neuronOffset = [];  // where each layer's neurons start among the hidden outputs
    if (network) {
      var seen = 0;
      network.layers.forEach(function (layer) { neuronOffset.push(seen); seen += layer.length; });
    }
    function drawTile(item, k) {
      var canvas = item.canvas, last = item.layer === network.layers.length - 1;
      if (twoInputs) {
        var nx, ny, image;
        if (last || !tiles) {  // the output neurons: their picture is the model's prediction
          nx = grid.axes[0].length; ny = grid.axes[1].length;
          image = new ImageData(nx, ny);
          var out = outputs.row(k), n = grid.outputCount, top = 0, p;
          for (p = 0; p < nx * ny; p++) { top = Math.max(top, Math.abs(out[p * n + item.index])); }
          for (p = 0; p < nx * ny; p++) { paint(image, p, top ? out[p * n + item.index] / top : 0); }
        } else {
          nx = tiles.shape[1]; ny = tiles.shape[0];
          image = new ImageData(nx, ny);
          var picture = tiles.values.row(k), h = neuronOffset[item.layer] + item.index, size = nx * ny;
          for (p = 0; p < size; p++) { paint(image, p, (picture[h * size + p] - 128) / 127); }
        }
        canvas.width = nx; canvas.height = ny;
        canvas.getContext("2d").putImageData(image, 0, 0);
      } else if (oneInput) {
        var series = curveOf(item, k), w = 48, hgt = 48, context;
        canvas.width = w; canvas.height = hgt; context = canvas.getContext("2d");
        var lo = Math.min(0, Math.min.apply(null, series)), hi = Math.max(0, Math.max.apply(null, series));
        var span = (hi - lo) || 1;
        context.fillStyle = "#fafafa"; context.fillRect(0, 0, w, hgt);
        context.strokeStyle = "#ccc"; context.beginPath();
        context.moveTo(0, hgt - 3 - (0 - lo) / span * (hgt - 6)); context.lineTo(w, hgt - 3 - (0 - lo) / span * (hgt - 6)); context.stroke();
        context.strokeStyle = css(BLUE); context.lineWidth = 2; context.beginPath();
        series.forEach(function (v, i) {
          var x = i / (series.length - 1) * w, y = hgt - 3 - (v - lo) / span * (hgt - 6);
          if (i) { context.lineTo(x, y); } else { context.moveTo(x, y); }
        });
        context.stroke();
      }
    }
    function curveOf(item, k) {
      var last = item.layer === network.layers.length - 1, series = [];
      if (last || !tiles) {
        var out = outputs.row(k), n = grid.outputCount;
        for (var p = 0; p < out.length / n; p += 2) { series.push(out[p * n + item.index]); }
        return series;
      }
      var picture = tiles.values.row(k), h = neuronOffset[item.layer] + item.index, size = tiles.shape[0];
      var scale = Math.max(Math.abs(tiles.low.row(k)[h]), Math.abs(tiles.high.row(k)[h]));
      for (var i = 0; i < size; i++) { series.push((picture[h * size + i] - 128) / 127 * scale); }
      return series;
    }
    function paint(image, p, t) {  // pixel p in grid order; t in [-1, 1]: blue above 0, orange below
      setPixel(image, p % image.width, Math.floor(p / image.width), mix(t > 0 ? BLUE : ORANGE, Math.min(1, Math.abs(t))));
    }
    function drawNetwork(k) {
      if (!network) { return; }
      var now = values.row(k);
      edges.forEach(function (edge) {
        var w = now[edge.index];
        edge.line.setAttribute("stroke", css(w >= 0 ? BLUE : ORANGE));
        edge.line.setAttribute("stroke-width", (0.3 + edge.widest * Math.abs(w) / (largestWeight || 1)).toFixed(2));
      });
      if (grid) { neurons.forEach(function (item) { drawTile(item, k); }); }
    }

    // hovering (or focusing) a neuron or an edge shows its numbers
    function hoverable(target, what) {
      function show(event) { hovered = { what: what, target: target }; describe(); placeTooltip(event); }
      function hide() { hovered = null; tooltip.hidden = true; markRows([]); }
      target.addEventListener("mouseenter", show);
      target.addEventListener("mousemove", placeTooltip);
      target.addEventListener("mouseleave", hide);
      target.addEventListener("focus", show);
      target.addEventListener("blur", hide);
    }
    function placeTooltip(event) {
      var box = networkBox.parentNode.getBoundingClientRect(), x, y;
      if (event && event.clientX !== undefined && event.type !== "focus") { x = event.clientX - box.left + 14; y = event.clientY - box.top + 14; }
      else { var r = hovered.target.getBoundingClientRect(); x = r.right - box.left + 8; y = r.top - box.top; }
      tooltip.hidden = false;
      x = Math.min(x, box.width - tooltip.offsetWidth - 4);
      if (y + tooltip.offsetHeight > box.height - 4) { y = Math.max(4, y - tooltip.offsetHeight - 24); }
      tooltip.style.left = Math.max(4, x) + "px"; tooltip.style.top = y + "px";
    }
    function pair(index) {
      return "value " + number(values.row(position)[index]) + ", gradient " + number(grads.row(position)[index]);
    }
    function describe() {
      if (!hovered) { return; }
      var what = hovered.what, text;
      if (what.kind === "input") {
        text = "x" + what.index + ": input " + what.index + " of each sample (given, not trained)";
        markRows([]);
      } else if (what.kind === "edge") {
        var edge = what.edge, source = edge.layer === 0 ? "x" + edge.from : "L" + edge.layer + ".N" + edge.from;
        text = params.labels[edge.index] + ": the weight from " + source + " to " + edge.neuron.name + "\n" + pair(edge.index);
        markRows([edge.index]);
      } else {
        var item = what.item, neuron = item.neuron;
        text = neuron.name + " (" + neuron.activation + ")\nbias " + params.labels[neuron.b] + ": " + pair(neuron.b);
        var last = item.layer === network.layers.length - 1;
        if (tiles && !last) {
          var h = neuronOffset[item.layer] + item.index;
          text += "\noutput over the " + (twoInputs ? "plane" : "line") + ": from " + number(tiles.low.row(position)[h]) +
                  " to " + number(tiles.high.row(position)[h]);
        }
        markRows(neuron.w.concat([neuron.b]));
      }
      tooltip.textContent = text;
    }

    // --- the parameter table --------------------------------------------------------
    var table = part("params"), columns = [["value", values], ["grad", grads]];
    var stateNames = { m: "m (Adam)", v: "v (Adam)", v_max: "v max (AMSGrad)", momentum_buffer: "momentum buffer" };
    Object.keys(state).forEach(function (name) { columns.push([stateNames[name] || name, state[name]]); });
    var head = table.tHead.insertRow();
    ["parameter"].concat(columns.map(function (c) { return c[0]; })).forEach(function (name) {
      var th = document.createElement("th"); th.textContent = name; th.scope = "col"; head.appendChild(th);
    });
    var rows = params.labels.map(function (label) {
      var row = table.tBodies[0].insertRow();
      row.insertCell().textContent = label;
      return { row: row, cells: columns.map(function () { return row.insertCell(); }) };
    });
    function markRows(indexes) {
      rows.forEach(function (r) { r.row.classList.remove("tg-hovered"); });
      indexes.forEach(function (i) { rows[i].row.classList.add("tg-hovered"); });
    }
    function drawTable(k) {
      var now = columns.map(function (c) { return c[1].row(k); });
      rows.forEach(function (r, i) {
        r.cells.forEach(function (cell, c) {
          var x = now[c][i];
          cell.textContent = number(x);
          cell.className = x > 0 ? "tg-pos" : x < 0 ? "tg-neg" : "";
        });
      });
      var note = "grad: d loss / d parameter here, the gradient the next step uses";
      if (k === count - 1) { note = "grad \u2014: the run ended here, no gradient was computed"; }
      if (state.m) { note += "; m and v: Adam's running means of the gradient and of its square, after t = " + data.adamSteps[k] + " steps"; }
      if (state.momentum_buffer) { note += "; momentum buffer: SGD's running sum of gradients (\u2014 before the first step)"; }
      part("params-note").textContent = note + ". Blue > 0, orange < 0.";
    }

    // --- the sample's computation graph -----------------------------------------------
    var graphPanel = part("graph-panel"), graph = data.graph, view = null;
    if (graph) {
      root.querySelector('[data-role="board"]').classList.add("tg-with-graph");
      var viewport = part("viewport"), svg = viewport.querySelector("svg");
      view = tracegrad.graphView(svg);
      tracegrad.panZoom(viewport, svg, { controls: graphPanel });
      var x = samples.X[graph.sample].map(number).join(", ");
      part("graph-title").textContent = "Computation graph of sample " + graph.sample + " (x = [" + x + "], y = " +
        number(samples.y[graph.sample]) + ")";
      part("graph-note").textContent = "This sample's own loss, each node's data, and grad = d (its loss) / d node; " +
        "the table's gradient is the mean of these over all samples. Drag to pan.";
    } else {
      graphPanel.hidden = true;
    }
    function drawGraph(k) {
      if (!view) { return; }
      var texts = graph.data[k], gradients = graph.grads[k];
      graph.ids.forEach(function (id, i) {
        view.setLine(id, "data", texts ? "data " + texts[i] : "data \u2014", "");
        view.setLine(id, "grad", gradients ? "grad " + gradients[i] : "grad \u2014", "");
      });
    }

    // --- the step shown ---------------------------------------------------------------
    part("description").textContent = data.description;
    if (!data.accuracy) { part("accuracy-part").hidden = true; }
    function show(k) {
      position = k;
      part("loss").textContent = number(data.loss[k]);
      if (data.accuracy) { part("accuracy").textContent = percent(data.accuracy[k]); }
      dataNote(k); drawData(k);  // the legend first: the plot takes the room it leaves
      if (marker.place) { marker.place(k); }
      drawNetwork(k); drawTable(k); drawGraph(k); describe();
    }
    // The data's legend keeps the height it has with the largest count, so its
    // lines break alike at every step and the plot above it keeps one size.
    function reserveLegend() {
      var note = part("data-note");
      note.style.minHeight = "";
      dataNote(position, mostMissed);
      note.style.minHeight = note.getBoundingClientRect().height + "px";
    }
    function layout() { reserveLegend(); layoutCurves(); layoutNetwork(); show(position); }
    var ready = false;  // the timeline shows step 0 before the panels are laid out
    tracegrad.timeline(root, {
      count: count,
      show: function (k) { position = k; if (ready) { show(k); } },
      counter: function (k) {
        var epoch = data.epochs[k];
        return "step " + data.steps[k] + " of " + data.steps[count - 1] +
               (epoch === null ? " (before training)" : " (epoch " + (epoch + 1) + ")");
      }
    });
    ready = true;
    layout();
    var resizing = null;
    window.addEventListener("resize", function () { clearTimeout(resizing); resizing = setTimeout(layout, 60); });
  }

  document.querySelectorAll('[data-tracegrad="player"]').forEach(player);
})();
