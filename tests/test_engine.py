"""Graph walks (autograd/engine.py): topological order, backward, grad, and no_grad."""

import math
import sys

import pytest

from tracegrad import Value, backward, grad, is_grad_enabled, no_grad, topological_order

# --- backward ------------------------------------------------------------------


def test_a_node_used_twice_passes_on_both_contributions():
    # backward's own docstring example: c = 2b, b = 2a, so dc/da = 4
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert (c.data, b.grad, a.grad) == (4.0, 2.0, 4.0)


def test_network_221_hand_computation():
    # network_221, the two-input network: hidden ReLU layer of 2, linear output,
    # C = ½(ŷ - y)². Its printed numbers are rounded, hence approx.
    x1, x2, y = 0.5, 0.1, 0.8
    w11, w12, w21, w22 = Value(0.4), Value(0.2), Value(0.3), Value(0.7)
    b11, b12 = Value(0.1), Value(-0.3)
    v1, v2, b2 = Value(0.6), Value(0.9), Value(0.2)
    h1 = (w11 * x1 + w12 * x2 + b11).relu()
    h2 = (w21 * x1 + w22 * x2 + b12).relu()
    y_pred = v1 * h1 + v2 * h2 + b2
    cost = 0.5 * (y_pred - y) ** 2
    cost.backward()

    assert h1.data == pytest.approx(0.32) and h2.data == 0.0  # the second unit is off
    assert y_pred.data == pytest.approx(0.392)
    assert cost.data == pytest.approx(0.083232)
    assert b2.grad == pytest.approx(-0.408)  # δ of the output
    assert v1.grad == pytest.approx(-0.408 * 0.32) and v2.grad == 0.0  # -0.13056
    assert b11.grad == pytest.approx(-0.2448)  # δ¹ = 0.6 · -0.408
    assert w11.grad == pytest.approx(-0.1224) and w12.grad == pytest.approx(-0.02448)
    assert (w21.grad, w22.grad, b12.grad) == (0.0, 0.0, 0.0)  # δ² = 0 behind the ReLU
    # one step of gradient descent with η = 0.1, as the blog post does
    assert v1.data - 0.1 * v1.grad == pytest.approx(0.613056)
    assert b2.data - 0.1 * b2.grad == pytest.approx(0.2408)
    assert w11.data - 0.1 * w11.grad == pytest.approx(0.41224)


def test_backward_scales_by_the_given_gradient():
    x = Value(3.0)
    y = x * x
    y.backward(0.5)
    assert (y.grad, x.grad) == (0.5, 3.0)


def test_backward_of_a_leaf_gives_one():
    x = Value(3.0)
    x.backward()
    assert x.grad == 1.0


def test_second_backward_doubles_leaves_and_does_not_compound_interior_nodes():
    x = Value(2.0)
    h = x * x  # interior
    y = h * h + h  # x⁴ + x²
    y.backward()
    assert (x.grad, h.grad) == (36.0, 9.0)  # 4x³ + 2x, 2h + 1
    y.backward()
    assert (x.grad, h.grad) == (72.0, 9.0)


