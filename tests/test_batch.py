"""autograd.batch and fit's batched path: the same numbers as the scalar engine, a batch at a time.

Every operation runs through both of its rules (scalar and array) and the two
must agree; random graphs replayed over a batch must give each sample's value
and the batch's gradient as the scalar engine does; fit's two paths must take
the same steps.
"""

import copy
import math
import random
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracegrad import nn
from tracegrad import ARRAY_RULES, Value
from tracegrad.batch import StructureMismatch, Tape, replay

# op name -> (make the node from Values, domain of each operand)
SCALAR_OPS = {
    "+": (lambda x, y: x + y, ((-5, 5), (-5, 5))),
    "-": (lambda x, y: x - y, ((-5, 5), (-5, 5))),
    "*": (lambda x, y: x * y, ((-5, 5), (-5, 5))),
    "/": (lambda x, y: x / y, ((-5, 5), (0.3, 4))),
    "neg": (lambda x: -x, ((-5, 5),)),
    "**n": (lambda x: x**3, ((-3, 3),)),
    "**": (lambda x, y: x**y, ((0.1, 4), (-3, 3))),
    "sum": (lambda x, y, z: Value.sum([x, y, z]), ((-5, 5),) * 3),
    "linear": (lambda w0, x0, w1, x1, b: Value.linear([w0, w1], [x0, x1], b), ((-5, 5),) * 5),
    "logsumexp": (lambda x, y, z: Value.logsumexp([x, y, z]), ((-30, 30),) * 3),
    "relu": (lambda x: x.relu(), ((-3, 3),)),
    "tanh": (lambda x: x.tanh(), ((-6, 6),)),
    "sin": (lambda x: x.sin(), ((-7, 7),)),
    "sigmoid": (lambda x: x.sigmoid(), ((-40, 40),)),
    "softplus": (lambda x: x.softplus(), ((-40, 40),)),
    "exp": (lambda x: x.exp(), ((-5, 5),)),
    "log": (lambda x: x.log(), ((0.01, 10),)),
}
EDGES = {"relu": [(0.0,), (-0.0,)], "**n": [(0.0,)], "sigmoid": [(0.0,), (-800.0,), (800.0,)],
         "softplus": [(0.0,), (-800.0,), (800.0,)], "tanh": [(0.0,), (50.0,)],
         "logsumexp": [(800.0, 799.0, -800.0)], "**": [(1e-310, 0.0), (0.0, 2.0), (0.0, 1.0)]}


def test_every_operation_has_a_rule_over_arrays_and_this_test_checks_each():
    assert set(ARRAY_RULES) == set(SCALAR_OPS)


@pytest.mark.parametrize("name", sorted(SCALAR_OPS))
def test_each_operation_gives_the_same_result_and_local_gradients_both_ways(name):
    make, domain = SCALAR_OPS[name]
    rng = random.Random(name)
    points = [tuple(rng.uniform(low, high) for low, high in domain) for _ in range(40)]
    points += [edge for edge in EDGES.get(name, []) if len(edge) == len(domain)]
    scalar = [make(*[Value(v) for v in point]) for point in points]
    rule, stacked = ARRAY_RULES[name]
    columns = np.array(points).T  # one row per operand, one column per sample
    if stacked:  # one node of len(domain) operands: (1, operands, samples)
        out, local = rule(np, columns[None, :, :])
        out, locals_ = out[0], np.broadcast_to(local, (1,) + columns.shape)[0]
    elif name == "**n":
        out, locals_ = rule(np, columns[0], 3.0)
    else:
        out, locals_ = rule(np, *columns)
    for k, node in enumerate(scalar):
        assert math.isclose(out[k], node.data, rel_tol=1e-14, abs_tol=1e-300), (points[k], out[k], node.data)
        for j, want in enumerate(node.local_grads):
            got = np.broadcast_to(locals_[j], columns.shape[1:])[k]
            # 1 - t² loses the digits t and numpy's t share: allow a few units in its last place
            assert math.isclose(got, want, rel_tol=1e-13, abs_tol=1e-15), (points[k], j, got, want)


@pytest.mark.parametrize("n", [2.0, 0.5, -1.0])
def test_powers_over_arrays_give_the_scalar_results_and_slopes_including_the_square_shortcut(n):
    points = [-2.5, -0.3, 0.0, 0.7, 3.0] if n == 2.0 else [0.2, 0.7, 3.0]
    rule, _ = ARRAY_RULES["**n"]
    out, (local,) = rule(np, np.array(points), n)
    table = np.full(len(points), np.nan)
    written, _ = rule(np, np.array(points), n, out=table)  # out=: straight into a tape's table
    for k, x in enumerate(points):
        node = Value(x) ** n
        assert math.isclose(out[k], node.data, rel_tol=1e-15) and table[k] == out[k] and written is table
        assert math.isclose(np.broadcast_to(local, out.shape)[k], node.local_grads[0], rel_tol=1e-15)


