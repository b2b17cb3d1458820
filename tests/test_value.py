"""Value and its operations (autograd/value.py).

One table of operations drives every derivative check: sympy's symbolic
derivative (evaluated with 30 significant digits), central differences of a
plain-float version of the function, and PyTorch in float64. None of these
references uses tracegrad, so a wrong local derivative cannot hide.
"""

import gc
import math
import random
import sys
from typing import Callable, NamedTuple

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from tracegrad import Value, grad, topological_order


class Op(NamedTuple):
    name: str
    fn: Callable  # applied to Values, and to torch tensors unless torch_fn is given
    float_fn: Callable  # the same function on plain floats, for central differences
    sympy_fn: Callable  # the same function on sympy symbols
    domain: tuple  # (low, high) for each input: where the function is smooth
    edges: tuple = ()  # extra points (tuples of inputs) worth checking on their own
    kinks: tuple = ()  # points where a two-sided central difference is meaningless
    torch_fn: Callable = None


def _relu_sympy(x):
    # Piecewise, not Max or Heaviside: sympy's Heaviside(0) is 1/2, while
    # relu'(0) is 0 here and in PyTorch. The derivative of this is 1 if x > 0 else 0.
    return sympy.Piecewise((x, x > 0), (0, True))


def _sigmoid_float(x):
    # an identity, not our formula: σ(x) = (1 + tanh(x/2)) / 2, stable for any x
    return 0.5 * (1.0 + math.tanh(x / 2.0))