def test_two_threads_back_propagating_one_graph_both_contribute_as_in_pytorch():
    import threading

    torch = pytest.importorskip("torch")

    first_walk_paused, second_walk_done = threading.Event(), threading.Event()

    class PausingNode(Value):
        """Pauses the first walk that reads its operands, while it has marked part of the graph."""

        @property
        def _x(self):
            if threading.current_thread().name == "first" and not first_walk_paused.is_set():
                first_walk_paused.set()
                # without one walk at a time, the second walk ends meanwhile; with it,
                # the second waits for this one and the wait times out
                second_walk_done.wait(timeout=2.0)
            return Value._x.__get__(self)

        @_x.setter
        def _x(self, operand):
            Value._x.__set__(self, operand)

    x = Value(1.5)
    shared = x * x
    pausing = PausingNode(0.0)  # shared * 2, made by hand
    pausing.data, pausing.op, pausing._x, pausing._y = shared.data * 2.0, "*", shared, Value(2.0)
    pausing._dx, pausing._dy = 2.0, shared.data
    out = shared + pausing  # the walk marks `shared`'s side first, then reads pausing's operands

    def second():
        first_walk_paused.wait()
        out.backward()
        second_walk_done.set()

    threads = [threading.Thread(target=out.backward, name="first"), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tx = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    t_shared = tx * tx
    t_out = t_shared + t_shared * 2.0
    t_out.backward(retain_graph=True)
    t_out.backward()
    assert x.grad == tx.grad.item() == 2 * 3 * (2 * 1.5)


def test_backward_function_accepts_only_values():
    with pytest.raises(TypeError, match=r"backward\(\) needs a Value, got 3 \(int\)"):
        backward(3)


def test_million_operation_chain_keeps_the_default_recursion_limit():
    limit = sys.getrecursionlimit()
    n = 1_000_000
    x, c = Value(0.5), Value(1.000001)
    y = x
    for _ in range(n):
        y = y * c  # y = x·cⁿ, with c shared by every step
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert y.data == pytest.approx(0.5 * 1.000001**n, rel=1e-9)
    assert x.grad == pytest.approx(1.000001**n, rel=1e-9)  # cⁿ
    assert c.grad == pytest.approx(n * 0.5 * 1.000001 ** (n - 1), rel=1e-7)  # n·x·cⁿ⁻¹
    assert len(topological_order(y)) == n + 2
    del y  # freeing a million-deep chain must not recurse either


# --- topological_order -----------------------------------------------------------


def _diamond():
    x, w = Value(1.0, label="x"), Value(2.0, label="w")
    a = x * w
    b = a + x
    c = a * b
    return x, w, a, b, c


def test_topological_order_puts_every_node_after_its_inputs_once():
    x, w, a, b, c = _diamond()
    order = topological_order(c)
    assert sorted(map(id, order)) == sorted(map(id, (x, w, a, b, c)))  # each once
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        for inp in node.inputs:
            assert position[id(inp)] < position[id(node)]
    assert order[-1] is c


def test_topological_order_is_deterministic_first_input_first():
    x, w, a, b, c = _diamond()
    expected = [x, w, a, b, c]  # depth-first, inputs in written order
    for _ in range(3):
        assert [id(n) for n in topological_order(c)] == [id(n) for n in expected]


def test_topological_order_of_a_leaf_is_the_leaf():
    x = Value(1.0)
    assert topological_order(x) == [x]


def test_topological_order_within_keeps_to_the_nodes_given():
    x, w, a, b, c = _diamond()
    # b's input a is outside: neither a nor what lies behind it (w) is visited; x is reached from b
    assert [id(n) for n in topological_order(c, within={b, x})] == [id(n) for n in (x, b, c)]
    assert topological_order(c, within=set()) == [c]  # root is always kept
    everything = {x, w, a, b, c}
    assert [id(n) for n in topological_order(c, within=everything)] == [id(n) for n in topological_order(c)]


def test_topological_order_accepts_only_values():
    with pytest.raises(TypeError, match=r"topological_order\(\) needs a Value, got 'x' \(str\)"):
        topological_order("x")


# --- no_grad ------------------------------------------------------------------


def test_no_grad_results_are_leaves():
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 3 + 1).tanh()
        s = Value.sum([x, y])
    assert is_grad_enabled()
    for node in (y, s):
        assert (node.op, node.inputs, node.local_grads) == ("", (), ())
    assert y.data == pytest.approx(math.tanh(7.0))


def test_no_grad_nesting_restores_each_level():
    with no_grad():
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert (Value(1.0) * 2).inputs != ()


def test_no_grad_as_a_decorator():
    @no_grad()
    def double(v):
        assert not is_grad_enabled()
        return v * 2

    out = double(Value(1.0))
    assert out.data == 2.0 and out.inputs == ()
    assert is_grad_enabled()


def test_no_grad_decorator_survives_recursion():
    # one decorator instance entered again before it exits
    @no_grad()
    def countdown(n):
        return Value(float(n)) if n == 0 else countdown(n - 1) + 1

    assert countdown(3).data == 3.0
    assert is_grad_enabled()


