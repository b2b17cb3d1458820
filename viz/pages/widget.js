/* widget.js: a tracegrad page as a notebook widget (anywidget), for viz.live and
   viz.explore. Python assembles one ES module from the page's scripts and this
   file last (viz/widget.py's anywidget_class). The page lives in a shadow root,
   so its styles (sent as the widget's "styles") reach nothing else in the
   notebook; its markup (live-app.html, explore-app.html) comes as "markup", and
   "view" names the script that draws it (tracegrad.live, tracegrad.explore).
   The kernel's numbers arrive as "setup_data" and "frame_data"; the page's
   actions go back as messages. */
function render(context) {
  var model = context.model, el = context.el;
  var host = document.createElement("div");
  el.appendChild(host);
  var shadow = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent = model.get("styles");
  shadow.appendChild(style);
  var container = document.createElement("div");
  container.className = "tg-embedded";
  shadow.appendChild(container);
  // Keys typed in the page (a learning rate, a slider's arrows) are the page's, not notebook shortcuts:
  // seen from the notebook, every event inside a shadow root comes from its host.
  host.setAttribute("data-lm-suppress-shortcuts", "true");
  var view = null;
  function setup() { if (view) { view.setup(model.get("setup_data")); } }
  // after drawing a frame the page says so: the kernel sends the next one then, not before
  function frame() { if (view) { view.frame(model.get("frame_data")); model.send({ action: "drawn" }); } }
  model.on("change:setup_data", setup);
  model.on("change:frame_data", frame);
  // The drawings are measured when the page is first drawn: not before the output is on screen
  // (a notebook renders an output before attaching it, and a collapsed one has no size).
  var shown = new ResizeObserver(function () {
    if (view || container.getBoundingClientRect().width === 0) { return; }
    shown.disconnect();
    view = window.tracegrad[model.get("view")](container, model.get("markup"), function (message) { model.send(message); });
    setup();
    frame();
  });
  shown.observe(container);
  return function () {
    shown.disconnect();
    model.off("change:setup_data", setup);
    model.off("change:frame_data", frame);
  };
}

export default { render: render };
