/* frame.js: the notebook side of a page shown inline (viz.page.inline_frame).
   A notebook output holds a still picture with a line of text, the page
   itself as JSON, and this script. Where scripts run (the cell was run here,
   or the notebook is trusted), it puts the page in a sandboxed frame of its
   own and takes the still picture away; where they do not (JupyterLab's
   sanitizer removes every script of an untrusted output), the picture and
   its line are all there is, never an empty frame. The page inside may ask
   (tracegrad.tellFrameHeight in sized.js) for the height its content needs;
   the frame grows to it, up to most of the window's height, so its text never
   scrolls inside a notebook that scrolls too. */
(function () {
  "use strict";
  var script = document.currentScript;
  var here = script && script.parentNode;
  var outputs = here && here.classList && here.classList.contains("tracegrad-output") ? [here]
    : Array.prototype.slice.call(document.querySelectorAll(".tracegrad-output"));
  outputs.forEach(function (output) {
    if (output.getAttribute("data-started")) { return; }
    output.setAttribute("data-started", "true");
    var settings = JSON.parse(output.querySelector('script[data-role="tracegrad-page"]').textContent);
    var frame = document.createElement("iframe");
    frame.setAttribute("sandbox", "allow-scripts");
    frame.setAttribute("title", settings.title);
    frame.style.cssText = "display: block; width: 100%; height: " + settings.height + "px; border: 1px solid #ddd;";
    frame.srcdoc = settings.page;
    var still = output.querySelector(".tracegrad-still");
    if (still) { output.removeChild(still); }
    output.insertBefore(frame, output.firstChild);
    window.addEventListener("message", function (event) {
      var message = event.data;
      if (event.source !== frame.contentWindow || !message || message.tracegrad !== "frame-height") { return; }
      var limit = Math.max(settings.height, Math.round(window.innerHeight * 0.85));
      frame.style.height = Math.max(240, Math.min(limit, Number(message.height) || settings.height)) + "px";
    });
  });
})();
