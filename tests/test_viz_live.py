"""viz.live and viz.explore: the widget's state and the model agree after every action; training on the event loop."""

import asyncio
import base64
import math
import re
import sys

import numpy as np
import pytest

from page_helpers import inline_page

from tracegrad import topological_order
from tracegrad.nn import MLP, SGD, Adam, fit, make_moons, predict
from tracegrad.viz import explore, format_number, live
from tracegrad.viz import widget as live_widget
from tracegrad.viz.examples import network_221, square_neuron
from tracegrad.viz.explore import Explorer
from tracegrad.viz.live import LiveRun

pytest.importorskip("anywidget")


def moons_model(samples=40, sizes=(8, 8, 1)):
    X, y = make_moons(samples, noise=0.1, seed=1, signed=True)
    return MLP(2, list(sizes), seed=0), X, y


def unpacked(packed):
    return np.frombuffer(base64.b64decode(packed["base64"]), dtype=packed["dtype"]).reshape(packed["shape"])


def shown(view):
    """The parameter values and grads the page was last sent."""
    parameters = view.widget.frame_data["parameters"]
    return unpacked(parameters["values"])[0].tolist(), unpacked(parameters["grads"])[0].tolist()


def held(model):
    return [p.data for p in model.parameters()], [p.grad for p in model.parameters()]


def numpy_forward(model, values, X):
    """The MLP's outputs computed with numpy from a list of parameter values (not the engine)."""
    at, a = 0, np.array(X, dtype=float)
    for i, layer in enumerate(model.layers):
        nin, nout = len(layer.neurons[0].w), len(layer.neurons)
        block = np.array(values[at:at + nout * (nin + 1)]).reshape(nout, nin + 1)
        at += nout * (nin + 1)
        a = a @ block[:, :nin].T + block[:, nin]
        if i < len(model.layers) - 1:
            a = np.maximum(a, 0.0)
    return a[:, 0]


def test_without_anywidget_live_is_one_clear_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "anywidget", None)
    monkeypatch.setattr(live_widget, "_WIDGET_CLASSES", {})
    model, X, y = moons_model()
    with pytest.raises(ImportError, match=r"pip install 'tracegrad\[live\]'"):
        live(model, X, y, loss="hinge")


def test_step_trains_as_fit_does_and_the_page_holds_the_models_numbers():
    model, X, y = moons_model()
    twin = MLP(2, [8, 8, 1], seed=0)
    view = live(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1))
    assert view.step(3) == 3 and view.steps_done == 3
    fit(twin, X, y, loss="hinge", optimizer=SGD(twin.parameters(), lr=0.1), epochs=3, progress=False)
    assert [p.data for p in model.parameters()] == pytest.approx([p.data for p in twin.parameters()], abs=1e-12)
    assert shown(view) == held(model)
    frame = view.widget.frame_data
    assert frame["step"] == 3 and frame["curve"]["steps"] == [0, 1, 2, 3]
    assert frame["loss"] == pytest.approx(np.maximum(0, 1 - np.array(y) * numpy_forward(model, held(model)[0], X)).mean())


def test_a_run_that_diverges_stops_says_where_and_keeps_its_last_finite_numbers():
    X, y = [[1.0], [2.0], [3.0]], [1e100, -1e100, 1e100]
    model = MLP(1, [1], seed=0, output_activation="linear")
    run = LiveRun(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=100.0))
    assert run.step(50) < 50  # stopped at the first inf or nan
    assert run.diverged.startswith(f"training stopped at step {run.steps_done}: ")
    assert re.search(r"too large for a float|beyond what a float can hold", run.diverged)
    assert run.events[-1] == (run.steps_done, run.diverged)
    assert all(math.isfinite(v) for v in run.kept[-1].values)
    stopped = run.steps_done
    assert run.step(5) == stopped  # nothing more until a reset
    run.reset()
    assert run.diverged is None and run.steps_done == 0