def test_no_grad_restores_after_an_exception():
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        with no_grad():
            Value(1) / 0
    assert is_grad_enabled()


def test_no_grad_on_a_generator_function_covers_each_resumption_as_torch_does():
    torch = pytest.importorskip("torch")

    @no_grad()
    def products():
        received = yield Value(2.0) * Value(3.0)
        assert not is_grad_enabled()
        yield received * Value(4.0)
        return "done"

    @torch.no_grad()
    def torch_products():
        received = yield torch.tensor(2.0, requires_grad=True) * 3.0
        yield received * torch.tensor(4.0, requires_grad=True)

    generator, torch_generator = products(), torch_products()
    first = next(generator)
    assert is_grad_enabled()  # between resumptions the caller records, as in torch
    second = generator.send(Value(1.0) + 1.0)
    assert (first.op, second.op, second.inputs, second.data) == ("", "", (), 8.0)
    assert not next(torch_generator).requires_grad
    assert not torch_generator.send(torch.tensor(2.0, requires_grad=True)).requires_grad
    with pytest.raises(StopIteration) as stop:
        next(generator)
    assert stop.value.value == "done" and is_grad_enabled()


def test_no_grad_on_a_generator_passes_on_thrown_errors_and_close():
    cleaned = []

    @no_grad()
    def numbers():
        try:
            while True:
                try:
                    yield Value(1.0) * 2
                except KeyError:
                    cleaned.append(("caught", is_grad_enabled()))
        finally:
            cleaned.append(("closed", is_grad_enabled()))

    generator = numbers()
    next(generator)
    assert generator.throw(KeyError("k")).op == ""
    generator.close()
    assert cleaned == [("caught", False), ("closed", False)] and is_grad_enabled()


def test_a_graph_built_before_no_grad_still_back_propagates_inside_it():
    x = Value(3.0)
    y = x * x
    with no_grad():
        y.backward()
    assert x.grad == 6.0


# --- grad ---------------------------------------------------------------------


def test_grad_returns_a_tuple_of_floats_and_leaves_grads_untouched():
    x, w = Value(1.5), Value(-2.0)
    h = x * w
    y = h.tanh() + x
    x.grad, w.grad, h.grad, y.grad = 0.25, 0.5, 0.75, 1.25  # anything: must survive
    dx, dw, dh = grad(y, [x, w, h])
    assert type(dx) is float and type(dw) is float
    d_tanh = 1 - math.tanh(-3.0) ** 2
    assert dx == pytest.approx(d_tanh * -2.0 + 1)
    assert dw == pytest.approx(d_tanh * 1.5)
    assert dh == pytest.approx(d_tanh)
    assert (x.grad, w.grad, h.grad, y.grad) == (0.25, 0.5, 0.75, 1.25)


def test_grad_of_a_single_input_and_of_the_output_itself():
    x = Value(2.0)
    y = x**3
    assert grad(y, x) == (12.0,)
    assert grad(y, [y, x]) == (1.0, 12.0)


def test_grad_unused_input_is_an_error_unless_allowed():
    x, unused = Value(2.0), Value(5.0, label="u")
    y = x * 2
    with pytest.raises(ValueError, match=r"inputs\[1\] Value\(data=5.0.*not part of output's graph"):
        grad(y, [x, unused])
    assert grad(y, [x, unused], allow_unused=True) == (2.0, 0.0)


@pytest.mark.parametrize(
    "output, inputs, match",
    [
        (3.0, [], r"grad\(\) output needs a Value, got 3.0 \(float\)"),
        (None, [], r"grad\(\) output needs a Value, got None"),
        ("value", [1.0], r"grad\(\) output needs a Value, got 'value' \(str\)"),
    ],
)
def test_grad_output_must_be_a_value(output, inputs, match):
    with pytest.raises(TypeError, match=match):
        grad(output, inputs)


def test_grad_inputs_must_be_values():
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"grad\(\) inputs\[1\] needs a Value, got 2.0 \(float\)"):
        grad(x * 2, [x, 2.0])
