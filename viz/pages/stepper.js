/* stepper.js: the trace stepper. For each root marked data-tracegrad="stepper"
   it reads the steps Python recorded (viz/stepper.py) and shows step k as the
   state after steps 0..k: the values known so far, the gradients sent so far,
   an off ReLU once its forward step is reached, and what it blocks once the
   backward pass has sent it 0. The page computes nothing: every number is
   the trace's. Click (or Enter on) a node for its whole gradient. With "predict
   first" on, each step's new numbers wait for the learner's guesses (quiz.js). */
(function () {
  "use strict";
  var tracegrad = window.tracegrad;

  function stepper(root) {
    var data = JSON.parse(root.querySelector('[data-role="data"]').textContent);
    var steps = data.steps;
    var viewport = root.querySelector('[data-role="viewport"]');
    var svg = viewport.querySelector("svg");
    var view = tracegrad.graphView(svg);
    // the error surface with the step taken, over the graph at the last steps (surfaceplot.js)
    var surface = data.surface ? tracegrad.surfaceBox(viewport, data.surface) : null;
    var timeline = null;
    // laid out when first shown with a size and at each new size: the step is drawn
    // again (its labels and the view need the page's measures), and a frame in a
    // notebook is asked to be as tall as the header and the drawing need
    var zoom = tracegrad.panZoom(viewport, svg, { controls: root, onLayout: function () {
      if (timeline) { quiz.redraw(); askHeight(); }  // (not yet made at the first layout)
    } });
    function askHeight() {
      if (root.hidden) { return; }  // the page shows its network view: nothing of this one to measure
      tracegrad.tellFrameHeight(root.querySelector(".tg-header").offsetHeight + zoom.size().height + 40);
    }
    var title = root.querySelector('[data-role="step-title"]');
    var text = root.querySelector('[data-role="step-text"]');
    // the leaves' values are given, not computed: known from the first step
    var given = {};
    (data.given || []).forEach(function (id) { given[id] = true; });
    var classes = ["tg-current", "tg-input", "tg-flow", "tg-back", "tg-off", "tg-gated"];

    function show(position) {
      var step = steps[position], known = {}, grads = {}, off = [], gated = [], values = {};
      for (var i = 0; i <= position; i++) {
        if (steps[i].reset) { grads = {}; off = []; gated = []; }  // a new forward pass after an update
        (steps[i].data || []).forEach(function (id) { known[id] = true; });
        var changedTo = steps[i].values || {};
        Object.keys(changedTo).forEach(function (id) { values[id] = changedTo[id]; });
        var sent = steps[i].grads || {};
        Object.keys(sent).forEach(function (id) { grads[id] = sent[id]; });
        Array.prototype.push.apply(off, steps[i].off || []);
        Array.prototype.push.apply(gated, steps[i].gated || []);
      }
      var done = step.phase !== "forward";
      Object.keys(view.lines).forEach(function (id) {
        var line = view.lines[id];
        if (line.data) {
          if (values[id] !== undefined) {  // a parameter updated, a value of the next forward pass
            view.setLine(id, "data", "data " + values[id], (step.values || {})[id] !== undefined ? "tg-changed" : "");
          } else if (done || known[id] || given[id]) {
            var changed = !done && (step.data || []).indexOf(id) >= 0;
            view.setLine(id, "data", line.data.drawn, changed ? "tg-changed" : given[id] ? "tg-given" : "");
          } else {
            view.setLine(id, "data", "data ?", "tg-pending");
          }
        }
        if (line.grad) {
          if (grads[id] !== undefined) {
            view.setLine(id, "grad", "grad " + grads[id], (step.grads || {})[id] !== undefined ? "tg-changed" : "");
          } else {
            view.setLine(id, "grad", "grad \u2014", "tg-pending");
          }
        }
      });
      classes.forEach(view.unmarkAll);
      view.clearOverlay();
      view.mark(off, "tg-off");
      view.mark(gated, "tg-gated");
      view.mark(step.inputs || [], "tg-input");
      view.mark(step.current || [], "tg-current");
      view.mark(step.edges || [], step.phase === "backward" ? "tg-back" : "tg-flow");
      title.textContent = step.title;
      text.textContent = step.text;
      if (surface) { surface.toggle(step.phase === "update" || step.phase === "after"); }
      if (!zoom.laidOut()) { return; }  // hidden: drawn again when shown (onLayout)
      describe();
      if (step.phase === "backward") {
        (step.edges || []).forEach(view.backArrow);
        (step.flows || []).forEach(function (flow) { view.edgeLabel(flow[0], flow[1], flow[2]); });
      }
      showText(step);
      // bring the step's nodes into view if they are not, with the neuron box around
      // them when it fits (the graph stays put otherwise)
      var shown = (step.current || []).concat(step.inputs || []).map(function (id) { return view.elements(id)[0]; });
      zoom.reveal(shown, shown[0] ? clustersAround(shown[0]) : []);
    }

    // the neuron boxes (Graphviz clusters) that hold a node: their boxes contain its box
    var clusters = Array.prototype.slice.call(svg.querySelectorAll("g.cluster"));
    function clustersAround(node) {
      var inner = node.getBBox();
      return clusters.filter(function (cluster) {
        var outer = cluster.getBBox();
        return outer.x <= inner.x && outer.y <= inner.y && inner.x + inner.width <= outer.x + outer.width &&
               inner.y + inner.height <= outer.y + outer.height;
      });
    }

    // A step's text, line by line. When the lines are more than the header holds (the
    // last step's gradients, a neuron's weighted sum sending to all its inputs), in
    // columns as wide as the longest line, when they all fit the header's width; else in
    // one column that scrolls, its scrollbar always drawn, so no line is ever out of reach.
    function showText(step) {
      text.classList.remove("tg-list", "tg-columns", "tg-scrolls");
      text.style.columnWidth = "";
      text.textContent = step.text;
      if (overflows()) {
        text.textContent = "";
        text.classList.add("tg-list");
        var widest = 0;
        step.text.split("\n").forEach(function (line) {
          var item = document.createElement("span");
          item.textContent = line;
          text.appendChild(item);
          widest = Math.max(widest, line.length);
        });
        if (overflows()) {
          text.classList.add("tg-columns");
          text.style.columnWidth = (widest + 1) + "ch";
          if (overflows()) {  // more columns than the width holds: one column, scrolled
            text.classList.remove("tg-columns");
            text.style.columnWidth = "";
          }
        }
        text.classList.toggle("tg-scrolls", overflows());
      }
      text.scrollTop = 0;
      text.scrollLeft = 0;
      more.hidden = !overflows();
      if (!more.hidden) { text.classList.add("tg-scrolls"); }
      tellMore();
    }
    function overflows() {
      return text.scrollHeight > text.clientHeight + 1 || text.scrollWidth > text.clientWidth + 1;
    }
    // under a text that scrolls, how many of its lines are below (scrollbars may be hidden overlays)
    var more = root.querySelector('[data-role="more"]');
    function tellMore() {
      if (more.hidden) { return; }
      var box = text.getBoundingClientRect(), below = 0;
      Array.prototype.forEach.call(text.children.length ? text.children : [], function (line) {
        if (line.getBoundingClientRect().bottom > box.bottom + 1) { below += 1; }
      });
      var end = text.scrollTop + text.clientHeight >= text.scrollHeight - 1;
      more.textContent = end ? "\u2191 the end of this step's text: scroll it up for the first lines"
        : "\u2193 " + (below || "more") + " more line" + (below === 1 ? "" : "s") + " below: scroll this text";
    }
    text.addEventListener("scroll", tellMore);

    // What a click on a node shows, as far as the step shown has reached: its value once
    // the forward pass has computed it (a leaf's from the start), each use's share of its
    // gradient once that use has sent it (the edges it came along highlighted), and the
    // whole gradient, with a leaf's check by central differences, once every share is in.
    var details = root.querySelector('[data-role="details"]'), opened = null;
    function explain(id) {
      if (!data.details[id]) { return; }
      opened = id;
      details.hidden = false;
      describe();
    }
    function describe() {
      view.unmarkAll("tg-sum");
      if (opened === null || details.hidden) { return; }
      var about = data.details[opened], at = timeline ? timeline.position() : 0, lines = [], title = about.title;
      var phase = steps[at].phase, updated;
      for (var i = 0; i <= at; i++) {  // its value after the update (a parameter), or in the forward pass again
        if ((steps[i].values || {})[opened] !== undefined) { updated = steps[i].values[opened]; }
      }
      if (phase === "after") {  // a new forward pass: the gradients above were the last pass's
        lines.push(updated === undefined ? about.value + "  (unchanged by the update)"
                                         : about.title + " = " + updated + "  (this forward pass, after the update)");
        if (about.gradAt !== null) {
          lines.push("grad(" + about.title + "): not known; no backward pass has followed this forward pass.");
        }
      } else if (at < about.valueAt) {
        lines.push("Not computed yet: the forward pass reaches " + about.title + " at step " + (about.valueAt + 1) + ".");
      } else {
        lines.push(about.value);
        var arrived = about.uses.filter(function (use) { return use.at <= at; });
        if (about.gradAt === null) {
          // a constant: no gradient
        } else if (at < about.gradAt && !arrived.length) {
          lines.push("grad(" + about.title + "): not known yet; the backward pass has not reached it.");
        } else {
          if (about.sum) { lines.push(about.sum); }
          arrived.forEach(function (use) { lines.push(use.text); });
          view.mark(arrived.map(function (use) { return use.edge; }), "tg-sum");
          if (at >= about.gradAt) {
            lines.push(about.total);
            title = about.gradTitle;
            if (about.check) { lines.push("", about.check); }
            if (phase === "update" && updated !== undefined) {
              lines.push("", "The update: " + about.title + " becomes " + updated + " (its value minus lr \u00d7 its gradient).");
            }
          } else {
            lines.push("  ... and more as the backward pass reaches its other uses.");
          }
        }
      }
      root.querySelector('[data-role="details-title"]').textContent = title;
      root.querySelector('[data-role="details-text"]').textContent = lines.join("\n");
      placeDetails(view.elements(opened)[0]);
    }
    // in a corner of the viewport where the box leaves the clicked node in sight
    var CORNERS = [["right", "bottom"], ["left", "bottom"], ["right", "top"], ["left", "top"]];
    function placeDetails(node) {
      var target = node.getBoundingClientRect();
      CORNERS.some(function (corner) {
        ["left", "right", "top", "bottom"].forEach(function (side) {
          details.style[side] = corner.indexOf(side) >= 0 ? "0.75rem" : "auto";
        });
        var box = details.getBoundingClientRect();
        return box.right <= target.left || target.right <= box.left ||
               box.bottom <= target.top || target.bottom <= box.top;
      });
    }
    function close() { details.hidden = true; opened = null; view.unmarkAll("tg-sum"); }
    root.querySelector('[data-role="close-details"]').addEventListener("click", close);
    view.ids().forEach(function (id) {
      if (!data.details[id]) { return; }
      view.elements(id).forEach(function (g) {
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "button");
        g.setAttribute("aria-label", "What " + data.details[id].title + " holds");
        g.addEventListener("click", function () { explain(id); });
        g.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") { explain(id); event.preventDefault(); event.stopPropagation(); }
        });
      });
    });
    root.ownerDocument.addEventListener("keydown", function (event) { if (event.key === "Escape") { close(); } });

    // --- predict, then reveal (quiz.js): a step's new value, or the gradients it sends, wait for guesses
    function newNumbers(k) {
      var step = steps[k], items = [], known = {}, sent = {};
      for (var i = 0; i < k; i++) {
        (steps[i].data || []).forEach(function (id) { known[id] = true; });
        var grads = steps[i].grads || {};
        Object.keys(grads).forEach(function (id) { sent[id] = grads[id]; });
      }
      function name(id) { return (data.details[id] || {}).title || id; }
      if (step.phase === "forward") {  // the node computed (not the leaves given with it)
        (step.data || []).forEach(function (id) {
          var line = view.lines[id];
          if (!known[id] && line && line.data && view.elements("op" + id.slice(1)).length) {
            items.push([name(id), line.data.drawn.replace(/^data /, "")]);
          }
        });
      }
      Object.keys(step.grads || {}).forEach(function (id) {
        if (step.grads[id] !== sent[id]) { items.push(["grad(" + name(id) + ")", step.grads[id]]); }
      });
      Object.keys(step.values || {}).forEach(function (id) {  // the update, and the forward pass after it
        items.push([name(id) + " (new)", step.values[id]]);
      });
      return items;
    }
    function showAsked(k) {  // the step before, with step k's title and nodes marked
      show(k - 1);
      view.unmarkAll("tg-current"); view.unmarkAll("tg-input");
      view.mark(steps[k].current || [], "tg-current");
      view.mark(steps[k].inputs || [], "tg-input");
      title.textContent = steps[k].title;
      text.textContent = "Predict, then reveal: this step's new numbers wait for your guesses (in the box " +
        "over the graph), or press Reveal.";
    }
    var quiz = tracegrad.predictFirst({ bar: root.querySelector(".tg-bar"), before: root.querySelector(".tg-spacer"),
                                        box: viewport, newNumbers: newNumbers, showAsked: showAsked, show: show });
    timeline = tracegrad.timeline(root, { count: steps.length, show: quiz.show });
    root.tracegradStep = { go: timeline.go, position: timeline.position };  // for switch.js
    askHeight();
  }

  document.querySelectorAll('[data-tracegrad="stepper"]').forEach(stepper);
})();
