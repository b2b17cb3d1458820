/* switch.js: one page holding two views of the same trace, the scalar stepper
   (data-tracegrad="stepper") and the network view (data-tracegrad="network"),
   one shown at a time. A button data-role="switch-view" data-to="KIND" in either
   shows the other at the same step: a network step stands for the scalar steps
   of its layer's nodes, so switching to the scalar graph lands on the first of
   them, and switching back lands on the network step holding the scalar step.
   The step numbers come from Python (viz.network.step_links) as the network
   view's data.links; each view's script leaves {go, position} on its root. */
(function () {
  "use strict";

  document.querySelectorAll('[data-role="switch-view"]').forEach(function (button) {
    button.addEventListener("click", function () {
      var from = button.closest("[data-tracegrad]"), document_ = button.ownerDocument;
      var to = document_.querySelector('[data-tracegrad="' + button.dataset.to + '"]');
      var network = document_.querySelector('[data-tracegrad="network"]');
      if (!to || !from.tracegradStep || !to.tracegradStep) { return; }
      var links = network.tracegradStep.links, position = from.tracegradStep.position();
      var target = from === network ? links.toScalar[position] : links.toNetwork[position];
      from.hidden = true;
      to.hidden = false;
      to.tracegradStep.go(target);
      var back = to.querySelector('[data-role="switch-view"]');
      if (back) { back.focus(); }
    });
  });
})();