# --- random graphs: a tape against the scalar engine, sample by sample -------------------

UNARY = [lambda a: a.relu(), lambda a: a.tanh(), lambda a: a.sigmoid(), lambda a: -a,
         lambda a: a * a, lambda a: a**2, lambda a: (a * a + 1).log(), lambda a: a.softplus()]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
          lambda a, b: a / (b * b + 1), lambda a, b: Value.sum([a, b, a]),
          lambda a, b: Value.logsumexp([a, b])]


@st.composite
def programs(draw):
    """A random recipe: which operation on which earlier nodes, over 3 parameters and 2 inputs."""
    steps = []
    for k in range(draw(st.integers(1, 12))):
        available = 5 + k
        if draw(st.booleans()):
            steps.append(("unary", draw(st.integers(0, len(UNARY) - 1)), draw(st.integers(0, available - 1))))
        else:
            steps.append(("binary", draw(st.integers(0, len(BINARY) - 1)),
                          draw(st.integers(0, available - 1)), draw(st.integers(0, available - 1)),
                          draw(st.floats(-2, 2))))
    return steps


def _run(program, params, inputs, target):
    nodes = list(params) + list(inputs)
    for step in program:
        if step[0] == "unary":
            nodes.append(UNARY[step[1]](nodes[step[2]]))
        else:
            nodes.append(BINARY[step[1]](nodes[step[2]], nodes[step[3]] + step[4]))
    return (nodes[-1] - target) ** 2


@settings(max_examples=60, deadline=None)
@given(program=programs(), seed=st.integers(0, 10**6))
def test_a_tape_gives_each_samples_value_and_the_batchs_gradient(program, seed):
    rng = random.Random(seed)
    params = [Value(rng.uniform(-1, 1)) for _ in range(3)]
    samples = [([rng.uniform(-2, 2), rng.uniform(-2, 2)], rng.uniform(-1, 1)) for _ in range(5)]

    # the scalar engine: every sample's graph, and backward of their mean
    losses = [_run(program, params, [Value(v) for v in x], t) for x, t in samples]
    mean = Value.sum(losses) / len(losses)
    mean.backward()
    want = [p.grad for p in params]
    # the size of what was summed into each gradient, for a tolerance that allows reordering
    scale = [sum(abs(g) for g in _per_sample_grads(program, params, samples, k)) for k in range(3)]

    for p in params:
        p.grad = 0.0
    tape = Tape.record(lambda inputs, t: [_run(program, params, inputs, t)], samples)
    values = tape.forward()[0]
    tape.backward([1.0 / len(samples)])
    for got, loss in zip(values.tolist(), losses):
        assert math.isclose(got, loss.data, rel_tol=1e-12, abs_tol=1e-12)
    for p, w, s in zip(params, want, scale):
        assert abs(p.grad - w) <= 1e-12 * (s + abs(w)) + 1e-300, (p.grad, w)


def _per_sample_grads(program, params, samples, k):
    from tracegrad import grad
    return [grad(_run(program, params, [Value(v) for v in x], t), [params[k]], allow_unused=True)[0] / len(samples)
            for x, t in samples]


def test_a_tape_replays_new_inputs_and_a_chosen_subset_of_samples():
    w = [Value(0.5), Value(-1.5)]
    tape = Tape.record(lambda x: (x[0] * w[0] + x[1] * w[1]).tanh(), [([1.0, 2.0],), ([3.0, -1.0],)])
    rows = [[0.1, 0.2], [-3.0, 4.0], [2.0, 2.0]]
    assert tape.forward(inputs=rows)[0].tolist() == pytest.approx(
        [math.tanh(0.5 * a - 1.5 * b) for a, b in rows], rel=1e-15)
    assert tape.forward(samples=[1])[0].tolist() == pytest.approx([math.tanh(1.5 + 1.5)], rel=1e-15)
    w[0].data = 2.0  # shared leaves are read live at every replay
    assert tape.forward(inputs=[[1.0, 0.0]])[0].tolist() == pytest.approx([math.tanh(2.0)], rel=1e-15)


# --- what cannot be replayed is refused, with the reason ------------------------------


