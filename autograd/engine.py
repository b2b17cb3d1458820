"""The engine: Value, one float that remembers how it was computed.

Every operation computes its result and, beside it, the partial derivative of
the result with respect to each operand (the "local gradients"). Both go on the
new node, so backward() is just the chain rule over stored numbers, and a
drawing or a trace can show exactly those numbers.

Below each operation stands its twin over arrays (``@array_rule``): the same
result and local derivatives computed with numpy for a whole batch of samples
at once, which autograd.batch uses to replay a recorded graph.
"""

import functools
import math
import threading
from numbers import Real

__all__ = ["Value", "no_grad", "is_grad_enabled", "ARRAY_RULES"]


# --- the twin of each operation over arrays --------------------------------------

# op name -> (rule, stacked): rule(np, *operands, out=None) returns (result, local gradients),
# each an array over samples (or a number that broadcasts); given ``out``, an array of the
# result's shape, the result is written into it (numpy's out=: a tape's table, no copy).
# Filled by @array_rule.
ARRAY_RULES = {}


def array_rule(op, stacked=False):
    """Register the decorated function as op's rule over arrays; it stays a static method.

    stacked: the operation takes any number of operands, and its rule gets them
    as one array, stacked along axis -2, and returns one local gradient array
    that broadcasts against it.
    """

    def register(rule):
        ARRAY_RULES[op] = (rule, stacked)
        return staticmethod(rule)

    return register


