/* networkview.js: an MLP drawn as columns of neurons joined by its weights.
   tracegrad.networkView(box, options) draws an SVG filling the element box:
   the inputs left, each layer a column, the output right; each weight an edge
   (blue positive, orange negative, wider when larger); each neuron a small
   picture of what it outputs over the input plane (or along the input line).
   options: network ({inputs, layers: [[{name, activation, w: [indexes], b: index}]]},
   viz.player's _network; null: a note says only MLPs are drawn), values and
   grads (unpacked: the parameters at each frame), labels (each parameter's name),
   count (frames), digits, grid and outputs (as for tracegrad.dataPlot, or null),
   tiles (the hidden neurons' pictures, viz.player's _tiles, unpacked, or null),
   tooltip (an element for the numbers of what is hovered), note (an element for
   the explanation), onMark(indexes) (called with the parameters hovered, [] when
   none). Returns {layout(), show(k), mark(neurons, edges, kind)}: layout draws the
   network for the box's current size; show(k) colours it with frame k's weights
   and pictures (and numbers); mark outlines the named neurons and the edges
   [[neuron name, input index]] ("tg-forward" or "tg-backward"; [] clears).
   options.numbers (viz.network's page): each frame's texts of the neurons' z, a and
   δ = ∂C/∂z ({neurons: [frame][neuron in layer order][z, a, δ]}, inputs:
   [frame][input], loss: [frame]; "" where not known yet), with network.inputNames
   and network.loss (the cost's name, or null). Each neuron is then a box showing
   its numbers when there is room for them at 13 px (the edges then carry w and
   ∂C/∂w), else a small circle, its numbers on hover, focus or click.
   options.numbersAt(k) instead (the player's chosen sample, computed when shown): the
   same texts of frame k, {neurons, inputs, loss, grads}, grads (or null) being the
   ∂C/∂p the edges and the hovered numbers show in place of options.grads; options.blank:
   what the note says a blank number means (default: not computed yet).
   options.onSelect(order, neuron): called when a neuron is clicked (or Enter on it). */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var P = tracegrad.plotting;

  tracegrad.networkView = function (box, options) {
    var network = options.network, values = options.values, grads = options.grads, labels = options.labels;
    var grid = options.grid, outputs = options.outputs, tiles = options.tiles, count = options.count;
    var tooltip = options.tooltip || document.createElement("div"), note = options.note;
    var onMark = options.onMark || function () {};
    var twoInputs = grid && grid.axes.length === 2, oneInput = grid && grid.axes.length === 1;
    function number(x) { return P.formatNumber(x, options.digits); }
    var svg = P.svgElement("svg", { "class": "tg-network" }, box), edges = [], neurons = [];
    var hovered = null, position = 0, inputItems = [], lossItem = null;
    var table = options.numbers || null, numbers = options.numbersAt || (table && function (k) {
      return { neurons: table.neurons[k], inputs: table.inputs[k], loss: table.loss[k], grads: null };
    });
    function gradientsAt(k) { return (numbers && numbers(k).grads) || grads.row(k); }
    var marked = { neurons: [], edges: [], kind: "" };
    var largestWeight = 0;  // over every frame, so a weight's width means the same at every step
    if (network) {
      network.layers.forEach(function (layer) {
        layer.forEach(function (neuron) {
          neuron.w.forEach(function (index) {
            for (var k = 0; k < count; k++) { largestWeight = Math.max(largestWeight, Math.abs(values.row(k)[index])); }
          });
        });
      });
    }
    function setNote(text) { if (note) { note.textContent = text; } }

    function layout() {
      while (svg.firstChild) { svg.removeChild(svg.firstChild); }
      edges = []; neurons = [];
      if (!network) { setNote("Drawn for nn.MLP models."); return; }
      if (numbers) { layoutNumbers(); return; }
      var text = "Each weight is an edge: blue positive, orange negative, wider when larger. ";
      text += twoInputs ? "Each neuron shows its output over the input plane (the data's square), scaled to its own largest value; blue > 0, orange < 0, white 0."
        : oneInput ? "Each neuron shows its output along the input line." : "";
      setNote(text + " Hover for numbers.");
      var width = Math.max(50, box.clientWidth), height = Math.max(50, box.clientHeight);
      svg.setAttribute("width", width); svg.setAttribute("height", height);
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
      var edgeLayer = P.svgElement("g", {}, svg), nodeLayer = P.svgElement("g", {}, svg);
      columns.forEach(function (n, column) {
        var name = column === 0 ? "inputs" : column === columns.length - 1 ? "output" : "layer " + column;
        if (column === columns.length - 1 && n > 1) { name = "outputs"; }
        var t = P.svgElement("text", { x: 4 + column * stepX + tile / 2, y: 12, "text-anchor": "middle", "class": "tg-layer-name" }, svg);
        t.textContent = column === 0 || column === columns.length - 1 ? name : "L" + column + " (hidden)";
      });
      var inputs = [];
      for (var i = 0; i < network.inputs; i++) {
        var at = place(0, i), g = P.svgElement("g", { "class": "tg-neuron", tabindex: "0" }, nodeLayer);
        P.svgElement("circle", { cx: at.x + tile / 2, cy: at.y + tile / 2, r: Math.min(tile / 2, 16), "class": "tg-input" }, g);
        var label = P.svgElement("text", { x: at.x + tile / 2, y: at.y + tile / 2 + 4, "text-anchor": "middle" }, g);
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
            var hit = P.svgElement("line", Object.assign({ "class": "tg-hit" }, coords), edgeLayer);
            var line = P.svgElement("line", Object.assign({ "class": "tg-edge", "stroke-opacity": "0.8" }, coords), edgeLayer);
            // many edges into one layer: thinner lines, so the picture is not a solid block
            var widest = Math.max(1.5, Math.min(6, 36 / Math.sqrt(layer.length * neuron.w.length)));
            var edge = { line: line, index: index, neuron: neuron, from: from, layer: l, widest: widest };
            edges.push(edge);
            hoverable(hit, { kind: "edge", edge: edge });
          });
          var g = P.svgElement("g", { "class": "tg-neuron", tabindex: "0", "aria-label": neuron.name }, nodeLayer);
          var holder = P.svgElement("foreignObject", { x: at.x, y: at.y, width: tile, height: tile }, g);
          var canvas = document.createElement("canvas");
          canvas.style.width = tile + "px"; canvas.style.height = tile + "px"; canvas.style.display = "block";
          holder.appendChild(canvas);
          P.svgElement("rect", { x: at.x, y: at.y, width: tile, height: tile, "class": "tg-frame" }, g);
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
        context.strokeStyle = P.css(P.BLUE); context.lineWidth = 2; context.beginPath();
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
      P.setPixel(image, p % image.width, Math.floor(p / image.width), P.mix(t > 0 ? P.BLUE : P.ORANGE, Math.min(1, Math.abs(t))));
    }
    function show(k) {
      position = k;
      if (!network) { return; }
      var now = values.row(k);
      edges.forEach(function (edge) {
        var w = now[edge.index];
        edge.line.setAttribute("stroke", P.css(w >= 0 ? P.BLUE : P.ORANGE));
        edge.line.setAttribute("stroke-width", (0.3 + edge.widest * Math.abs(w) / (largestWeight || 1)).toFixed(2));
      });
      if (grid) { neurons.forEach(function (item) { drawTile(item, k); }); }
      if (numbers) { showNumbers(k); }
      describe();
    }

    // --- numbers mode: each neuron's z, a and δ, each weight's w and ∂C/∂w ------------
    var LINE = 15, shortNames = false;  // px between lines of 13 px text
    function layoutNumbers() {
      var width = Math.max(50, box.clientWidth), height = Math.max(50, box.clientHeight);
      svg.setAttribute("width", width); svg.setAttribute("height", height);
      var columns = [network.inputs].concat(network.layers.map(function (l) { return l.length; }));
      if (network.loss) { columns.push(1); }
      var most = Math.max.apply(null, columns), top = 22, bottom = 6;
      var columnWidth = width / columns.length, rowHeight = (height - top - bottom) / most;
      // room for a name and three numbers at 13 px; the labels on the edges need wide gaps
      // between columns too (a phone shows the boxes, and the weights on touch)
      var roomy = rowHeight >= 4 * LINE + 14 && columnWidth >= 96;
      // (two lines of 13 px per label; the labels of edges into one neuron, two thirds along
      // them, are a third of a row apart)
      var labelled = roomy && columnWidth >= 190 && rowHeight >= 3 * (2 * LINE + 4);
      var boxWidth = roomy ? Math.min(132, columnWidth * (labelled ? 0.5 : 0.8)) : 0;
      shortNames = boxWidth < 110;  // a narrow box names its neuron without the activation
      var boxHeight = roomy ? 4 * LINE + 10 : 0;
      var radius = roomy ? 0 : Math.max(4, Math.min(13, rowHeight * 0.38, columnWidth * 0.2));
      function centre(column, index) {
        var n = columns[column], space = Math.min(rowHeight * most / n, roomy ? boxHeight * 2.6 : radius * 6);
        return { x: columnWidth * (column + 0.5),
                 y: top + (height - top - bottom) / 2 + (index - (n - 1) / 2) * space };
      }
      function left(at) { return at.x - (roomy ? boxWidth / 2 : radius); }
      function right(at) { return at.x + (roomy ? boxWidth / 2 : radius); }
      var edgeLayer = P.svgElement("g", {}, svg), labelLayer = P.svgElement("g", {}, svg);
      var nodeLayer = P.svgElement("g", {}, svg);
      columns.forEach(function (n, column) {
        var name = column === 0 ? "inputs" : column <= network.layers.length ?
          "layer " + column + (column === network.layers.length ? " (output)" : "") : "cost";
        var t = P.svgElement("text", { x: columnWidth * (column + 0.5), y: 15, "text-anchor": "middle",
                                       "class": "tg-layer-name" }, svg);
        t.textContent = name;
      });
      function shape(g, at, kind) {
        if (roomy) {
          P.svgElement("rect", { x: at.x - boxWidth / 2, y: at.y - boxHeight / 2, width: boxWidth, height: boxHeight,
                                 rx: 6, "class": "tg-frame " + kind }, g);
        } else {
          P.svgElement("circle", { cx: at.x, cy: at.y, r: radius, "class": "tg-frame " + kind }, g);
        }
      }
      function lines(g, at, count) {  // the text lines of a box, for show() to fill
        var texts = [];
        if (!roomy) { return texts; }
        for (var i = 0; i < count; i++) {
          texts.push(P.svgElement("text", { x: at.x, y: at.y - boxHeight / 2 + 5 + LINE * (i + 0.8),
                                            "text-anchor": "middle", "class": i ? "tg-number" : "tg-name" }, g));
        }
        return texts;
      }
      inputItems = [];
      for (var i = 0; i < network.inputs; i++) {
        var at = centre(0, i), g = P.svgElement("g", { "class": "tg-neuron tg-input-node", tabindex: "0",
                                                        "data-name": network.inputNames[i] }, nodeLayer);
        shape(g, at, "tg-input");
        var texts = lines(g, at, 2);
        if (!roomy) {
          var small = P.svgElement("text", { x: at.x, y: at.y + 4, "text-anchor": "middle" }, g);
          small.textContent = network.inputNames[i];
        }
        inputItems.push({ at: at, g: g, texts: texts, index: i });
        hoverable(g, { kind: "input", index: i });
      }
      var previous = inputItems;
      network.layers.forEach(function (layer, l) {
        previous = layer.map(function (neuron, j) {
          var at = centre(l + 1, j);
          neuron.w.forEach(function (index, from) {
            var source = previous[from].at;
            var coords = { x1: right(source), y1: source.y, x2: left(at), y2: at.y };
            var hit = P.svgElement("line", Object.assign({ "class": "tg-hit", tabindex: "0" }, coords), edgeLayer);
            var line = P.svgElement("line", Object.assign({ "class": "tg-edge", "stroke-opacity": "0.85" }, coords), edgeLayer);
            var widest = Math.max(1.5, Math.min(7, 40 / Math.sqrt(layer.length * neuron.w.length)));
            var edge = { line: line, hit: hit, index: index, neuron: neuron, from: from, layer: l, widest: widest,
                         texts: [] };
            if (labelled) {  // w and ∂C/∂w, on the edge where the edges into one neuron are far apart
              var t = 0.66, x = coords.x1 + (coords.x2 - coords.x1) * t, y = coords.y1 + (coords.y2 - coords.y1) * t;
              var label = P.svgElement("g", { "class": "tg-edge-text" }, labelLayer);
              edge.back = P.svgElement("rect", { x: x - 52, y: y - LINE, width: 104, height: 2 * LINE + 2, rx: 3 }, label);
              edge.texts = [0, 1].map(function (row) {
                return P.svgElement("text", { x: x, y: y - 3 + LINE * row, "text-anchor": "middle" }, label);
              });
            }
            edges.push(edge);
            hoverable(hit, { kind: "edge", edge: edge });
          });
          var g = P.svgElement("g", { "class": "tg-neuron", tabindex: "0", "aria-label": neuron.name,
                                      "data-name": neuron.name }, nodeLayer);
          shape(g, at, "tg-unit");
          var item = { at: at, g: g, neuron: neuron, layer: l, index: j, texts: lines(g, at, 4), order: neurons.length };
          neurons.push(item);
          hoverable(g, { kind: "neuron", item: item });
          return item;
        });
      });
      lossItem = null;
      if (network.loss) {
        var at = centre(columns.length - 1, 0);
        previous.forEach(function (item) {
          P.svgElement("line", { x1: right(item.at), y1: item.at.y, x2: left(at), y2: at.y, "class": "tg-to-loss" }, edgeLayer);
        });
        var g = P.svgElement("g", { "class": "tg-neuron tg-loss-node", tabindex: "0", "data-name": network.loss }, nodeLayer);
        shape(g, at, "tg-loss");
        lossItem = { at: at, g: g, texts: lines(g, at, 2) };
        if (!roomy) {  // the cost's name above its circle: a name like "hinge" is wider than it
          var small = P.svgElement("text", { x: at.x, y: at.y - radius - 5, "text-anchor": "middle" }, g);
          small.textContent = network.loss;
        }
        hoverable(g, { kind: "loss" });
      }
      var cost = network.loss || "C";
      setNote("Edges: weights, blue > 0, orange < 0, wider when larger. Neurons: z = w\u00b7a + b, a, " +
              "\u03b4 = \u2202" + cost + "/\u2202z" + (labelled ? "; edges: w, \u2202" + cost + "/\u2202w. "
                     : ". Hover, focus or click one for its numbers. ") + (options.blank !== undefined ? options.blank : "Blank: not computed yet."));
      applyMarks();
    }
    function put(text, value) { text.textContent = value; }
    function showNumbers(k) {
      var cost = network.loss || "C", known = numbers(k), frameNeurons = known.neurons, now = values.row(k);
      var slopes = known.grads || grads.row(k);
      inputItems.forEach(function (item) {
        if (!item.texts.length) { return; }
        put(item.texts[0], network.inputNames[item.index]);
        put(item.texts[1], known.inputs[item.index] === "" ? "" : "= " + known.inputs[item.index]);
      });
      neurons.forEach(function (item) {
        var texts = frameNeurons[item.order];
        item.g.classList.toggle("tg-off", item.neuron.activation === "relu" && texts[1] === "0");
        if (!item.texts.length) { return; }
        put(item.texts[0], item.neuron.name + (item.neuron.activation === "linear" || shortNames ? "" :
                                               " \u00b7 " + item.neuron.activation));
        put(item.texts[1], texts[0] === "" ? "z" : "z " + texts[0]);
        put(item.texts[2], texts[1] === "" ? "a" : "a " + texts[1]);
        put(item.texts[3], texts[2] === "" ? "\u03b4" : "\u03b4 " + texts[2]);
      });
      if (lossItem && lossItem.texts.length) {
        put(lossItem.texts[0], cost);
        put(lossItem.texts[1], known.loss === "" ? "" : "= " + known.loss);
      }
      edges.forEach(function (edge) {
        if (!edge.texts.length) { return; }
        put(edge.texts[0], "w " + number(now[edge.index]));
        put(edge.texts[1], isNaN(slopes[edge.index]) ? "" : "\u2202" + cost + "/\u2202w " + number(slopes[edge.index]));
        // the white under the label as wide as its longer line, so the edge shows on either side
        var wide = Math.max(edge.texts[0].getComputedTextLength(), edge.texts[1].getComputedTextLength()) + 8;
        var middle = Number(edge.texts[0].getAttribute("x"));
        edge.back.setAttribute("x", middle - wide / 2);
        edge.back.setAttribute("width", wide);
        edge.back.setAttribute("height", isNaN(slopes[edge.index]) ? LINE + 2 : 2 * LINE + 2);
      });
    }
    function mark(names, marks, kind) {
      marked = { neurons: names || [], edges: marks || [], kind: kind || "" };
      applyMarks();
    }
    function applyMarks() {
      neurons.forEach(function (item) {
        item.g.classList.toggle("tg-current", marked.neurons.indexOf(item.neuron.name) >= 0);
      });
      var wanted = {};
      marked.edges.forEach(function (pair) { wanted[pair[0] + "/" + pair[1]] = true; });
      edges.forEach(function (edge) {
        var on = wanted[edge.neuron.name + "/" + edge.from] === true;
        edge.line.classList.toggle("tg-forward", on && marked.kind !== "backward");
        edge.line.classList.toggle("tg-backward", on && marked.kind === "backward");
      });
    }

    // hovering (or focusing) a neuron or an edge shows its numbers
    function hoverable(target, what) {
      function enter(event) { hovered = { what: what, target: target }; describe(); placeTooltip(event); }
      function leave() { hovered = null; tooltip.hidden = true; onMark([]); }
      target.addEventListener("mouseenter", enter);
      target.addEventListener("mousemove", placeTooltip);
      target.addEventListener("mouseleave", leave);
      target.addEventListener("focus", enter);
      target.addEventListener("blur", leave);
      if (what.kind === "neuron" && options.onSelect) {  // semantic zoom: the neuron's own scalar graph
        target.addEventListener("click", function () { options.onSelect(what.item.order, what.item.neuron); });
        target.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            options.onSelect(what.item.order, what.item.neuron); event.preventDefault(); event.stopPropagation();
          }
        });
      }
    }
    function placeTooltip(event) {
      var room = box.parentNode.getBoundingClientRect(), x, y;
      if (event && event.clientX !== undefined && event.type !== "focus") { x = event.clientX - room.left + 14; y = event.clientY - room.top + 14; }
      else { var r = hovered.target.getBoundingClientRect(); x = r.right - room.left + 8; y = r.top - room.top; }
      tooltip.hidden = false;
      x = Math.min(x, room.width - tooltip.offsetWidth - 4);
      if (y + tooltip.offsetHeight > room.height - 4) { y = Math.max(4, y - tooltip.offsetHeight - 24); }
      tooltip.style.left = Math.max(4, x) + "px"; tooltip.style.top = y + "px";
    }
    function pair(index) {
      return "value " + number(values.row(position)[index]) + ", gradient " + number(gradientsAt(position)[index]);
    }
    function describe() {
      if (!hovered) { return; }
      var what = hovered.what, text;
      if (what.kind === "loss") {
        text = network.loss + " = " + (numbers(position).loss || "? (not computed yet)") + ": the cost";
        onMark([]);
      } else if (what.kind === "input" && numbers) {
        var given = numbers(position).inputs[what.index];
        text = network.inputNames[what.index] + (given === "" ? "" : " = " + given) + ": input " + what.index + " (given, not trained)";
        onMark([]);
      } else if (what.kind === "input") {
        text = "x" + what.index + ": input " + what.index + " of each sample (given, not trained)";
        onMark([]);
      } else if (what.kind === "edge") {
        var edge = what.edge, source = edge.layer === 0 ? "x" + edge.from : "L" + edge.layer + ".N" + edge.from;
        text = labels[edge.index] + ": the weight from " + source + " to " + edge.neuron.name + "\n" + pair(edge.index);
        onMark([edge.index]);
      } else {
        var item = what.item, neuron = item.neuron;
        text = neuron.name + " (" + neuron.activation + ")\nbias " + labels[neuron.b] + ": " + pair(neuron.b);
        if (numbers) {
          var known = numbers(position).neurons[item.order];
          text += "\nz = w\u00b7a + b = " + (known[0] || "?") + "\na = " + neuron.activation + "(z) = " + (known[1] || "?") +
                  "\n\u03b4 = \u2202" + (network.loss || "C") + "/\u2202z = " + (known[2] || "? (not computed yet)");
        }
        var last = item.layer === network.layers.length - 1;
        if (tiles && !last) {
          var h = neuronOffset[item.layer] + item.index;
          text += "\noutput over the " + (twoInputs ? "plane" : "line") + ": from " + number(tiles.low.row(position)[h]) +
                  " to " + number(tiles.high.row(position)[h]);
        }
        onMark(neuron.w.concat([neuron.b]));
      }
      tooltip.textContent = text;
    }

    return { layout: layout, show: show, mark: mark };
  };
})();
