"""nn.train: square_neuron's neuron, moons to 100%, spirals, fit's batches, history, progress bar, errors."""

import pytest

from tracegrad import Value
from tracegrad.nn import (MLP, SGD, Adam, Neuron, accuracy, fit, hinge, make_moons, make_spiral, make_squares,
                make_xor, mse, predict)


# --- square_neuron: one ReLU neuron learning y = x² ---------------------------------------


def test_square_neuron_first_prediction_gradient_and_step():
    neuron = Neuron.from_weights([3.0], 7.0, activation="relu")  # the blog post's w1 = 3, b1 = 7
    loss = mse(neuron([2.0]), 4.0)
    assert loss.data == 81.0  # z = max(0, 3·2 + 7) = 13, (13 − 4)² = 81
    loss.backward()
    # dL/dw = 2(z − y)·x = 36 and dL/db = 2(z − y) = 18. (The seed writes 2wx and 2b
    # and so gets w2 = −9, b2 = −7; its conclusion, a prediction of 0, still holds.)
    assert (neuron.w[0].grad, neuron.b.grad) == (36.0, 18.0)
    SGD(neuron.parameters(), lr=1.0).step()  # γ = 1
    assert (neuron.weights(), neuron.bias()) == ([-33.0], -11.0)
    assert neuron([2.0]).data == 0.0  # ReLU gates the now-negative sum


def test_square_neuron_neuron_learns_squares_with_the_loss_falling_every_epoch():
    X, y = make_squares(20, seed=0, low=0.0, high=2.0)
    neuron = Neuron.from_weights([3.0], 7.0, activation="relu")
    history = fit(neuron, X, y, loss="mse", optimizer=SGD(neuron.parameters(), lr=0.1),
                  epochs=200, progress=False)
    losses = history["loss"]
    assert len(losses) == 200 and "accuracy" not in history
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert losses[0] > 50.0 and losses[-1] < 0.05
    assert mse([Value(p) for p in predict(neuron, X)], y).data < 0.05


# --- real toy problems ------------------------------------------------------------------


def test_a_2_16_16_1_mlp_learns_100_noisy_moons_to_100_percent():
    X, y = make_moons(100, noise=0.1, seed=1, signed=True)
    model = MLP(2, [16, 16, 1], seed=1)
    history = fit(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.1),
                  epochs=40, progress=False)
    assert history["accuracy"][0] < 0.9
    assert history["accuracy"][-1] == 1.0
    assert accuracy(model, X, y) == 1.0
    assert history["loss"][-1] < history["loss"][0] / 10


def test_three_spirals_are_learned_well_above_chance():
    X, y = make_spiral(60, classes=3, noise=0.05, seed=0)
    model = MLP(2, [16, 16, 3], seed=0)
    history = fit(model, X, y, loss="cross_entropy", optimizer=Adam(model.parameters(), lr=0.05),
                  epochs=30, progress=False)
    assert history["accuracy"][0] < 0.5  # about chance, 1/3, before training
    assert accuracy(model, X, y) >= 0.9


# --- fit's mechanics ---------------------------------------------------------------------


class CountingSGD(SGD):
    steps = 0

    def step(self):
        self.steps += 1
        super().step()


def test_minibatches_are_shuffled_reproducibly_with_one_step_per_batch():
    X, y = make_xor(25, seed=0)

    def run():
        model = MLP(2, [4, 1], seed=0)
        optimizer = CountingSGD(model.parameters(), lr=0.05)
        history = fit(model, X, y, loss="bce_with_logits", optimizer=optimizer, epochs=3,
                      batch_size=10, seed=7, progress=False)
        return history, model.weights(), optimizer.steps

    first, second = run(), run()
    assert first == second
    assert first[2] == 3 * 3  # batches of 10, 10 and 5 in each of 3 epochs


def test_default_optimizer_and_full_batch():
    X, y = make_xor(20, seed=1, signed=True)
    model = MLP(2, [8, 1], seed=0)
    history = fit(model, X, y, loss="hinge", epochs=5, progress=False)
    assert sorted(history) == ["accuracy", "loss"]
    assert len(history["loss"]) == len(history["accuracy"]) == 5
    assert history["loss"][-1] < history["loss"][0]


def test_a_loss_function_of_your_own():
    X, y = make_moons(20, seed=0, signed=True)
    model = MLP(2, [4, 1], seed=0)

    def hinge_with_l2(predictions, targets):
        return hinge(predictions, targets) + 1e-4 * Value.sum([p * p for p in model.parameters()])

    history = fit(model, X, y, loss=hinge_with_l2, epochs=2, progress=False, accuracy=True)
    assert len(history["accuracy"]) == 2
    assert "accuracy" not in fit(model, X, y, loss=hinge_with_l2, epochs=1, progress=False)