def test_a_computation_that_branches_on_the_data_is_refused():
    w = Value(1.0)

    def branchy(x):
        return (x[0] * w).relu() if x[0].data > 0 else (x[0] * w).tanh()

    with pytest.raises(StructureMismatch, match="sample 1 makes another graph than sample 0: node 3 is "
                                                "'tanh' of nodes \\[2\\] there, 'relu' of nodes \\[2\\]"):
        Tape.record(branchy, [([1.0],), ([-1.0],)])

    def longer(x):
        return x[0] * w if x[0].data > 0 else (x[0] * w).tanh()

    with pytest.raises(StructureMismatch, match="sample 1 makes a graph of 4 nodes, sample 0 one of 3"):
        Tape.record(longer, [([1.0],), ([-1.0],)])


def test_a_learners_own_operation_is_refused_for_want_of_an_array_rule():
    def own(x):
        out = Value(x[0].data * 2, (x[0],), "double")
        out._backward = lambda: None
        return out

    with pytest.raises(StructureMismatch, match="'double' is a learner's own"):
        Tape.record(own, [([1.0],), ([2.0],)])


def test_a_constant_that_moves_with_the_parameters_is_refused():
    w = Value(0.5)

    def shifted(x):  # the old stable softmax trick: a constant read off a node's .data
        z = x[0] * w
        return (z - z.data).exp()

    with pytest.raises(StructureMismatch, match="changes with the parameters"):
        Tape.record(shifted, [([1.0],), ([2.0],)])
    assert w.data == 0.5  # put back exactly


def test_new_inputs_are_refused_when_other_constants_differ_between_samples():
    w = Value(0.5)
    tape = Tape.record(lambda x, t: (x[0] * w - t) ** 2, [([1.0], 1.0), ([2.0], 3.0)])
    assert tape.forward(samples=[0, 1])[0].tolist() == [0.25, 4.0]
    with pytest.raises(StructureMismatch, match="replays only the samples it recorded"):
        tape.forward(inputs=[[1.0]])


# --- replay: one graph's forward pass with leaves changed, for the stepper's check -----


def test_replay_recomputes_with_changed_leaves_and_changes_nothing():
    w, x, b = Value(3.0, label="w"), Value(2.0, label="x"), Value(7.0, label="b")
    loss = ((w * x + b).relu() - 4.0) ** 2
    loss.backward()
    before = [(v.data, v.grad) for v in (w, x, b, loss)]
    assert replay(loss, {}) == loss.data == 81.0
    assert replay(loss, {w: 3.5}) == ((3.5 * 2 + 7) - 4) ** 2
    assert replay(loss, {w: -9.0, b: -7.0}) == 16.0  # the ReLU is off
    h = 1e-6
    assert (replay(loss, {w: 3 + h}) - replay(loss, {w: 3 - h})) / (2 * h) == pytest.approx(36.0, rel=1e-8)
    assert [(v.data, v.grad) for v in (w, x, b, loss)] == before
    with pytest.raises(ValueError, match="not a leaf"):
        replay(loss, {loss: 1.0})


def test_replay_refuses_a_graph_with_a_learners_own_operation():
    x = Value(1.0)
    own = Value(2.0, (x,), "double")
    with pytest.raises(ValueError, match="'double' is a learner's own"):
        replay(own * 3, {x: 2.0})


# --- fit and predict --------------------------------------------------------------------


LOSS_CASES = [
    ("mse", nn.make_squares, {}, [1, 8, 1]),
    ("half_squared_error", nn.make_squares, {}, [1, 8, 1]),
    ("hinge", nn.make_moons, {"signed": True}, [2, 8, 8, 1]),
    ("bce_with_logits", nn.make_xor, {}, [2, 8, 1]),
    ("cross_entropy", nn.make_spiral, {}, [2, 8, 3]),
]


@pytest.mark.parametrize("loss, make, options, sizes", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_fit_takes_the_scalar_paths_steps_batched(loss, make, options, sizes):
    X, y = make(24, seed=3, **options)
    runs = {}
    for batched in (False, True):
        model = nn.MLP(sizes[0], sizes[1:], seed=7)
        seen = []
        history = nn.fit(model, X, y, loss=loss, optimizer=nn.Adam(model.parameters(), lr=0.05),
                         epochs=3, batch_size=10, seed=1, progress=False, batched=batched,
                         on_step=seen.append)
        runs[batched] = (history, seen, model.weights())
    (scalar, scalar_steps, scalar_weights), (fast, fast_steps, fast_weights) = runs[False], runs[True]
    for a, b in zip(scalar_steps, fast_steps):
        assert a.batch == b.batch and a.values == pytest.approx(b.values, rel=1e-11, abs=1e-14)
        assert b.grads == pytest.approx(a.grads, rel=1e-12, abs=1e-15)
        assert b.loss == pytest.approx(a.loss, rel=1e-12)
        assert b.accuracy == a.accuracy
    assert fast["loss"] == pytest.approx(scalar["loss"], rel=1e-11)
    assert np.allclose(np.concatenate([np.ravel(w) for w in _flat(fast_weights)]),
                       np.concatenate([np.ravel(w) for w in _flat(scalar_weights)]), rtol=1e-10, atol=1e-13)


def _flat(nested):
    return [np.array(row, dtype=float) for layer in nested for row in layer]


def test_the_progress_bar_names_the_path(capsys):
    X, y = nn.make_moons(20, seed=0, signed=True)
    nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss="hinge", epochs=1)
    assert "fit (batched)" in capsys.readouterr().err
    nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss="hinge", epochs=1, batched=False)
    assert "fit (scalar)" in capsys.readouterr().err