class Value:
    """A scalar in a computation graph: ``data``, ``grad``, ``label``, and how it was made.

    ``op`` names the operation that produced it, ``inputs`` are its operands in
    order (``x + x`` has two), ``local_grads`` the derivative of this value with
    respect to each operand. A leaf (data or parameter) has ``op == ""`` and no inputs.

    ``Value(data, _children, _op)`` is micrograd's form, for an operation a
    learner writes: its derivatives come from the ``_backward`` function the
    learner assigns (see ``_backward``).
    """

    # One object per node, and the only one the garbage collector tracks:
    # operands and local derivatives sit in slots, not in tuples of their own.
    # _x, _y: the first and second operand (_y None for one operand; _x a tuple
    # for more); _dx, _dy: d self / d operand, floats (_dx a tuple for more
    # operands, None when a learner's _backward function supplies them).
    # __dict__: any node takes extra attributes, as in micrograd (p.m = 0.0 for
    # an optimizer's state, _vis_color for a drawing); the dictionary itself is
    # made only when one is set. No __weakref__: its 8 bytes would round a node
    # up to the next 16 bytes of memory, and nothing needs a weak reference.
    __slots__ = ("data", "grad", "label", "op", "_x", "_y", "_dx", "_dy", "__dict__")

    # numpy's binary operators hand a Value back to it: np.float64(2) * x is a Value
    __array_ufunc__ = None

    def __init__(self, data, _children=(), _op="", label="", *, local_grads=None):
        self.data = _real_number(data, "Value()")
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(f"Value() label must be a str, got {label!r} ({type(label).__name__})")
        if not isinstance(_op, str):
            raise TypeError(f"Value() _op must be a str naming the operation, got {_op!r}")
        self.label = label
        # Derivatives unknown until the learner assigns _backward: until then,
        # as in micrograd, nothing flows back through this node.
        self._dx = self._dy = None
        if local_grads is None:
            operands = _children_of(_children)
        else:  # tracegrad's way: d data / d child for each child, as numbers now
            operands, locals_ = _children_with_slopes(_children, local_grads)
        if not operands or not is_grad_enabled():
            self.op, self._x, self._y = "", None, None
            return
        self.op = _op
        self._x, self._y = _pack(operands)
        self._own_operation = True  # in __dict__: its name is the learner's, not a built-in rule's
        if local_grads is not None:
            self._dx, self._dy = _pack(locals_)

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    @property
    def inputs(self):
        """The operands, in the order the operation took them; () for a leaf."""
        x = self._x
        if x is None:
            return ()
        if type(x) is tuple:
            return x
        y = self._y
        return (x,) if y is None else (x, y)

    @property
    def local_grads(self):
        """d self / d operand for each of ``inputs``, as numbers computed in the forward pass."""
        dx = self._dx
        if type(dx) is tuple:
            return dx
        if dx is not None:  # float() for an int: x * y after a learner set y.data = 2
            return (float(dx),) if self._y is None else (float(dx), float(self._dy))
        if self._x is None:
            return ()
        return _local_grads_of_closure(self)

    def item(self):
        """The plain float, as ``tensor.item()``."""
        return self.data

    def backward(self, gradient=1):
        """Fill ``grad`` of every node in this graph with d self / d node (leaves accumulate)."""
        # The engine's one lazy import: the graph walks in backprop.py work on
        # Values, so that module imports this one, not the other way round.
        from .backprop import backward

        backward(self, gradient)

    # --- arithmetic: forward rule and local derivatives side by side ---------

    def __add__(self, other):
        """x + y;  d/dx = 1,  d/dy = 1"""
        if type(other) is not Value:
            other = _operand(other, "+")
        out = self.data + other.data
        if type(out) is not float:  # see _again_with_float_data
            return _again_with_float_data(Value.__add__, self, other)
        return _binary(out, self, other, local_x=1.0, local_y=1.0, op="+")

    @array_rule("+")
    def _add_arrays(np, x, y, out=None):
        return np.add(x, y, out=out), (1.0, 1.0)

    def __sub__(self, other):
        """x - y;  d/dx = 1,  d/dy = -1"""
        if type(other) is not Value:
            other = _operand(other, "-")
        out = self.data - other.data
        if type(out) is not float:
            return _again_with_float_data(Value.__sub__, self, other)
        return _binary(out, self, other, local_x=1.0, local_y=-1.0, op="-")

    @array_rule("-")
    def _sub_arrays(np, x, y, out=None):
        return np.subtract(x, y, out=out), (1.0, -1.0)

    def __mul__(self, other):
        """x * y;  d/dx = y,  d/dy = x"""
        if type(other) is not Value:
            other = _operand(other, "*")
        x, y = self.data, other.data
        out = x * y
        if type(out) is not float:  # an int stays in a local derivative: exact, as 2.0 would be
            return _again_with_float_data(Value.__mul__, self, other)
        return _binary(out, self, other, local_x=y, local_y=x, op="*")

    @array_rule("*")
    def _mul_arrays(np, x, y, out=None):
        return np.multiply(x, y, out=out), (y, x)

    def __truediv__(self, other):
        """x / y;  d/dx = 1/y,  d/dy = -x/y²"""
        if type(other) is not Value:
            other = _operand(other, "/")
        x, y = self.data, other.data
        if y == 0.0:
            raise ZeroDivisionError(f"division by zero: {_name(self)} / {_name(other)}")
        q = x / y
        if type(q) is not float:
            return _again_with_float_data(Value.__truediv__, self, other)
        local_x = 1.0 / y
        local_y = -q / y  # = -x/y², without y*y underflowing to 0 for tiny y
        # float division gives inf instead of raising; say so instead
        if not (math.isfinite(q) and math.isfinite(local_x) and math.isfinite(local_y)):
            raise OverflowError(
                f"{_name(self)} / {_name(other)}: the result or its derivative "
                "is too large for a float"
            )
        return _binary(q, self, other, local_x=local_x, local_y=local_y, op="/")

    @array_rule("/")
    def _div_arrays(np, x, y, out=None):
        q = np.divide(x, y, out=out)
        return q, (1.0 / y, -q / y)

    def __neg__(self):
        """-x;  d/dx = -1"""
        return _unary(-self.data, self, local=-1.0, op="neg")

    @array_rule("neg")
    def _neg_arrays(np, x, out=None):
        return np.negative(x, out=out), (-1.0,)

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
        except OverflowError:
            raise OverflowError(f"{_name(self)} ** {n:g} is too large for a float") from None
        if type(out) is not float:
            return _again_with_float_data(Value.__pow__, self, exponent)
        local = _power_slope(x, n, out)
        if not math.isfinite(local):
            if not math.isfinite(x):  # an earlier +, - or * overflowed to inf or nan
                raise ValueError(f"{_name(self)} ** {n:g}: the base is not a finite number")
            raise OverflowError(f"{_name(self)} ** {n:g}: its derivative is too large for a float")
        # named from the float, so x ** Fraction(1, 2) and x ** 0.5 read the same: "**0.5"
        return _unary(out, self, local=local, op=power_op(n))

    @array_rule("**n")  # the exponent n is part of the op's name: "**2", "**0.5"
    def _pow_arrays(np, x, n, out=None):
        if n == 2.0:  # the loss's square: x·x and 2x, what the general rule gives, in two passes
            return np.multiply(x, x, out=out), (2.0 * x,)
        out = np.power(x, n, out=out)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            local = n * x ** (n - 1.0) if n != 0.0 else 0.0 * x
            # as _power_slope: where x^(n-1) overflows but the slope does not
            local = np.where(np.isfinite(local) | (x == 0.0), local, (n * out) / x)
        return out, (local,)

    @staticmethod
    def sum(values):
        """x1 + x2 + ... + xn as one node;  d/dxi = 1 for each i.

        Equal to a chain of ``+`` but with one node instead of n - 1, so a
        neuron's weighted sum reads as one step and back-propagates faster.
        """
        terms = tuple(v if type(v) is Value else _operand(v, "sum") for v in values)
        if not terms:
            raise ValueError("Value.sum() needs at least one value")
        out = _sum_in_order([v.data for v in terms])
        if type(out) is not float:
            return _again_with_float_data(Value.sum, terms, operands=terms)
        return _many(out, terms, local_grads=(1.0,) * len(terms), op="sum")

    @array_rule("sum", stacked=True)
    def _sum_arrays(np, terms, out=None):
        return terms.sum(axis=-2, out=out), 1.0

    @staticmethod
    def linear(weights, inputs, bias):
        """w1·x1 + ... + wn·xn + b as one node, a neuron's weighted sum;  d/dwi = xi,  d/dxi = wi,  d/db = 1.

        Its operands are (w1, x1, w2, x2, ..., wn, xn, b): one node instead of n
        products and a sum, so a network's graph is a few times smaller and
        faster, and its backward pass reads as the textbook's ∂C/∂w = x·δ.
        """
        ws = [w if isinstance(w, Value) else _operand(w, "linear") for w in weights]
        xs = [x if isinstance(x, Value) else _operand(x, "linear") for x in inputs]
        b = bias if isinstance(bias, Value) else _operand(bias, "linear")
        n = len(ws)
        if n != len(xs) or not n:
            raise ValueError(f"Value.linear() needs as many weights as inputs, and one at least; "
                             f"got {n} weights and {len(xs)} inputs")
        w_data, x_data = [w.data for w in ws], [x.data for x in xs]
        # summed in order, products first and the bias last, as Value.sum of the products and b
        data = _sum_in_order([w * x for w, x in zip(w_data, x_data)] + [b.data])
        if type(data) is not float:
            return _again_with_float_data(Value.linear, ws, xs, b, operands=(*ws, *xs, b))
        operands, slopes = [b] * (2 * n + 1), [1.0] * (2 * n + 1)
        operands[0:2 * n:2], operands[1:2 * n:2] = ws, xs
        slopes[0:2 * n:2], slopes[1:2 * n:2] = x_data, w_data
        return _many(data, tuple(operands), local_grads=tuple(slopes), op="linear")

    @array_rule("linear", stacked=True)
    def _linear_arrays(np, terms, out=None):
        count = terms.shape[-2]
        partner = np.arange(count) ^ 1  # w1 <-> x1, w2 <-> x2, ...: each one's slope is the other
        partner[-1] = count - 1
        local = np.take(terms, partner, axis=-2)  # a C-ordered copy: fancy indexing here gives odd strides
        local[..., -1, :] = 1.0  # d/db
        products = (terms[..., 0:-1:2, :] * terms[..., 1:-1:2, :]).sum(axis=-2)
        return np.add(products, terms[..., -1, :], out=out), local

    @staticmethod
    def logsumexp(values):
        """log(e^x1 + ... + e^xn) as one node;  d/dxi = e^xi / Σ e^xj (the softmax).

        Computed as m + log(1 + Σ e^(xi − m)) over the xi other than the largest,
        m: no exponent is positive (finite for any finite inputs), and log1p
        keeps a result near m exact (a cross-entropy near 0).
        """
        terms = tuple(v if type(v) is Value else _operand(v, "logsumexp") for v in values)
        if not terms:
            raise ValueError("Value.logsumexp() needs at least one value")
        data = [v.data for v in terms]
        if not all(type(x) is float for x in data):
            return _again_with_float_data(Value.logsumexp, terms, operands=terms)
        m = max(data)
        exps = [math.exp(x - m) for x in data]
        top = data.index(m)
        others = math.fsum(e for k, e in enumerate(exps) if k != top)
        total = 1.0 + others
        return _many(m + math.log1p(others), terms, local_grads=tuple(e / total for e in exps), op="logsumexp")

    @array_rule("logsumexp", stacked=True)
    def _logsumexp_arrays(np, terms, out=None):
        top = terms.argmax(axis=-2)[..., None, :]
        m = np.take_along_axis(terms, top, axis=-2)
        exps = np.exp(terms - m)
        rest = exps.copy()
        np.put_along_axis(rest, top, 0.0, axis=-2)  # all but the largest, whose e^0 is the 1 of log1p
        others = rest.sum(axis=-2, keepdims=True)
        return np.add(m[..., 0, :], np.log1p(others[..., 0, :]), out=out), exps / (1.0 + others)

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
        return _power(_operand(other, "**"), self, base_is_constant=True)

    # --- functions -----------------------------------------------------------

    def relu(self):
        """max(0, x);  d/dx = 1 if x > 0 else 0 (0 at x = 0, as PyTorch)"""
        x = self.data
        if type(x) is not float:
            return _again_with_float_data(Value.relu, self)
        if x > 0.0:
            return _unary(x, self, local=1.0, op="relu")
        # nan stays nan, as in PyTorch: a ReLU must not turn an overflow into a silent 0
        return _unary(0.0 if x <= 0.0 else x, self, local=0.0, op="relu")

    @array_rule("relu")
    def _relu_arrays(np, x, out=None):
        # the slope as a mask (True = 1, False = 0): a third of the time of the same in floats
        return np.maximum(x, 0.0, out=out), (np.greater(x, 0.0),)

    def tanh(self):
        """tanh x;  d/dx = 1 - tanh² x"""
        t = math.tanh(self.data)  # stable for any x, unlike (e^2x - 1)/(e^2x + 1)
        return _unary(t, self, local=1.0 - t * t, op="tanh")

    @array_rule("tanh")
    def _tanh_arrays(np, x, out=None):
        t = np.tanh(x, out=out)
        return t, (1.0 - t * t,)

    def sin(self):
        """sin x;  d/dx = cos x"""
        x = self.data
        if math.isinf(x):  # math.sin says only "math domain error"
            raise ValueError(f"sin is undefined for {_name(self)}: it needs a finite number")
        return _unary(math.sin(x), self, local=math.cos(x), op="sin")

    @array_rule("sin")
    def _sin_arrays(np, x, out=None):
        return np.sin(x, out=out), (np.cos(x),)

    def sigmoid(self):
        """σ(x) = 1/(1 + e^-x);  d/dx = σ(x)(1 - σ(x))"""
        x = self.data
        e = math.exp(-abs(x))  # e^-x for x >= 0, e^x below: never e^(large), which overflows
        s = (1.0 if x >= 0.0 else e) / (1.0 + e)
        return _unary(s, self, local=s * (1.0 - s), op="sigmoid")

    @array_rule("sigmoid")
    def _sigmoid_arrays(np, x, out=None):
        e = np.exp(-np.abs(x))  # e^-x for x >= 0, e^x below: never e^(large)
        s = np.divide(np.where(x >= 0.0, 1.0, e), 1.0 + e, out=out)
        return s, (s * (1.0 - s),)

    def softplus(self):
        """log(1 + e^x), a smooth relu;  d/dx = σ(x)"""
        x = self.data
        if type(x) is not float:
            return _again_with_float_data(Value.softplus, self)
        # max(x, 0) + log(1 + e^-|x|): no overflow, and log1p keeps tiny values exact
        e = math.exp(-abs(x))
        out = max(x, 0.0) + math.log1p(e)
        slope = (1.0 if x >= 0.0 else e) / (1.0 + e)  # σ(x), as sigmoid() computes it
        return _unary(out, self, local=slope, op="softplus")

    @array_rule("softplus")
    def _softplus_arrays(np, x, out=None):
        e = np.exp(-np.abs(x))
        return np.add(np.maximum(x, 0.0), np.log1p(e), out=out), (np.where(x >= 0.0, 1.0, e) / (1.0 + e),)

    def exp(self):
        """e^x;  d/dx = e^x"""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({_name(self)}) is too large for a float") from None
        return _unary(e, self, local=e, op="exp")

    @array_rule("exp")
    def _exp_arrays(np, x, out=None):
        e = np.exp(x, out=out)
        return e, (e,)

    def log(self):
        """ln x;  d/dx = 1/x  (defined for x > 0 only)"""
        x = self.data
        if type(x) is not float:
            return _again_with_float_data(Value.log, self)
        if x <= 0.0:
            raise ValueError(f"log is undefined for {_name(self)}: it needs a number > 0")
        local = 1.0 / x
        if local == math.inf:  # x is so close to 0 (subnormal) that 1/x overflows
            raise OverflowError(f"log({_name(self)}): its derivative 1/x is too large for a float")
        return _unary(math.log(x), self, local=local, op="log")

    @array_rule("log")
    def _log_arrays(np, x, out=None):
        return np.log(x, out=out), (1.0 / x,)

    # --- copies: pickle and copy.deepcopy, for a graph of any depth ---------------

    def __reduce_ex__(self, protocol):
        """How pickle and copy.deepcopy take a node apart: the nodes it depends on first.

        Saved the plain way, a node saves its operands inside itself, which
        save theirs: a recursion as deep as the graph (RecursionError past
        about a thousand operations). Instead the first node of a graph that
        a copy meets hands over every operation node below it in topological
        order, each operand before its users, so when a node's turn comes its
        operands are already saved and it saves only references to them. The
        nodes it hands over are marked so that they do not walk the graph
        again: one walk per copy, not one per node.
        """
        state = object.__reduce_ex__(self, 2)[2]  # (its __dict__, its slots), as pickle's default
        handed_over = _handed_over_for_copying.nodes
        if self in handed_over:
            handed_over.discard(self)
            return _node_for_a_copy, (), state
        if self._x is None:  # a leaf: nothing below it
            return _node_for_a_copy, (), state
        from .backprop import topological_order  # the engine's other lazy import (see backward)

        # By the time a copy meets a node that was not handed over, the nodes handed
        # over before have had their turn, unless that copy failed part way: forget those.
        handed_over.clear()
        below = [node for node in topological_order(self)[:-1] if node._x is not None]
        handed_over.update(below)
        return _node_for_a_copy, (below,), state

    # --- micrograd's internal names, so code written against it runs unchanged

    @property
    def _prev(self):
        return set(self.inputs)

    @property
    def _op(self):
        return self.op

    @property
    def _backward(self):
        """micrograd's hook: a function that passes this node's grad on to its inputs.

        Built-in operations store their local derivatives, and this is one
        chain-rule step over them. A learner's own operation assigns its own
        function, the lecture's way (``out._backward = _backward``); backward(),
        grad(), trace() and draw() then run it, and ``local_grads`` are read off
        it by running it once on zeroed inputs with ``out.grad = 1``.
        """
        own = self._own_backward
        return own if own is not None else self._chain_rule_step

    @_backward.setter
    def _backward(self, function):
        if not callable(function):
            raise TypeError(f"_backward must be a function of no arguments, got {function!r}")
        self._own_backward = function  # not a slot: kept in this node's __dict__
        self._dx = self._dy = None  # the function now defines the derivatives

    _own_backward = None  # the default when no function was assigned
    _own_operation = False  # made by Value(data, _children, _op), not by a built-in operation

    def _chain_rule_step(self):
        """input.grad += local gradient × self.grad, for each input (nothing, before _backward is set)."""
        if self._dx is None:
            return
        upstream = self.grad
        for inp, local in zip(self.inputs, self.local_grads):
            inp.grad += local * upstream


