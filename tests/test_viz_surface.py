"""viz.loss_surface: the error surface of the blog post's Figure 2, on square_neuron and a recorded run.

Grid values are checked against the loss written out by hand with numpy (not
the replay that computes them), path points against the recorded parameters.
"""

import json

import numpy as np
import pytest

from tracegrad import Value
from tracegrad.nn import MLP, SGD
from tracegrad.viz import loss_surface, record
from tracegrad.viz.examples import network_221, square_neuron


def square_neuron_by_formula(w, b):
    """square_neuron by hand: L = (relu(w·2 + b) - 4)²."""
    return (np.maximum(0.0, w * 2.0 + b) - 4.0) ** 2


def test_square_neuron_shows_the_step_from_3_7_to_minus_33_minus_11_and_the_flat_region():
    loss, nodes = square_neuron()
    surface = loss_surface(loss, [nodes["w"], nodes["b"]], lr=1)
    assert surface.points == [(3.0, 7.0), (-33.0, -11.0)]
    assert surface.losses == [81.0, 16.0]
    # the grid covers the path with a margin on every side
    assert surface.xs[0] < -33.0 and surface.xs[-1] > 3.0 and surface.ys[0] < -11.0 and surface.ys[-1] > 7.0
    # every grid value is the loss at that point
    w, b = np.meshgrid(surface.xs, surface.ys)
    assert surface.values == pytest.approx(square_neuron_by_formula(w, b), rel=1e-12, abs=1e-12)
    # the ReLU is off where 2w + b < 0: there the loss is flat, 16; it is not flat at the start
    flat = surface.flat()
    i, j = np.searchsorted(surface.xs, -33.0), np.searchsorted(surface.ys, -11.0)
    assert flat[j, i] and surface.values[j, i] == 16.0
    i, j = np.searchsorted(surface.xs, 3.0), np.searchsorted(surface.ys, 7.0)
    assert not flat[j, i]
    assert surface.exact and "every other leaf (the data)" in surface.caption


def test_a_recorded_run_of_a_two_parameter_model_gives_the_path_it_took():
    xs, ys = [[-1.0], [0.0], [1.0], [2.0]], [-1.0, 1.0, 3.0, 5.0]  # y = 2x + 1
    model = MLP(1, [1], seed=0)
    w, b = model.parameters()
    start = (w.data, b.data)
    # the loss the model trains on, as Values: the mean squared error over the data
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys)) * (1 / len(xs))
    run = record(model, xs, ys, loss="mse", optimizer=SGD(model.parameters(), lr=0.05), epochs=12,
                 progress=False)
    surface = loss_surface(loss, [w, b], path=run)
    assert surface.points[0] == start
    assert surface.points == [(frame.values[0], frame.values[1]) for frame in run.frames]
    assert surface.losses == [frame.loss for frame in run.frames] and surface.recorded
    grid_w, grid_b = np.meshgrid(surface.xs, surface.ys)
    by_hand = np.mean([(grid_w * x[0] + grid_b - y) ** 2 for x, y in zip(xs, ys)], axis=0)
    assert surface.values == pytest.approx(by_hand, rel=1e-12, abs=1e-12)
    for (pw, pb), recorded in zip(surface.points, surface.losses):  # the recorded losses lie on the surface
        assert recorded == pytest.approx(np.mean([(pw * x[0] + pb - y) ** 2 for x, y in zip(xs, ys)]))
    assert min(surface.xs) < min(p for p, _ in surface.points) and max(surface.xs) > max(p for p, _ in surface.points)


def test_by_default_the_two_parameters_with_the_largest_gradients_and_a_slice_says_so():
    cost, nodes = network_221()
    surface = loss_surface(cost, resolution=5)
    # network_221's gradients: L2.N0.b -0.408, L1.N0.b -0.2448, L2.N0.w0 -0.13056, ...
    assert surface.names == ["L2.N0.b", "L1.N0.b"]
    assert not surface.exact and surface.caption.startswith("a slice")


def test_bad_input_is_refused_with_a_reason(tmp_path):
    loss, nodes = square_neuron()
    with pytest.raises(ValueError, match="say which two parameters"):
        loss_surface(loss)
    with pytest.raises(ValueError, match="not both"):
        loss_surface(loss, [nodes["w"], nodes["b"]], lr=1, path=[(1, 2)])
    with pytest.raises(ValueError, match="two different leaves"):
        loss_surface(loss, [nodes["w"], nodes["w"]])
    with pytest.raises(ValueError, match="not a leaf"):
        loss_surface(loss, [nodes["w"], Value(1.0)])
    with pytest.raises(TypeError, match="needs the loss"):
        loss_surface(3.0, [nodes["w"], nodes["b"]])


def test_save_writes_the_picture_in_place(tmp_path):
    loss, nodes = square_neuron()
    surface = loss_surface(loss, [nodes["w"], nodes["b"]], lr=1, resolution=9)
    path = surface.save(tmp_path / "surface.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["surface.png"]
    with pytest.raises(ValueError, match="must end in"):
        surface.save(tmp_path / "surface.jpg")


# --- in the stepper's last steps -------------------------------------------------------


def test_the_stepper_shows_the_surface_with_the_step_at_its_last_steps(browser, tmp_path):
    from page_helpers import Page, data_of
    from tracegrad.viz import trace
    from tracegrad.viz.examples import parameters_of

    loss, nodes = square_neuron()
    recorded = trace(loss, parameters=parameters_of(nodes), lr=1.0)
    surface = data_of(recorded.to_html())["surface"]
    assert surface["names"] == ["w", "b"]
    assert surface["points"] == [[3.0, 7.0], [-33.0, -11.0]] and surface["losses"] == [81.0, 16.0]
    for j in (0, 13, 40):  # the grid's values: the loss written by hand
        for i in (0, 20, 40):
            assert surface["values"][j][i] == pytest.approx(
                square_neuron_by_formula(surface["xs"][i], surface["ys"][j]), rel=1e-12)
    assert surface["flat"][0][0] == 1  # (w, b) far down-left: the ReLU is off
    assert "surface" not in data_of(trace(loss).to_html())  # no step of gradient descent: no surface
    page = Page(browser, recorded.save_html(tmp_path / "square.html"))
    box = page.page.locator('[data-role="surface"]')
    assert box.is_hidden()  # the forward pass: not yet
    page.press("End")
    assert box.is_visible()
    assert json.loads(box.get_attribute("data-path")) == surface["points"]
    inside = page.page.evaluate("""(() => { const c = document.querySelector('[data-role="surface"] canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) { if (d[i + 3] > 0) { n++; } } return n; })()""")
    assert inside > 10000  # the picture is drawn
    page.page.click('[data-role="prev"]')
    assert box.is_visible()  # the update step shows it too
    page.page.click('[data-role="first"]')
    assert box.is_hidden()
    assert page.errors == []
