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
    function layout() { dataPlot.layout(); curves.layout(); network.layout(); show(position); }
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