OPS = [
    # + - * / with Values and numbers on either side
    Op("x + y", lambda x, y: x + y, lambda x, y: x + y, lambda x, y: x + y, ((-5, 5), (-5, 5))),
    Op("x + 2", lambda x: x + 2, lambda x: x + 2, lambda x: x + 2, ((-5, 5),)),
    Op("2.5 + x", lambda x: 2.5 + x, lambda x: 2.5 + x, lambda x: 2.5 + x, ((-5, 5),)),
    Op("x - y", lambda x, y: x - y, lambda x, y: x - y, lambda x, y: x - y, ((-5, 5), (-5, 5))),
    Op("x - 3", lambda x: x - 3, lambda x: x - 3, lambda x: x - 3, ((-5, 5),)),
    Op("1 - x", lambda x: 1 - x, lambda x: 1 - x, lambda x: 1 - x, ((-5, 5),)),
    Op("x * y", lambda x, y: x * y, lambda x, y: x * y, lambda x, y: x * y, ((-5, 5), (-5, 5))),
    Op("x * 3", lambda x: x * 3, lambda x: x * 3, lambda x: x * 3, ((-5, 5),)),
    Op("2 * x", lambda x: 2 * x, lambda x: 2 * x, lambda x: 2 * x, ((-5, 5),)),
    Op("x / y", lambda x, y: x / y, lambda x, y: x / y, lambda x, y: x / y,
       ((-5, 5), (0.5, 4)), edges=((1.5, -0.75), (-2.0, -3.0))),
    Op("x / 2", lambda x: x / 2, lambda x: x / 2, lambda x: x / 2, ((-5, 5),)),
    Op("1 / x", lambda x: 1 / x, lambda x: 1 / x, lambda x: 1 / x, ((0.2, 5),), edges=((-0.3,),)),
    Op("-x", lambda x: -x, lambda x: -x, lambda x: -x, ((-5, 5),)),
    # ** with a number exponent: whole, negative and fractional
    Op("x ** 0", lambda x: x**0, lambda x: x**0, lambda x: x**0, ((-3, 3),)),
    Op("x ** 1", lambda x: x**1, lambda x: x**1, lambda x: x**1, ((-3, 3),)),
    Op("x ** 2", lambda x: x**2, lambda x: x**2, lambda x: x**2, ((-3, 3),), edges=((0.0,),)),
    Op("x ** 3", lambda x: x**3, lambda x: x**3, lambda x: x**3, ((-3, 3),), edges=((0.0,),)),
    Op("x ** -1", lambda x: x**-1, lambda x: x**-1, lambda x: x**-1, ((0.2, 4),), edges=((-2.0,),)),
    Op("x ** -2", lambda x: x**-2, lambda x: x**-2, lambda x: x**-2, ((0.2, 4),), edges=((-1.5,),)),
    Op("x ** 0.5", lambda x: x**0.5, lambda x: x**0.5, lambda x: x**sympy.Rational(1, 2), ((0.05, 9),)),
    Op("x ** 1.5", lambda x: x**1.5, lambda x: x**1.5, lambda x: x**sympy.Rational(3, 2), ((0.05, 9),),
       edges=((0.0,),), kinks=((0.0,),)),  # 0 is the edge of the domain: no left side
    Op("x ** -0.5", lambda x: x**-0.5, lambda x: x**-0.5, lambda x: x**sympy.Rational(-1, 2), ((0.05, 9),)),
    # ** with a Value exponent, and a number to a Value power
    Op("x ** y", lambda x, y: x**y, lambda x, y: x**y, lambda x, y: x**y, ((0.1, 4), (-3, 3))),
    Op("2 ** x", lambda x: 2**x, lambda x: 2**x, lambda x: 2**x, ((-4, 4),)),
    Op("0.5 ** x", lambda x: 0.5**x, lambda x: 0.5**x, lambda x: sympy.Rational(1, 2) ** x, ((-4, 4),)),
    # functions
    Op("relu", lambda x: x.relu(), lambda x: max(0.0, x), _relu_sympy, ((-3, 3),),
       edges=((0.0,), (-800.0,), (800.0,)), kinks=((0.0,),)),
    Op("tanh", lambda x: x.tanh(), math.tanh, sympy.tanh, ((-4, 4),),
       edges=((0.0,), (50.0,), (-50.0,), (800.0,), (-800.0,))),
    Op("sigmoid", lambda x: x.sigmoid(), _sigmoid_float, lambda x: 1 / (1 + sympy.exp(-x)), ((-6, 6),),
       edges=((0.0,), (40.0,), (-40.0,), (800.0,), (-800.0,))),
    Op("sin", lambda x: x.sin(), math.sin, sympy.sin, ((-7, 7),), edges=((0.0,), (100.0,))),
    Op("exp", lambda x: x.exp(), math.exp, sympy.exp, ((-5, 5),), edges=((-800.0,), (700.0,))),
    Op("log", lambda x: x.log(), math.log, sympy.log, ((0.01, 10),), edges=((1e-8,), (1e8,))),
    Op("softplus", lambda x: x.softplus(), lambda x: float(mpmath.log1p(mpmath.exp(x))),
       lambda x: sympy.log(1 + sympy.exp(x)), ((-6, 6),),
       edges=((0.0,), (40.0,), (-40.0,), (800.0,), (-800.0,)),
       torch_fn=lambda x: _torch().nn.functional.softplus(x)),
    Op("Value.logsumexp", lambda x, y, z: Value.logsumexp([x, y, 1.0, z]),
       lambda x, y, z: float(mpmath.log(sum(mpmath.exp(v) for v in (x, y, 1.0, z)))),
       lambda x, y, z: sympy.log(sympy.exp(x) + sympy.exp(y) + sympy.E + sympy.exp(z)),
       ((-5, 5), (-5, 5), (-5, 5)), edges=((800.0, 799.0, -800.0), (-800.0, -801.0, -900.0)),
       torch_fn=lambda x, y, z: _torch().logsumexp(
           _torch().stack([x, y, _torch().tensor(1.0, dtype=x.dtype), z]), dim=0)),
    # a neuron's weighted sum as one node, with a plain-number input among its operands
    Op("Value.linear", lambda w0, x0, w1, b: Value.linear([w0, w1], [x0, 1.5], b),
       lambda w0, x0, w1, b: w0 * x0 + w1 * 1.5 + b, lambda w0, x0, w1, b: w0 * x0 + w1 * 1.5 + b,
       ((-5, 5),) * 4, torch_fn=lambda w0, x0, w1, b: w0 * x0 + w1 * 1.5 + b),
    # the n-ary sum node, with a plain number among its terms
    Op("Value.sum", lambda x, y, z: Value.sum([x, y, 2.0, z]), lambda x, y, z: x + y + 2.0 + z,
       lambda x, y, z: x + y + 2 + z, ((-5, 5), (-5, 5), (-5, 5)),
       torch_fn=lambda x, y, z: x + y + 2.0 + z),
    # combinations a learner writes
    Op("x * x", lambda x: x * x, lambda x: x * x, lambda x: x * x, ((-3, 3),)),
    Op("(x * y + x) / y", lambda x, y: (x * y + x) / y, lambda x, y: (x * y + x) / y,
       lambda x, y: (x * y + x) / y, ((-3, 3), (0.5, 3))),
]


def _torch():
    import torch
    return torch


def _points(op):
    """A few points drawn from the op's domain (seeded: the same every run), plus its edges."""
    rng = random.Random(op.name)
    drawn = [tuple(rng.uniform(low, high) for low, high in op.domain) for _ in range(3)]
    return drawn + list(op.edges)


CASES = [pytest.param(op, point, id=f"{op.name} at {point}") for op in OPS for point in _points(op)]
# a central difference needs the function smooth on both sides of the point
SMOOTH_CASES = [case for case in CASES if case.values[1] not in case.values[0].kinks]