def test_a_model_that_branches_trains_on_the_scalar_path_with_one_warning_saying_why():
    class Branchy(nn.Module):
        def __init__(self):
            self.inner = nn.MLP(2, [4, 1], seed=0)

        def __call__(self, x):
            out = self.inner(x)
            return out if x[0] > 0 else out.tanh()

        def parameters(self):
            return self.inner.parameters()

    X, y = nn.make_moons(20, seed=0, signed=True)
    with pytest.warns(nn.ScalarPathWarning, match="trains on the scalar path: sample .* makes a"):
        history = nn.fit(Branchy(), X, y, loss="hinge", epochs=2, progress=False)
    assert len(history["loss"]) == 2
    with pytest.raises(StructureMismatch, match="makes a"):
        nn.fit(Branchy(), X, y, loss="hinge", epochs=1, progress=False, batched=True)


def test_a_loss_function_that_is_not_a_mean_over_samples_is_trained_on_the_scalar_path():
    X, y = nn.make_squares(10, seed=0)
    total = lambda predictions, targets: Value.sum([(p - t) ** 2 for p, t in zip(predictions, targets)])  # noqa: E731
    with pytest.warns(nn.ScalarPathWarning, match="is not the mean of their own losses"):
        nn.fit(nn.MLP(1, [4, 1], seed=0), X, y, loss=total, epochs=1, progress=False)
    mean = lambda predictions, targets: nn.mse(predictions, targets) * 2  # noqa: E731
    model = nn.MLP(1, [4, 1], seed=0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.fit(model, X, y, loss=mean, epochs=1, progress=False)


@pytest.mark.parametrize("lr", [1e150, 1e30])
def test_a_divergence_found_on_the_batched_path_is_reported_as_on_the_scalar_path(lr):
    X, y = nn.make_squares(10, seed=0)
    errors = []
    for batched in (False, None):
        model = nn.MLP(1, [4, 1], seed=0)
        with pytest.raises((OverflowError, ValueError)) as caught:
            nn.fit(model, X, y, loss="mse", optimizer=nn.SGD(model.parameters(), lr=lr), epochs=20,
                   progress=False, batched=batched)
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]


def test_predict_replays_nns_models_and_gives_the_scalar_numbers():
    X, _ = nn.make_moons(200, seed=2)
    for model in (nn.MLP(2, [16, 16, 1], seed=1), nn.MLP(2, [8, 3], seed=1, activation="tanh"),
                  nn.Layer(2, 3, seed=1), nn.Neuron(2, seed=1)):
        fast = nn.predict(model, X)
        slow = nn.predict(model, X, batched=False)
        assert np.allclose(np.array(fast, dtype=float), np.array(slow, dtype=float), rtol=1e-13, atol=0)


def test_predict_does_not_replay_a_callable_it_cannot_trust_unless_told_to():
    calls = []
    w = Value(2.0)

    def model(x):
        calls.append(1)
        return w * x[0]

    X = [[float(k)] for k in range(40)]
    assert nn.predict(model, X) == [2.0 * k for k in range(40)]
    assert len(calls) == 40  # row by row
    calls.clear()
    assert nn.predict(model, X, batched=True) == [2.0 * k for k in range(40)]
    assert len(calls) == 2  # two rows recorded, the rest replayed


def test_predict_replays_many_rows_a_few_megabytes_at_a_time(monkeypatch):
    import tracegrad.nn.batched  # noqa: F401  (nn.batched below)
    monkeypatch.setattr(nn.batched, "_TABLE_NUMBERS", 1000)  # a table of ~70 nodes: 14 rows at a time
    model = nn.MLP(2, [4, 4, 1], seed=3)
    X, _ = nn.make_moons(100, seed=4)
    assert nn.predict(model, X) == pytest.approx(nn.predict(model, X, batched=False), rel=1e-13)


# --- layers as matrix products, parameters in arrays: still the scalar path's numbers ------


