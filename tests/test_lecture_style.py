"""What learners write while following the micrograd lecture runs unchanged, with the same numbers.

The reference is ``LectureValue`` below: a Value written in the lecture's
style (closures, a recursive topological sort), written for this test and
sharing no code with tracegrad. Each program takes the Value class as an
argument and runs once on each; where micrograd 0.1.0 can run it too, it runs
there as well.
"""

import math
import threading

import pytest

import tracegrad
from tracegrad import Value, grad, is_grad_enabled, no_grad


class LectureValue:
    """A Value the way the lecture builds one, as the reference."""

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __add__(self, other):
        other = other if isinstance(other, LectureValue) else LectureValue(other)
        out = LectureValue(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, LectureValue) else LectureValue(other)
        out = LectureValue(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def backward(self):
        order, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                order.append(v)
        build(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


# --- a learner's own operations, written the lecture's way, for any Value class ----------


def own_tanh(v, V):
    """tanh through its exponential form, with its derivative in a closure."""
    x = v.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = V(t, (v,), "tanh")

    def _backward():
        v.grad += (1 - t**2) * out.grad
    out._backward = _backward
    return out


def own_exp(v, V):
    out = V(math.exp(v.data), (v,), "exp")

    def _backward():
        v.grad += out.data * out.grad
    out._backward = _backward
    return out


def own_pow(v, k, V):
    out = V(v.data**k, (v,), f"**{k}")

    def _backward():
        v.grad += k * v.data ** (k - 1) * out.grad
    out._backward = _backward
    return out


def own_hypot(a, b, V):
    """Two operands: sqrt(a² + b²), d/da = a / out, d/db = b / out."""
    h = math.hypot(a.data, b.data)
    out = V(h, (a, b), "hypot")

    def _backward():
        a.grad += a.data / h * out.grad
        b.grad += b.data / h * out.grad
    out._backward = _backward
    return out


def lecture_neuron(V):
    """The lecture's neuron: o = tanh(x1·w1 + x2·w2 + b), with labels, its own tanh."""
    x1, x2 = V(2.0, label="x1"), V(0.0, label="x2")
    w1, w2 = V(-3.0, label="w1"), V(1.0, label="w2")
    b = V(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = own_tanh(n, V)
    o.label = "o"
    o.backward()
    return [x1, x2, w1, w2, b, n, o]


def exp_and_powers(V):
    """Own exp, pow and a two-operand op mixed with built-in operations; a node used twice."""
    a, b = V(0.8, label="a"), V(-0.3, label="b")
    e = own_exp(a * b, V)
    p = own_pow(e + a, 3, V)
    h = own_hypot(p, b, V)
    out = h * e + (-b)
    out.backward()
    return [a, b, e, p, h, out]


@pytest.mark.parametrize("program", [lecture_neuron, exp_and_powers])
def test_own_operations_give_the_lecture_values_numbers(program):
    ours, theirs = program(Value), program(LectureValue)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert math.isclose(a.data, b.data, rel_tol=1e-14), (k, a.data, b.data)
        assert math.isclose(a.grad, b.grad, rel_tol=1e-12, abs_tol=1e-15), (k, a.grad, b.grad)


def test_the_lecture_neuron_has_the_lectures_numbers():
    x1, x2, w1, w2, b, n, o = lecture_neuron(Value)
    assert o.data == pytest.approx(0.7071, abs=1e-4)  # tanh(0.8814)
    # do/dn = 1 - o² = 0.5, then through + and *
    assert (n.grad, w1.grad, x1.grad, w2.grad, x2.grad) == pytest.approx((0.5, 1.0, -1.5, 0.0, 0.5))
    assert o.op == "tanh" and o.inputs == (n,) and o.label == "o"


def test_micrograd_runs_the_same_own_operations():
    micrograd = pytest.importorskip("micrograd.engine")
    ours, theirs = exp_and_powers(Value), exp_and_powers(_MicrogradWithLabels(micrograd.Value))
    for a, b in zip(ours, theirs):
        assert math.isclose(a.grad, b.grad, rel_tol=1e-12, abs_tol=1e-15)


class _MicrogradWithLabels:
    """micrograd's Value has no label argument; the lecture's has. Drop it for micrograd."""

    def __init__(self, V):
        self.V = V

    def __call__(self, data, _children=(), _op="", label=""):
        return self.V(data, _children, _op)


# --- such a node is a first-class node ------------------------------------------------


def test_backward_twice_doubles_leaves_exactly_and_recomputes_interior_nodes():
    a, b, e, p, h, out = exp_and_powers(Value)
    first = [v.grad for v in (a, b, e, p, h, out)]
    out.backward()
    assert (a.grad, b.grad) == (2 * first[0], 2 * first[1])  # leaves accumulate, exactly
    assert [e.grad, p.grad, h.grad, out.grad] == first[2:]  # interior: recomputed, not compounded


def test_its_local_gradients_are_read_off_its_function_without_changing_any_grad():
    a, b = Value(0.8), Value(-0.3)
    h = own_hypot(a, b, Value)
    a.grad, b.grad, h.grad = 5.0, 6.0, 7.0
    assert h.local_grads == pytest.approx((0.8 / h.data, -0.3 / h.data), rel=1e-15)
    assert (a.grad, b.grad, h.grad) == (5.0, 6.0, 7.0)
    n = Value(0.5)
    assert own_tanh(n, Value).local_grads == pytest.approx((1 - math.tanh(0.5) ** 2,), rel=1e-14)


def test_grad_and_gradcheck_honour_it_and_change_no_grad():
    a, b = Value(0.8), Value(-0.3)
    out = own_hypot(own_exp(a * b, Value), b, Value)
    da, db = grad(out, [a, b])
    assert (a.grad, b.grad, out.grad) == (0.0, 0.0, 0.0)
    out.backward()
    assert (da, db) == (a.grad, b.grad)
    assert tracegrad.gradcheck(lambda x, y: own_hypot(own_exp(x * y, Value), y, Value), [0.8, -0.3])


def test_trace_and_draw_show_its_numbers():
    from tracegrad.viz import draw, trace

    *_, n, o = lecture_neuron(Value)
    w1 = next(v for v in tracegrad.topological_order(o) if v.label == "w1")
    grads = {v: v.grad for v in tracegrad.topological_order(o)}
    recorded = trace(o)
    assert recorded.grad(w1) == grads[w1] and recorded.grad(n) == grads[n]
    assert {v: v.grad for v in grads} == grads  # trace changed nothing
    assert "tanh" in draw(o).source


def test_a_node_without_its_function_passes_nothing_back_as_in_micrograd():
    x = Value(2.0)
    y = Value(x.data * 3, (x,), "triple")  # _backward never assigned
    y.backward()
    assert (y.grad, x.grad, y.local_grads) == (1.0, 0.0, (0.0,))


def test_an_operand_listed_twice_is_one_input():
    x = Value(3.0)
    square = Value(x.data**2, (x, x), "square")

    def _backward():
        x.grad += 2 * x.data * square.grad
    square._backward = _backward
    square.backward()
    assert (square.inputs, x.grad) == ((x,), 6.0)


def test_its_function_may_be_set_on_any_node_and_must_be_a_function():
    x = Value(2.0)
    doubled = x * 3
    doubled._backward = lambda: setattr(x, "grad", x.grad + 5.0 * doubled.grad)  # micrograd allows it
    doubled.backward()
    assert (doubled.local_grads, x.grad) == ((5.0, 0.0), 5.0)  # the constant 3 gets nothing
    with pytest.raises(TypeError, match="_backward must be a function"):
        Value(1.0, (x,), "f")._backward = 3


def test_the_manual_backward_of_the_lecture_runs_on_built_in_nodes():
    # before writing backward(), the lecture calls each node's _backward by hand
    x1, w1, b = Value(2.0), Value(-3.0), Value(6.5)
    n = x1 * w1 + b
    n.grad = 1.0
    n._backward()
    product = n.inputs[0]
    product._backward()
    assert (b.grad, product.grad, x1.grad, w1.grad) == (1.0, 1.0, -3.0, 2.0)


# --- micrograd's constructor form ------------------------------------------------------


def test_micrograds_positional_form_and_todays_label_keyword():
    x = Value(2.0, (), "", "x")
    y = Value(2.0, label="y")
    z = Value(1.0, (x, y), "+", "z")
    assert (x.label, y.label, z.label, z.op, z.inputs, z._op, z._prev) == (
        "x", "y", "z", "+", (x, y), "+", {x, y})
    with pytest.raises(TypeError, match=r"_children must be a tuple of Values, got 'x'; to name a value, pass label="):
        Value(1.0, "x")
    with pytest.raises(TypeError, match=r"_children\[1\] must be a Value, got 2"):
        Value(1.0, (x, 2), "+")
    with pytest.raises(TypeError, match=r"_op must be a str"):
        Value(1.0, (x,), 3)


def test_an_operation_made_under_no_grad_is_a_leaf():
    x = Value(1.0)
    with no_grad():
        y = Value(2.0, (x,), "double")
    assert (y.inputs, y.op) == ((), "")


# --- extra attributes: EurekaLabs' AdamW keeps its state on the parameters --------------


def eureka_style_adamw(V, steps=4):
    """Minimise (w·x + b − 1)² over two samples, with AdamW state kept on each Value."""
    w, b = V(0.3), V(-0.2)
    params = [w, b]
    for p in params:
        p.m, p.v = 0.0, 0.0
    lr, beta1, beta2, decay, t = 0.1, 0.9, 0.95, 1e-2, 0
    losses = []
    for _ in range(steps):
        loss = V(0.0)
        for x in (0.5, -1.5):
            error = w * x + b - 1.0
            loss = loss + error * error
        for p in params:
            p.grad = 0.0
        loss.backward()
        t += 1
        for p in params:
            p.m = beta1 * p.m + (1 - beta1) * p.grad
            p.v = beta2 * p.v + (1 - beta2) * p.grad**2
            m_hat, v_hat = p.m / (1 - beta1**t), p.v / (1 - beta2**t)
            p.data -= lr * (m_hat / (v_hat**0.5 + 1e-8) + decay * p.data)
        losses.append(loss.data)
    return losses, [(p.data, p.m, p.v) for p in params]


def test_adamw_state_kept_on_values_gives_the_same_numbers():
    ours, theirs = eureka_style_adamw(Value), eureka_style_adamw(LectureValue)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-14)
    for (d, m, v), (td, tm, tv) in zip(ours[1], theirs[1]):
        assert (d, m, v) == pytest.approx((td, tm, tv), rel=1e-13)
    assert ours[0][-1] < ours[0][0]


# --- anything that is one real number is a number -------------------------------------


def test_numpy_and_torch_scalars_are_numbers():
    np = pytest.importorskip("numpy")
    ones = [np.array(1.5), np.float64(1.5), np.float32(1.5), np.array(1.5, dtype=np.float32),
            np.int64(2) - 0.5, np.array(True) + 0.5]
    try:
        import torch
        ones += [torch.tensor(1.5), torch.tensor(1.5, dtype=torch.float64, requires_grad=True),
                 torch.tensor(3) / 2]
    except ImportError:
        pass
    for number in ones:
        v = Value(number)
        assert type(v.data) is float and v.data == 1.5, number
        out = Value(2.0) * number + number * Value(2.0) - number
        assert type(out) is Value and out.data == 4.5, number


def test_numpy_scalars_on_the_left_give_a_value():
    np = pytest.importorskip("numpy")
    x = Value(3.0)
    for out in (np.float64(2.0) * x, np.array(2.0) + x, np.float32(1.0) - x):
        assert type(out) is Value
    assert (np.float64(2.0) * x).inputs[1] is x


def test_arrays_and_other_non_numbers_stay_a_clear_type_error():
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match=r"Value\(\) needs a real number, got array\(\[1\., 2\.\]\) "
                                        r"\(ndarray of shape \(2,\)\); a Value holds one number"):
        Value(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"shape \(1,\)"):
        Value(np.array([1.0]))
    with pytest.raises(TypeError, match=r"holding a complex"):
        Value(np.array(1 + 2j))
    with pytest.raises(TypeError, match=r"holding a str"):
        Value(np.str_("abc"))
    with pytest.raises(TypeError, match=r"Value\(\) needs a real number, got 'abc' \(str\)"):
        Value("abc")
    with pytest.raises(TypeError, match=r"unsupported operand for \*: array"):
        Value(1.0) * np.ones(3)
    with pytest.raises(ValueError, match="needs a finite number"):
        Value(np.float64("nan"))


def test_torch_tensors_with_more_than_one_element_are_refused():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"Tensor of shape \(2,\)"):
        Value(torch.tensor([1.0, 2.0]))


