/* live-widget.js: viz.live's notebook widget (anywidget). Python assembles one ES
   module from the page scripts (see viz/widget.py's SCRIPTS) and this file last.
   The page lives in a shadow root, so the player's styles (sent as the widget's
   "styles") reach nothing else in the notebook; its markup (live-app.html) comes
   as "markup". The kernel's frames arrive as the widget's "setup_data" and
   "frame_data"; the controls send their actions back as messages. */
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
  var view = window.tracegrad.live(container, model.get("markup"), function (message) { model.send(message); });
  function setup() { view.setup(model.get("setup_data")); }
  function frame() { view.frame(model.get("frame_data")); }
  model.on("change:setup_data", setup);
  model.on("change:frame_data", frame);
  setup();
  frame();
  return function () {
    model.off("change:setup_data", setup);
    model.off("change:frame_data", frame);
  };
}

export default { render: render };
