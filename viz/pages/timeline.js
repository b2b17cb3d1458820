/* timeline.js: a position among `count` steps, and the controls that move it.
   tracegrad.timeline(root, options) finds its controls inside root by their
   data-role: "first", "prev", "next", "slider" (an <input type=range>),
   "counter", and optionally "play", "speed", "reset". It calls
   options.show(position) whenever the position changes; options.counter(position),
   when given, writes the counter's text (default "step 3 of 12"). Keys (← → Home End,
   space to play) are heard on the whole document when root is the only one of
   its kind (data-tracegrad) on the page, and inside root otherwise, so several
   timelines on one page each answer only their own. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};

  tracegrad.timeline = function (root, options) {
    var count = options.count, position = 0, timer = null;
    function part(role) { return root.querySelector('[data-role="' + role + '"]'); }
    var slider = part("slider"), counter = part("counter"), play = part("play"), speed = part("speed");
    // each button is disabled at the position where it would do nothing
    var stops = [[part("first"), 0], [part("prev"), 0], [part("next"), count - 1]];
    if (slider) { slider.min = 0; slider.max = Math.max(0, count - 1); slider.step = 1; }

    function go(index) {
      position = Math.max(0, Math.min(count - 1, index));
      if (slider) { slider.value = String(position); }
      if (counter) {
        counter.textContent = options.counter ? options.counter(position)
          : "step " + (position + 1) + " of " + count;
      }
      stops.forEach(function (stop) { if (stop[0]) { stop[0].disabled = position === stop[1]; } });
      options.show(position);
      if (timer && position === count - 1) { pause(); }
    }
    function pause() {
      if (timer) { clearInterval(timer); timer = null; }
      if (play) { play.textContent = "Play"; play.setAttribute("aria-label", "Play"); }
    }
    function start() {
      if (position === count - 1) { go(0); }
      var perSecond = speed ? Number(speed.value) || 1 : 1;
      timer = setInterval(function () { go(position + 1); }, 1000 / perSecond);
      if (play) { play.textContent = "Pause"; play.setAttribute("aria-label", "Pause"); }
    }
    function toggle() { if (timer) { pause(); } else { start(); } }

    var actions = { first: function () { go(0); }, prev: function () { go(position - 1); },
                    next: function () { go(position + 1); },
                    reset: function () { pause(); go(0); }, play: toggle };
    Object.keys(actions).forEach(function (role) {
      var button = part(role);
      if (button) { button.addEventListener("click", function () { actions[role](); }); }
    });
    if (slider) { slider.addEventListener("input", function () { go(Number(slider.value)); }); }
    if (speed) { speed.addEventListener("change", function () { if (timer) { pause(); start(); } }); }

    var kind = '[data-tracegrad="' + root.dataset.tracegrad + '"]';
    var keys = root.ownerDocument.querySelectorAll(kind).length === 1 ? root.ownerDocument : root;
    keys.addEventListener("keydown", function (event) {
      var target = event.target;
      if (root.hidden) { return; }  // a view the page holds but does not show (switch.js)
      // typing in a text field, or a key a focused button or slider handles itself
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) && target !== slider) { return; }
      if (event.altKey || event.ctrlKey || event.metaKey) { return; }
      var handled = true;
      if (event.key === "ArrowRight") { go(position + 1); }
      else if (event.key === "ArrowLeft") { go(position - 1); }
      else if (event.key === "Home") { go(0); }
      else if (event.key === "End") { go(count - 1); }
      else if (event.key === " " && play && target.tagName !== "BUTTON") { toggle(); }
      else { handled = false; }
      if (handled) { event.preventDefault(); }
    });
    go(0);
    return { go: go, position: function () { return position; }, pause: pause };
  };
})();