def _node_for_a_copy(nodes_below=()):
    """A blank node that pickle or copy.deepcopy fills; nodes_below were only handed over first."""
    return _new_node(Value)


class _HandedOver(threading.local):
    """Per thread: the nodes a copy in progress was handed before their turn (see __reduce_ex__)."""

    def __init__(self):
        self.nodes = set()


_handed_over_for_copying = _HandedOver()


# --- how nodes are made ------------------------------------------------------------

_new_node = object.__new__


def _unary(data, x, *, local, op):
    """The node for an operation of one operand; a leaf when no graph is being recorded."""
    node = _new_node(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    if _threads_without_grad and not _grad_mode.enabled:
        node.op, node._x, node._dx = "", None, None
    else:
        node.op = op
        node._x = x
        node._dx = local
    node._y = node._dy = None
    return node


def _binary(data, x, y, *, local_x, local_y, op):
    """The node for an operation of two operands; a leaf when no graph is being recorded."""
    node = _new_node(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    if _threads_without_grad and not _grad_mode.enabled:
        node.op, node._x, node._y, node._dx, node._dy = "", None, None, None, None
        return node
    # one store a slot (unpacking a tuple of five builds the tuple first): the hot path
    node.op = op
    node._x = x
    node._y = y
    node._dx = local_x
    node._dy = local_y
    return node


def _many(data, operands, *, local_grads, op):
    """The node for an operation of any number of operands (a tuple, and a tuple of floats)."""
    if len(operands) == 1:
        return _unary(data, operands[0], local=local_grads[0], op=op)
    node = _unary(data, None, local=None, op=op)
    if node.op:
        node._x, node._dx = operands, local_grads
    return node


def _constant(number):
    """A leaf holding a finite float that an operation was given as an operand."""
    node = _new_node(Value)
    node.data, node.grad, node.label, node.op = number, 0.0, "", ""
    node._x = node._y = node._dx = node._dy = None
    return node


def _pack(operands):
    """(_x, _y) for a tuple of operand Values."""
    if len(operands) == 1:
        return operands[0], None
    if len(operands) == 2:
        return operands
    return operands, None


def _children_of(children):
    """micrograd's _children as a tuple of distinct Values, in the order given.

    Duplicates go (micrograd keeps a set): a learner's _backward adds to each
    operand's grad directly, so an operand listed twice is still one input.
    """
    if isinstance(children, (str, bytes)) or not hasattr(children, "__iter__"):
        raise TypeError(
            f"Value(data, _children, _op): _children must be a tuple of Values, got {children!r}; "
            "to name a value, pass label=..."
        )
    operands = tuple(dict.fromkeys(children))
    for k, operand in enumerate(operands):
        if not isinstance(operand, Value):
            raise TypeError(
                f"Value(data, _children, _op): _children[{k}] must be a Value, "
                f"got {operand!r} ({type(operand).__name__})"
            )
    return operands


def _children_with_slopes(children, local_grads):
    """Value(data, children, op, local_grads=...): the children as given (one may repeat,
    as in x·x) and their local derivatives as floats, one each."""
    if isinstance(children, (str, bytes)) or not hasattr(children, "__iter__"):
        raise TypeError(f"Value(): _children must be a tuple of Values, got {children!r}")
    operands, slopes = tuple(children), tuple(local_grads) if hasattr(local_grads, "__iter__") else None
    if slopes is None or len(slopes) != len(operands):
        raise ValueError(
            f"Value(): local_grads must hold one number per child ({len(operands)}), got {local_grads!r}"
        )
    for k, operand in enumerate(operands):
        if not isinstance(operand, Value):
            raise TypeError(f"Value(): _children[{k}] must be a Value, got {operand!r} ({type(operand).__name__})")
    return operands, tuple(_real_number(g, f"Value() local_grads[{k}]") for k, g in enumerate(slopes))


def _local_grads_of_closure(node):
    """A learner's _backward run once with node.grad = 1 on zeroed inputs: what each input receives.

    Every grad it touches is put back, so reading local_grads changes nothing.
    """
    operands = node.inputs
    saved = [x.grad for x in operands], node.grad
    try:
        for x in operands:
            x.grad = 0.0
        node.grad = 1.0
        node._backward()
        return tuple(x.grad for x in operands)
    finally:
        for x, grad in zip(operands, saved[0]):
            x.grad = grad
        node.grad = saved[1]


# --- grad mode: whether operations record a graph, per thread (as PyTorch) --------


class _GradMode(threading.local):
    enabled = True


_grad_mode = _GradMode()
# How many threads are inside no_grad() right now. While none is, recording an
# operation reads this one global instead of the thread-local flag, which is
# slower: the check costs nothing on the hot path of a training loop.
_threads_without_grad = 0
_count_lock = threading.Lock()


class no_grad:
    """Inside ``with no_grad():`` (or a function decorated with it) results record no graph.

    Like ``torch.no_grad()``, it applies to the thread that enters it: other
    threads go on recording.
    """

    def __init__(self):
        # A stack, not one saved flag: one decorator instance is re-entered
        # when the decorated function calls itself (or by another thread), and
        # each exit must restore what its own enter saw.
        self._previous = threading.local()

    def __enter__(self):
        global _threads_without_grad
        was_enabled = _grad_mode.enabled
        stack = self._previous.__dict__.setdefault("stack", [])
        stack.append(was_enabled)
        if was_enabled:
            with _count_lock:
                _threads_without_grad += 1
            _grad_mode.enabled = False
        return self

    def __exit__(self, *exc_info):
        global _threads_without_grad
        if self._previous.stack.pop():
            _grad_mode.enabled = True
            with _count_lock:
                _threads_without_grad -= 1
        return False

    def __call__(self, function):
        import inspect  # here, not at the top: it takes longer to import than the engine

        if inspect.isgeneratorfunction(function):
            return self._generator_without_grad(function)

        @functools.wraps(function)
        def without_grad(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return without_grad

    def _generator_without_grad(self, function):
        """A generator function whose every resumption runs inside no_grad (as torch's).

        Calling a generator function runs none of its body, so the plain
        wrapper would be done before the first ``next()``; here each ``next``,
        ``send``, ``throw`` and ``close`` enters no_grad, and the caller
        records as usual in between.
        """

        @functools.wraps(function)
        def without_grad(*args, **kwargs):
            generator = function(*args, **kwargs)
            resume, argument = generator.send, None
            while True:
                try:
                    with self:
                        item = resume(argument)
                except StopIteration as stop:
                    return stop.value
                try:
                    argument, resume = (yield item), generator.send
                except GeneratorExit:
                    with self:
                        generator.close()
                    raise
                except BaseException as error:  # thrown in by the caller: on to the generator
                    argument, resume = error, generator.throw

        return without_grad


def is_grad_enabled():
    """True unless this thread is inside no_grad()."""
    return _grad_mode.enabled


# --- powers -----------------------------------------------------------------------


def _power(base, exponent, base_is_constant=False):
    """x ** y for Values;  d/dx = y·x^(y-1),  d/dy = x^y · ln x  (needs x > 0).

    base_is_constant: the base is a plain number (2 ** y); no one differentiates
    it, so its derivative may overflow to inf without making the result an error.
    """
    x, y = base.data, exponent.data
    if x < 0.0 or (x == 0.0 and y < 1.0):
        raise ValueError(
            f"{_name(base)} ** {_name(exponent)}: with a Value exponent the base must be > 0 "
            "(d/dy x^y = x^y·ln x); use a plain number exponent for a fixed power"
        )
    try:
        out = x**y
    except OverflowError:
        raise OverflowError(f"{_name(base)} ** {_name(exponent)} is too large for a float") from None
    if type(out) is not float:
        return _again_with_float_data(_power, base, exponent, base_is_constant)
    local_x = _power_slope(x, y, out)
    local_y = 0.0 if x == 0.0 else out * math.log(x)  # y >= 1 at 0: x^y ln x -> 0
    if not math.isfinite(local_y) or not (math.isfinite(local_x) or base_is_constant):
        raise OverflowError(
            f"{_name(base)} ** {_name(exponent)}: its derivative is too large for a float"
        )
    return _binary(out, base, exponent, local_x=local_x, local_y=local_y, op="**")


@array_rule("**")
def _power_arrays(np, x, y, out=None):
    out = np.power(x, y, out=out)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        local_x = np.where(y == 0.0, 0.0, y * x ** (y - 1.0))
        local_x = np.where(np.isfinite(local_x) | (x == 0.0), local_x, (y * out) / x)
        local_y = np.where(x == 0.0, 0.0, out * np.log(x))
    return out, (local_x, local_y)


def _power_slope(x, n, out):
    """d/dx x^n = n·x^(n-1), for x^n = out already computed.

    0 when n = 0 (x^0 is constant, even where x^-1 overflows). Where x^(n-1)
    overflows but the slope itself does not (x = 1e-310, n = 0.001), the same
    slope as (n·x^n)/x.
    """
    if n == 0.0:
        return 0.0
    try:
        slope = n * x ** (n - 1.0)
    except (OverflowError, ZeroDivisionError):
        slope = math.inf
    if not math.isfinite(slope) and x != 0.0:
        slope = (n * out) / x
    return slope


def power_op(n):
    """The op name of x ** n for a float n: "**2", "**0.5" (power_exponent reads it back)."""
    return f"**{n:.0f}" if n.is_integer() else f"**{n!r}"


def power_exponent(op):
    """n of an op name made by power_op ("**2" -> 2.0); None for any other op, "**" included."""
    if op.startswith("**") and len(op) > 2:
        try:
            return float(op[2:])
        except ValueError:  # a learner's own operation named "**something"
            return None
    return None


def _again_with_float_data(operation, *arguments, operands=None):
    """operation(*arguments) once more, after each operand's data is made the float it equals.

    A learner may assign any number to ``.data`` (``p.data = 2``, ``w.data = W[j, k]``
    from a numpy array). Computed as it is, an int or numpy number would make
    results and local derivatives ints or numpy numbers, and a float32 would
    round every result to 7 digits; so the operation that meets one first turns
    it into a float (float32(0.1) becomes 0.100000001490116..., the same
    number) and runs again. Operations check their result's type, one test,
    so floats pay nothing more.
    """
    for node in arguments if operands is None else operands:
        if isinstance(node, Value) and type(node.data) is not float:
            data = node.data
            if not isinstance(data, Real) and not (getattr(data, "shape", None) == () and hasattr(data, "item")):
                raise TypeError(f"a Value's data must be a real number, got {data!r} ({type(data).__name__})")
            node.data = float(data)
    return operation(*arguments)


def _sum_in_order(numbers):
    """numbers[0] + numbers[1] + ... left to right, as a chain of + would add them.

    Not the builtin sum(): since Python 3.12 it compensates rounding for floats,
    so the same graph would print other last digits on other Pythons.
    """
    total = 0.0
    for number in numbers:
        total += number
    return total


# --- checking what comes in ---------------------------------------------------------


def _operand(other, op):
    """other as a Value: Values pass through, real numbers become constant leaves."""
    if isinstance(other, Value):
        return other
    if type(other) is float and math.isfinite(other):  # the common case, kept fast
        return _constant(other)
    try:
        return _constant(_real_number(other, f"operand of {op}"))
    except TypeError:
        raise TypeError(
            f"unsupported operand for {op}: {other!r} ({type(other).__name__}); "
            "expected a Value or a real number"
        ) from None


def real_number(x, where):
    """x as a finite float, or a TypeError/ValueError that says what was wrong.

    A real number is a Python int, float or Fraction, a numpy scalar, or a
    0-d numpy array or torch tensor holding one (read with ``.item()``).
    """
    if type(x) is not float:
        if isinstance(x, Value):
            raise TypeError(f"{where} needs a real number, got {x!r}; use the Value itself or its .data")
        if not isinstance(x, Real):
            shape = getattr(x, "shape", None)
            if shape == () and hasattr(x, "item"):  # a 0-d array or tensor: its one element
                item = x.item()
                if not isinstance(item, Real):
                    raise TypeError(f"{where} needs a real number, got {x!r} (holding a "
                                    f"{type(item).__name__})")
                x = item
            elif shape is not None:
                raise TypeError(f"{where} needs a real number, got {x!r} ({type(x).__name__} of "
                                f"shape {tuple(shape)}); a Value holds one number")
            else:
                raise TypeError(f"{where} needs a real number, got {x!r} ({type(x).__name__})")
        try:
            x = float(x)
        except OverflowError:
            raise OverflowError(f"{where} got an integer too large for a float") from None
    if not math.isfinite(x):
        raise ValueError(f"{where} needs a finite number, got {x}")
    return x


_real_number = real_number


def _name(node):
    """How an error message refers to a node: its value, and its label when it has one."""
    return f"{node.data:g} (node {node.label!r})" if node.label else f"{node.data:g}"
