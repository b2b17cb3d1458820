/* panzoom.js: pan and zoom one SVG inside a viewport element.
   tracegrad.panZoom(viewport, svg, options) opens at a scale where the whole
   drawing fits the viewport's width, when its smallest text stays at least
   10 px tall there, and at its natural size (scale 1: Graphviz's points as
   CSS points) otherwise; it never goes below options.minScale (default 1) on
   its own. It lays itself out when the viewport is first shown with a size
   and again whenever that size changes (tracegrad.onSized), then calls
   options.onLayout(). Zoom: the buttons with data-role "zoom-in", "zoom-out",
   "zoom-reset" (1:1) and "zoom-fit" inside options.controls, Ctrl (or Cmd)
   with the mouse wheel, a trackpad or two-finger pinch, or + - 0 keys on the
   focused viewport. The plain wheel is left to the page around a page in a
   notebook (the notebook scrolls); on a page of its own it pans.
   Pan: drag with the mouse or one finger, or the arrow keys with Shift.
   reveal(element) pans just enough to bring an element into view. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var SMALLEST_TEXT = 10;  // CSS px: below this the opening scale is 1:1 rather than the whole width

  tracegrad.panZoom = function (viewport, svg, options) {
    options = options || {};
    var controls = options.controls || viewport;
    var margin = 16, scale = 1, x = margin, y = margin, touched = false;
    // the drawing's natural size in CSS px, from its width and height attributes ("712pt"):
    // read without layout, so it is right even while the page is hidden
    var width = svg.width.baseVal.value, height = svg.height.baseVal.value;
    var box = svg.viewBox.baseVal, unit = box && box.width ? width / box.width : 1;
    var fonts = Array.prototype.map.call(svg.querySelectorAll("g.node text[font-size]"), function (text) {
      return parseFloat(text.getAttribute("font-size"));
    }).filter(isFinite);
    var textSize = (fonts.length ? Math.min.apply(null, fonts) : 14) * unit;  // px at scale 1
    var pointers = {}, gesture = null, level = controls.querySelector('[data-role="zoom-level"]');
    // a page of its own (not in a notebook's frame or output): the plain wheel may pan it
    var app = viewport.closest(".tg-app");
    var ownPage = window.parent === window && !!app && app.parentNode === document.body;

    function fitScale() {
      return Math.min(1, (viewport.clientWidth - 2 * margin) / width,
                      (viewport.clientHeight - 2 * margin) / height);
    }
    function lowest() { return Math.min(options.minScale || 1, fitScale()); }
    // keep the drawing on screen: centred along an axis where it fits, else no gap at either end
    function clamp() {
      var w = width * scale, h = height * scale, vw = viewport.clientWidth, vh = viewport.clientHeight;
      x = w + 2 * margin <= vw ? (vw - w) / 2 : Math.min(margin, Math.max(vw - w - margin, x));
      y = h + 2 * margin <= vh ? (vh - h) / 2 : Math.min(margin, Math.max(vh - h - margin, y));
    }
    function apply() {
      clamp();
      svg.style.transform = "translate(" + x + "px, " + y + "px) scale(" + scale + ")";
      if (level) { level.textContent = Math.round(scale * 100) + "%"; }
    }
    function zoomAt(factor, clientX, clientY) {
      var box = viewport.getBoundingClientRect();
      var px = clientX === undefined ? box.width / 2 : clientX - box.left;
      var py = clientY === undefined ? box.height / 2 : clientY - box.top;
      var next = Math.max(lowest(), Math.min(8, scale * factor));
      x = px - (px - x) * next / scale;
      y = py - (py - y) * next / scale;
      scale = next;
      apply();
    }
    function reset(to) { scale = to; x = margin; y = margin; apply(); }
    function openingScale() {
      var across = Math.min(1, (viewport.clientWidth - 2 * margin) / width);
      return across * textSize >= SMALLEST_TEXT ? across : 1;
    }

    var buttons = { "zoom-in": function () { zoomAt(1.25); }, "zoom-out": function () { zoomAt(0.8); },
                    "zoom-reset": function () { reset(1); }, "zoom-fit": function () { reset(fitScale()); } };
    Object.keys(buttons).forEach(function (role) {
      var button = controls.querySelector('[data-role="' + role + '"]');
      if (button) { button.addEventListener("click", function () { touched = true; buttons[role](); }); }
    });

    viewport.addEventListener("wheel", function (event) {
      var lines = event.deltaMode === 1 ? 20 : 1;
      if (event.ctrlKey || event.metaKey) {
        // Ctrl/Cmd + wheel, and a trackpad pinch (a wheel event with ctrlKey): zoom around the pointer
        event.preventDefault();
        touched = true;
        zoomAt(Math.exp(-event.deltaY * lines * 0.002), event.clientX, event.clientY);
      } else if (ownPage) {
        var before = [x, y];
        x -= event.deltaX * lines; y -= event.deltaY * lines;
        apply();
        if (x !== before[0] || y !== before[1]) { event.preventDefault(); touched = true; }
      }
    }, { passive: false });

    viewport.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || event.target.closest("a, button, .tg-no-pan")) { return; }
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      gesture = null;
    });
    viewport.addEventListener("pointermove", function (event) {
      var last = pointers[event.pointerId];
      if (!last) { return; }
      var ids = Object.keys(pointers);
      if (ids.length === 1) {
        var dx = event.clientX - last.x, dy = event.clientY - last.y;
        if (!gesture && Math.abs(dx) + Math.abs(dy) < 4) { return; }  // a click, not yet a drag
        gesture = "pan";
        touched = true;
        viewport.classList.add("tg-dragging");
        viewport.setPointerCapture(event.pointerId);
        x += dx; y += dy;
        apply();
      } else if (ids.length === 2) {
        var other = pointers[ids[0] === String(event.pointerId) ? ids[1] : ids[0]];
        var before = Math.hypot(last.x - other.x, last.y - other.y);
        var after = Math.hypot(event.clientX - other.x, event.clientY - other.y);
        gesture = "pinch";
        touched = true;
        if (before > 0) { zoomAt(after / before, (event.clientX + other.x) / 2, (event.clientY + other.y) / 2); }
      }
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
    });
    function release(event) {
      delete pointers[event.pointerId];
      if (!Object.keys(pointers).length) { viewport.classList.remove("tg-dragging"); }
    }
    viewport.addEventListener("pointerup", release);
    viewport.addEventListener("pointercancel", release);
    // a drag that ends on a node is not a click on it
    viewport.addEventListener("click", function (event) {
      if (gesture) { event.stopPropagation(); event.preventDefault(); gesture = null; }
    }, true);

    viewport.addEventListener("keydown", function (event) {
      var step = 60, handled = true;
      if (event.key === "+" || event.key === "=") { zoomAt(1.25); }
      else if (event.key === "-") { zoomAt(0.8); }
      else if (event.key === "0") { reset(1); }
      else if (event.shiftKey && event.key === "ArrowLeft") { x += step; apply(); }
      else if (event.shiftKey && event.key === "ArrowRight") { x -= step; apply(); }
      else if (event.shiftKey && event.key === "ArrowUp") { y += step; apply(); }
      else if (event.shiftKey && event.key === "ArrowDown") { y -= step; apply(); }
      else { handled = false; }
      if (handled) { touched = true; event.preventDefault(); event.stopPropagation(); }
    });

    // Pan the least that brings the elements' joint box into the viewport (no zoom
    // change), together with the context elements (say the box around them) when
    // all of it fits; when the elements alone cannot all fit, the first one wins.
    function reveal(elements, context) {
      elements = [].concat(elements).filter(Boolean);
      if (!elements.length) { return; }
      var view = viewport.getBoundingClientRect();
      function union(list) {
        return list.map(function (e) { return e.getBoundingClientRect(); }).reduce(function (a, b) {
          return { left: Math.min(a.left, b.left), top: Math.min(a.top, b.top),
                   right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom) };
        });
      }
      function fits(box) {
        return box.right - box.left <= view.width - 2 * margin && box.bottom - box.top <= view.height - 2 * margin;
      }
      var box = union(elements.concat([].concat(context || []).filter(Boolean)));
      if (!fits(box)) { box = union(elements); }
      if (!fits(box)) { box = union(elements.slice(0, 1)); }
      var dx = 0, dy = 0;
      if (box.right > view.right - margin) { dx = view.right - margin - box.right; }
      if (box.left + dx < view.left + margin) { dx = view.left + margin - box.left; }
      if (box.bottom > view.bottom - margin) { dy = view.bottom - margin - box.bottom; }
      if (box.top + dy < view.top + margin) { dy = view.top + margin - box.top; }
      if (dx || dy) { x += dx; y += dy; apply(); }
    }
    // Each time the viewport gets a (new) size: the opening scale until the learner has
    // zoomed or panned, their view kept in bounds after that; then the page redraws.
    var laidOut = tracegrad.onSized(viewport, function () {
      if (touched) { apply(); } else { reset(openingScale()); }
      if (options.onLayout) { options.onLayout(); }
    });
    return { zoomAt: zoomAt, reset: reset, reveal: reveal, scale: function () { return scale; },
             laidOut: laidOut, size: function () { return { width: width * scale, height: height * scale }; } };
  };
})();
