"""viz.plot: the training figure shows what it says, and says how to install matplotlib without it."""

import sys

import pytest

pytest.importorskip("matplotlib")

from tracegrad.nn import MLP  # noqa: E402
from tracegrad.viz.plot import MissingMatplotlib, require_matplotlib, save_training_plot, training_figure  # noqa: E402

HISTORY = {"loss": [0.9, 0.5, 0.2], "accuracy": [0.5, 0.75, 0.8]}


def sign_of_x0():
    """A model whose score is its first input: the boundary is the line x0 = 0."""
    return MLP.from_weights([[[1.0, 0.0]]], [[0.0]])


# Class +1 right of x0 = 0, class -1 left, and one sample on the wrong side.
X = [[-1.0, 0.0], [-0.5, 1.0], [0.5, -1.0], [1.0, 0.5], [0.8, 0.0]]
Y = [-1, -1, 1, 1, -1]


def legend_texts(axes):
    return [text.get_text() for text in axes.get_legend().get_texts()]


def test_two_panels_with_titles_labels_and_legends():
    figure = training_figure(sign_of_x0(), X, Y, HISTORY, title="a title", loss_name="hinge loss")
    loss_axes, model_axes = figure.axes[:2]
    assert "a title" in [text.get_text() for text in figure.texts]
    assert loss_axes.get_xlabel() == "epoch"
    assert "hinge loss" in loss_axes.get_ylabel()
    assert "0.9 → 0.2" in loss_axes.get_title() and "accuracy 80%" in loss_axes.get_title()
    assert legend_texts(loss_axes) == ["hinge loss", "accuracy"]
    assert model_axes.get_xlabel().startswith("x0") and model_axes.get_ylabel().startswith("x1")
    assert legend_texts(model_axes) == ["class -1", "class +1", "decision boundary", "misclassified (1)"]


def test_the_boundary_is_where_the_score_is_zero():
    figure = training_figure(sign_of_x0(), X, Y, HISTORY, resolution=21)
    model_axes = figure.axes[1]
    black_lines = [c for c in model_axes.collections
                   if hasattr(c, "levels") and list(c.levels) == [0.0]]
    assert len(black_lines) == 1
    vertices = [v for path in black_lines[0].get_paths() for v in path.vertices]
    assert vertices and all(abs(x) < 1e-9 for x, _ in vertices)


def test_several_classes_and_no_accuracy_curve():
    model = MLP.from_weights([[[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]]], [[0.0, 0.0, 0.0]])
    figure = training_figure(model, X, [0, 1, 2, 0, 1], {"loss": [1.0, 0.5]})
    loss_axes, model_axes = figure.axes[:2]
    assert legend_texts(loss_axes) == ["loss"]
    assert legend_texts(model_axes)[:3] == ["class 0", "class 1", "class 2"]


def test_one_input_draws_the_curve_through_the_samples():
    model = MLP.from_weights([[[2.0]]], [[0.0]])  # y = 2x
    xs = [[-1.0], [0.0], [0.5], [1.0]]
    figure = training_figure(model, xs, [1.0, 0.0, 0.25, 1.0], {"loss": [0.3, 0.1]},
                             true_curve=(lambda x: x * x, "y = x²"))
    model_axes = figure.axes[1]
    assert "y = x²" in legend_texts(model_axes)
    prediction = [line for line in model_axes.get_lines() if line.get_label() == "the model's prediction"][0]
    for x, y in zip(*prediction.get_data()):
        assert y == pytest.approx(2 * x)


def test_save_writes_png_and_refuses_other_names(tmp_path):
    path = save_training_plot(tmp_path / "plot.png", sign_of_x0(), X, Y, HISTORY, resolution=10)
    assert path.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="must end in .png, .svg, .pdf"):
        save_training_plot(tmp_path / "plot.txt", sign_of_x0(), X, Y, HISTORY)
    with pytest.raises(ValueError, match="must end in .png, .svg, .pdf"):  # a hidden file, no suffix:
        save_training_plot(tmp_path / ".svg", sign_of_x0(), X, Y, HISTORY)  # matplotlib would add .png
    assert not (tmp_path / ".svg.png").exists()


def test_three_inputs_are_refused():
    with pytest.raises(ValueError, match="1 or 2 inputs"):
        training_figure(MLP(3, [1], seed=0), [[0.0, 0.0, 0.0]], [1], HISTORY)


def test_without_matplotlib_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingMatplotlib, match="plotting needs matplotlib: pip install matplotlib"):
        require_matplotlib()
    with pytest.raises(ImportError):
        training_figure(sign_of_x0(), X, Y, HISTORY)


def test_the_grid_is_predicted_in_pieces_so_memory_follows_the_model_not_the_grid():
    # predict() replays the model over all rows at once, an array per node as long as the
    # rows: the 3,600 grid points of a 1,801-parameter model took ~250 MB in one piece
    import tracemalloc

    model = MLP(2, [40, 40, 1], seed=0)
    tracemalloc.start()
    try:
        training_figure(model, X, Y, HISTORY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 80e6, f"{peak / 1e6:.0f} MB"
