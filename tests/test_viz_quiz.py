"""Predict, then reveal (quiz.js) in the scalar stepper: with "predict first" on, each step's new number
stays hidden until it is guessed to the digits shown (a wrong guess is told too high or too low) or
Reveal is pressed. The network stepper's quiz is the same script (tests/test_viz_network.py)."""

from tracegrad.viz import trace
from tracegrad.viz.examples import square_neuron
from page_helpers import Page


def quiz_rows(page):
    return page.page.locator('[data-role="quiz"] .tg-quiz-row')


def test_a_forward_value_waits_for_the_right_guess(browser, tmp_path):
    loss, _ = square_neuron()
    page = Page(browser, trace(loss).save_html(tmp_path / "square.html"))
    quiz = page.page.locator('[data-role="quiz"]')
    page.page.check('[data-role="predict"]')
    page.page.click('[data-role="next"]')  # w*x + b = 13 is computed here
    assert quiz.is_visible() and quiz_rows(page).count() == 1
    assert page.line("n4", "data") == "data ?"  # still hidden in the drawing
    assert "13" not in page.step_text()
    guess = quiz_rows(page).nth(0).locator("input")
    verdict = quiz_rows(page).nth(0).locator("span")
    for typed, told in (("12", "too low"), ("14.2", "too high"), ("twelve", "type a number")):
        guess.fill(typed)
        page.page.click('[data-role="quiz-check"]')
        assert verdict.inner_text().startswith(told) and quiz.is_visible()
        assert page.line("n4", "data") == "data ?"
    guess.fill("13")
    guess.press("Enter")
    assert not quiz.is_visible() and page.line("n4", "data") == "data 13"
    page.page.click('[data-role="prev"]')  # going back shows the step before, no question
    assert not quiz.is_visible()
    page.page.click('[data-role="next"]')  # a step once revealed stays revealed
    assert not quiz.is_visible() and page.line("n4", "data") == "data 13"
    assert page.errors == []


def test_a_gradient_waits_too_and_reveal_shows_it_without_a_guess(browser, tmp_path):
    loss, _ = square_neuron()
    page = Page(browser, trace(loss).save_html(tmp_path / "square.html"))
    quiz = page.page.locator('[data-role="quiz"]')
    page.press("ArrowRight", 5)  # the backward pass has started: grad(L) = 1
    assert page.line("n8", "grad") == "grad 1"
    page.page.check('[data-role="predict"]')
    page.page.click('[data-role="next"]')  # L sends 2·(z - y) = 18 to z - y
    assert quiz.is_visible()
    labels = quiz_rows(page).locator("label").all_inner_texts()
    assert labels == ["grad(z - y) ="]
    assert page.line("n7", "grad") == "grad —"
    quiz_rows(page).nth(0).locator("input").fill("18")
    page.page.click('[data-role="quiz-check"]')
    assert not quiz.is_visible() and page.line("n7", "grad") == "grad 18"
    page.page.click('[data-role="next"]')  # z - y sends 18 to z and -18 to y
    assert quiz_rows(page).locator("label").all_inner_texts() == ["grad(z) =", "grad(y) ="]
    assert page.line("n6", "grad") == "grad —"
    page.page.click('[data-role="quiz-reveal"]')
    assert not quiz.is_visible() and page.line("n6", "grad") == "grad -18"  # y, the target
    page.page.uncheck('[data-role="predict"]')
    page.page.click('[data-role="next"]')  # off: no question
    assert not quiz.is_visible()
    assert page.errors == []


def test_one_script_asks_in_both_steppers():
    from importlib.resources import files

    from tracegrad.viz.network import SCRIPTS as NETWORK_SCRIPTS
    from tracegrad.viz.stepper import SCRIPTS as STEPPER_SCRIPTS

    assert "quiz.js" in STEPPER_SCRIPTS and "quiz.js" in NETWORK_SCRIPTS
    pages = files("tracegrad.viz") / "pages"
    askers = [p.name for p in pages.iterdir() if p.name.endswith(".js") and "tg-quiz-row" in p.read_text("utf-8")]
    assert askers == ["quiz.js"]  # no copy of its questions elsewhere
