"""nn.optim: 200 steps against torch.optim in float64; no graph recorded; errors."""

import pytest

from tracegrad import Value
from tracegrad.nn import MLP, SGD, Adam, AdamW, fit, half_squared_error, make_moons

START = [0.5, -1.5, 2.0, 0.25]
TARGET = [1.0, 0.0, -1.0, 2.0]


def objective(p):
    """A loss of four parameters with coupled, non-constant gradients; written for Values and tensors."""
    total = 0.0
    for i in range(4):
        total = total + (p[i] - TARGET[i]) ** 2 * (i + 1)
    return total + p[0] * p[1] * p[2] + p[3] ** 3 * 0.1


def our_trajectory(make_optimizer, steps):
    params = [Value(x) for x in START]
    optimizer = make_optimizer(params)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        objective(params).backward()
        optimizer.step()
        trajectory.append([p.data for p in params])
    return trajectory


def torch_trajectory(make_optimizer, steps, torch):
    params = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    optimizer = make_optimizer(params)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        objective(params).backward()
        optimizer.step()
        trajectory.append([p.item() for p in params])
    return trajectory


# name: (the optimizer, by its name in nn and in torch.optim; keyword arguments for both)
SETTINGS = {
    "sgd": ("SGD", dict(lr=0.01)),
    "sgd momentum": ("SGD", dict(lr=0.01, momentum=0.9)),
    "sgd momentum weight decay": ("SGD", dict(lr=0.01, momentum=0.5, weight_decay=0.1)),
    "sgd nesterov": ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)),
    "adam": ("Adam", dict(lr=0.1)),
    "adam betas weight decay": ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01)),
    "adam amsgrad": ("Adam", dict(lr=0.1, weight_decay=0.1, amsgrad=True)),
    "adamw defaults": ("AdamW", dict()),
    "adamw": ("AdamW", dict(lr=0.1)),
    "adamw no weight decay": ("AdamW", dict(lr=0.1, weight_decay=0.0)),
    "adamw betas strong decay": ("AdamW", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.5)),
    "adamw decay dominates": ("AdamW", dict(lr=0.01, weight_decay=5.0)),
    "adamw amsgrad": ("AdamW", dict(lr=0.1, amsgrad=True)),
}
OURS = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW}
STEPS = 200


@pytest.mark.parametrize("name", SETTINGS)
def test_steps_match_torch_optim(name):
    torch = pytest.importorskip("torch")
    optimizer, kwargs = SETTINGS[name]
    ours, theirs = OURS[optimizer], getattr(torch.optim, optimizer)
    mine = our_trajectory(lambda params: ours(params, **kwargs), steps=STEPS)
    reference = torch_trajectory(lambda params: theirs(params, **kwargs), steps=STEPS, torch=torch)
    assert mine[-1] != mine[0]  # it moved
    for step, (a, b) in enumerate(zip(mine, reference)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-14), f"step {step + 1}"


def test_plain_sgd_is_p_minus_lr_times_grad():
    p = Value(2.0)
    p.grad = 0.5
    SGD([p], lr=0.1).step()
    assert p.data == 2.0 - 0.1 * 0.5


def test_adam_first_step_moves_each_parameter_by_about_lr():
    # m̂ = g and v̂ = g² on step 1, so the step is lr·g/(|g| + eps)
    params = [Value(1.0), Value(-1.0)]
    params[0].grad, params[1].grad = 3.0, -0.002
    Adam(params, lr=0.01).step()
    assert params[0].data == pytest.approx(0.99, rel=1e-6)
    assert params[1].data == pytest.approx(-0.99, rel=1e-5)


def test_adamw_has_torchs_defaults():
    torch = pytest.importorskip("torch")
    theirs = torch.optim.AdamW([torch.zeros(1, dtype=torch.float64)]).defaults
    ours = AdamW([Value(1.0)])
    assert (ours.lr, ours.betas, ours.eps, ours.weight_decay, ours.amsgrad) == (
        theirs["lr"], tuple(theirs["betas"]), theirs["eps"], theirs["weight_decay"], theirs["amsgrad"])


