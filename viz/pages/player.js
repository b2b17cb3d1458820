/* player.js: the training player. For each root marked data-tracegrad="player"
   it reads the frames Python recorded (viz/recording.py, viz/player.py) and
   shows frame k, the model after k optimizer steps, in five panels, each drawn
   by a script of its own: the data with the model's decision boundary or its
   curve (dataplot.js), the loss and accuracy curves with a marker (curves.js),
   the network (networkview.js), the parameter table (paramtable.js), and one
   sample going through the network (networkview.js again, with its z, a and δ).
   This file holds the controls: the timeline, the numbers in the header, the
   sample chosen (click a point of the data), and the order panels are laid out in.
   The page draws the recorded numbers; the one thing it computes is the chosen
   sample's pass through the network at the step shown (samplepass.js), from
   that step's recorded parameters. A model other than an MLP shows one sample's
   computation graph instead, when it is small (samplegraph.js). */
(function () {
  "use strict";
  var tracegrad = window.tracegrad;
  var P = tracegrad.plotting;

  function player(root) {
    var data = JSON.parse(root.querySelector('[data-role="data"]').textContent);
    var digits = data.digits, count = data.steps.length;
    function part(role) { return root.querySelector('[data-role="' + role + '"]'); }
    var params = data.parameters, samples = data.samples, grid = data.grid || null;
    var values = P.unpack(params.values), grads = P.unpack(params.grads), state = {};
    Object.keys(params.state).forEach(function (name) { state[name] = P.unpack(params.state[name]); });
    var outputs = grid ? P.unpack(grid.outputs) : null;
    var tiles = data.tiles ? { values: P.unpack(data.tiles.values), low: P.unpack(data.tiles.low),
                               high: P.unpack(data.tiles.high), shape: data.tiles.shape } : null;
    var position = 0;

    var chosen = data.network && data.sample !== undefined ? data.sample : null;
    var dataPlot = tracegrad.dataPlot(part("data-figure"), {
      samples: samples, grid: grid, outputs: outputs, wrong: P.unpack(samples.wrong), count: count,
      note: part("data-note"), title: part("data-title"), chosen: chosen,
      chosenName: "the sample shown in the network below (click another)" });
    var curves = tracegrad.curves(part("curves"), {
      steps: data.steps, loss: data.loss, accuracy: data.accuracy, lossName: data.lossName,
      title: part("curves-title") });
    var table = tracegrad.paramTable(part("params"), {
      labels: params.labels, values: values, grads: grads, state: state, adamSteps: data.adamSteps,
      count: count, digits: digits, note: part("params-note") });
    var network = tracegrad.networkView(part("network"), {
      network: data.network || null, values: values, grads: grads, labels: params.labels, count: count,
      digits: digits, grid: grid, outputs: outputs, tiles: tiles, tooltip: part("tooltip"),
      note: part("network-note"), onMark: table.mark });
    var graph = null, sampleView = null, zoom = null;  // zoom: a neuron of the sample as its scalar graph
    if (chosen !== null) {
      part("board").classList.add("tg-with-graph");
      part("graph-panel").hidden = true;
      part("sample-panel").hidden = false;
      sampleView = sampleNetwork();
      dataPlot.canvas.addEventListener("click", function (event) {
        var index = dataPlot.sampleAt(event);
        if (index !== null) { choose(index); }
      });
    } else if (data.graph) {
      part("board").classList.add("tg-with-graph");
      graph = tracegrad.sampleGraph(part("graph-panel"), { graph: data.graph, samples: samples, digits: digits });
    } else {
      part("graph-panel").hidden = true;
    }

    // --- the step shown ---------------------------------------------------------------
    part("description").textContent = data.description;
    if (!data.accuracy) { part("accuracy-part").hidden = true; }
    function show(k) {
      position = k;
      part("loss").textContent = P.formatNumber(data.loss[k], digits);
      if (data.accuracy) { part("accuracy").textContent = P.percent(data.accuracy[k]); }
      dataPlot.show(k); curves.show(k); network.show(k); table.show(k);
      if (graph) { graph.show(k); }
      if (sampleView) { sampleView.show(k); describeSample(k); zoom.show(k); }
      if (surface && part("surface-figure") && !part("surface-figure").hidden) { surface.show(k); }
    }

    // --- the error surface, in the curves' panel at a click: the path grows as it plays ----
    var surface = null;
    if (data.surface) {
      var curvesFigure = part("curves"), surfaceFigure = document.createElement("div");
      surfaceFigure.className = "tg-figure"; surfaceFigure.hidden = true;
      surfaceFigure.setAttribute("data-role", "surface-figure");
      curvesFigure.parentNode.insertBefore(surfaceFigure, curvesFigure.nextSibling);
      var surfaceNote = document.createElement("p");
      surfaceNote.className = "tg-note"; surfaceNote.hidden = true;
      surfaceFigure.parentNode.insertBefore(surfaceNote, surfaceFigure.nextSibling);
      var flip = document.createElement("button");
      flip.type = "button"; flip.className = "tg-surface-switch"; flip.setAttribute("data-role", "surface-switch");
      flip.textContent = "Error surface";
      curvesFigure.parentNode.insertBefore(flip, curvesFigure);
      surface = tracegrad.surfacePlot(surfaceFigure, data.surface, surfaceNote);
      flip.addEventListener("click", function () {
        var on = surfaceFigure.hidden;
        surfaceFigure.hidden = surfaceNote.hidden = !on; curvesFigure.hidden = on;
        flip.textContent = on ? "Loss curves" : "Error surface";
        if (on) { surface.show(position); } else { curves.layout(); curves.show(position); }
      });
    }

    // --- one sample through the network: its z, a and δ at the step shown -------------
    var passed = { key: null, texts: null };
    function number(x) { return P.formatNumber(x, digits); }
    function sampleNumbers(k) {  // frame k's pass of the chosen sample, computed once per frame and sample
      var key = k + "/" + chosen;
      if (passed.key === key) { return passed.texts; }
      var pass = tracegrad.samplePass(data.network, values.row(k), samples.X[chosen], samples.y[chosen], data.lossName);
      passed.key = key;
      passed.texts = {
        neurons: pass.z.map(function (z, i) { return [number(z), number(pass.a[i]), pass.delta ? number(pass.delta[i]) : ""]; }),
        inputs: samples.X[chosen].map(number), loss: pass.loss === null ? "" : number(pass.loss),
        grads: pass.grads || new Float64Array(values.row(k).length).fill(NaN), pass: pass };
      return passed.texts;
    }
    function sampleNetwork() {
      zoom = tracegrad.neuronZoom(part("sample-panel"), {
        network: data.network, values: values, labels: params.labels, digits: digits, lossName: data.lossName,
        passAt: function (k) { return sampleNumbers(k).pass; },
        inputsAt: function () { return samples.X[chosen]; } });
      var network = Object.assign({}, data.network, {
        inputNames: data.network.layers[0][0].w.map(function (_, i) { return "x" + i; }), loss: "loss" });
      return tracegrad.networkView(part("sample-network"), {
        network: network, values: values, grads: grads, labels: params.labels, count: count, digits: digits,
        grid: null, outputs: null, tiles: null, numbersAt: sampleNumbers, tooltip: part("sample-tooltip"),
        note: part("sample-note"), onMark: table.mark,
        onSelect: function (order, neuron) {
          zoom.open(order, neuron, part("sample-network").querySelector('g.tg-neuron[data-name="' + CSS.escape(neuron.name) + '"]'));
        },
        blank: "loss: this sample's own " + data.lossName + " loss, and \u03b4 = \u2202loss/\u2202z, " +
               "\u2202loss/\u2202w for it alone (the table's gradient is their mean over the batch)." });
    }
    function describeSample(k) {
      var y = samples.y[chosen];
      part("sample-title").textContent = "Sample " + chosen + " through the network at step " + data.steps[k] +
        " (x = [" + samples.X[chosen].map(number).join(", ") + "], y = " +
        (Array.isArray(y) ? "[" + y.map(number).join(", ") + "]" : number(y)) + ")";
    }
    function choose(index) {
      chosen = index;
      dataPlot.choose(index);
      sampleView.show(position); describeSample(position); zoom.show(position);
    }
    // the data's legend first (the plot takes the room it leaves), then the figures that fill their boxes
    function layout() {
      dataPlot.layout(); curves.layout(); network.layout();
      // twice: the note the first layout writes under the sample's network takes room from it
      if (sampleView) { sampleView.layout(); sampleView.layout(); }
      show(position);
      askHeight();
    }
    // A frame in a notebook is asked to be as tall as the player needs (frame.js caps it): its
    // header, then panels in columns with the data plot about square, or, on a narrow screen,
    // every stacked panel. Read from the widths alone, so the frame's new height asks nothing new.
    function askHeight() {
      var board = part("board"), header = root.querySelector(".tg-header").offsetHeight;
      var style = getComputedStyle(board), px = function (text) { return parseFloat(text) || 0; };
      var needed;
      if (style.gridTemplateColumns.trim().split(/\s+/).length === 1) {  // stacked: its rows have fixed heights
        var rows = style.gridTemplateRows.trim().split(/\s+/).map(px);
        needed = rows.reduce(function (sum, row) { return sum + row; }, 0) + (rows.length - 1) * px(style.rowGap)
                 + px(style.paddingTop) + px(style.paddingBottom);
      } else {  // the board's rows share its height 1.45 : 1, so the data plot gains 1.45/2.45 of a change
        var figure = part("data-figure").getBoundingClientRect();
        needed = board.clientHeight + (figure.width - figure.height) * 2.45 / 1.45;
      }
      needed = Math.round(header + Math.max(needed, 360) + 2);
      if (asked === null || Math.abs(needed - asked) > 2) { asked = needed; tracegrad.tellFrameHeight(needed); }
    }
    var asked = null;
    var ready = false;  // the timeline shows step 0 before the panels are laid out
    tracegrad.timeline(root, {
      count: count,
      show: function (k) { position = k; if (ready) { show(k); } },
      counter: function (k) {
        var epoch = data.epochs[k];
        return "step " + data.steps[k] + " of " + data.steps[count - 1] +
               (epoch === null ? " (before training)" : " (epoch " + (epoch + 1) +
                (k === count - 1 ? ", after the last update" : "") + ")");
      }
    });
    ready = true;
    // laid out when first shown with a size and again at each new size (sized.js): a player
    // in a notebook's frame may start hidden or before its frame is sized
    tracegrad.onSized(part("board"), layout);
    root.tracegradPlayer = { dataPlot: dataPlot, surface: surface };  // for tests: the dots, the path drawn
  }

  document.querySelectorAll('[data-tracegrad="player"]').forEach(player);
})();