def run_on_a_loop(view, learner):
    """Play view on an asyncio loop (as a kernel's), run the learner's coroutine beside it, pause."""
    async def main():
        view.play()
        try:
            await learner()
        finally:
            view.pause()
    asyncio.run(main())


def test_play_trains_on_the_event_loop_and_pause_stops_within_one_step():
    model, X, y = moons_model()
    view = live(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05))
    view.speed = 0

    async def learner():
        await asyncio.sleep(0.4)
    run_on_a_loop(view, learner)
    steps = view.steps_done
    assert steps > 1 and not view.playing
    assert shown(view) == held(model) and view.widget.frame_data["playing"] is False

    async def later():  # after Pause, nothing trains any more
        await asyncio.sleep(0.3)
    asyncio.run(later())
    assert view.steps_done == steps and shown(view) == held(model)


def test_play_without_an_event_loop_says_what_to_do_instead():
    model, X, y = moons_model()
    view = live(model, X, y, loss="hinge")
    with pytest.raises(RuntimeError, match=r"step\(n\)"):
        view.play()


def test_a_predict_while_it_plays_never_sees_half_a_step():
    model, X, y = moons_model()
    view = live(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05))
    view.speed = 0
    seen = []

    async def learner():
        for _ in range(25):
            await asyncio.sleep(0.01)
            values = [p.data for p in model.parameters()]
            seen.append((view.steps_done, values, predict(model, X)))
    run_on_a_loop(view, learner)
    assert len({steps for steps, _, _ in seen}) > 3  # training went on between the reads
    for steps, values, predictions in seen:
        assert predictions == pytest.approx(numpy_forward(model, values, X).tolist(), abs=1e-9)
        assert len(view.run.curve) >= steps


def test_changing_the_learning_rate_mid_run_is_used_and_recorded():
    model, X, y = moons_model()
    view = live(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1))
    view.step(2)
    view.learning_rate = 0.01
    before = held(model)[0]
    grads = held(model)[1]
    view.step(1)
    # SGD: the next step moves by the new rate times the gradient measured at `before`
    first_grad_step = [p.grad for p in model.parameters()]
    assert held(model)[0] == pytest.approx([v - 0.01 * g for v, g in zip(before, first_grad_step)], abs=1e-12)
    assert grads is not None and shown(view) == held(model)
    assert view.widget.frame_data["learningRate"] == 0.01
    assert any("learning rate 0.1 \u2192 0.01" in e["text"] and e["step"] == 2
               for e in view.widget.frame_data["events"])


def test_the_page_s_actions_are_the_methods_and_the_page_follows_each():
    model, X, y = moons_model(samples=30, sizes=(2, 1))
    view = live(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05))
    act = lambda **content: view._on_message(view.widget, content, [])  # noqa: E731
    act(action="step")
    assert view.steps_done == 1 and shown(view) == held(model)
    act(action="add", x=[0.25, -0.75], label=1)
    assert len(view.run.X) == 31 and view.run.X[-1] == [0.25, -0.75] and view.run.y[-1] == 1
    assert view.widget.setup_data["samples"]["X"][-1] == [0.25, -0.75]
    act(action="step")
    assert view.widget.frame_data["sampleCount"] == 31 and shown(view) == held(model)
    act(action="remove", x=[0.24, -0.74])  # the nearest sample: the one just added
    assert len(view.run.X) == 30 and [0.25, -0.75] not in view.run.X
    act(action="sample", x=X[7])
    graph = view.widget.setup_data["graph"]
    assert graph["sample"] == 7 and "<svg" in graph["svg"]
    # the sample's loss node (the last in the graph's order) holds its hinge loss, computed with numpy
    score = numpy_forward(model, held(model)[0], [X[7]])[0]
    assert float(view.widget.frame_data["graph"]["data"][-1]) == pytest.approx(max(0.0, 1 - y[7] * score), rel=1e-3)
    act(action="lr", value=0.02)
    assert model is view.model and view.learning_rate == 0.02
    act(action="optimizer", value="SGD")
    assert isinstance(view.optimizer, SGD) and view.optimizer.lr == 0.02
    assert "its state starts afresh" in view.widget.frame_data["events"][-1]["text"]
    act(action="lr", value=-1)  # a mistake is said on the page; nothing changes
    assert view.learning_rate == 0.02 and "learning rate" in view.widget.frame_data["news"]
    act(action="reset")
    assert view.steps_done == 0 and shown(view) == held(model)


