"""nn.losses against closed forms, PyTorch in float64, and central differences; stability; errors."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracegrad import Value, gradcheck, topological_order
from tracegrad.nn import LOSSES, bce_with_logits, cross_entropy, half_squared_error, hinge, mse

TIGHT = dict(rel=1e-12, abs=1e-14)


def values(xs):
    return [Value(x) for x in xs]


def loss_and_grads(loss_fn, predictions, targets):
    """loss_fn's value and d loss / d prediction, for flat predictions or rows of them."""
    nested = isinstance(predictions[0], list)
    leaves = [values(row) for row in predictions] if nested else values(predictions)
    loss = loss_fn(leaves, targets)
    loss.backward()
    grads = [[v.grad for v in row] for row in leaves] if nested else [v.grad for v in leaves]
    return loss.data, grads


def flat(rows):
    return [v for row in rows for v in row]


# --- closed forms (no PyTorch needed) ---------------------------------------------


def test_mse_and_half_squared_error_closed_form():
    p, t = [1.0, 2.0, 3.0], [1.5, 2.0, 1.0]
    loss, grads = loss_and_grads(mse, p, t)
    assert loss == pytest.approx((0.25 + 0.0 + 4.0) / 3, **TIGHT)
    assert grads == pytest.approx([2 * (a - b) / 3 for a, b in zip(p, t)], **TIGHT)
    loss, grads = loss_and_grads(half_squared_error, p, t)
    assert loss == pytest.approx((0.25 + 0.0 + 4.0) / 6, **TIGHT)
    assert grads == pytest.approx([(a - b) / 3 for a, b in zip(p, t)], **TIGHT)


def test_network_221_cost_and_its_derivative():
    y_hat = Value(0.392)
    cost = half_squared_error(y_hat, 0.8)
    cost.backward()
    assert cost.data == pytest.approx(0.083232, **TIGHT)
    assert y_hat.grad == pytest.approx(-0.408, **TIGHT)


def test_mse_averages_over_every_output_of_every_sample():
    loss, grads = loss_and_grads(mse, [[1.0, 2.0], [0.0, -1.0]], [[0.0, 2.0], [1.0, 1.0]])
    assert loss == pytest.approx((1 + 0 + 1 + 4) / 4, **TIGHT)
    assert flat(grads) == pytest.approx([0.5, 0.0, -0.5, -1.0], **TIGHT)


def test_hinge_closed_form():
    loss, grads = loss_and_grads(hinge, [0.5, -2.0, 3.0, 2.0], [1, 1, -1, 1])
    assert loss == pytest.approx((0.5 + 3.0 + 4.0 + 0.0) / 4, **TIGHT)
    assert grads == pytest.approx([-0.25, -0.25, 0.25, 0.0], **TIGHT)


def bce_reference(z, y):
    """−y·log σ(z) − (1 − y)·log(1 − σ(z)) = softplus(z) − y·z, written stably with log1p.

    z − y·z is grouped as z·(1 − y) so that for y = 1 a large z cancels exactly
    instead of leaving the rounding error of z + (a tiny number).
    """
    if z >= 0:
        return z * (1.0 - y) + math.log1p(math.exp(-z))
    return -z * y + math.log1p(math.exp(z))


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def test_bce_with_logits_closed_form_including_zero():
    z, y = [0.0, 0.0, 2.0, -3.0, 0.5], [0.0, 1.0, 1.0, 0.0, 0.3]
    loss, grads = loss_and_grads(bce_with_logits, z, y)
    assert loss == pytest.approx(sum(map(bce_reference, z, y)) / 5, **TIGHT)
    # at z = 0 the derivative is σ(0) − y = 0.5 − y (no relu/abs convention leaks in)
    assert grads == pytest.approx([(sigmoid(a) - b) / 5 for a, b in zip(z, y)], **TIGHT)


def softmax(row):
    m = max(row)
    e = [math.exp(v - m) for v in row]
    return [v / sum(e) for v in e]


def test_cross_entropy_closed_form():
    logits, targets = [[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], [0, 2]
    loss, grads = loss_and_grads(cross_entropy, logits, targets)
    expected = sum(-math.log(softmax(row)[t]) for row, t in zip(logits, targets)) / 2
    assert loss == pytest.approx(expected, **TIGHT)
    for row, t, g in zip(logits, targets, grads):
        onehot = [1.0 if k == t else 0.0 for k in range(3)]
        assert g == pytest.approx([(s - o) / 2 for s, o in zip(softmax(row), onehot)], **TIGHT)


def test_cross_entropy_of_a_single_sample():
    row = values([2.0, 1.0])
    assert cross_entropy(row, 1).data == pytest.approx(-math.log(softmax([2.0, 1.0])[1]), **TIGHT)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-60, 60), min_size=2, max_size=5), st.data())
def test_cross_entropy_matches_the_closed_form_for_any_logits(row, data):
    t = data.draw(st.integers(0, len(row) - 1))
    loss, grads = loss_and_grads(cross_entropy, [row], [t])
    m = max(row)
    expected = m + math.log(sum(math.exp(v - m) for v in row)) - row[t]
    assert loss == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert grads[0] == pytest.approx(
        [s - (1.0 if k == t else 0.0) for k, s in enumerate(softmax(row))], rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.floats(-60, 60), st.floats(0, 1))
def test_bce_with_logits_matches_the_closed_form_for_any_logit(z, y):
    loss, grads = loss_and_grads(bce_with_logits, [z], [y])
    # absolute tolerance: log(1 + e^-|z|) is built from Value ops, not log1p
    assert loss == pytest.approx(bce_reference(z, y), rel=1e-12, abs=1e-15)
    assert grads[0] == pytest.approx(sigmoid(z) - y, rel=1e-12, abs=1e-15)


