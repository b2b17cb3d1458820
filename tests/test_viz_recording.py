"""viz.Recording and viz.record: every frame holds the run's own numbers, checked against a loop of our own."""

import math

import pytest

from tracegrad import Value
from tracegrad.nn import MLP, SGD, Adam, AdamW, fit, hinge, make_moons, make_squares, make_xor, mse, predict
from tracegrad.viz import Recording, record


def small_moons(n=24):
    return make_moons(n, noise=0.1, seed=3, signed=True)


def test_frames_are_the_model_after_each_step_checked_against_a_hand_written_loop():
    X, y = small_moons()
    model = MLP(2, [4, 1], seed=0)
    # fit on the scalar path, node by node, as the loop below: the same numbers to the last bit
    run = record(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05), epochs=5,
                 progress=False, batched=False)
    # the same run by hand: forward, loss, backward, step
    twin = MLP(2, [4, 1], seed=0)
    optimizer = Adam(twin.parameters(), lr=0.05)
    assert [f.step for f in run.frames] == [0, 1, 2, 3, 4, 5]
    for k, frame in enumerate(run.frames):
        assert frame.values == [p.data for p in twin.parameters()]
        assert frame.state["m"] == optimizer.m and frame.state["v"] == optimizer.v and frame.state["t"] == k
        # the grid and the samples are evaluated together, replayed with numpy
        assert frame.predictions == pytest.approx(predict(twin, X, batched=False), rel=1e-12, abs=1e-15)
        outputs = [twin(x) for x in X]
        loss = hinge(outputs, y)
        assert frame.loss == pytest.approx(loss.data, rel=1e-12)
        assert frame.accuracy == sum((o.data > 0) == (t > 0) for o, t in zip(outputs, y)) / len(y)
        twin.zero_grad()
        loss.backward()
        if k < 5:
            assert frame.grads == [p.grad for p in twin.parameters()]
            assert frame.batch_loss == loss.data
            optimizer.step()
        else:  # the run ended: no gradient was computed at the last frame
            assert frame.grads is None and frame.batch_loss is None
    assert run.history["loss"] == [f.loss for f in run.frames[:-1]]


def test_step_0_is_recorded_before_any_training():
    X, y = small_moons()
    model = MLP(2, [3, 1], seed=1)
    before = [p.data for p in model.parameters()]
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    recording = Recording(model, X, y, loss="hinge", optimizer=optimizer)
    assert len(recording) == 1 and recording[0].step == 0 and recording[0].epoch is None
    assert recording[0].values == before
    # SGD holds no momentum buffer before its first step: nan, shown as "—"
    assert all(math.isnan(v) for v in recording[0].state["momentum_buffer"])
    fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=2, progress=False, on_step=recording)
    assert [f.step for f in recording] == [0, 1, 2]
    assert recording[1].state["momentum_buffer"] == optimizer.velocities or \
        recording[1].state["momentum_buffer"] != recording[2].state["momentum_buffer"]
    assert recording[2].state["momentum_buffer"] == optimizer.velocities


def test_the_grid_holds_every_neurons_output_over_the_plane():
    X, y = small_moons()
    model = MLP(2, [3, 2, 1], seed=2)
    run = record(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.1), epochs=1,
                 progress=False)
    axis0, axis1 = run.grid_axes
    assert min(axis0) < min(x[0] for x in X) and max(axis1) > max(x[1] for x in X)
    grid = run.frames[-1].grid
    assert grid.shape == (len(axis0) * len(axis1), 3 + 2 + 1)
    point = 5 * len(axis0) + 7  # x1 = axis1[5], x0 = axis0[7]
    x = [axis0[7], axis1[5]]
    hidden = [n(x).data for n in model.layers[0].neurons]
    assert list(grid[point, :3]) == pytest.approx(hidden, rel=1e-6)
    second = [n(hidden).data for n in model.layers[1].neurons]
    assert list(grid[point, 3:5]) == pytest.approx(second, rel=1e-6)
    assert grid[point, 5] == pytest.approx(model(x).data, rel=1e-6)  # kept as float32