def _ours(op, point):
    """(value, gradient w.r.t. each input) from tracegrad's backward."""
    leaves = [Value(v) for v in point]
    out = op.fn(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def _sympy_reference(op, point):
    """(value, gradient) from sympy's symbolic derivative, evaluated to 30 digits."""
    symbols = sympy.symbols(f"x0:{len(point)}", real=True)
    expr = op.sympy_fn(*symbols)
    with mpmath.workdps(30):
        at = [mpmath.mpf(v) for v in point]
        value = float(sympy.lambdify(symbols, expr, modules="mpmath")(*at))
        grads = [float(sympy.lambdify(symbols, sympy.diff(expr, s), modules="mpmath")(*at)) for s in symbols]
    return value, grads


def _close(got, want, rel=1e-9, abs_=1e-12):
    return math.isclose(got, want, rel_tol=rel, abs_tol=abs_)


@pytest.mark.parametrize("op, point", CASES)
def test_value_and_derivatives_match_sympy(op, point):
    value, grads = _ours(op, point)
    want_value, want_grads = _sympy_reference(op, point)
    assert _close(value, want_value), (value, want_value)
    for i, (got, want) in enumerate(zip(grads, want_grads)):
        assert _close(got, want), f"d/dx{i}: ours {got!r}, sympy {want!r}"


@pytest.mark.parametrize("op, point", SMOOTH_CASES)
def test_derivatives_match_central_differences(op, point):
    _, grads = _ours(op, point)
    for i, got in enumerate(grads):
        h = 1e-6 * abs(point[i]) or 1e-6  # relative steps stay inside domains like x > 0
        above, below = list(point), list(point)
        above[i] += h
        below[i] -= h
        numeric = (op.float_fn(*above) - op.float_fn(*below)) / (2 * h)
        assert math.isclose(got, numeric, rel_tol=1e-5, abs_tol=1e-6), (i, got, numeric)


@pytest.mark.parametrize("op, point", CASES)
def test_value_and_derivatives_match_torch_float64(op, point):
    torch = pytest.importorskip("torch")
    value, grads = _ours(op, point)
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out = (op.torch_fn or op.fn)(*leaves)
    out.backward()
    assert _close(value, out.item()), (value, out.item())
    for i, (got, leaf) in enumerate(zip(grads, leaves)):
        want = 0.0 if leaf.grad is None else leaf.grad.item()
        assert _close(got, want), f"d/dx{i}: ours {got!r}, torch {want!r}"


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_derivatives_match_sympy_anywhere_in_the_domain(data):
    op = data.draw(st.sampled_from(OPS), label="op")
    point = tuple(
        data.draw(st.floats(low, high, allow_nan=False, allow_infinity=False), label=f"x{i}")
        for i, (low, high) in enumerate(op.domain)
    )
    value, grads = _ours(op, point)
    want_value, want_grads = _sympy_reference(op, point)
    assert _close(value, want_value)
    for got, want in zip(grads, want_grads):
        assert _close(got, want, rel=1e-8, abs_=1e-10), (op.name, point, got, want)


# --- the points learners trip over --------------------------------------------


def test_relu_derivative_at_zero_is_zero_as_in_pytorch():
    x = Value(0.0)
    y = x.relu()
    y.backward()
    assert (y.data, x.grad) == (0.0, 0.0)


@pytest.mark.parametrize("x", [50.0, -50.0, 800.0, -800.0, 1e300, -1e300])
def test_tanh_and_sigmoid_saturate_without_overflow(x):
    t, s = Value(x), Value(x)
    tanh, sigmoid = t.tanh(), s.sigmoid()
    tanh.backward()
    sigmoid.backward()
    assert tanh.data == math.copysign(1.0, x)
    assert sigmoid.data == (1.0 if x > 0 else pytest.approx(0.0, abs=1e-21))
    # the true derivatives are below 1e-21 here: nothing overflowed into inf or nan
    assert 0.0 <= t.grad < 1e-21 and 0.0 <= s.grad < 1e-21


def test_sum_is_one_node_with_a_unit_derivative_per_term():
    xs = [Value(float(i)) for i in range(5)]
    total = Value.sum(xs)
    assert total.data == 10.0
    assert total.op == "sum" and total.inputs == tuple(xs) and total.local_grads == (1.0,) * 5
    total.backward()
    assert [x.grad for x in xs] == [1.0] * 5


def test_sum_accepts_any_iterable_and_counts_a_repeated_term_twice():
    x = Value(3.0)
    total = Value.sum(v for v in (x, x, 1))
    total.backward()
    assert (total.data, x.grad) == (7.0, 2.0)


def test_reflected_operations_keep_the_written_order_of_operands():
    x = Value(5.0)
    for node, first in ((2 - x, 2.0), (2 / x, 2.0), (2 * x, 2.0), (2 + x, 2.0), (2**x, 2.0)):
        assert node.inputs[0].data == first and node.inputs[1] is x


def test_integer_data_becomes_float():
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0
    assert type(v.grad) is float and v.grad == 0.0


def test_item_returns_the_plain_float():
    assert Value(2.5).item() == 2.5


# --- seeds' worked numbers --------------------------------------------------


def test_square_neuron_single_neuron():
    # z = relu(w·x + b), L = (z - y)² with w=3, b=7, x=2, y=4 (square_neuron).
    w, b = Value(3.0, label="w"), Value(7.0, label="b")
    x, y = 2.0, 4.0
    z = (w * x + b).relu()
    loss = (z - y) ** 2
    loss.backward()
    assert z.data == 13.0
    assert loss.data == 81.0
    # The seed writes dL/dw = 2wx = 12 and dL/db = 2b = 14: that differentiates
    # (wx + b)² and drops y. By the chain rule, with wx + b > 0 so relu passes
    # its input through, dL/dw = 2(z - y)·x = 2·9·2 = 36 and dL/db = 2(z - y) = 18.
    assert w.grad == 36.0
    assert b.grad == 18.0


# --- bad input: a specific error naming the value and the operation ----------

_ERRORS = [
    ("Value('abc')", lambda: Value("abc"), TypeError, r"Value\(\) needs a real number, got 'abc' \(str\)"),
    ("Value(None)", lambda: Value(None), TypeError, r"Value\(\) needs a real number, got None \(NoneType\)"),
    ("Value(Value(1))", lambda: Value(Value(1)), TypeError, r"Value\(\) needs a real number, got Value\(data=1.0"),
    ("Value(nan)", lambda: Value(float("nan")), ValueError, r"Value\(\) needs a finite number, got nan"),
    ("Value(inf)", lambda: Value(math.inf), ValueError, r"Value\(\) needs a finite number, got inf"),
    ("Value(-inf)", lambda: Value(-math.inf), ValueError, r"Value\(\) needs a finite number, got -inf"),
    ("Value(10**400)", lambda: Value(10**400), OverflowError, r"Value\(\) got an integer too large"),
    ("Value(2) + 'x'", lambda: Value(2) + "x", TypeError, r"unsupported operand for \+: 'x' \(str\)"),
    ("'x' + Value(2)", lambda: "x" + Value(2), TypeError, r"unsupported operand for \+: 'x' \(str\)"),
    ("Value('ab') * 2", lambda: Value("ab") * 2, TypeError, r"Value\(\) needs a real number, got 'ab'"),
    ("'ab' * Value(2)", lambda: "ab" * Value(2), TypeError, r"unsupported operand for \*: 'ab' \(str\)"),
    ("Value(2) * None", lambda: Value(2) * None, TypeError, r"unsupported operand for \*: None \(NoneType\)"),
    ("Value(2) - [1]", lambda: Value(2) - [1], TypeError, r"unsupported operand for -: \[1\] \(list\)"),
    ("Value(2) * nan", lambda: Value(2) * math.nan, ValueError, r"needs a finite number, got nan"),
    ("Value(2) / 'x'", lambda: Value(2) / "x", TypeError, r"unsupported operand for /: 'x' \(str\)"),
    ("Value(-1).log()", lambda: Value(-1).log(), ValueError, r"log is undefined for -1: it needs a number > 0"),
    ("Value(0).log()", lambda: Value(0).log(), ValueError, r"log is undefined for 0"),
    ("labelled log", lambda: Value(-2, label="x").log(), ValueError, r"log is undefined for -2 \(node 'x'\)"),
    ("Value(1) / 0", lambda: Value(1) / 0, ZeroDivisionError, r"division by zero: 1 / 0"),
    ("Value(1) / Value(0)", lambda: Value(1) / Value(0), ZeroDivisionError, r"division by zero: 1 / 0"),
    ("3 / Value(0)", lambda: 3 / Value(0), ZeroDivisionError, r"division by zero: 3 / 0"),
    ("1 / Value(1e-200)", lambda: 1 / Value(1e-200), OverflowError, r"1 / 1e-200: .* too large for a float"),
    ("Value(-1) ** 0.5", lambda: Value(-1) ** 0.5, ValueError, r"-1 \*\* 0.5: a negative base needs a whole-number"),
    ("Value(0) ** -1", lambda: Value(0) ** -1, ZeroDivisionError, r"0 \*\* -1: zero to a negative power"),
    ("Value(0) ** 0.5", lambda: Value(0) ** 0.5, ValueError, r"0 \*\* 0.5: the derivative .* infinite at 0"),
    ("Value(2) ** 'x'", lambda: Value(2) ** "x", TypeError, r"\*\* \(exponent\) needs a real number, got 'x'"),
    ("Value(2) ** None", lambda: Value(2) ** None, TypeError, r"\*\* \(exponent\) needs a real number, got None"),
    ("Value(2) ** nan", lambda: Value(2) ** math.nan, ValueError, r"\*\* \(exponent\) needs a finite number"),
    ("Value(-2) ** Value(2)", lambda: Value(-2) ** Value(2), ValueError, r"-2 \*\* 2: with a Value exponent the base must be > 0"),
    ("(-2) ** Value(0.5)", lambda: (-2) ** Value(0.5), ValueError, r"-2 \*\* 0.5: with a Value exponent"),
    ("'x' ** Value(2)", lambda: "x" ** Value(2), TypeError, r"unsupported operand for \*\*: 'x' \(str\)"),
    ("Value(1000).exp()", lambda: Value(1000).exp(), OverflowError, r"exp\(1000\) is too large for a float"),
    ("Value(10) ** 1000", lambda: Value(10) ** 1000, OverflowError, r"10 \*\* 1000 is too large for a float"),
    ("Value(10) ** 308", lambda: Value(10) ** 308, OverflowError, r"10 \*\* 308: its derivative is too large"),
    ("Value(10) ** Value(400)", lambda: Value(10) ** Value(400), OverflowError, r"10 \*\* 400 is too large"),
    ("label=3", lambda: Value(1, label=3), TypeError, r"label must be a str, got 3 \(int\)"),
    ("label=None", lambda: Value(1, label=None), TypeError, r"label must be a str, got None"),
    ("Value.sum([])", lambda: Value.sum([]), ValueError, r"Value.sum\(\) needs at least one value"),
    ("Value.sum(['a'])", lambda: Value.sum([Value(1), "a"]), TypeError, r"unsupported operand for sum: 'a'"),
    ("backward('x')", lambda: Value(1).backward("x"), TypeError, r"backward\(\) gradient needs a real number, got 'x'"),
    ("backward(nan)", lambda: Value(1).backward(math.nan), ValueError, r"backward\(\) gradient needs a finite number"),
]


@pytest.mark.parametrize("call, error, match", [pytest.param(*e[1:], id=e[0]) for e in _ERRORS])
def test_bad_input_raises_a_specific_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


_UNARY = {
    "log": lambda v: v.log(),
    "exp": lambda v: v.exp(),
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "relu": lambda v: v.relu(),
    "1/x": lambda v: 1 / v,
    "x**0.5": lambda v: v**0.5,
    "x**-1": lambda v: v**-1,
    "x**-2.5": lambda v: v**-2.5,
    "x**3": lambda v: v**3,
    "x**400": lambda v: v**400,
    "2**x": lambda v: 2**v,
    "x**x": lambda v: v**v,
}
_EDGY = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 5e-324, -5e-324, 1e-200, 1e308, -1e308, 709.8, 710.0, -745.0]),
    st.floats(allow_nan=False, allow_infinity=False),
)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(_UNARY)), x=_EDGY)
def test_no_operation_silently_returns_nan_or_inf(name, x):
    try:
        out = _UNARY[name](Value(x))
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        assert f"{x:g}" in str(error)  # the message names the offending value
        return
    assert math.isfinite(out.data), (name, x, out.data)
    assert all(math.isfinite(g) for g in out.local_grads), (name, x, out.local_grads)