def test_progress_bar_on_stderr_unless_switched_off(capsys):
    X, y = make_xor(10, seed=0)
    model = MLP(2, [2, 1], seed=0)
    fit(model, X, y, loss="bce_with_logits", epochs=2, progress=False)
    assert capsys.readouterr() == ("", "")
    fit(model, X, y, loss="bce_with_logits", epochs=2)
    out, err = capsys.readouterr()
    assert out == "" and "fit" in err and "2/2" in err and "accuracy" in err


def test_predict_and_accuracy():
    model = MLP.from_weights([[[1.0, 0.0]]], [[0.0]])  # one linear neuron: the output is x[0]
    X = [[2.0, 5.0], [-1.0, 0.0], [0.5, 1.0]]
    assert predict(model, X) == [2.0, -1.0, 0.5]
    assert accuracy(model, X, [1, 0, 0]) == pytest.approx(2 / 3)
    assert accuracy(model, X, [1, -1, 1]) == 1.0
    several = MLP.from_weights([[[1.0, 0.0], [0.0, 1.0]]], [[0.0, 0.0]])  # outputs x itself
    assert predict(several, X) == X
    assert accuracy(several, X, [1, 1, 0]) == pytest.approx(2 / 3)  # argmax is 1, 1, 1


def test_fit_errors():
    X, y = make_xor(10, seed=0)
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="unknown loss 'mae'; choose one of 'mse'"):
        fit(model, X, y, loss="mae")
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        fit(model, X, y[:-1])
    with pytest.raises(ValueError, match="epochs must be a positive int, got 0"):
        fit(model, X, y, epochs=0)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 2.5"):
        fit(model, X, y, batch_size=2.5)
    other = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="the optimizer holds none of this model's parameters"):
        fit(model, X, y, optimizer=SGD(other.parameters(), lr=0.1))
    with pytest.raises(TypeError, match="optimizer must be an nn optimizer"):
        fit(model, X, y, optimizer="adam")
    with pytest.raises(TypeError, match="the loss must return a Value, got 0.5"):
        fit(model, X, y, loss=lambda predictions, targets: 0.5)


def test_a_diverging_run_stops_with_an_error_that_names_the_cause():
    # lr 1e300 drives the weights to about ±1e301 in one step; the next forward
    # pass overflows, and the error says so rather than failing inside the loss
    X, y = make_moons(20, seed=0, signed=True)
    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(OverflowError, match="fit\\(\\): training diverged: a prediction is inf"):
        fit(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=1e300),
            epochs=5, progress=False)


def test_a_step_that_overflows_a_parameter_is_an_error_even_on_the_last_step():
    model = MLP.from_weights([[[1e308]]], [[0.0]])
    # hinge is 0 at score 1e308, so the step is pure weight decay: 1e308 - 1e308 · 1e308
    optimizer = SGD(model.parameters(), lr=1e308, weight_decay=1.0)
    with pytest.raises(OverflowError, match="a parameter after the step is -inf"):
        fit(model, [[1.0]], [1], loss="hinge", optimizer=optimizer, epochs=1, progress=False)


def test_a_nan_prediction_is_an_error_not_a_hinge_loss_of_0():
    # finite weights, but 1e308·2 + (-1e308)·2 = inf - inf = nan, and relu(1 - nan) is 0
    model = MLP.from_weights([[[1e308, -1e308]]], [[0.0]])
    with pytest.raises(OverflowError, match="a prediction is nan"):
        fit(model, [[2.0, 2.0]], [1], loss="hinge", optimizer=SGD(model.parameters(), lr=0.1),
            epochs=1, progress=False)


# --- on_step: what fit reports after every step ------------------------------------------


def test_on_step_reports_each_step_as_a_hand_written_loop_sees_it():
    X, y = make_moons(12, noise=0.1, seed=3, signed=True)
    seen = []
    model = MLP(2, [3, 1], seed=2)
    fit(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1, momentum=0.9),
        epochs=2, batch_size=5, seed=4, progress=False, on_step=seen.append, batched=False)

    # the same run by hand: same shuffles, same batches, one SGD step per batch
    import random
    reference = MLP(2, [3, 1], seed=2)
    optimizer = SGD(reference.parameters(), lr=0.1, momentum=0.9)
    rng, order, expected = random.Random(4), list(range(12)), []
    for epoch in range(2):
        rng.shuffle(order)
        for start in range(0, 12, 5):
            batch = order[start:start + 5]
            outputs = [reference(X[i]) for i in batch]
            loss = hinge(outputs, [y[i] for i in batch])
            reference.zero_grad()
            loss.backward()
            values = [p.data for p in reference.parameters()]
            grads = [p.grad for p in reference.parameters()]
            optimizer.step()
            right = sum((o.data > 0) == (y[i] > 0) for o, i in zip(outputs, batch))
            expected.append((epoch, batch, loss.data, right / len(batch),
                             [o.data for o in outputs], values, grads, list(optimizer.velocities)))

    assert [info.step for info in seen] == list(range(6))
    for info, (epoch, batch, loss, right, outputs, values, grads, velocities) in zip(seen, expected):
        assert (info.epoch, info.batch, info.loss, info.accuracy) == (epoch, batch, loss, right)
        assert info.predictions == outputs and info.values == values and info.grads == grads
        assert info.parameters == info.model.parameters()
    # model and optimizer are live: after the run they hold the final state
    assert seen[-1].optimizer.velocities == expected[-1][-1]
    assert model.weights() == reference.weights()


