/* live-page.js: the live page served by `tracegrad train --live` (viz/serve.py).
   It reads the server's events (setup, frame, and at the end the static player
   page, offered as a download) and sends the page's actions back, each with the
   token of the page's own URL. When the server stops, the page keeps its last frame. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad;
  var holder = document.querySelector('[data-role="live-root"]');
  var markup = holder.innerHTML;
  var query = window.location.search;  // "?token=..."
  var status = document.querySelector('[data-role="connection"]');
  var save = document.querySelector('[data-role="save"]');
  var view = tracegrad.live(holder, markup, function (message) {
    fetch("action" + query, { method: "POST", headers: { "Content-Type": "application/json" },
                              body: JSON.stringify(message) });
  });
  var events = new EventSource("events" + query);
  events.addEventListener("open", function () { status.textContent = "connected: training runs in the script"; });
  events.addEventListener("setup", function (event) { view.setup(JSON.parse(event.data)); });
  events.addEventListener("frame", function (event) { view.frame(JSON.parse(event.data)); });
  events.addEventListener("player", function (event) {
    var page = JSON.parse(event.data).html;
    save.href = URL.createObjectURL(new Blob([page], { type: "text/html" }));
    save.hidden = false;
    status.textContent = "training has ended";
  });
  events.addEventListener("error", function () {
    if (events.readyState === EventSource.CLOSED || status.textContent.indexOf("ended") >= 0) {
      events.close();
      status.textContent = "the script has stopped serving: this page keeps its last frame";
    }
  });
  window.tracegradLive = view;
})();