# --- repr, slots, lifetime ------------------------------------------------------


def test_repr_reads_data_and_grad():
    x = Value(2.0)
    y = x * 3
    y.backward()
    assert repr(y) == "Value(data=6.0, grad=1)"  # micrograd prints the root's grad as 1
    assert repr(x) == "Value(data=2.0, grad=3.0)"
    assert repr(Value(1, label="w")) == "Value(data=1.0, grad=0.0, label='w')"


def test_values_you_create_take_extra_attributes_without_changing_their_numbers():
    # EurekaLabs' micrograd keeps AdamW's state on parameters and a colour on inputs
    w, x = Value(0.5, label="w"), Value(2.0)
    w.m, w.v = 0.0, 0.0
    x._vis_color = "lightblue"
    node = w * x
    node.backward()
    assert (w.m, w.v, x._vis_color) == (0.0, 0.0, "lightblue")
    assert (node.data, node.grad, w.grad, x.grad) == (1.0, 1.0, 2.0, 0.5)
    assert isinstance(w, Value) and isinstance(node, Value)
    with pytest.raises(AttributeError):
        w.never_set


def test_every_node_is_a_value_and_takes_attributes_as_in_micrograd():
    node = Value(1.0) * 2
    node._vis_color = "red"  # EurekaLabs' vis_color marks interior nodes
    assert vars(node) == {"_vis_color": "red"} and vars(Value(1.0)) == {}
    assert type(node) is Value and type(Value(1.0)) is Value
    # the slots and the dictionary's pointer (on 3.11 and later, two pointers before the
    # object, which getsizeof counts); the dictionary itself only once an attribute is set
    expected = {(3, 10): 104, (3, 11): 112, (3, 12): 112, (3, 13): 112}.get(sys.version_info[:2])
    if expected is not None:
        assert sys.getsizeof(node) == expected