def test_on_step_must_be_callable():
    X, y = make_xor(4, seed=0)
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(TypeError, match="on_step must be a function"):
        fit(model, X, y, epochs=1, progress=False, on_step="print")


def test_without_a_seed_the_shuffles_follow_random_seed():
    import random
    X, y = make_xor(20, seed=0)

    def run():
        random.seed(7)
        model = MLP(2, [4, 1])  # weights from the global generator too
        fit(model, X, y, loss="bce_with_logits", epochs=3, batch_size=6, progress=False)
        return model.weights()

    assert run() == run()


# --- numpy arrays wherever lists are taken -----------------------------------------------


@pytest.mark.parametrize("loss, make, sizes", [("mse", make_squares, [1, 4, 1]),
                                               ("cross_entropy", make_spiral, [2, 4, 3]),
                                               ("hinge", make_moons, [2, 4, 1])])
def test_fit_predict_and_accuracy_take_numpy_arrays_with_the_results_of_lists(loss, make, sizes):
    import numpy as np
    X, y = make(30, seed=1, **({"signed": True} if loss == "hinge" else {}))
    runs = []
    for as_array in (False, True):
        model = MLP(sizes[0], sizes[1:], seed=2)
        data = (np.array(X), np.array(y)) if as_array else (X, y)
        history = fit(model, *data, loss=loss, optimizer=SGD(model.parameters(), lr=0.05), epochs=3,
                      progress=False)
        runs.append((history, model.weights(), predict(model, data[0]), accuracy(model, *data)
                     if loss != "mse" else None))
    assert runs[0] == runs[1]


def test_fit_takes_a_2d_array_of_targets_for_several_outputs():
    import numpy as np
    X = [[0.1 * k, 0.2] for k in range(10)]
    y = [[0.1 * k, -0.1 * k] for k in range(10)]
    runs = []
    for data in ((X, y), (np.array(X), np.array(y))):
        model = MLP(2, [3, 2], seed=0)
        runs.append((fit(model, *data, loss="mse", epochs=2, progress=False), model.weights()))
    assert runs[0] == runs[1]


def test_arrays_of_the_wrong_shape_are_refused_clearly():
    import numpy as np
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match=r"fit\(\): X must be a 2-D array.*shape \(10,\)"):
        fit(model, np.zeros(10), np.zeros(10), progress=False)
    with pytest.raises(ValueError, match=r"fit\(\): y must be a 1-D array .* shape \(10, 1, 1\)"):
        fit(model, np.zeros((10, 2)), np.zeros((10, 1, 1)), progress=False)
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        fit(model, np.zeros((10, 2)), np.zeros(9), progress=False)
    with pytest.raises(ValueError, match=r"predict\(\): X must be a 2-D array"):
        predict(model, np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"accuracy\(\): X must be a 2-D array"):
        accuracy(model, np.zeros(3), [1, 0, 1])


@pytest.mark.parametrize("in_arrays, batched", [(True, None), (False, None), (False, False)])
def test_trainer_steps_as_a_hand_written_loop_does(in_arrays, batched):
    """fit's step, called directly (as viz.live does), equals micrograd's loop: forward, loss, zero_grad,
    backward, update."""
    from tracegrad.nn.train import Trainer
    X, y = make_moons(12, noise=0.1, seed=3, signed=True)
    model, twin = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=0)
    trainer = Trainer(model, X, y, hinge, SGD(model.parameters(), lr=0.1), in_arrays=in_arrays, batched=batched,
                      known_mean=True)
    for _ in range(3):
        loss, outputs, values, grads = trainer.step(list(range(len(X))), watched=True)
        values, grads = (values() if callable(values) else values), (grads() if callable(grads) else grads)
        hand_loss = hinge([twin(x) for x in X], y)
        twin.zero_grad()
        hand_loss.backward()
        assert loss == pytest.approx(hand_loss.data, rel=1e-12)
        assert values == pytest.approx([p.data for p in twin.parameters()], rel=1e-12)
        assert grads == pytest.approx([p.grad for p in twin.parameters()], rel=1e-9, abs=1e-15)
        for p in twin.parameters():
            p.data -= 0.1 * p.grad
    trainer.write_back()
    assert [p.data for p in model.parameters()] == pytest.approx([p.data for p in twin.parameters()], rel=1e-9)