def test_adamw_decay_is_decoupled_from_the_gradient():
    # With a zero gradient Adam's moments stay 0, so AdamW only shrinks p by the
    # fraction lr·weight_decay. Adam feeds weight_decay·p through its moments,
    # which normalise it to a step of about lr, whatever the decay.
    decoupled, coupled = [Value(2.0), Value(-0.5)], [Value(2.0), Value(-0.5)]
    AdamW(decoupled, lr=0.1, weight_decay=0.01).step()
    Adam(coupled, lr=0.1, weight_decay=0.01).step()
    assert [p.data for p in decoupled] == [2.0 * (1 - 0.1 * 0.01), -0.5 * (1 - 0.1 * 0.01)]
    assert [p.data for p in coupled] == pytest.approx([1.9, -0.4], rel=1e-6)


def test_adamw_without_decay_is_adam_and_with_decay_is_not():
    adam = our_trajectory(lambda params: Adam(params, lr=0.1), steps=50)
    assert our_trajectory(lambda params: AdamW(params, lr=0.1, weight_decay=0.0), steps=50) == adam
    decayed = our_trajectory(lambda params: AdamW(params, lr=0.1, weight_decay=0.1), steps=50)
    coupled = our_trajectory(lambda params: Adam(params, lr=0.1, weight_decay=0.1), steps=50)
    assert decayed[-1] != pytest.approx(coupled[-1], rel=1e-3)


def test_fit_trains_with_adamw_as_torch_does():
    # The same network and data trained by fit() and by a torch loop with
    # torch.optim.AdamW: full batch, mean squared error, tanh (no kinks).
    torch = pytest.importorskip("torch")
    X, y = make_moons(30, noise=0.1, seed=4, signed=True)
    model = MLP(2, [6, 1], activation="tanh", seed=2)
    twin = model.to_torch()
    history = fit(model, X, y, loss="mse", epochs=25, progress=False,
                  optimizer=AdamW(model.parameters(), lr=0.05, weight_decay=0.1))
    optimizer = torch.optim.AdamW(twin.parameters(), lr=0.05, weight_decay=0.1)
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor(y, dtype=torch.float64).unsqueeze(1)
    losses = []
    for _ in range(25):
        loss = ((twin(inputs) - targets) ** 2).mean()
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert history["loss"][-1] < 0.5 * history["loss"][0]  # it learns
    assert history["loss"] == pytest.approx(losses, rel=1e-10)
    trained = [w for layer in model.weights() for row in layer for w in row]
    trained += [b for layer in model.biases() for b in layer]
    reference = [w for linear in (twin[0], twin[2]) for row in linear.weight.tolist() for w in row]
    reference += [b for linear in (twin[0], twin[2]) for b in linear.bias.tolist()]
    assert trained == pytest.approx(reference, rel=1e-10, abs=1e-13)


def test_a_step_records_no_graph_and_zero_grad_resets():
    model = MLP(2, [2, 1], seed=0)
    optimizer = Adam(model.parameters(), lr=0.1)
    half_squared_error(model([0.5, 0.1]), 0.8).backward()
    optimizer.step()
    assert all(p.op == "" and p.inputs == () for p in model.parameters())
    assert any(p.grad != 0.0 for p in model.parameters())
    optimizer.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_lr_can_follow_a_schedule():
    p = Value(0.0)
    optimizer = SGD([p], lr=1.0)
    for k in range(3):
        optimizer.lr = 1.0 - 0.9 * k / 100
        p.grad = 1.0
        optimizer.step()
    assert p.data == pytest.approx(-(1.0 + 0.991 + 0.982), rel=1e-12)


def test_optimizer_errors():
    p = [Value(1.0)]
    with pytest.raises(ValueError, match="empty parameter list; pass model.parameters()"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"SGD: parameters\[1\] must be a Value, got 2.0 \(float\)"):
        SGD([Value(1.0), 2.0])
    with pytest.raises(ValueError, match=r"parameters\[1\] .* is listed twice"):
        Adam(p + p)
    with pytest.raises(ValueError, match="SGD: lr must be a finite number >= 0, got -0.1"):
        SGD(p, lr=-0.1)
    with pytest.raises(TypeError, match="Adam: lr must be a number, got '0.1'"):
        Adam(p, lr="0.1")
    with pytest.raises(ValueError, match=r"betas must be in \[0, 1\)"):
        Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="AdamW: weight_decay must be a finite number >= 0, got -0.01"):
        AdamW(p, weight_decay=-0.01)
    with pytest.raises(TypeError, match=r"AdamW: betas must be a pair \(beta1, beta2\), got 0.9"):
        AdamW(p, betas=0.9)
    with pytest.raises(ValueError, match="nesterov=True needs a momentum > 0"):
        SGD(p, lr=0.1, nesterov=True)
