/* player.js: the training player. For each root marked data-tracegrad="player"
   it reads the frames Python recorded (viz/recording.py, viz/player.py) and
   shows frame k, the model after k optimizer steps, in five panels, each drawn
   by a script of its own: the data with the model's decision boundary or its
   curve (dataplot.js), the loss and accuracy curves with a marker (curves.js),
   the network (networkview.js), the parameter table (paramtable.js), and for a
   small model one sample's graph (samplegraph.js). This file holds the controls:
   the timeline, the numbers in the header, and the order panels are laid out in.
   The page computes no number of the model: it draws the recorded ones. */
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

    var dataPlot = tracegrad.dataPlot(part("data-figure"), {
      samples: samples, grid: grid, outputs: outputs, wrong: P.unpack(samples.wrong), count: count,
      note: part("data-note"), title: part("data-title") });
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
    var graph = null;
    if (data.graph) {
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
    }
    // the data's legend first (the plot takes the room it leaves), then the figures that fill their boxes
    function layout() { dataPlot.layout(); curves.layout(); network.layout(); show(position); askHeight(); }
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
  }

  document.querySelectorAll('[data-tracegrad="player"]').forEach(player);
})();
