"""Value: one float that remembers how it was computed.

Every operation computes its result and, beside it, the partial derivative of
the result with respect to each operand (the "local gradients"). Both go on the
new node, so backward() is just the chain rule over stored numbers, and a
drawing or a trace can show exactly those numbers.
"""

import math
from contextlib import ContextDecorator
from numbers import Real

from . import engine

__all__ = ["Value", "no_grad", "is_grad_enabled"]

# Whether operations record a graph. Module-wide (not per thread), like a
# learner expects from a notebook; no_grad() switches it off for a block.
_grad_enabled = True


class no_grad(ContextDecorator):
    """Inside ``with no_grad():`` (or a function decorated with it) results record no graph."""

    def __init__(self):
        # A stack, not one saved flag: one decorator instance is re-entered
        # when the decorated function calls itself, and each exit must
        # restore what its own enter saw.
        self._previous = []

    def __enter__(self):
        global _grad_enabled
        self._previous.append(_grad_enabled)
        _grad_enabled = False
        return self

    def __exit__(self, *exc_info):
        global _grad_enabled
        _grad_enabled = self._previous.pop()
        return False


def is_grad_enabled():
    """True unless inside no_grad()."""
    return _grad_enabled


class Value:
    """A scalar in a computation graph: ``data``, ``grad``, ``label``, and how it was made.

    ``op`` names the operation that produced it, ``inputs`` are its operands in
    order (``x + x`` has two), ``local_grads`` the derivative of this value with
    respect to each operand. A leaf (data or parameter) has ``op == ""`` and no inputs.
    """

    __slots__ = ("data", "grad", "label", "op", "inputs", "local_grads", "__weakref__")

    def __init__(self, data, label=""):
        self.data = _real_number(data, "Value()")
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(f"Value() label must be a str, got {label!r} ({type(label).__name__})")
        self.label = label
        self.op = ""
        self.inputs = ()
        self.local_grads = ()

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    def item(self):
        """The plain float, as ``tensor.item()``."""
        return self.data

    def backward(self, gradient=1.0):
        """Fill ``grad`` of every node in this graph with d self / d node (leaves accumulate)."""
        engine.backward(self, _real_number(gradient, "backward()"))

    # --- arithmetic: forward rule and local derivatives side by side ---------

    def __add__(self, other):
        """x + y;  d/dx = 1,  d/dy = 1"""
        if type(other) is not Value:
            other = _operand(other, "+")
        return _result(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __sub__(self, other):
        """x - y;  d/dx = 1,  d/dy = -1"""
        if type(other) is not Value:
            other = _operand(other, "-")
        return _result(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __mul__(self, other):
        """x * y;  d/dx = y,  d/dy = x"""
        if type(other) is not Value:
            other = _operand(other, "*")
        x, y = self.data, other.data
        return _result(x * y, (self, other), (y, x), "*")

    def __truediv__(self, other):
        """x / y;  d/dx = 1/y,  d/dy = -x/y²"""
        if type(other) is not Value:
            other = _operand(other, "/")
        x, y = self.data, other.data
        if y == 0.0:
            raise ZeroDivisionError(f"division by zero: {_name(self)} / {_name(other)}")
        q = x / y
        local_x = 1.0 / y
        local_y = -q / y  # = -x/y², without y*y underflowing to 0 for tiny y
        # float division gives inf instead of raising; say so instead
        if not (math.isfinite(q) and math.isfinite(local_x) and math.isfinite(local_y)):
            raise OverflowError(
                f"{_name(self)} / {_name(other)}: the result or its derivative "
                "is too large for a float"
            )
        return _result(q, (self, other), (local_x, local_y), "/")

    def __neg__(self):
        """-x;  d/dx = -1"""
        return _result(-self.data, (self,), (-1.0,), "neg")

    def __pow__(self, exponent):
        """x ** n for a number n;  d/dx = n·x^(n-1).  x ** y for a Value y: see _power."""
        if isinstance(exponent, Value):
            return _power(self, exponent)
        n = _real_number(exponent, "** (exponent)")
        x = self.data
        if x < 0.0 and not n.is_integer():
            raise ValueError(
                f"{_name(self)} ** {n:g}: a negative base needs a whole-number exponent "
                "(the result would be complex)"
            )
        if x == 0.0 and n < 0.0:
            raise ZeroDivisionError(f"{_name(self)} ** {n:g}: zero to a negative power")
        if x == 0.0 and 0.0 < n < 1.0:
            raise ValueError(
                f"{_name(self)} ** {n:g}: the derivative n·x^(n-1) is infinite at 0"
            )
        try:
            out = x**n
            local = n * x ** (n - 1.0) if n != 0.0 else 0.0
        except OverflowError:
            raise OverflowError(f"{_name(self)} ** {n:g} is too large for a float") from None
        if not math.isfinite(local):  # the product n·x^(n-1) overflows without raising
            if not math.isfinite(x):  # an earlier +, - or * overflowed to inf or nan
                raise ValueError(f"{_name(self)} ** {n:g}: the base is not a finite number")
            raise OverflowError(f"{_name(self)} ** {n:g}: its derivative is too large for a float")
        # named from the float, so x ** Fraction(1, 2) and x ** 0.5 read the same: "**0.5"
        return _result(out, (self,), (local,), f"**{n:.0f}" if n.is_integer() else f"**{n!r}")

    @staticmethod
    def sum(values):
        """x1 + x2 + ... + xn as one node;  d/dxi = 1 for each i.

        Equal to a chain of ``+`` but with one node instead of n - 1, so a
        neuron's weighted sum reads as one step and back-propagates faster.
        """
        terms = tuple(v if type(v) is Value else _operand(v, "sum") for v in values)
        if not terms:
            raise ValueError("Value.sum() needs at least one value")
        return _result(sum([v.data for v in terms]), terms, (1.0,) * len(terms), "sum")

    # reflected forms keep operands in written order: 2 - x has inputs (2, x)
    def __radd__(self, other):
        return _operand(other, "+") + self

    def __rsub__(self, other):
        return _operand(other, "-") - self

    def __rmul__(self, other):
        return _operand(other, "*") * self

    def __rtruediv__(self, other):
        return _operand(other, "/") / self

    def __rpow__(self, other):
        return _power(_operand(other, "**"), self)

    # --- functions -----------------------------------------------------------

    def relu(self):
        """max(0, x);  d/dx = 1 if x > 0 else 0 (0 at x = 0, as PyTorch)"""
        x = self.data
        if x > 0.0:
            return _result(x, (self,), (1.0,), "relu")
        return _result(0.0, (self,), (0.0,), "relu")

    def tanh(self):
        """tanh x;  d/dx = 1 - tanh² x"""
        t = math.tanh(self.data)  # stable for any x, unlike (e^2x - 1)/(e^2x + 1)
        return _result(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self):
        """σ(x) = 1/(1 + e^-x);  d/dx = σ(x)(1 - σ(x))"""
        x = self.data
        # never exponentiate a large positive number: e^-x overflows for x < -709
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _result(s, (self,), (s * (1.0 - s),), "sigmoid")

    def exp(self):
        """e^x;  d/dx = e^x"""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({_name(self)}) is too large for a float") from None
        return _result(e, (self,), (e,), "exp")

    def log(self):
        """ln x;  d/dx = 1/x  (defined for x > 0 only)"""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log is undefined for {_name(self)}: it needs a number > 0")
        local = 1.0 / x
        if local == math.inf:  # x is so close to 0 (subnormal) that 1/x overflows
            raise OverflowError(f"log({_name(self)}): its derivative 1/x is too large for a float")
        return _result(math.log(x), (self,), (local,), "log")

    # --- micrograd's internal names, so code written against it runs unchanged

    @property
    def _prev(self):
        return set(self.inputs)

    @property
    def _op(self):
        return self.op

    def _backward(self):
        """Pass this node's grad to its inputs (one chain-rule step), as micrograd's closure did."""
        upstream = self.grad
        for inp, local in zip(self.inputs, self.local_grads):
            inp.grad += local * upstream


def _power(base, exponent):
    """x ** y for Values;  d/dx = y·x^(y-1),  d/dy = x^y · ln x  (needs x > 0)."""
    x, y = base.data, exponent.data
    if x < 0.0 or (x == 0.0 and y < 1.0):
        raise ValueError(
            f"{_name(base)} ** {_name(exponent)}: with a Value exponent the base must be > 0 "
            "(d/dy x^y = x^y·ln x); use a plain number exponent for a fixed power"
        )
    try:
        out = x**y
        if x == 0.0:  # y >= 1: x^y ln x -> 0 as x -> 0
            local_x, local_y = (1.0 if y == 1.0 else 0.0), 0.0
        else:
            local_x, local_y = y * x ** (y - 1.0), out * math.log(x)
    except OverflowError:
        raise OverflowError(f"{_name(base)} ** {_name(exponent)} is too large for a float") from None
    if not (math.isfinite(local_x) and math.isfinite(local_y)):  # products overflow silently
        raise OverflowError(
            f"{_name(base)} ** {_name(exponent)}: its derivative is too large for a float"
        )
    return _result(out, (base, exponent), (local_x, local_y), "**")


_new_node = object.__new__


def _result(data, inputs, local_grads, op):
    """A new node made by an operation; a leaf when no graph is being recorded."""
    node = _new_node(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    if _grad_enabled:
        node.op = op
        node.inputs = inputs
        node.local_grads = local_grads
    else:
        node.op = ""
        node.inputs = node.local_grads = ()
    return node


def _operand(other, op):
    """other as a Value: Values pass through, real numbers become constant leaves."""
    if isinstance(other, Value):
        return other
    if type(other) is float and math.isfinite(other):  # the common case, kept fast
        constant = _new_node(Value)
        constant.data, constant.grad, constant.label = other, 0.0, ""
        constant.op, constant.inputs, constant.local_grads = "", (), ()
        return constant
    if isinstance(other, Real):
        return Value(other)
    raise TypeError(
        f"unsupported operand for {op}: {other!r} ({type(other).__name__}); "
        "expected a Value or a real number"
    )


def _real_number(x, where):
    """x as a finite float, or a TypeError/ValueError that says what was wrong."""
    if isinstance(x, Value):
        raise TypeError(f"{where} needs a real number, got {x!r}; use the Value itself or its .data")
    if not isinstance(x, Real):
        raise TypeError(f"{where} needs a real number, got {x!r} ({type(x).__name__})")
    try:
        x = float(x)
    except OverflowError:
        raise OverflowError(f"{where} got an integer too large for a float") from None
    if not math.isfinite(x):
        raise ValueError(f"{where} needs a finite number, got {x}")
    return x


def _name(node):
    """How an error message refers to a node: its value, and its label when it has one."""
    return f"{node.data:g} (node {node.label!r})" if node.label else f"{node.data:g}"