# --- numerical stability -----------------------------------------------------------


def test_large_logits_do_not_overflow():
    loss, grads = loss_and_grads(bce_with_logits, [1000.0, -1000.0, 1000.0], [1.0, 0.0, 0.0])
    assert loss == pytest.approx(1000.0 / 3, **TIGHT)
    assert grads == pytest.approx([0.0, 0.0, 1.0 / 3], **TIGHT)
    loss, grads = loss_and_grads(cross_entropy, [[1000.0, 0.0, -1000.0]] * 2, [0, 2])
    assert loss == pytest.approx(1000.0, **TIGHT)
    assert flat(grads) == pytest.approx([0.0, 0.0, 0.0, 0.5, 0.0, -0.5], **TIGHT)


# --- central differences ------------------------------------------------------------


@pytest.mark.parametrize("name, targets", [
    ("mse", [0.5, -1.0, 2.0]),
    ("half_squared_error", [0.5, -1.0, 2.0]),
    ("hinge", [1, -1, 1]),
    ("bce_with_logits", [1.0, 0.0, 0.25]),
])
def test_gradients_match_central_differences(name, targets):
    loss_fn = LOSSES[name]
    assert gradcheck(lambda a, b, c: loss_fn([a, b, c], targets), [0.3, -0.4, 1.7])


def test_cross_entropy_gradients_match_central_differences():
    assert gradcheck(lambda a, b, c, d: cross_entropy([[a, b], [c, d]], [1, 0]), [0.3, -0.4, 1.7, 2.5])


# --- PyTorch in float64 ----------------------------------------------------------------


def torch_loss_and_grads(loss_fn, predictions, targets, torch):
    p = torch.tensor(predictions, dtype=torch.float64, requires_grad=True)
    loss = loss_fn(p, targets)
    loss.backward()
    return loss.item(), p.grad.tolist()


P, T = [0.3, -1.2, 2.5, 0.0, 4.0], [1.0, -1.0, -1.0, 1.0, 1.0]
T01 = [1.0, 0.0, 0.0, 1.0, 0.6]


@pytest.mark.parametrize("name, targets, reference", [
    ("mse", T, lambda p, t, F, torch: F.mse_loss(p, torch.tensor(t, dtype=torch.float64))),
    ("half_squared_error", T,
     lambda p, t, F, torch: 0.5 * F.mse_loss(p, torch.tensor(t, dtype=torch.float64))),
    ("hinge", T, lambda p, t, F, torch: F.relu(1 - torch.tensor(t, dtype=torch.float64) * p).mean()),
    ("bce_with_logits", T01,
     lambda p, t, F, torch: F.binary_cross_entropy_with_logits(p, torch.tensor(t, dtype=torch.float64))),
])
def test_scalar_losses_match_pytorch(name, targets, reference):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    ours = loss_and_grads(LOSSES[name], P, targets)
    theirs = torch_loss_and_grads(lambda p, t: reference(p, t, F, torch), P, targets, torch)
    assert ours[0] == pytest.approx(theirs[0], **TIGHT)
    assert ours[1] == pytest.approx(theirs[1], **TIGHT)


def test_cross_entropy_matches_pytorch():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    logits = [[0.3, -1.2, 2.5], [0.0, 4.0, -3.0], [50.0, 49.0, -800.0], [1.0, 1.0, 1.0]]
    targets = [2, 0, 1, 1]
    ours = loss_and_grads(cross_entropy, logits, targets)
    theirs = torch_loss_and_grads(lambda p, t: F.cross_entropy(p, torch.tensor(t)), logits, targets, torch)
    assert ours[0] == pytest.approx(theirs[0], **TIGHT)
    assert flat(ours[1]) == pytest.approx(flat(theirs[1]), **TIGHT)


# --- errors ---------------------------------------------------------------------------


def test_loss_errors_say_what_is_wrong():
    three = values([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"mse\(\): 3 predictions but 2 targets"):
        mse(three, [1.0, 2.0])
    with pytest.raises(ValueError, match="no predictions"):
        mse([], [])
    with pytest.raises(TypeError, match=r"mse\(\): targets\[1\] must be a number, got 'b' \(str\)"):
        mse(three, [1.0, "b", 2.0])
    with pytest.raises(TypeError, match=r"predictions\[0\] must be a Value or a number, got 'a'"):
        mse(["a"], [1.0])
    with pytest.raises(ValueError, match=r"predictions\[0\] has 2 outputs, so targets\[0\] must be a list"):
        mse([values([1.0, 2.0])], [1.0])
    with pytest.raises(ValueError, match=r"targets must be -1 or \+1, got 0 at index 1.*signed=True"):
        hinge(three, [1, 0, 1])
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\], got 2 at index 0"):
        bce_with_logits(three, [2, 0, 1])
    with pytest.raises(ValueError, match=r"targets\[1\] is 3, but there are 2 classes \(0..1\)"):
        cross_entropy([values([1.0, 2.0])] * 2, [0, 3])
    with pytest.raises(TypeError, match=r"targets\[0\] must be a class index \(int\), got 1.0 \(float\)"):
        cross_entropy([values([1.0, 2.0])], [1.0])
    with pytest.raises(ValueError, match=r"logits\[0\] must be a list of one logit per class"):
        cross_entropy(three, [0, 1, 0])


def test_the_loss_of_one_sample_is_that_sample_with_no_averaging_nodes():
    y_hat = Value(0.392)
    cost = half_squared_error(y_hat, 0.8)
    assert {node.op for node in topological_order(cost)} == {"", "-", "**2", "*"}
    cost.backward()
    assert cost.data == pytest.approx(0.083232, abs=1e-15)
    assert y_hat.grad == pytest.approx(-0.408, abs=1e-15)
