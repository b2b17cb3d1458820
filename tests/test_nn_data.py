"""nn.data: shapes, labels, geometry without noise, seeds, and the global random state."""

import math
import random

import pytest

from tracegrad.nn import make_circles, make_moons, make_spiral, make_squares, make_xor

BINARY = [make_moons, make_circles, make_xor]


@pytest.mark.parametrize("make", BINARY)
def test_binary_sets_are_lists_of_pairs_with_0_1_or_signed_labels(make):
    X, y = make(31, noise=0.1, seed=0)
    assert len(X) == len(y) == 31
    assert all(isinstance(x, list) and len(x) == 2 and all(type(v) is float for v in x) for x in X)
    assert set(y) == {0, 1}
    X_signed, y_signed = make(31, noise=0.1, seed=0, signed=True)
    assert X_signed == X
    assert y_signed == [2 * t - 1 for t in y]


@pytest.mark.parametrize("make", BINARY + [make_spiral, make_squares])
def test_a_seed_repeats_the_draw_without_touching_global_random(make):
    state = random.getstate()
    assert make(30, noise=0.2, seed=5) == make(30, noise=0.2, seed=5)
    assert make(30, noise=0.2, seed=5) != make(30, noise=0.2, seed=6)
    assert random.getstate() == state


@pytest.mark.parametrize("make", BINARY + [make_spiral, make_squares])
def test_without_a_seed_the_draw_follows_random_seed(make):
    random.seed(1337)
    first = make(30, noise=0.2)
    random.seed(1337)
    assert make(30, noise=0.2) == first
    assert make(30, noise=0.2) != first  # the global generator moved on


def test_moons_without_noise_lie_on_their_arcs():
    X, y = make_moons(40, noise=0.0, seed=0)
    assert y.count(0) == y.count(1) == 20
    for (a, b), label in zip(X, y):
        if label == 0:  # upper arc: unit circle round (0, 0), y >= 0
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:  # lower arc: unit circle round (1, 0.5), y <= 0.5
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_circles_without_noise_have_radius_1_and_factor():
    X, y = make_circles(20, noise=0.0, factor=0.3, seed=0)
    for (a, b), label in zip(X, y):
        assert math.hypot(a, b) == pytest.approx(1.0 if label == 0 else 0.3)


def test_xor_labels_are_one_where_signs_differ():
    X, y = make_xor(50, noise=0.0, seed=0)
    assert all(label == int((a > 0) != (b > 0)) for (a, b), label in zip(X, y))
    assert all(-1.0 <= v <= 1.0 for x in X for v in x)


def test_spiral_has_every_class_with_radius_up_to_1():
    X, y = make_spiral(100, classes=3, noise=0.0, seed=0)
    assert [y.count(k) for k in range(3)] == [34, 33, 33]
    assert all(0.0 < math.hypot(a, b) <= 1.0 + 1e-12 for a, b in X)
    assert set(make_spiral(20, classes=5, seed=0)[1]) == set(range(5))


def test_squares_are_samples_of_x_squared():
    X, y = make_squares(25, seed=0, low=0.0, high=2.0)
    assert all(len(x) == 1 and 0.0 <= x[0] <= 2.0 for x in X)
    assert y == [x[0] ** 2 for x in X]
    X_noisy, y_noisy = make_squares(25, noise=0.1, seed=0, low=0.0, high=2.0)
    assert X_noisy == X
    assert y_noisy != y and max(abs(a - b) for a, b in zip(y_noisy, y)) < 0.5


def test_data_errors():
    with pytest.raises(ValueError, match="make_moons: n must be a positive int, got 0"):
        make_moons(0)
    with pytest.raises(ValueError, match="make_xor: noise must be a finite number >= 0, got -0.1"):
        make_xor(10, noise=-0.1)
    with pytest.raises(TypeError, match="make_circles: seed must be an int or None, got '1'"):
        make_circles(10, seed="1")
    with pytest.raises(ValueError, match=r"factor must be a number in \(0, 1\), got 1.5"):
        make_circles(10, factor=1.5)
    with pytest.raises(ValueError, match="classes must be an int >= 2, got 1"):
        make_spiral(10, classes=1)
    with pytest.raises(ValueError, match="low must be below high"):
        make_squares(10, low=1.0, high=1.0)


@pytest.mark.parametrize("make", [make_moons, make_circles, make_xor, make_spiral, make_squares])
def test_noise_too_large_for_a_float_is_an_error_not_inf(make):
    # a Gaussian draw of standard deviation 1e308 passes ±1.8e308 (inf) about once in 14
    with pytest.raises(ValueError, match=f"{make.__name__}: noise 1e\\+308 gives numbers too large"):
        make(100, noise=1e308, seed=0)


@pytest.mark.parametrize("make", [make_moons, make_circles, make_xor, make_spiral, make_squares])
def test_scikit_learns_argument_names_mean_n_and_seed(make):
    assert make(n_samples=30, noise=0.1, random_state=1) == make(30, noise=0.1, seed=1)
    assert len(make(n_samples=12)[0]) == 12
    with pytest.raises(ValueError, match="give seed or random_state, not both"):
        make(n_samples=30, seed=1, random_state=1)
    with pytest.raises(ValueError, match="n_samples must be a positive int, got 0"):
        make(n_samples=0)


# --- the toy data sets by name, with the losses that fit them ------------------------------


def test_toy_dataset_labels_and_sizes_follow_the_loss():
    from tracegrad.nn import toy_dataset

    hinge = toy_dataset("moons", 20, seed=0)
    assert hinge.loss == "hinge" and hinge.outputs == 1 and set(hinge.y) == {-1.0, 1.0}
    bce = toy_dataset("moons", 20, loss="bce_with_logits", seed=0)
    assert set(bce.y) == {0.0, 1.0} and bce.X == hinge.X
    assert toy_dataset("xor", 20, loss="cross_entropy", seed=0).outputs == 2
    spiral = toy_dataset("spiral", 30, seed=0)
    assert (spiral.loss, spiral.outputs, spiral.is_classification) == ("cross_entropy", 3, True)
    squares = toy_dataset("squares", 10, noise=0.0, seed=0)
    assert squares.loss == "mse" and not squares.is_classification
    function, written = squares.truth
    assert written == "y = x²" and all(y == function(x[0]) for x, y in zip(squares.X, squares.y))


@pytest.mark.parametrize("name, options, match", [
    ("mnist", {}, "unknown data set 'mnist'; choose one of moons, circles, xor, spiral, squares"),
    ("spiral", {"loss": "hinge"}, "the loss hinge does not fit spiral; choose one of cross_entropy"),
    ("squares", {"loss": "hinge"}, "does not fit squares; choose one of mse, half_squared_error"),
])
def test_toy_dataset_refuses_what_does_not_fit(name, options, match):
    from tracegrad.nn import toy_dataset

    with pytest.raises(ValueError, match=match):
        toy_dataset(name, 20, **options)
    with pytest.raises(ValueError, match="spiral needs 3 samples or more"):
        toy_dataset("spiral", 2)
