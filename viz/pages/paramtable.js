/* paramtable.js: every parameter's value, gradient and optimizer state at one frame.
   tracegrad.paramTable(table, options) fills a <table> (with an empty <thead>
   and <tbody>): one row per parameter, one column per number. options: labels
   (each parameter's name), values and grads (unpacked: one row of numbers per
   frame), state ({name: unpacked} of the optimizer: m, v, v_max, momentum_buffer),
   adamSteps (Adam's t at each frame), count (frames), digits, note (an element
   for what the columns mean, optional), gradNote (what the grad column holds, when
   not the player's "the gradient the next step uses"). Returns {show(k, inView), mark(indexes)}:
   show writes frame k's numbers (blue > 0, orange < 0); mark outlines those rows. show(k, true)
   writes only the rows in view in the table's scrolling box (the rest when scrolled into view):
   viz.live redraws many times a second, and rewriting hundreds of rows no one sees made the
   browser lay the whole table out again each time (most of a frame's cost for 2-16-16-1). */
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
    // shown: the frame on display; version counts show() calls, written[i] the one row i has
    var shown = 0, version = 0, written = rows.map(function () { return -1; }), inView = null;
    // which rows are in view, kept up to date by the browser without measuring anything (made
    // at the first show(k, true): the player, which shows every row, never needs it)
    function watchRows() {
      inView = new Set();
      var watcher = new IntersectionObserver(function (entries) {
        var now = columns.map(function (c) { return c[1].row(shown); });
        entries.forEach(function (entry) {
          var i = Number(entry.target.getAttribute("data-index"));
          if (entry.isIntersecting) { inView.add(i); write(i, now); } else { inView.delete(i); }
        });
      }, { root: table.parentNode });
      rows.forEach(function (r, i) { r.row.setAttribute("data-index", i); watcher.observe(r.row); });
    }
    function write(i, now) {
      if (written[i] === version) { return; }
      written[i] = version;
      rows[i].cells.forEach(function (cell, c) {
        var x = now[c][i];
        cell.textContent = P.formatNumber(x, options.digits);
        cell.className = x > 0 ? "tg-pos" : x < 0 ? "tg-neg" : "";
      });
    }
    function show(k, onlyInView) {
      var now = columns.map(function (c) { return c[1].row(k); });
      shown = k;
      version += 1;
      if (onlyInView && !inView && window.IntersectionObserver) { watchRows(); }
      if (onlyInView && inView) { inView.forEach(function (i) { write(i, now); }); }
      else { rows.forEach(function (r, i) { write(i, now); }); }
      if (!options.note) { return; }
      var text = options.gradNote || "grad: d loss / d parameter here, the gradient the next step uses";
      if (!options.gradNote && k === options.count - 1) { text = "grad \u2014: the run ended here, no gradient was computed"; }
      if (state.m) { text += "; m and v: Adam's running means of the gradient and of its square, after t = " + options.adamSteps[k] + " steps"; }
      if (state.momentum_buffer) { text += "; momentum buffer: SGD's running sum of gradients (\u2014 before the first step)"; }
      text += ". Blue > 0, orange < 0.";
      if (options.note.textContent !== text) { options.note.textContent = text; }
    }
    return { show: show, mark: mark };
  };
})();