def test_a_dropped_graph_is_freed_by_reference_counting_alone():
    # With the cyclic collector off, only reference counting can free the
    # graph; if any node took part in a reference cycle it would stay alive.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = Value(1.5)
        a = x * x
        b = (a + 1).tanh() * a
        loss = Value.sum([b, a.relu(), b**2]) / 3
        loss.backward()
        grad(loss, [x])
        for name, node in (("a", a), ("b", b), ("loss", loss)):
            node.label = f"dropped-{name}"

        def alive():  # Values are tracked by the collector: gc.get_objects() lists the live ones
            return sorted(o.label for o in gc.get_objects() if type(o) is Value and o.label.startswith("dropped-"))

        assert alive() == ["dropped-a", "dropped-b", "dropped-loss"]
        del a, b, loss, node
        assert alive() == []
        assert x.grad != 0.0  # the leaf we still hold keeps its gradient
    finally:
        if was_enabled:
            gc.enable()


def test_a_power_node_is_named_from_its_exponent_as_a_float():
    from fractions import Fraction

    x = Value(4.0)
    assert [(x**e).op for e in (2, 2.0, -1, 0.5, Fraction(1, 2), True)] == [
        "**2", "**2", "**-1", "**0.5", "**0.5", "**1"]


def test_a_power_of_a_non_finite_base_says_so():
    huge = Value(1e300) * Value(1e300)  # + - * overflow to inf as floats do
    with pytest.raises(ValueError, match=r"nan \*\* 2: the base is not a finite number"):
        (huge - huge) ** 2