OPTIMIZERS = [
    lambda params: nn.SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-3),
    lambda params: nn.Adam(params, lr=0.02, weight_decay=1e-3),
    lambda params: nn.AdamW(params, lr=0.02, amsgrad=True),
    lambda params: nn.SGD(params, lr=0.05, momentum=0.5, nesterov=True),
    lambda params: nn.Adam(params, lr=0.01),
]


def _optimizer_state(optimizer):
    state = {name: getattr(optimizer, name) for name in ("velocities", "m", "v", "v_max", "t")
             if hasattr(optimizer, name)}
    return {name: value if not isinstance(value, list) else [0.0 if v is None else v for v in value]
            for name, value in state.items() if value is not None}


def _assert_close(got, want, what):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert np.all(np.abs(got - want) <= 1e-12 * np.abs(want) + 1e-15), (what, np.max(np.abs(got - want)))


def _train_both_ways(make_model, X, y, loss, make_optimizer, steps, batch_size=None):
    finals = {}
    for batched in (False, True):
        model = make_model()
        optimizer = make_optimizer(model.parameters())
        epochs = steps if batch_size is None else steps // -(-len(X) // batch_size)
        nn.fit(model, X, y, loss=loss, optimizer=optimizer, epochs=epochs, batch_size=batch_size, seed=2,
               progress=False, batched=batched)
        finals[batched] = ([p.data for p in model.parameters()], [p.grad for p in model.parameters()],
                           _optimizer_state(optimizer))
    return finals


@pytest.mark.parametrize("case", range(len(LOSS_CASES)), ids=[c[0] for c in LOSS_CASES])
def test_after_100_steps_in_arrays_every_value_grad_and_optimizer_state_is_the_scalar_paths(case):
    loss, make, options, sizes = LOSS_CASES[case]
    X, y = make(20, seed=5, **options)
    finals = _train_both_ways(lambda: nn.MLP(sizes[0], sizes[1:], seed=3), X, y, loss, OPTIMIZERS[case], 100,
                              batch_size=10 if case % 2 else None)
    (values, grads, state), (fast_values, fast_grads, fast_state) = finals[False], finals[True]
    _assert_close(fast_values, values, "data")
    _assert_close(fast_grads, grads, "grad")
    assert fast_state.keys() == state.keys()
    for name in state:
        _assert_close(fast_state[name], state[name], name)


class SumsOfProducts(nn.Module):
    """A learner's 2-4-1 network written with Value.sum of products, a tanh and a square on the side."""

    def __init__(self):
        rng = random.Random(4)
        self.w1 = [[Value(rng.uniform(-1, 1)) for _ in range(2)] for _ in range(4)]
        self.b1 = [Value(0.1) for _ in range(4)]
        self.w2 = [Value(rng.uniform(-1, 1)) for _ in range(4)]
        self.b2 = Value(0.0)

    def __call__(self, x):
        x = [Value(v) for v in x]
        hidden = [Value.sum([w * xi for w, xi in zip(row, x)] + [b]).relu() for row, b in zip(self.w1, self.b1)]
        out = Value.sum([h * w for h, w in zip(hidden, self.w2)] + [self.b2])  # x·w as well as w·x
        return out + (hidden[0] * hidden[1]).tanh() * 0.1

    def parameters(self):
        return [w for row in self.w1 for w in row] + self.b1 + self.w2 + [self.b2]


def test_a_learners_sums_of_products_run_as_matrix_products_with_the_scalar_paths_numbers():
    from tracegrad.nn.batched import BatchedLoss
    X, y = nn.make_squares(16, seed=1)
    X = [[x[0], x[0] * 0.5] for x in X]
    fast = BatchedLoss(SumsOfProducts(), X, y, nn.mse, known_mean=True)
    assert fast.tape.matrix_groups == 2  # both layers, beside the elementwise tanh and products
    finals = _train_both_ways(SumsOfProducts, X, y, "mse", OPTIMIZERS[1], 100)
    _assert_close(finals[True][0], finals[False][0], "data")
    _assert_close(finals[True][1], finals[False][1], "grad")


def test_an_optimizer_of_a_learners_own_is_stepped_on_the_values():
    class Halving(nn.SGD):
        def step(self):
            for p in self.params:
                p.data -= 0.5 * self.lr * p.grad

    X, y = nn.make_squares(10, seed=0)
    finals = {}
    for batched in (False, True):
        model = nn.MLP(1, [4, 1], seed=0)
        nn.fit(model, X, y, optimizer=Halving(model.parameters(), lr=0.1), epochs=20, progress=False,
               batched=batched)
        finals[batched] = [p.data for p in model.parameters()]
    _assert_close(finals[True], finals[False], "data")


