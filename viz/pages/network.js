/* network.js: the network view's page (viz.network). For each root marked
   data-tracegrad="network" it reads what Python recorded (viz/network.py): the
   network's structure and, for each step of its forward and backward pass, the
   numbers known by then; tracegrad.networkView (networkview.js, shared with the
   player) draws them, and this file wires the steps to it. The page opens at
   the last step (everything known) or the first (the stepper), as data.start
   says. It computes no number: each is the engine's. */
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
      numbers: data.numbers, tooltip: part("tooltip"), note: part("network-note") });
    function show(k) {
      position = k;
      if (!ready) { return; }
      var step = steps[k];
      part("step-title").textContent = step.title;
      part("step-text").textContent = step.text;
      part("step-text").scrollTop = 0;
      view.show(k);
      view.mark(step.current, step.edges, step.phase);
    }
    var timeline = tracegrad.timeline(root, { count: steps.length, show: show });
    ready = true;
    function layout() { view.layout(); show(position); }
    layout();
    if (data.start === "end") { timeline.go(steps.length - 1); }
    P.onResize(layout);
    // for switch.js: a view shown after being hidden is laid out again for its size
    root.tracegradStep = { go: function (k) { layout(); timeline.go(k); }, position: timeline.position,
                           links: data.links || null };
  }

  document.querySelectorAll('[data-tracegrad="network"]').forEach(page);
})();