# --- powers whose result and needed derivatives are finite: no false overflow --------


def test_a_subnormal_base_to_a_zero_value_power():
    x, y = Value(1e-310), Value(0.0)
    out = x**y
    out.backward()
    # x^0 = 1 for every x > 0, so d/dx = 0 (x^-1 would overflow); d/dy = x^y ln x
    assert (out.data, x.grad) == (1.0, 0.0)
    assert y.grad == pytest.approx(float(mpmath.log(mpmath.mpf(1e-310))), rel=1e-14)


def test_a_subnormal_base_to_a_small_power_has_its_large_but_finite_slope():
    x = Value(1e-310)
    out = x**0.001
    out.backward()
    with mpmath.workdps(30):
        base = mpmath.mpf(1e-310)
        want_value, want_slope = base**0.001, 0.001 * base**-0.999
    assert out.data == pytest.approx(float(want_value), rel=1e-14)
    assert x.grad == pytest.approx(float(want_slope), rel=1e-12)  # 4.9e306: x^-0.999 alone overflows


def test_a_number_to_a_value_power_near_the_top_of_the_float_range():
    y = Value(1023.5)
    out = 2**y
    out.backward()
    assert out.data == pytest.approx(2.0**1023.5, rel=1e-15)
    assert y.grad == pytest.approx(out.data * math.log(2.0), rel=1e-15)
    # the constant 2's own derivative, 1023.5·2^1022.5, is beyond a float: no one needs it
    assert out.inputs[0].op == "" and out.local_grads[0] == math.inf


def test_a_value_base_whose_derivative_overflows_is_still_an_error():
    with pytest.raises(OverflowError, match="derivative is too large"):
        Value(2.0) ** Value(1023.5)


def test_linear_is_one_node_with_operands_in_pairs_and_checks_its_lengths():
    w0, w1, x0, b = Value(0.4), Value(0.2), Value(0.5), Value(0.1)
    z = Value.linear([w0, w1], [x0, 0.1], b)
    assert z.op == "linear" and z.inputs[0] is w0 and z.inputs[1] is x0 and z.inputs[2] is w1
    assert z.inputs[4] is b and z.local_grads == (0.5, 0.4, 0.1, 0.2, 1.0)
    assert z.data == 0.4 * 0.5 + 0.2 * 0.1 + 0.1
    with pytest.raises(ValueError, match="as many weights as inputs, and one at least; got 2 weights and 1"):
        Value.linear([w0, w1], [x0], b)
    with pytest.raises(ValueError, match="got 0 weights"):
        Value.linear([], [], b)