def test_regression_has_a_line_and_no_accuracy():
    X, y = make_squares(12, seed=0)
    model = MLP(1, [5, 1], seed=0)
    run = record(model, X, y, loss="mse", optimizer=Adam(model.parameters(), lr=0.05), epochs=3,
                 progress=False)
    assert len(run.grid_axes) == 1 and run.frames[0].grid.shape == (len(run.grid_axes[0]), 6)
    assert all(f.accuracy is None for f in run.frames)
    assert run.frames[-1].loss == pytest.approx(mse([Value(p) for p in predict(model, X)], y).data)


def test_the_recording_is_deterministic_for_a_fixed_seed():
    def once():
        X, y = small_moons()
        model = MLP(2, [4, 1], seed=7)
        run = record(model, X, y, loss="hinge", optimizer=AdamW(model.parameters(), lr=0.05), epochs=4,
                     batch_size=8, seed=11, progress=False)
        return run, run.to_html()

    (a, page_a), (b, page_b) = once(), once()
    assert [f.values for f in a] == [f.values for f in b] and [f.grads for f in a] == [f.grads for f in b]
    assert page_a == page_b


def test_minibatches_record_every_step_with_the_batch_loss_apart():
    X, y = small_moons(20)
    model = MLP(2, [3, 1], seed=0)
    run = record(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05), epochs=2,
                 batch_size=8, seed=0, progress=False)
    assert [f.step for f in run] == list(range(7))  # 3 batches per epoch
    assert [f.epoch for f in run] == [None, 0, 0, 0, 1, 1, 1]
    assert all(f.batch_loss is not None for f in run.frames[:-1])
    assert any(f.batch_loss != f.loss for f in run.frames[:-1])


def test_every_records_every_kth_step_and_finish_adds_the_last():
    X, y = small_moons()
    model = MLP(2, [3, 1], seed=0)
    run = record(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05), epochs=7,
                 every=3, progress=False)
    assert [f.step for f in run] == [0, 3, 6, 7]
    assert run.frames[-1].values == [p.data for p in model.parameters()]


def test_a_small_model_records_one_samples_graph_at_every_frame():
    X, y = make_xor(16, seed=0, signed=True)
    model = MLP(2, [2, 1], seed=3)
    run = record(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.1), epochs=3,
                 sample=5, progress=False)
    graph = run.graph
    assert graph.sample == 5 and len(graph.data) == len(run.frames)
    # the last frame's graph: the sample's loss and every node's d loss / d node, against its own backward
    fresh = hinge([model(X[5])], [y[5]])
    model.zero_grad()  # fit left the last step's gradients
    fresh.backward()
    from tracegrad import topological_order

    order = topological_order(fresh)
    assert graph.data[-1] == [node.data for node in order]
    leaves = [i for i, node in enumerate(order) if node.label.startswith("L")]
    assert [graph.grads[-1][i] for i in leaves] == [order[i].grad for i in leaves]
    big = MLP(2, [16, 16, 1], seed=0)
    assert Recording(big, X, y, loss="hinge", optimizer=Adam(big.parameters())).graph is None


def test_mistakes_are_clear_errors():
    X, y = small_moons()
    model, other = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    optimizer = Adam(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="unknown loss 'hing'"):
        Recording(model, X, y, loss="hing", optimizer=optimizer)
    with pytest.raises(TypeError, match="optimizer must be an nn optimizer"):
        Recording(model, X, y, loss="hinge", optimizer="adam")
    with pytest.raises(ValueError, match="every must be a positive int"):
        Recording(model, X, y, loss="hinge", optimizer=optimizer, every=0)
    with pytest.raises(ValueError, match="sample must be an index into X"):
        Recording(model, X, y, loss="hinge", optimizer=optimizer, sample=len(X))
    recording = Recording(model, X, y, loss="hinge", optimizer=optimizer)
    with pytest.raises(ValueError, match="another model or optimizer"):
        fit(other, X, y, loss="hinge", optimizer=Adam(other.parameters()), epochs=1, progress=False,
            on_step=recording)
    recording = Recording(model, X, y, loss="mse", optimizer=optimizer)
    with pytest.raises(ValueError, match="give the Recording the same loss as fit"):
        fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=1, progress=False, on_step=recording)
    recording = Recording(model, X, y, loss="hinge", optimizer=optimizer)
    fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=1, progress=False, on_step=recording)
    with pytest.raises(ValueError, match="follows one run of fit"):
        fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=1, progress=False, on_step=recording)