def test_an_interrupted_fit_leaves_the_values_where_training_got():
    X, y = nn.make_squares(10, seed=0)
    model = nn.MLP(1, [4, 1], seed=0)
    optimizer = nn.Adam(model.parameters(), lr=0.1)
    steps = []

    def stop_at_5(info):  # reads nothing but the step number: the Values are written back on the way out
        steps.append(info.step)
        if info.step == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        nn.fit(model, X, y, optimizer=optimizer, epochs=50, progress=False, on_step=stop_at_5)
    reference = nn.MLP(1, [4, 1], seed=0)
    nn.fit(reference, X, y, optimizer=nn.Adam(reference.parameters(), lr=0.1), epochs=5, progress=False,
           batched=False)
    assert optimizer.t == 5
    _assert_close([p.data for p in model.parameters()], [p.data for p in reference.parameters()], "data")


def test_a_hook_that_reads_the_model_sees_it_after_the_step_and_may_change_it():
    X, y = nn.make_squares(10, seed=0)
    model = nn.MLP(1, [4, 1], seed=0)
    seen = []

    def hook(info):
        seen.append([p.data for p in info.model.parameters()])
        info.model.layers[0].neurons[0].b.data = 0.25  # a learner pinning a bias: later steps start from it

    nn.fit(model, X, y, optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=3, progress=False, on_step=hook)
    reference = nn.MLP(1, [4, 1], seed=0)
    expected = []

    def reference_hook(info):
        expected.append([p.data for p in info.model.parameters()])
        info.model.layers[0].neurons[0].b.data = 0.25

    nn.fit(reference, X, y, optimizer=nn.SGD(reference.parameters(), lr=0.1), epochs=3, progress=False,
           on_step=reference_hook, batched=False)
    for got, want in zip(seen, expected):
        _assert_close(got, want, "data seen by the hook")


# --- recording once: what is known to make one graph is recorded once ---------------------


def _counting_calls(monkeypatch):
    calls = []
    original = nn.MLP.__call__

    def counted(self, x):
        calls.append(1)
        return original(self, x)

    monkeypatch.setattr(nn.MLP, "__call__", counted)
    return calls


