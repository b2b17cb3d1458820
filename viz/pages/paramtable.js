/* paramtable.js: every parameter's value, gradient and optimizer state at one frame.
   tracegrad.paramTable(table, options) fills a <table> (with an empty <thead>
   and <tbody>): one row per parameter, one column per number. options: labels
   (each parameter's name), values and grads (unpacked: one row of numbers per
   frame), state ({name: unpacked} of the optimizer: m, v, v_max, momentum_buffer),
   adamSteps (Adam's t at each frame), count (frames), digits, note (an element
   for what the columns mean, optional), gradNote (what the grad column holds, when
   not the player's "the gradient the next step uses"). Returns {show(k), mark(indexes)}: show
   writes frame k's numbers (blue > 0, orange < 0); mark outlines those rows. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var P = tracegrad.plotting;
  var STATE_NAMES = { m: "m (Adam)", v: "v (Adam)", v_max: "v max (AMSGrad)", momentum_buffer: "momentum buffer" };

  tracegrad.paramTable = function (table, options) {
    var state = options.state || {}, columns = [["value", options.values], ["grad", options.grads]];
    Object.keys(state).forEach(function (name) { columns.push([STATE_NAMES[name] || name, state[name]]); });
    var head = table.tHead.insertRow();
    ["parameter"].concat(columns.map(function (c) { return c[0]; })).forEach(function (name) {
      var th = document.createElement("th"); th.textContent = name; th.scope = "col"; head.appendChild(th);
    });
    var rows = options.labels.map(function (label) {
      var row = table.tBodies[0].insertRow();
      row.insertCell().textContent = label;
      return { row: row, cells: columns.map(function () { return row.insertCell(); }) };
    });
    function mark(indexes) {
      rows.forEach(function (r) { r.row.classList.remove("tg-hovered"); });
      indexes.forEach(function (i) { rows[i].row.classList.add("tg-hovered"); });
    }
    function show(k) {
      var now = columns.map(function (c) { return c[1].row(k); });
      rows.forEach(function (r, i) {
        r.cells.forEach(function (cell, c) {
          var x = now[c][i];
          cell.textContent = P.formatNumber(x, options.digits);
          cell.className = x > 0 ? "tg-pos" : x < 0 ? "tg-neg" : "";
        });
      });
      if (!options.note) { return; }
      var text = options.gradNote || "grad: d loss / d parameter here, the gradient the next step uses";
      if (!options.gradNote && k === options.count - 1) { text = "grad \u2014: the run ended here, no gradient was computed"; }
      if (state.m) { text += "; m and v: Adam's running means of the gradient and of its square, after t = " + options.adamSteps[k] + " steps"; }
      if (state.momentum_buffer) { text += "; momentum buffer: SGD's running sum of gradients (\u2014 before the first step)"; }
      options.note.textContent = text + ". Blue > 0, orange < 0.";
    }
    return { show: show, mark: mark };
  };
})();
