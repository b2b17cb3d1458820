/* network.js: the network view's page (viz.network). For each root marked
   data-tracegrad="network" it reads what Python recorded (viz/network.py): the
   network's structure and, for each step of its forward and backward pass, the
   numbers known by then; tracegrad.networkView (networkview.js, shared with the
   player) draws them, and this file wires the steps to it. The page opens at
   the last step (everything known) or the first (the stepper), as data.start
   says; with "predict first" on, each step's new numbers wait for the learner's
   guesses (quiz.js). It computes no number: each is the engine's. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad;
  var P = tracegrad.plotting;

  function page(root) {
    var data = JSON.parse(root.querySelector('[data-role="data"]').textContent);
    function part(role) { return root.querySelector('[data-role="' + role + '"]'); }
    var steps = data.steps, position = 0, ready = false;
    var view = tracegrad.networkView(part("network"), {
      network: data.network, values: P.unpack(data.values), grads: P.unpack(data.grads), labels: data.labels,
      count: steps.length, digits: data.digits, grid: null, outputs: null, tiles: null,
      numbers: data.numbers, tooltip: part("tooltip"), note: part("network-note"),
      onSelect: data.zoom ? zoomInto : null });

    // semantic zoom: the clicked neuron's scalar graph (viz.draw of its nodes), showing
    // what the step shown knows: data once computed, grad once the backward pass got there
    var zoomed = null, panel = part("zoom");
    function zoomInto(order, neuron) {
      var about = data.zoom[order];
      part("zoom-graph").innerHTML = about.svg;  // drawn by Graphviz from viz.draw: no user markup
      part("zoom-title").textContent = neuron.name + ": its own scalar graph (click another neuron, or \u00d7)";
      panel.hidden = false;
      part("tooltip").hidden = true;
      // on the side of the window away from the neuron clicked, so it stays in sight
      var clicked = root.querySelector('.tg-neuron[data-name="' + neuron.name + '"]').getBoundingClientRect();
      var onRight = clicked.left + clicked.width / 2 < part("viewport").getBoundingClientRect().width / 2;
      panel.style.left = onRight ? "auto" : "0.75rem";
      panel.style.right = onRight ? "0.75rem" : "auto";
      zoomed = { order: order, neuron: neuron, about: about,
                 view: tracegrad.graphView(part("zoom-graph").querySelector("svg")) };
      showZoom(position);
    }
    function showZoom(k) {
      if (!zoomed) { return; }
      var texts = data.numbers.neurons[k][zoomed.order], grads = P.unpack(data.grads).row(k);
      var known = { z: texts[0] !== "", a: texts[1] !== "", delta: texts[2] !== "" };
      Object.keys(zoomed.about.known).forEach(function (id) {
        var kind = zoomed.about.known[id], line = zoomed.view.lines[id] || {}, hasData, hasGrad;
        if (kind === "z" || kind === "a") { hasData = known[kind]; hasGrad = known.delta; }
        else if (kind.charAt(0) === "x") { hasData = known.z; hasGrad = known.delta; }
        else {
          var index = kind === "b" ? zoomed.neuron.b : zoomed.neuron.w[Number(kind.slice(1))];
          hasData = true; hasGrad = !isNaN(grads[index]);
        }
        if (line.data) { zoomed.view.setLine(id, "data", hasData ? line.data.drawn : "data ?", hasData ? "" : "tg-pending"); }
        if (line.grad) { zoomed.view.setLine(id, "grad", hasGrad ? line.grad.drawn : "grad \u2014", hasGrad ? "" : "tg-pending"); }
      });
      var lines = known.z ? zoomed.about.forward.slice(0, known.a ? undefined : 1) : ["Not computed yet at this step."];
      lines = lines.concat([""], known.delta ? zoomed.about.backward : ["The backward pass has not reached this neuron yet."]);
      part("zoom-text").textContent = lines.join("\n");
    }
    part("close-zoom").addEventListener("click", function () { panel.hidden = true; zoomed = null; });
    function draw(k) {
      var step = steps[k];
      part("step-title").textContent = step.title;
      part("step-text").textContent = step.text;
      part("step-text").scrollTop = 0;
      view.show(k);
      view.mark(step.current, step.edges, step.phase);
      showZoom(k);
    }
    // --- predict, then reveal (quiz.js) ------------------------------------------------
    var values = P.unpack(data.values), gradients = P.unpack(data.grads);
    var names = [];
    data.network.layers.forEach(function (layer) { layer.forEach(function (n) { names.push(n.name); }); });
    function newNumbers(k) {  // what step k shows that step k − 1 did not
      var items = [], before = data.numbers, cost = data.network.loss || "C";
      before.inputs[k].forEach(function (text, i) {
        if (text !== "" && before.inputs[k - 1][i] === "") { items.push([data.network.inputNames[i], text]); }
      });
      names.forEach(function (name, i) {
        ["z", "a", "\u03b4"].forEach(function (field, f) {
          var now = before.neurons[k][i][f];
          if (now !== "" && before.neurons[k - 1][i][f] === "") {
            items.push([f === 2 ? "\u03b4(" + name + ")" : name + "." + field, now]);
          }
        });
      });
      if (before.loss[k] !== "" && before.loss[k - 1] === "") { items.push([cost, before.loss[k]]); }
      var g1 = gradients.row(k), g0 = gradients.row(k - 1), v1 = values.row(k), v0 = values.row(k - 1);
      for (var j = 0; j < g1.length; j++) {
        if (!isNaN(g1[j]) && isNaN(g0[j])) { items.push(["\u2202" + cost + "/\u2202" + data.labels[j], P.formatNumber(g1[j], data.digits)]); }
        if (v1[j] !== v0[j]) { items.push([data.labels[j] + " (updated)", P.formatNumber(v1[j], data.digits)]); }
      }
      return items;
    }
    function showAsked(k) {  // the step before, with step k's rule and its neurons marked
      var step = steps[k];
      view.show(k - 1);
      view.mark(step.current, step.edges, step.phase);
      showZoom(k - 1);
      part("step-title").textContent = step.title;
      part("step-text").textContent = "Predict, then reveal: the new numbers of this step wait for your guesses " +
        "(in the box over the network), or press Reveal.";
    }
    var quiz = tracegrad.predictFirst({ bar: root.querySelector(".tg-bar"), before: part("switch-view"),
                                        box: part("viewport"), newNumbers: newNumbers, showAsked: showAsked,
                                        show: draw });
    function show(k) {
      position = k;
      if (ready) { quiz.show(k); }
    }

    var timeline = tracegrad.timeline(root, { count: steps.length, show: show });
    ready = true;
    function layout() { view.layout(); quiz.redraw(); }
    layout();
    if (data.start === "end") { timeline.go(steps.length - 1); }
    P.onResize(layout);
    // for switch.js: a view shown after being hidden is laid out again for its size
    root.tracegradStep = { go: function (k) { layout(); timeline.go(k); }, position: timeline.position,
                           links: data.links || null };
  }

  document.querySelectorAll('[data-tracegrad="network"]').forEach(page);
})();