def test_reset_returns_to_the_same_initial_weights_and_a_seed_draws_new_ones():
    model, X, y = moons_model()
    initial = held(model)[0]
    view = live(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05))
    view.step(5)
    assert held(model)[0] != initial
    view.reset()
    assert held(model)[0] == initial and view.steps_done == 0 and view.optimizer.t == 0
    view.reset(seed=7)
    assert held(model)[0] == [p.data for p in MLP(2, [8, 8, 1], seed=7).parameters()]
    view.step(2)
    view.reset()
    assert held(model)[0] == [p.data for p in MLP(2, [8, 8, 1], seed=7).parameters()]


def test_the_learners_own_loop_updates_a_view_only_live():
    model, X, y = moons_model(samples=20, sizes=(4, 1))
    view = live(model, X, y)
    with pytest.raises(RuntimeError, match="update"):
        view.play()
    for _ in range(3):  # the micrograd lecture's loop
        scores = [model(x) for x in X]
        loss = sum((1 + -yi * s).relu() for yi, s in zip(y, scores)) / len(y)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
        view.update(loss)
    assert view.steps_done == 3
    view._publish()  # update() sends at most ten frames a second; the last one waits for the loop
    assert shown(view) == held(model)
    assert view.widget.frame_data["curve"]["loss"][2] == pytest.approx(loss.data)


def test_a_live_run_becomes_the_player_thinned_to_the_budget_keeping_every_change():
    model, X, y = moons_model()
    view = live(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05))
    view.step(60)
    view.learning_rate = 0.01
    view.step(60)
    view.add_point([0.1, 0.2], -1)
    view.step(60)
    full = view.recording
    assert [f.step for f in full.frames] == list(range(181))
    small = view.run.recording(budget=25 * _frame_size(view))
    steps = [f.step for f in small.frames]
    assert len(steps) <= 30 and {0, 59, 60, 119, 120, 180} <= set(steps)
    last = small.frames[-1]
    assert last.values == held(model)[0] and len(last.predictions) == len(view.run.X)
    page = small.to_html()
    assert page.startswith("<!DOCTYPE html>") and len(page) < 25 * _frame_size(view) + 400_000


def _frame_size(view):
    from tracegrad.viz.live import _frame_bytes

    return _frame_bytes(view.run)


def test_live_run_refuses_bad_input_clearly():
    model, X, y = moons_model()
    with pytest.raises(ValueError, match="unknown loss"):
        LiveRun(model, X, y, loss="nope")
    run = LiveRun(model, X, y, loss="hinge")
    with pytest.raises(ValueError, match="2 finite input numbers"):
        run.add_point([1.0], 1)
    with pytest.raises(ValueError, match="none of the data's classes"):
        run.add_point([0.0, 0.0], 3)
    with pytest.raises(ValueError, match="no sample 99"):
        run.remove_point(99)
    with pytest.raises(ValueError, match="unknown optimizer"):
        run.set_optimizer("RMSprop")
    with pytest.raises(ValueError, match="learning rate must be a number > 0"):
        run.learning_rate = math.inf


