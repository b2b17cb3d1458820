/* sized.js: lay a part of a page out when it is shown, and again whenever its size changes.
   A page in a notebook's frame can start hidden (a collapsed output, a cell
   scrolled out of a long notebook, a background tab) or before its frame has
   its final size; whatever it measures then (getBBox, clientWidth) is zero.
   tracegrad.onSized(element, layout) calls layout(width, height) once element
   has a size, and again each time that size changes or it is shown again
   after being hidden; never while it has no size. It returns a function that
   says whether element is laid out now.
   tracegrad.tellFrameHeight(height) asks the notebook output around this page
   (page.py's inline_frame) to make its frame that tall, up to its limit. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};

  tracegrad.onSized = function (element, layout) {
    var last = null;
    function check() {
      var width = element.clientWidth, height = element.clientHeight;
      if (!width || !height) { last = null; return; }  // hidden: lay out afresh when shown
      if (last && last[0] === width && last[1] === height) { return; }
      last = [width, height];
      layout(width, height);
    }
    if (window.ResizeObserver) { new ResizeObserver(check).observe(element); }
    if (window.IntersectionObserver) { new IntersectionObserver(check).observe(element); }
    window.addEventListener("resize", check);
    check();
    return function () { return last !== null; };
  };

  tracegrad.tellFrameHeight = function (height) {
    if (window.parent === window || !isFinite(height)) { return; }
    // the frame is sandboxed without a shared origin: a message is the only way out
    window.parent.postMessage({ tracegrad: "frame-height", height: Math.ceil(height) }, "*");
  };
})();