@pytest.mark.parametrize("loss, make, options, sizes", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_nns_models_are_recorded_once_whatever_the_number_of_samples(monkeypatch, loss, make, options, sizes):
    X, y = make(300, seed=3, **options)
    calls = _counting_calls(monkeypatch)
    from tracegrad.nn.batched import BatchedLoss
    BatchedLoss(nn.MLP(sizes[0], sizes[1:], seed=0), X, y, nn.LOSSES[loss], known_mean=True)
    assert len(calls) == 1  # recorded once: nn's losses read no .data, so no rebuild with the parameters nudged
    calls.clear()
    BatchedLoss(nn.MLP(sizes[0], sizes[1:], seed=0), X, y, lambda p, t: nn.LOSSES[loss](p, t), known_mean=True)
    assert len(calls) == 2  # a learner's loss: recorded once, and rebuilt once with the parameters nudged


def test_a_learners_neuron_put_in_an_mlp_is_not_taken_for_one_that_never_branches():
    class Clipped(nn.Neuron):  # branches on its weighted sum: not an nn neuron, though in an nn MLP
        def __call__(self, x):
            z = Value.linear(self.w, x, self.b)
            return z.relu() if z.data < 1.0 else z.tanh()

    from tracegrad.nn.batched import never_branches
    model = nn.MLP(2, [3, 1], seed=0)
    assert never_branches(model) and never_branches(model.layers[0]) and never_branches(model.layers[0].neurons[0])
    mine = Clipped(2, seed=1)
    model.layers[0].neurons[1] = mine
    assert not never_branches(model) and not never_branches(model.layers[0]) and not never_branches(mine)
    X, y = nn.make_moons(60, seed=2)
    finals = []
    for batched in (None, False):
        trained = copy.deepcopy(model)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            nn.fit(trained, X, y, loss="mse", optimizer=nn.SGD(trained.parameters(), lr=0.1), epochs=5,
                   progress=False, batched=batched)
        finals.append([p.data for p in trained.parameters()])
    assert finals[0] == pytest.approx(finals[1], rel=1e-12)


def test_a_loss_that_branches_on_the_label_is_found_without_every_samples_graph(monkeypatch):
    def branchy_loss(predictions, targets):  # a different graph for the positive class
        terms = [(p - t) ** 2 if t > 0 else (p - t).relu() for p, t in zip(predictions, targets)]
        return Value.sum(terms) / len(terms)

    X, y = nn.make_moons(200, seed=1)
    calls = _counting_calls(monkeypatch)
    with pytest.warns(nn.ScalarPathWarning, match=r"sample 1 \(target 0\) makes another graph than sample 0 "
                                                  r"\(target 1\): the loss branches on the target"):
        nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss=branchy_loss, optimizer=None, epochs=1, progress=False)
    assert len(calls) == 1 + 200  # one recording of the model, then the scalar path's one epoch
    calls.clear()
    # and it trains as the scalar path does
    finals = []
    for batched in (None, False):
        model = nn.MLP(2, [4, 1], seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", nn.ScalarPathWarning)
            nn.fit(model, X, y, loss=branchy_loss, optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=3,
                   progress=False, batched=batched)
        finals.append([p.data for p in model.parameters()])
    assert finals[0] == finals[1]


def test_a_model_that_branches_on_a_computed_number_is_found_at_the_first_sample_that_differs():
    class Gated(nn.Module):
        def __init__(self):
            self.inner = nn.MLP(2, [4, 1], seed=0)
            self.calls = 0

        def __call__(self, x):
            self.calls += 1
            out = self.inner(x)
            return out.tanh() if out.data > 0 else out  # a branch on a computed number

        def parameters(self):
            return self.inner.parameters()

    X, y = nn.make_moons(200, seed=1, signed=True)
    model = Gated()
    outputs = [model.inner(x).data > 0 for x in X]
    first_other = outputs.index(not outputs[0])
    with pytest.warns(nn.ScalarPathWarning, match=f"sample {first_other} makes"):
        nn.fit(model, X, y, loss="hinge", epochs=1, progress=False)
    assert model.calls == first_other + 1 + 200  # recorded up to the first sample that differs, then one epoch
    reference = Gated()
    nn.fit(reference, X, y, loss="hinge", epochs=1, progress=False, batched=False)
    assert [p.data for p in model.parameters()] == [p.data for p in reference.parameters()]


# --- issue 21's items in the recording ------------------------------------------------------


def test_a_parameter_at_the_edge_of_a_logs_domain_is_recorded_not_refused():
    """Item 7: the nudged rebuild must not fail on a value the model never computes."""
    class Edge(nn.Module):
        def __init__(self):
            self.s, self.w = Value(0.99995), Value(0.5)

        def __call__(self, x):
            return self.w * x[0] + (1 - self.s).log()

        def parameters(self):
            return [self.s, self.w]

    X, y = nn.make_squares(10, seed=0)
    finals = []
    for batched in (True, False):
        model = Edge()
        nn.fit(model, X, y, optimizer=nn.SGD(model.parameters(), lr=1e-10), epochs=3, progress=False,
               batched=batched)
        finals.append([p.data for p in model.parameters()])
    _assert_close(finals[0], finals[1], "data")


@pytest.mark.parametrize("loss, bad, sizes", [("mse", float("nan"), [4, 1]), ("bce_with_logits", 2, [4, 1]),
                                              ("cross_entropy", 2, [4, 2]), ("hinge", 0.5, [4, 1])])
def test_a_bad_label_is_named_by_its_sample_as_on_the_scalar_path(loss, bad, sizes):
    """Item 13: y[57] = nan or 2 must be reported as sample 57, not sample 0."""
    X, y = nn.make_moons(100, seed=0, signed=loss == "hinge")
    y = list(y)
    y[57] = bad
    errors = []
    for batched in (None, False):
        with pytest.raises((ValueError, TypeError)) as caught:
            nn.fit(nn.MLP(2, sizes, seed=0), X, y, loss=loss, epochs=1, progress=False, batched=batched)
        errors.append((type(caught.value), str(caught.value)))
    assert "57" in errors[0][1]
    assert errors[0] == errors[1]


@pytest.mark.parametrize("bad", [float("nan"), None, "0.5", [0.5], float("inf")], ids=repr)
def test_predict_and_accuracy_refuse_a_bad_middle_row_whatever_the_row_count(bad):
    """Item 5: from 32 rows on, predict replays; every row must still be checked."""
    model = nn.MLP(2, [4, 1], seed=0)
    errors = []
    for count in (31, 40, 200):
        X, y = nn.make_moons(count, seed=0)
        X = [list(x) for x in X]
        X[count // 2][0] = bad
        for run in (lambda: nn.predict(model, X), lambda: nn.accuracy(model, X, y)):
            with pytest.raises((TypeError, ValueError)) as caught:
                run()
            errors.append((type(caught.value), str(caught.value)))
    assert len(set(errors)) == 1, errors


def test_predict_refuses_a_row_of_another_length_whatever_the_row_count():
    model = nn.MLP(2, [4, 1], seed=0)
    for count in (31, 40):
        X = [[0.1, 0.2] for _ in range(count)]
        X[count // 2] = [0.1, 0.2, 0.3]
        with pytest.raises(ValueError, match="takes 2 inputs, got 3"):
            nn.predict(model, X)


def test_replay_of_a_long_chain_takes_memory_in_proportion_to_its_nodes():
    # a million-operation chain took 2.3 GB (29 s): the batch machinery, one group per node
    import tracemalloc

    x, c = Value(0.5, label="x"), Value(1.000001, label="c")
    y = x
    for _ in range(100_000):
        y = (y * c).tanh() if _ % 1000 == 0 else y * c
    tracemalloc.start()
    try:
        value = replay(y, {x: 0.25})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    expected = 0.25
    for k in range(100_000):
        expected = math.tanh(expected * 1.000001) if k % 1000 == 0 else expected * 1.000001
    assert value == pytest.approx(expected, rel=1e-12)
    assert peak < 400 * 100_000  # bytes: a few hundred a node


def test_many_distinct_targets_of_nns_elementwise_losses_are_read_from_an_array_after_three_probes():
    from tracegrad.nn.batched import BatchedLoss
    calls = []

    def counted_mse(predictions, targets):
        calls.append(len(targets))
        return nn.mse(predictions, targets)

    X = [[0.1 * k, 1.0 - 0.05 * k] for k in range(40)]
    # the second output's target is the same in the three probed samples (0, 1 and 39), not in the others
    y = [[0.3 * k, 2.0 if k in (0, 1, 39) else -1.0 * k] for k in range(40)]
    tape = BatchedLoss(nn.MLP(2, [3, 2], seed=0), X, y, nn.mse, known_mean=True).tape
    model = nn.MLP(2, [3, 2], seed=0)
    losses = tape.forward()[0].tolist()
    for k in (0, 5, 39):
        assert losses[k] == pytest.approx(nn.mse(model(X[k]), y[k]).data, rel=1e-13)
    # a loss of the learner's own, even the same function wrapped, runs once per distinct target
    BatchedLoss(nn.MLP(2, [3, 2], seed=0), X, y, counted_mse, known_mean=True)
    assert calls.count(1) == 40 + 1  # and once more with the parameters nudged


def test_backward_with_seeds_that_change_between_calls_gives_the_scalar_gradients_each_time():
    # The gradient table is not zero-filled: the first group to reach a row writes it. Nodes read by
    # several groups, a sum reading one node twice, and roots seeded 0 in some calls must still add up.
    from tracegrad import grad
    params = [Value(0.3), Value(-0.7), Value(1.1)]

    def fn(x):
        a = x[0] * params[0]
        b = (a + x[1]).relu()
        c = Value.sum([a, b, a, params[1]])
        d = (c * params[2]).tanh()
        # e and f are one "+" group whose first operands, a and k, are reached before and after it
        k = x[1] * params[1]
        e, f = a + params[2], k + params[2]
        return [d, c, a * b, e * a, f]

    samples = [([0.5, 1.0],), ([-1.0, 2.0],), ([2.0, -0.5],)]
    tape = Tape.record(fn, samples)
    for seeds in ([1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.5, 0.0, 1.0, 1.0], [1.0, 1.0, 2.0, 3.0, -1.0],
                  [0.0] * 5, [1.0, 0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 2.0, 3.0, -1.0],
                  [1.0, 1.0, 2.0, 3.0, -1.0]):
        tape.forward()
        got = tape.gradient(seeds)
        want = [0.0] * 3
        for (x,) in samples:
            roots = fn([Value(v) for v in x])
            total = Value.sum([root * s for root, s in zip(roots, seeds)])
            for k, g in enumerate(grad(total, params, allow_unused=True)):
                want[k] += g
        assert got.tolist() == pytest.approx(want, rel=1e-13, abs=1e-15), seeds


def test_distinct_targets_are_numbered_in_the_order_they_first_appear_floats_or_not():
    from tracegrad.batch import _distinct
    floats = [2.5, -1.0, 2.5, 0.0, -0.0, 7.0, -1.0]  # numpy's path; 0.0 and -0.0 are one target
    groups, firsts = _distinct(floats)
    assert groups.tolist() == [0, 1, 0, 2, 2, 3, 1] and firsts == [0, 1, 3, 5]
    mixed = [1, 1.0, [0.5, 1.0], [0.5, 1.0], float("nan"), float("nan"), 1]  # the dict's path
    groups, firsts = _distinct(mixed)
    assert groups.tolist() == [0, 1, 2, 2, 3, 4, 0] and firsts == [0, 1, 2, 4, 5]
