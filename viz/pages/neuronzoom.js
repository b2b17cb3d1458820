/* neuronzoom.js: one neuron of the player's sample panel as its own scalar graph.
   tracegrad.neuronZoom(panel, options) adds a closed box to the panel (an element
   with position: relative). options: network (viz.player's _network), values
   (unpacked: the parameters at each frame), labels (each parameter's name), digits,
   lossName, passAt(k) (the chosen sample's tracegrad.samplePass at frame k: the
   numbers are samplepass.js's, never a second pass), inputsAt(k) (that sample's x).
   Returns {open(order, neuron, target), show(k), close(), isOpen()}: open shows
   neuron number `order` (layer order) beside the element target, on the side with
   more room so it never covers it; show(k) writes frame k's numbers; close hides it
   (its button and Escape do too). The graph: each input a_i and weight w_i, their
   product w_i·a_i, the sum z = Σ w_i·a_i + b, and a = act(z); each with its value
   and, once known, ∂loss/∂(it): δ for z, b and each product, a_i·δ for w_i, and
   w_i·δ sent back to a_i. Texts are set with textContent only. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var P = tracegrad.plotting;
  var WIDTH = 124, HEIGHT = 32, COLUMNS = [2, 140, 278, 416];

  tracegrad.neuronZoom = function (panel, options) {
    var network = options.network, layerOf = [], offsets = [], seen = 0;
    network.layers.forEach(function (layer, l) {
      offsets.push(seen);
      layer.forEach(function () { layerOf.push(l); });
      seen += layer.length;
    });
    function number(x) { return P.formatNumber(x, options.digits); }
    var box = document.createElement("div");
    box.className = "tg-zoom"; box.hidden = true;
    box.setAttribute("data-role", "neuron-zoom"); box.setAttribute("role", "dialog");
    var head = document.createElement("div"), title = document.createElement("h3"), shut = document.createElement("button");
    head.className = "tg-zoom-head";
    shut.type = "button"; shut.textContent = "Close"; shut.setAttribute("data-role", "zoom-close");
    head.appendChild(title); head.appendChild(shut); box.appendChild(head);
    var scroll = document.createElement("div");
    scroll.className = "tg-zoom-scroll"; box.appendChild(scroll);
    var svg = P.svgElement("svg", { "class": "tg-zoom-graph" }, scroll);
    var note = document.createElement("p");
    note.className = "tg-note"; box.appendChild(note);
    panel.appendChild(box);
    var current = null, position = 0, texts = {}, from = null;

    function close() {
      box.hidden = true; current = null;
      if (from && from.focus) { from.focus(); }
    }
    shut.addEventListener("click", close);
    // Escape wherever the focus is (a click on the data plot to choose another sample moves it)
    panel.ownerDocument.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && current !== null) { close(); event.stopPropagation(); }
    });

    function node(name, x, y, lines) {  // a box of two lines; texts[name] = [first, second]
      var g = P.svgElement("g", { "class": "tg-zoom-node", "data-name": name }, svg);
      P.svgElement("rect", { x: x, y: y, width: WIDTH, height: HEIGHT, rx: 5 }, g);
      texts[name] = [0, 1].map(function (row) {
        return P.svgElement("text", { x: x + WIDTH / 2, y: y + 13 + 14 * row, "text-anchor": "middle",
                                      "class": row ? "tg-zoom-grad" : "" }, g);
      });
      return { x: x, y: y };
    }
    function build(order) {
      while (svg.firstChild) { svg.removeChild(svg.firstChild); }
      texts = {};
      var l = layerOf[order], neuron = network.layers[l][order - offsets[l]], n = neuron.w.length;
      var row = 2 * HEIGHT + 12, height = n * row + HEIGHT + 8, middle = (height - HEIGHT) / 2;
      // its own size, shrunk to the box's width when narrower (the box scrolls when taller)
      var width = COLUMNS[3] + WIDTH + 2;
      svg.setAttribute("width", width); svg.setAttribute("height", height);
      svg.setAttribute("viewBox", "0 0 " + width + " " + height);
      var edges = P.svgElement("g", {}, svg);  // drawn first: under the boxes
      function line(a, b) {
        P.svgElement("line", { x1: a.x + WIDTH, y1: a.y + HEIGHT / 2, x2: b.x, y2: b.y + HEIGHT / 2,
                               "class": "tg-zoom-edge" }, edges);
      }
      var sum = node("z", COLUMNS[2], middle), out = node("a", COLUMNS[3], middle);
      neuron.w.forEach(function (_, i) {  // the input above its weight, both feeding their product
        var y = 4 + i * row;
        var input = node("a" + i, COLUMNS[0], y), weight = node("w" + i, COLUMNS[0], y + HEIGHT + 2);
        var product = node("p" + i, COLUMNS[1], y + (HEIGHT + 2) / 2);
        line(input, product); line(weight, product); line(product, sum);
      });
      var bias = node("b", COLUMNS[1], 4 + n * row);
      line(bias, sum); line(sum, out);
    }
    function put(name, first, second) { texts[name][0].textContent = first; texts[name][1].textContent = second; }
    function show(k) {
      position = k;
      if (current === null) { return; }
      var order = current, l = layerOf[order], neuron = network.layers[l][order - offsets[l]];
      var pass = options.passAt(k), now = options.values.row(k), known = pass.delta !== null;
      var delta = known ? pass.delta[order] : null;
      var below = l === 0 ? options.inputsAt(k) : pass.a.slice(offsets[l - 1], offsets[l - 1] + network.layers[l - 1].length);
      var cost = "\u2202loss/\u2202";
      function grad(text, x) { return known ? cost + text + " " + number(x) : cost + text + " ?"; }
      neuron.w.forEach(function (index, i) {
        var name = l === 0 ? "x" + i : "L" + l + ".N" + i, w = now[index], a = below[i];
        put("a" + i, "a" + i + " = " + name + " = " + number(a), grad("a" + i, w * delta));
        put("w" + i, "w" + i + " = " + number(w), grad("w" + i, a * delta));
        put("p" + i, "w" + i + "\u00b7a" + i + " = " + number(w * a), grad("(w\u00b7a)", delta));
      });
      put("b", "b = " + number(now[neuron.b]), grad("b", delta));
      put("z", "z = \u03a3w\u00b7a + b = " + number(pass.z[order]), known ? "\u03b4 = " + cost + "z " + number(delta) : "\u03b4 ?");
      var last = l === network.layers.length - 1, dA = null;
      if (known && !last) {  // what a sends on: Σ over the next layer of w·δ
        dA = 0;
        network.layers[l + 1].forEach(function (next, j) { dA += now[next.w[order - offsets[l]]] * pass.delta[offsets[l + 1] + j]; });
      } else if (known && neuron.activation === "linear") { dA = delta; }
      put("a", "a = " + neuron.activation + "(z) = " + number(pass.a[order]), dA === null ? "" : cost + "a " + number(dA));
      note.textContent = "This sample at the step shown. Forward: each w\u00b7a, then z, then a. Backward: \u03b4 = " +
        cost + "z; then \u2202loss/\u2202b = \u03b4, \u2202loss/\u2202w = a\u00b7\u03b4, and w\u00b7\u03b4 goes back to each input.";
    }
    function open(order, neuron, target) {
      current = order; from = target || null;
      title.textContent = neuron.name + ": its own scalar graph";
      build(order);
      box.hidden = false;
      // beside the neuron, on the side with more room, never over it
      var room = panel.getBoundingClientRect(), spot = target ? target.getBoundingClientRect() : room;
      var leftRoom = spot.left - room.left, rightRoom = room.right - spot.right;
      var width = Math.max(160, Math.min(COLUMNS[3] + WIDTH + 30, Math.max(leftRoom, rightRoom) - 12));
      box.style.width = width + "px";
      box.style.left = (rightRoom >= leftRoom ? spot.right - room.left + 6 : spot.left - room.left - width - 6) + "px";
      show(position);
      shut.focus();
    }
    return { open: open, show: show, close: close, isOpen: function () { return current !== null; } };
  };
})();