# --- data a learner assigns: ints and numpy numbers ----------------------------------


def _assigned(data):
    """A leaf whose .data a learner set directly, as micrograd code and weight loading do."""
    leaf = Value(0.5)
    leaf.data = data
    return leaf


ASSIGNED_DATA = {  # the number to assign, and the float it stands for
    "int": (2, 2.0),
    "np.float64": ("float64", 2.0),
    "np.float32": ("float32", 0.1),  # float32(0.1) is 0.100000001490116...: not 0.1
}


def _assigned_number(kind):
    import numpy as np

    number, exact = ASSIGNED_DATA[kind]
    return (getattr(np, number)(exact) if isinstance(number, str) else number), float(
        getattr(np, number)(exact)) if isinstance(number, str) else exact


@pytest.mark.parametrize("kind", list(ASSIGNED_DATA))
@pytest.mark.parametrize("expression", [
    lambda p, q: q * p,
    lambda p, q: p * q,
    lambda p, q: p * p,
    lambda p, q: p + p - q,
    lambda p, q: p ** 2 + p ** q,
    lambda p, q: q / p + p / q,
    lambda p, q: p.log() + (p * 3).relu() + p.softplus() + p.tanh(),
    lambda p, q: p.sum([p, q, p]) + p.linear([p, q], [q, p], p) + p.logsumexp([p, q]),
], ids=["q*p", "p*q", "p*p", "p+p-q", "powers", "quotients", "functions", "sum-linear-logsumexp"])
def test_assigned_int_or_numpy_data_computes_and_back_propagates_as_its_float(kind, expression):
    torch = pytest.importorskip("torch")
    number, exact = _assigned_number(kind)
    p, q = _assigned(number), Value(3.0)
    out = expression(p, q)
    out.backward()
    # the reference: the same expression with .data the float it stands for, in torch float64
    tp = torch.tensor(exact, dtype=torch.float64, requires_grad=True)
    tq = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    reference = expression(_TorchOps(tp), _TorchOps(tq)).tensor
    reference.backward()
    assert type(out.data) is float and out.data == pytest.approx(reference.item(), rel=1e-12)
    assert type(p.grad) is float and p.grad == pytest.approx(tp.grad.item(), rel=1e-12)
    q_grad = 0.0 if tq.grad is None else tq.grad.item()  # torch leaves an unused input's grad None
    assert type(q.grad) is float and q.grad == pytest.approx(q_grad, rel=1e-12)
    assert all(type(g) is float for g in out.local_grads)


class _TorchOps:
    """A float64 tensor with Value's method names, so one lambda runs on both."""

    def __init__(self, tensor):
        self.tensor = tensor

    @staticmethod
    def _t(x):
        return x.tensor if isinstance(x, _TorchOps) else x

    def __add__(self, other):
        return _TorchOps(self.tensor + self._t(other))

    def __sub__(self, other):
        return _TorchOps(self.tensor - self._t(other))

    def __mul__(self, other):
        return _TorchOps(self.tensor * self._t(other))

    def __truediv__(self, other):
        return _TorchOps(self.tensor / self._t(other))

    def __pow__(self, other):
        return _TorchOps(self.tensor ** self._t(other))

    def log(self):
        return _TorchOps(self.tensor.log())

    def relu(self):
        return _TorchOps(self.tensor.relu())

    def softplus(self):
        return _TorchOps(_torch().nn.functional.softplus(self.tensor))

    def tanh(self):
        return _TorchOps(self.tensor.tanh())

    @staticmethod
    def sum(terms):
        return _TorchOps(sum((t.tensor for t in terms[1:]), terms[0].tensor))

    @staticmethod
    def linear(weights, inputs, bias):
        return _TorchOps(sum((w.tensor * x.tensor for w, x in zip(weights, inputs)), bias.tensor))

    @staticmethod
    def logsumexp(terms):
        return _TorchOps(_torch().logsumexp(_torch().stack([t.tensor for t in terms]), 0))


def test_assigned_float32_data_gives_float64_results_not_float32_rounding():
    import numpy as np

    p = _assigned(np.float32(0.1))
    out = p * 3.0
    # float32 arithmetic would round 0.3000000044703484 to float32's 0.3 (7 digits)
    assert type(out.data) is float and out.data == float(np.float32(0.1)) * 3.0
    assert out.data != float(np.float32(0.1) * np.float32(3.0))