def test_in_a_notebook_the_output_holds_the_widget_and_a_static_snapshot():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        "from tracegrad.nn import MLP, Adam, make_moons\nfrom tracegrad import viz\n"
        "X, y = make_moons(30, noise=0.1, seed=0, signed=True)\nmodel = MLP(2, [4, 1], seed=0)\n"
        "view = viz.live(model, X, y, loss='hinge', optimizer=Adam(model.parameters(), lr=0.1))\nview"),
        nbformat.v4.new_code_cell("view.step(5)")]
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = notebook.cells[0].outputs
    kinds = [set(o.get("data", {})) for o in outputs]
    assert "application/vnd.jupyter.widget-view+json" in kinds[0]
    snapshot = outputs[1]["data"]["text/html"]
    # refreshed by the second cell's step(5), in place
    assert "the training player, at step 5" in snapshot
    assert 'data-tracegrad="player"' in inline_page(snapshot[snapshot.index('<div class="tracegrad-output">'):])


# --- viz.explore ------------------------------------------------------------------------



def engine_numbers(loss):
    """Every node's data and grad as the engine computes them (a fresh graph, backward())."""
    loss.backward()
    order = topological_order(loss)
    return [n.data for n in order], [n.grad for n in order]


def test_explore_recomputes_every_data_and_grad_as_the_engine_does_on_a_new_graph():
    loss, _ = square_neuron()
    explorer = Explorer(loss)
    explorer.set("w", -1.5)
    explorer.set("b", 0.25)
    data, grads = engine_numbers(square_neuron(w=-1.5, b=0.25)[0])
    assert explorer.data == pytest.approx(data, abs=1e-12) and explorer.grads == pytest.approx(grads, abs=1e-12)
    weights = [[[0.15, 0.2], [0.3, 0.7]], [[0.6, 0.9]]]
    loss, _ = network_221()
    explorer = Explorer(loss)
    explorer.set("L1.N0.w0", 0.15)
    data, grads = engine_numbers(network_221(weights=weights)[0])
    assert explorer.data == pytest.approx(data, abs=1e-12) and explorer.grads == pytest.approx(grads, abs=1e-12)
    assert loss.data == network_221()[0].data  # the graph's own Values are untouched


def test_explore_curve_nudge_and_tangent_follow_the_definition():
    explorer = Explorer("tanh(w*x + b)", w=0.5, x=2, b=-1)
    explorer.select("w")
    xs, losses = explorer.curve()
    assert losses == pytest.approx(np.tanh(xs * 2 - 1), abs=1e-12)
    loss, moved, slope = explorer.nudge(h=1e-3)
    assert loss == pytest.approx(math.tanh(0.0)) and moved == pytest.approx(math.tanh(2e-3))
    assert slope == pytest.approx((math.tanh(2e-3) - 0) / 1e-3)
    assert explorer.grad("w") == pytest.approx(2 * (1 - math.tanh(0.0) ** 2))  # x · tanh'(0)
    with pytest.raises(ValueError, match="no leaf named 'q'"):
        explorer.set("q", 1.0)
    with pytest.raises(ValueError, match="needs a finite number"):
        explorer.set("w", math.nan)


def test_explore_widget_answers_a_slider_with_the_numbers_of_the_new_value():
    loss, _ = network_221()
    view = explore(loss)
    leaf = view.explorer.names.index("L1.N0.b")
    view._on_message(view.widget, {"action": "set", "leaf": leaf, "value": -0.3}, [])
    frame = view.widget.frame_data
    assert frame["selected"] == leaf and frame["values"][leaf] == -0.3
    biases = [[-0.3, -0.3], [0.2]]  # network_221's other biases, L1.N0.b moved to -0.3
    data, grads = engine_numbers(network_221(biases=biases)[0])
    assert frame["data"] == [format_number(x) for x in data] and frame["grads"] == [format_number(g) for g in grads]
    nudge = frame["nudge"]
    assert nudge["grad"] == format_number(grads[view.explorer.leaves[leaf]])
    assert float(nudge["slope"]) == pytest.approx((float(nudge["moved"]) - float(nudge["loss"])) / 1e-3, rel=1e-4)
