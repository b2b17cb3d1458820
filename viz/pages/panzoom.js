/* panzoom.js: pan and zoom one SVG inside a viewport element.
   tracegrad.panZoom(viewport, svg, options) starts at the drawing's natural
   size (scale 1: Graphviz's points as CSS points), and never goes below
   options.minScale (default 1) on its own. Zoom: the buttons with data-role
   "zoom-in", "zoom-out", "zoom-reset" (1:1) and "zoom-fit" inside
   options.controls, the mouse wheel, a two-finger pinch, or + - 0 keys on the
   focused viewport. Pan: drag with the mouse or one finger, or the arrow keys
   with Shift. reveal(element) pans just enough to bring an element into view. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};

  tracegrad.panZoom = function (viewport, svg, options) {
    options = options || {};
    var controls = options.controls || viewport;
    var margin = 16, scale = 1, x = margin, y = margin;
    var width = svg.getBoundingClientRect().width, height = svg.getBoundingClientRect().height;
    var pointers = {}, gesture = null, level = controls.querySelector('[data-role="zoom-level"]');

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

    var buttons = { "zoom-in": function () { zoomAt(1.25); }, "zoom-out": function () { zoomAt(0.8); },
                    "zoom-reset": function () { reset(1); }, "zoom-fit": function () { reset(fitScale()); } };
    Object.keys(buttons).forEach(function (role) {
      var button = controls.querySelector('[data-role="' + role + '"]');
      if (button) { button.addEventListener("click", buttons[role]); }
    });

    viewport.addEventListener("wheel", function (event) {
      event.preventDefault();
      // a trackpad pinch arrives as a wheel event with ctrlKey; both zoom around the pointer
      zoomAt(Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.002)), event.clientX, event.clientY);
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
        viewport.classList.add("tg-dragging");
        viewport.setPointerCapture(event.pointerId);
        x += dx; y += dy;
        apply();
      } else if (ids.length === 2) {
        var other = pointers[ids[0] === String(event.pointerId) ? ids[1] : ids[0]];
        var before = Math.hypot(last.x - other.x, last.y - other.y);
        var after = Math.hypot(event.clientX - other.x, event.clientY - other.y);
        gesture = "pinch";
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
      if (handled) { event.preventDefault(); event.stopPropagation(); }
    });
    window.addEventListener("resize", apply);

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
    apply();
    return { zoomAt: zoomAt, reset: reset, reveal: reveal, scale: function () { return scale; } };
  };
})();
