/* quiz.js: predict, then reveal, for both steppers (the scalar graph's and the network's).
   tracegrad.predictFirst(options) adds a "predict" switch to options.bar
   (before options.before, else at its end) and a box of questions to options.box. It returns show(k), to be
   called in place of the page's own options.show(k): when the switch is on and
   the learner moves one step forward, the step's new numbers (options.newNumbers(k):
   [[what, the number as the page shows it]], a value in the forward pass, a
   gradient in the backward pass) stay hidden: options.showAsked(k) draws the
   step before with step k's title, and the box asks for each number. A guess
   is right when it rounds to the number shown (to its last digit); a wrong one
   is told too high or too low. When all are right, or on Reveal, the step is
   shown. Returns {show(k), redraw()}: redraw draws the step shown again (after a
   resize), still asking if it was. */
(function () {
  "use strict";
  var tracegrad = window.tracegrad = window.tracegrad || {};
  var MOST = 12;  // a step of a large network asks about its first numbers; Reveal shows the rest
  var made = 0;  // quizzes on the page (a trace page holds one per stepper): their inputs' ids differ

  function element(name, attributes, parent, text) {
    var node = document.createElement(name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text) { node.textContent = text; }
    if (parent) { parent.appendChild(node); }
    return node;
  }

  // the guess, rounded to the shown number's last digit, is the number (null: not a number)
  function rightTo(shown, guess) {
    var text = String(guess).replace(/\u2212/g, "-").trim(), typed = Number(text), value = Number(shown);
    if (text === "" || isNaN(typed)) { return null; }
    var decimals = (shown.split("e")[0].split(".")[1] || "").length;
    var exponent = shown.indexOf("e") >= 0 ? Number(shown.split("e")[1]) : 0;
    var unit = Math.pow(10, exponent - decimals);
    return Math.abs(typed - value) <= unit / 2 + 1e-12 * Math.abs(value);
  }

  tracegrad.predictFirst = function (options) {
    var label = element("label", { "class": "tg-predict",
                                   title: "Each new number stays hidden until you type your guess or press Reveal" });
    options.bar.insertBefore(label, options.before || null);
    var predict = element("input", { type: "checkbox", "data-role": "predict" }, label);
    label.appendChild(document.createTextNode(" predict"));
    var quiz = element("aside", { "class": "tg-quiz tg-no-pan", "data-role": "quiz", "aria-live": "polite" }, options.box);
    quiz.hidden = true;
    element("div", { "class": "tg-quiz-title" }, quiz,
            "Predict, then reveal: work out each new number (to the digits the page shows)");
    var rows = element("div", { "data-role": "quiz-rows" }, quiz);
    var checkButton = element("button", { type: "button", "data-role": "quiz-check" }, quiz, "Check");
    var revealButton = element("button", { type: "button", "data-role": "quiz-reveal" }, quiz, "Reveal");
    var note = element("span", { "class": "tg-quiz-note", "data-role": "quiz-note" }, quiz);
    var position = 0, revealed = {}, prefix = "tg-guess-" + (made += 1) + "-";

    function show(k) {
      var from = position;
      position = k;
      quiz.hidden = true;
      if (predict.checked && k === from + 1 && !revealed[k]) {
        var items = options.newNumbers(k);
        if (items.length) { options.showAsked(k); ask(items); return; }
      }
      options.show(k);
    }
    function ask(items) {
      rows.textContent = "";
      var asked = items.slice(0, MOST);
      asked.forEach(function (item, i) {
        var row = element("div", { "class": "tg-quiz-row" }, rows), id = prefix + i;
        element("label", { "for": id }, row, item[0] + " =");
        var input = element("input", { id: id, inputmode: "decimal", "data-answer": item[1] }, row);
        element("span", {}, row);
        input.addEventListener("keydown", function (event) { if (event.key === "Enter") { check(); } });
      });
      note.textContent = items.length > asked.length ?
        "and " + (items.length - asked.length) + " more, revealed with these" : "";
      quiz.hidden = false;
      var first = rows.querySelector("input");
      if (first) { first.focus(); }
    }
    function check() {
      var all = true;
      rows.querySelectorAll(".tg-quiz-row").forEach(function (row) {
        var input = row.querySelector("input"), verdict = row.querySelector("span");
        var right = rightTo(input.dataset.answer, input.value);
        if (right) { verdict.textContent = "\u2713 right"; verdict.className = "tg-right"; return; }
        all = false;
        verdict.className = "tg-wrong";
        verdict.textContent = right === null ? "type a number" :
          (Number(input.value.replace(/\u2212/g, "-")) > Number(input.dataset.answer) ? "too high" : "too low") +
          ": the step's rule is in its title";
      });
      if (all) { reveal(); }
    }
    function reveal() { revealed[position] = true; quiz.hidden = true; options.show(position); }
    // the same step drawn again (a new size): still asking, if it was
    function redraw() { if (quiz.hidden) { options.show(position); } else { options.showAsked(position); } }
    checkButton.addEventListener("click", check);
    revealButton.addEventListener("click", reveal);
    return { show: show, redraw: redraw, checkbox: predict, box: quiz };
  };
  tracegrad.predictFirst.rightTo = rightTo;
})();
