"""nn.optim: first steps against torch.optim in float64; no graph recorded; errors."""

import pytest

from autograd import Value
from nn import MLP, SGD, Adam, half_squared_error

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


SETTINGS = {
    "sgd": dict(lr=0.01),
    "sgd momentum": dict(lr=0.01, momentum=0.9),
    "sgd momentum weight decay": dict(lr=0.01, momentum=0.5, weight_decay=0.1),
    "sgd nesterov": dict(lr=0.01, momentum=0.9, nesterov=True),
    "adam": dict(lr=0.1),
    "adam betas weight decay": dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01),
}


@pytest.mark.parametrize("name", SETTINGS)
def test_first_steps_match_torch_optim(name):
    torch = pytest.importorskip("torch")
    kwargs = SETTINGS[name]
    ours = SGD if name.startswith("sgd") else Adam
    theirs = torch.optim.SGD if name.startswith("sgd") else torch.optim.Adam
    mine = our_trajectory(lambda params: ours(params, **kwargs), steps=6)
    reference = torch_trajectory(lambda params: theirs(params, **kwargs), steps=6, torch=torch)
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
    with pytest.raises(ValueError, match="nesterov=True needs a momentum > 0"):
        SGD(p, lr=0.1, nesterov=True)