# --- grad mode is per thread, as in PyTorch -------------------------------------------


def test_no_grad_in_one_thread_leaves_another_thread_recording():
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def holder():
        with no_grad():
            seen["holder enabled"] = is_grad_enabled()
            inside.set()
            release.wait(10)
            seen["holder made a leaf"] = (Value(2.0) * 3).inputs == ()

    def worker():
        inside.wait(10)
        x = Value(2.0)
        y = x * x + x
        y.backward()
        seen["worker"] = (is_grad_enabled(), x.grad)
        release.set()

    threads = [threading.Thread(target=holder), threading.Thread(target=worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"holder enabled": False, "worker": (True, 5.0), "holder made a leaf": True}
    assert is_grad_enabled()


def test_one_no_grad_decorator_used_by_several_threads_and_recursively():
    @no_grad()
    def depth(n):
        if n:
            depth(n - 1)
        return is_grad_enabled()

    results = []
    threads = [threading.Thread(target=lambda: results.append(depth(3))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [False] * 4 and is_grad_enabled()
    x = Value(1.0)
    assert (x * 2).inputs != ()


# --- backward's gradient is checked in one place ---------------------------------------


@pytest.mark.parametrize("call", [lambda root, g: root.backward(g), lambda root, g: tracegrad.backward(root, g)])
def test_backward_refuses_a_bad_gradient_however_it_is_called(call):
    x = Value(2.0)
    y = x * x
    with pytest.raises(TypeError, match=r"backward\(\) gradient needs a real number, got Value"):
        call(y, Value(2.0))
    with pytest.raises(ValueError, match=r"backward\(\) gradient needs a finite number, got nan"):
        call(y, math.nan)
    with pytest.raises(TypeError, match=r"backward\(\) gradient needs a real number, got 'x'"):
        call(y, "x")
    assert x.grad == 0.0
    call(y, 0.5)
    assert x.grad == 2.0


# --- tracegrad's way: local derivatives stored when the node is made ------------------


def own_cube(x):
    """x³ with its local derivative 3x² stored as a number, as the built-in operations do."""
    return Value(x.data**3, (x,), "cube", local_grads=(3 * x.data**2,))


def test_an_operation_with_stored_local_gradients_is_first_class():
    from tracegrad.viz import trace

    x = Value(0.5, label="x")
    y = own_cube(x) * x  # x⁴: d/dx = 4x³ = 0.5
    assert y.inputs[0].local_grads == (0.75,)
    assert grad(y, [x]) == (0.5,)
    y.backward()
    y.backward()
    assert x.grad == 1.0  # leaves accumulate, exactly
    assert trace(y).grad(x) == 0.5
    twice = Value(x.data * x.data, (x, x), "square", local_grads=(x.data, x.data))
    assert twice.inputs == (x, x) and grad(twice, [x]) == (1.0,)  # a repeated child stays twice


def test_stored_local_gradients_are_checked():
    x = Value(2.0)
    with pytest.raises(ValueError, match=r"local_grads must hold one number per child \(1\)"):
        Value(8.0, (x,), "cube", local_grads=(1.0, 2.0))
    with pytest.raises(ValueError, match=r"local_grads\[0\] needs a finite number"):
        Value(8.0, (x,), "cube", local_grads=(math.inf,))


def test_an_own_operation_is_never_replayed_with_a_built_in_rule_of_the_same_name():
    from tracegrad.batch import StructureMismatch, Tape

    w = Value(2.0)

    def fake_product(x):  # named '*' but it is x + w: only the scalar engine may run it
        return Value(x[0].data + w.data, (x[0], w), "*", local_grads=(1.0, 1.0))

    with pytest.raises(StructureMismatch, match="'\\*' is a learner's own"):
        Tape.record(fake_product, [([1.0],), ([3.0],)])
