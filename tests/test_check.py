"""gradcheck (autograd/check.py): passes on correct derivatives, names the input on wrong ones."""

import math

import pytest

from tracegrad import GradcheckError, Value, gradcheck
from tracegrad import engine


@pytest.mark.parametrize(
    "f, inputs",
    [
        (lambda x: x * x, [3.0]),
        (lambda x, y: (x * y + x.exp()) / y, [0.7, -1.3]),
        (lambda x, y: x**y + (2 - x).tanh(), [1.5, 0.5]),
        (lambda x, y, z: Value.sum([x, y * z, z]).sigmoid().log(), [0.1, 2.0, -0.4]),
        (lambda x: (x.relu() - 1) ** 2, [2.5]),
    ],
)
def test_gradcheck_passes_on_correct_derivatives(f, inputs):
    assert gradcheck(f, inputs) is True


def test_gradcheck_takes_values_and_leaves_them_alone():
    x = Value(2.0)
    assert gradcheck(lambda v: v**3, [x])
    assert (x.data, x.grad) == (2.0, 0.0)


def _wrong_square(x):
    """x², written the micrograd lecture's way with a wrong derivative: x instead of 2x."""
    out = Value(x.data * x.data, (x,), "**2")

    def _backward():
        x.grad += x.data * out.grad  # d/dx x² is 2x

    out._backward = _backward
    return out


def test_gradcheck_catches_a_wrong_local_gradient_and_names_the_input():
    f = lambda w, b: _wrong_square(w) + b  # noqa: E731
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [Value(3.0, label="w"), 1.0])
    message = str(caught.value)
    # the input, its value, backward's number and the central difference's number
    assert "input 0 'w' (= 3.0): backward gave 3.0, central difference gave 6.0000" in message
    assert "input 1" not in message  # b's derivative, 1, is right
    assert isinstance(caught.value, AssertionError)


def test_gradcheck_catches_a_monkeypatched_operation(monkeypatch):
    def tanh_with_wrong_derivative(self):
        t = math.tanh(self.data)
        return engine._unary(t, self, local=1.0 - t, op="tanh")  # should be 1 - t²

    monkeypatch.setattr(Value, "tanh", tanh_with_wrong_derivative)
    with pytest.raises(GradcheckError, match=r"input 0 \(= 0.5\): backward gave 0.537.*, central difference gave 0.786"):
        gradcheck(lambda x: x.tanh(), [0.5])


def test_gradcheck_can_return_false_instead_of_raising():
    assert gradcheck(lambda x: _wrong_square(x), [3.0], raise_exception=False) is False
    assert gradcheck(lambda x: x * x, [3.0], raise_exception=False) is True


def test_gradcheck_needs_f_to_return_a_value():
    with pytest.raises(TypeError, match=r"gradcheck: f must return a Value, got 6.0 \(float\)"):
        gradcheck(lambda x: x.data * 2, [3.0])


def test_gradcheck_rejects_bad_inputs_clearly():
    with pytest.raises(TypeError, match=r"gradcheck\(\) inputs\[0\] needs a real number, got 'a' \(str\)"):
        gradcheck(lambda x: x, ["a"])


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_gradcheck_takes_numpy_scalars_as_the_floats_they_equal(dtype):
    import numpy as np

    number = getattr(np, dtype)
    # perturbed in float32 or float16, x + 1e-6 would round back to x or far from it
    assert gradcheck(lambda a: a * 1.0, [number(1.0)])
    assert gradcheck(lambda a, b: (a * b).tanh() + a.log(), [number(0.3), number(1.7)])
    assert gradcheck(lambda a: a * 1.0, [np.array(number(2.5))])  # a 0-d array too