def test_the_moons_page_of_a_2_16_16_1_network_over_100_epochs_is_under_5_mb():
    X, y = make_moons(100, noise=0.1, seed=1, signed=True)
    model = MLP(2, [16, 16, 1], seed=1)
    run = record(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.1), epochs=100,
                 progress=False)
    assert len(run) == 101
    size = len(run.to_html().encode("utf-8"))
    assert 1_000_000 < size <= 5_000_000, size


def test_a_subclass_of_mlp_with_its_own_forward_is_evaluated_as_itself():
    class Doubled(MLP):
        def __call__(self, x):
            return super().__call__(x) * 2.0

    X, y = small_moons()
    model = Doubled(2, [3, 1], seed=2)
    run = record(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.1), epochs=1,
                 progress=False)
    axis0, axis1 = run.grid_axes
    x = [axis0[7], axis1[5]]
    assert run.frames[-1].grid[5 * len(axis0) + 7, -1] == pytest.approx(model(x).data, rel=1e-6)


@pytest.mark.parametrize("make_optimizer", [lambda ps: Adam(ps, lr=0.05, amsgrad=True),
                                            lambda ps: SGD(ps, lr=0.1, momentum=0.9)])
def test_on_the_batched_path_frames_read_from_fits_arrays_match_the_values(make_optimizer):
    # fit's batched path keeps the numbers in arrays; the recording reads them there (and the grid
    # from them), a second hook reads the Values and the optimizer's lists: the same numbers
    X, y = small_moons()
    model = MLP(2, [4, 3, 1], seed=4)
    optimizer = make_optimizer(model.parameters())
    recording = Recording(model, X, y, loss="hinge", optimizer=optimizer, sample=None)
    seen = []

    def both(info):
        recording(info)
        parameters = info.parameters  # writes fit's arrays back into the Values
        outputs = [model(x).data for x in X]
        grid_point = [recording.grid_axes[0][3], recording.grid_axes[1][8]]
        seen.append(([p.data for p in parameters], dict(vars(optimizer)), outputs,
                     [n(grid_point).data for n in model.layers[0].neurons], model(grid_point).data))

    fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=4, progress=False, on_step=both)
    assert len(recording) == 5
    for frame, (values, state, outputs, hidden, output) in zip(recording.frames[1:], seen):
        assert frame.values == values
        if isinstance(optimizer, Adam):
            assert frame.state == {"m": state["m"], "v": state["v"], "v_max": state["v_max"], "t": state["t"]}
        else:
            assert frame.state == {"momentum_buffer": state["velocities"]}
        assert frame.predictions == pytest.approx(outputs, rel=1e-12, abs=1e-15)
        assert frame.accuracy == sum((o > 0) == (t > 0) for o, t in zip(outputs, y)) / len(y)
        assert type(frame.accuracy) is float  # plain numbers, as the page and the README show them
        point = 8 * len(recording.grid_axes[0]) + 3
        assert list(frame.grid[point, :4]) == pytest.approx(hidden, rel=1e-6, abs=1e-7)
        assert frame.grid[point, -1] == pytest.approx(output, rel=1e-6, abs=1e-7)


def test_parameter_labels_with_control_characters_reach_the_player_escaped():
    from tracegrad.nn import MLP
    from tracegrad.viz import Recording

    model = MLP(1, [1], seed=0)
    model.parameters()[0].label = "w\x1b[31m\ud800"
    recording = Recording(model, [[0.0], [1.0]], [0.0, 1.0], loss="mse", optimizer=SGD(model.parameters(), lr=0.1))
    assert recording.labels[0] == "w\\x1b[31m\\ud800"