def test_weights_copied_from_numpy_into_an_mlp_train():
    import numpy as np

    from tracegrad.nn import MLP

    model = MLP(2, [3, 1], seed=0)
    weights = np.linspace(-1, 1, 9, dtype=np.float32).reshape(3, 3)
    for j, neuron in enumerate(model.layers[0].neurons):
        for k, w in enumerate(neuron.w):
            w.data = weights[j, k]
        neuron.b.data = weights[j, 2]
    loss = (model([1, 2]) - 1.0) ** 2
    loss.backward()
    assert all(type(p.grad) is float for p in model.parameters())
    assert any(p.grad != 0.0 for p in model.layers[0].parameters())


@pytest.mark.parametrize("kind", list(ASSIGNED_DATA))
def test_a_trace_of_assigned_data_reads_its_floats(kind):
    from tracegrad.viz import trace

    number, exact = _assigned_number(kind)
    p = _assigned(number)
    p.label = "p"
    # the same text as for the float it stands for
    as_float = Value(exact, label="p")
    assert str(trace((Value(3.0) * p * p).log())) == str(trace((Value(3.0) * as_float * as_float).log()))


def test_relu_of_nan_is_nan_on_the_scalar_and_batched_paths_as_in_pytorch():
    from tracegrad import Tape, replay

    torch = pytest.importorskip("torch")
    x = Value(1e308)
    out = (x * 10 - x * 10).relu()  # inf - inf: an overflow a ReLU must not hide as 0
    out.backward()
    tx = torch.tensor(1e308, dtype=torch.float64, requires_grad=True)
    reference = (tx * 10 - tx * 10).relu()
    reference.backward()
    assert math.isnan(reference.item()) and math.isnan(out.data)
    assert math.isnan(replay(out, {}))
    # the gradient: relu'(nan) is 0 in PyTorch, here, and on the batched path
    assert x.grad == tx.grad.item() == 0.0
    w = Value(1e308)
    tape = Tape.record(lambda: (w * 10 - w * 10).relu(), [()], inputs=False)
    (batched,) = tape.forward()
    assert math.isnan(batched[0])
    assert tape.backward([1.0]) and w.grad == 0.0


# --- copies: pickle and copy.deepcopy -----------------------------------------------


def test_a_pickled_or_deep_copied_graph_of_built_in_operations_replays():
    import copy
    import pickle

    from tracegrad import replay

    x = Value(0.5)
    root = (x * x + 1.0).tanh()
    for copied in (pickle.loads(pickle.dumps(root)), copy.deepcopy(root)):
        assert not copied._own_operation and "_own_operation" not in vars(copied)
        assert replay(copied, {}) == root.data == math.tanh(1.25)
        (leaf,) = {node for node in copied.inputs[0].inputs[0].inputs}
        assert replay(copied, {leaf: 2.0}) == math.tanh(5.0)


def test_a_learners_own_operation_stays_one_when_copied():
    import copy

    x = Value(2.0)
    own = Value(x.data * 3, (x,), "triple")
    assert copy.deepcopy(own)._own_operation and copy.deepcopy(own).op == "triple"


@pytest.mark.parametrize("copier", ["pickle", "deepcopy"])
def test_a_100000_operation_chain_copies_without_recursion_and_keeps_what_it_shares(copier):
    import copy
    import pickle

    limit = sys.getrecursionlimit()
    x, c = Value(0.5, label="x"), Value(1.00001, label="c")
    y = x
    for _ in range(100_000):
        y = (y * c).tanh() if _ % 2 else y * c
    params = [x, c]
    if copier == "pickle":
        params_copy, y_copy = pickle.loads(pickle.dumps((params, y)))
    else:
        params_copy, y_copy = copy.deepcopy((params, y))
    assert sys.getrecursionlimit() == limit
    assert y_copy is not y and y_copy.data == y.data
    # the copied graph's leaves are the copied list's leaves: one copy of each shared node
    order = topological_order(y_copy)
    assert len(order) == len(topological_order(y)) and order[0] is params_copy[0]
    assert {node for node in order if not node.inputs} == set(params_copy)
    y_copy.backward()
    y.backward()
    assert (params_copy[0].grad, params_copy[1].grad) == (x.grad, c.grad)
    del y_copy, order  # freeing the copy must not recurse either


def test_a_copy_that_fails_part_way_leaves_the_next_copy_working():
    import pickle

    x = Value(0.5)
    y = x
    for k in range(5000):
        y = y * 1.0001
        if k == 2500:
            middle = y
    middle.unpicklable = lambda: None  # a node's attribute that pickle cannot save
    with pytest.raises((pickle.PicklingError, AttributeError), match="lambda|local"):
        pickle.dumps(y)
    del middle.unpicklable
    assert pickle.loads(pickle.dumps(y)).data == y.data
    assert pickle.loads(pickle.dumps(middle)).data == middle.data
