/* live.js: the training player's panels, redrawn from each frame a live run sends.
   tracegrad.live(container, markup, send) fills container with markup
   (live-app.html around the player's board.html) and returns {setup(data), frame(data), layout()}: Python
   (viz/live.py) sends a setup when the data, the network or the sample shown
   change, and a frame, the model as it is now in the player's format for one
   frame, after every tick of training. The panels are the player's own
   (dataplot.js, curves.js, networkview.js, paramtable.js, samplegraph.js),
   each given one frame whose numbers are replaced as frames arrive. The
   controls and the clicks on the data plane call send(message) with an
   action ({action: "play"}, {action: "add", x: [x0, x1], label: 1}, ...);
   the page changes nothing itself: it waits for the next frame. How the
   messages travel is the caller's: a notebook widget (widget.js) or the
   local server of `tracegrad train --live` (live-page.js). */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var P = tracegrad.plotting;

  tracegrad.live = function (container, markup, send) {
    var setupData = null, frameData = null, panels = null, root = null;
    // Frame 0 of every panel is "now": these hold the newest frame's numbers.
    var now = { values: null, grads: null, outputs: null, wrong: null, state: {}, tileShape: null };
    function current(name) { return { row: function () { return now[name]; } }; }

    function part(role) { return root.querySelector('[data-role="' + role + '"]'); }

    function build() {
      container.innerHTML = markup;
      root = container.firstElementChild;
      var data = setupData, digits = data.digits, samples = data.samples, grid = data.grid || null;
      var state = {};
      Object.keys(now.state).forEach(function (name) { state[name] = current("state:" + name); });
      panels = { stateNames: Object.keys(now.state).join(","), adamSteps: [frameData.adamSteps] };
      panels.data = tracegrad.dataPlot(part("data-figure"), {
        samples: samples, grid: grid, outputs: current("outputs"), wrong: now.wrong ? current("wrong") : null,
        count: 1, note: part("data-note"), title: part("data-title"),
        chosen: data.graph ? data.graph.sample : null, chosenName: "the sample whose graph is drawn" });
      panels.table = tracegrad.paramTable(part("params"), {
        labels: data.parameters.labels, values: current("values"), grads: current("grads"), state: state,
        adamSteps: panels.adamSteps, count: 1, digits: digits, note: part("params-note"),
        gradNote: "grad: d loss / d parameter, the gradient the last step used (as each parameter's .grad holds it)" });
      panels.network = makeNetwork();
      part("graph-panel").hidden = !data.graph;
      if (data.graph) {
        part("board").classList.add("tg-with-graph");
        part("viewport").innerHTML = data.graph.svg;  // Graphviz's drawing, made by viz.draw
        panels.graphTexts = { sample: data.graph.sample, ids: data.graph.ids, data: [null], grads: [null] };
        panels.graph = tracegrad.sampleGraph(part("graph-panel"), { graph: panels.graphTexts, samples: samples,
                                                                     digits: digits });
      }
      controls(data);
      layout();
    }

    // The network's edge widths are scaled to the largest weight when it is drawn: drawn
    // again when the weights have grown (or shrunk) well past that, so widths keep meaning.
    function largestWeight() {
      var largest = 0;
      (setupData.network ? setupData.network.layers : []).forEach(function (layer) {
        layer.forEach(function (neuron) {
          neuron.w.forEach(function (i) { largest = Math.max(largest, Math.abs(now.values[i])); });
        });
      });
      return largest;
    }
    function makeNetwork() {
      var box = part("network");
      while (box.firstChild) { box.removeChild(box.firstChild); }
      var data = setupData;
      var view = tracegrad.networkView(box, {
        network: data.network || null, values: current("values"), grads: current("grads"),
        labels: data.parameters.labels, count: 1, digits: data.digits, grid: data.grid || null,
        outputs: current("outputs"), tiles: now.tileShape ? { values: current("tileValues"), low: current("tilesLow"),
                                                              high: current("tilesHigh"), shape: now.tileShape } : null,
        tooltip: part("tooltip"), note: part("network-note"),
        onMark: function (indexes) { if (panels && panels.table) { panels.table.mark(indexes); } } });
      view.scale = largestWeight();
      return view;
    }

    function drawCurves() {
      var box = part("curves"), curve = frameData.curve;
      while (box.firstChild) { box.removeChild(box.firstChild); }
      panels.curves = tracegrad.curves(box, { steps: curve.steps, loss: curve.loss, accuracy: curve.accuracy,
                                              lossName: setupData.lossName, title: part("curves-title") });
      panels.curves.layout();
      panels.curves.show(curve.steps.length - 1);
    }

    function layout() {
      if (!panels) { return; }
      panels.data.layout();
      panels.network.layout();
      show();
    }

    function show() {
      var frame = frameData;
      part("counter").textContent = "step " + frame.step + (frame.playing ? " (training)" : " (paused)");
      part("loss").textContent = P.formatNumber(frame.loss, setupData.digits);
      part("accuracy-part").hidden = frame.accuracy === null;
      if (frame.accuracy !== null) { part("accuracy").textContent = P.percent(frame.accuracy); }
      part("description").textContent = frame.description + "; " + frame.sampleCount + " samples";
      var play = part("play");
      play.textContent = frame.playing ? "Pause" : "Play";
      play.setAttribute("aria-label", play.textContent);
      var lr = part("lr");
      if (lr !== root.ownerDocument.activeElement && (!root.getRootNode().activeElement ||
                                                     root.getRootNode().activeElement !== lr)) {
        lr.value = String(frame.learningRate);
      }
      part("optimizer").value = frame.optimizer;
      part("speed").value = String(frame.speed);
      var lines = frame.events.map(function (e) { return "step " + e.step + ": " + e.text; });
      if (frame.news) { lines.push(frame.news); }
      part("news").textContent = lines.slice(-3).join(" \u00b7 ");
      part("news").classList.toggle("tg-alarm", Boolean(frame.diverged || frame.news));
      panels.data.show(0);
      drawCurves();
      if (setupData.network && Math.abs(largestWeight() - panels.network.scale) > 0.25 * panels.network.scale) {
        panels.network = makeNetwork();
        panels.network.layout();
      }
      panels.network.show(0);
      panels.adamSteps[0] = frame.adamSteps;
      panels.table.show(0, frame.playing);  // while playing, the rows in view only: the rest as they scroll in
      if (panels.graph) {
        panels.graphTexts.data[0] = frame.graph ? frame.graph.data : null;
        panels.graphTexts.grads[0] = frame.graph ? frame.graph.grads : null;
        panels.graph.show(0);
      }
    }

    function controls(data) {
      var optimizer = part("optimizer");
      data.optimizers.forEach(function (name) {
        var option = document.createElement("option");
        option.value = name; option.textContent = name;
        optimizer.appendChild(option);
      });
      var classes = data.samples.classes, chooser = part("class");
      var clickable = !data.viewOnly && !data.script && Boolean(data.grid);
      // the board is the player's (board.html): the class chooser and the clickable plane are the live page's
      if (clickable && classes && data.grid.axes.length === 2) {
        classes.forEach(function (label, i) {
          var option = document.createElement("option");
          option.value = String(label); option.textContent = data.samples.names[i];
          chooser.appendChild(option);
        });
        part("class-part").hidden = false;
      }
      if (clickable) {
        part("data-figure").classList.add("tg-clickable");
        part("data-figure").title = "Click: add a point of the chosen class, or choose the nearest sample's " +
          "graph. Shift-click: remove the nearest point.";
      }
      if (data.script) {  // a script trains (tracegrad train --live): it can be paused, not changed
        ["reset", "speed", "optimizer"].forEach(function (role) { part(role).disabled = true; });
      }
      if (data.viewOnly) {
        ["play", "step", "reset", "speed", "lr", "optimizer"].forEach(function (role) { part(role).disabled = true; });
      }
      part("play").addEventListener("click", function () {
        send({ action: frameData.playing ? "pause" : "play" });
      });
      part("step").addEventListener("click", function () { send({ action: "step" }); });
      part("reset").addEventListener("click", function () { send({ action: "reset" }); });
      part("speed").addEventListener("change", function (event) { send({ action: "speed", value: event.target.value }); });
      part("optimizer").addEventListener("change", function (event) {
        send({ action: "optimizer", value: event.target.value });
      });
      part("lr").addEventListener("change", function (event) {
        var value = Number(event.target.value);
        if (value > 0 && isFinite(value)) { send({ action: "lr", value: value }); }
      });
      // Click: on a sample, show its graph (small models); elsewhere, add a point.
      // Shift-click: remove the sample nearest to the click.
      if (clickable) {
        part("data-figure").addEventListener("click", function (event) {
          var at = panels.data.pointAt(event);
          if (!at) { return; }
          if (event.shiftKey) { send({ action: "remove", x: at }); return; }
          if (data.graph && nearASample(event, at)) { send({ action: "sample", x: at }); return; }
          var label = data.grid.axes.length === 2 ? Number(chooser.value) : at[1];
          send({ action: "add", x: data.grid.axes.length === 2 ? at : [at[0]], label: label });
        });
      }
    }
    // within 8 px of a sample's dot (measured by the plot's own scale at the click)
    function nearASample(event, at) {
      var aside = panels.data.pointAt({ clientX: event.clientX + 8, clientY: event.clientY });
      if (!aside) { return false; }
      var reach = Math.abs(aside[0] - at[0]), X = setupData.samples.X;
      return X.some(function (x) { return Math.hypot(x[0] - at[0], (x[1] || 0) - (at[1] || 0)) <= reach; });
    }

    function unpackFrame(frame) {
      var params = frame.parameters;
      now.values = P.unpack(params.values).row(0);
      now.grads = P.unpack(params.grads).row(0);
      now.state = {};
      Object.keys(params.state).forEach(function (name) {
        now.state[name] = true;
        now["state:" + name] = P.unpack(params.state[name]).row(0);
      });
      now.outputs = frame.outputs ? P.unpack(frame.outputs).row(0) : null;
      now.wrong = frame.wrong ? new Uint8Array(frame.wrong) : null;
      now.tileShape = frame.tiles ? frame.tiles.shape : null;
      if (frame.tiles) {
        now.tileValues = P.unpack(frame.tiles.values).row(0);
        now.tilesLow = P.unpack(frame.tiles.low).row(0);
        now.tilesHigh = P.unpack(frame.tiles.high).row(0);
      }
    }

    if (window.ResizeObserver) {  // a notebook's output changes width without a window resize
      var waiting = null;
      new ResizeObserver(function () { clearTimeout(waiting); waiting = setTimeout(layout, 60); }).observe(container);
    }

    return {
      setup: function (data) {
        setupData = data;
        if (frameData) { build(); }
      },
      frame: function (data) {
        frameData = data;
        unpackFrame(data);
        var stateNames = Object.keys(now.state).join(",");
        if (!panels || panels.stateNames !== stateNames) { if (setupData) { build(); } return; }
        show();
      },
      layout: layout
    };
  };
})();
