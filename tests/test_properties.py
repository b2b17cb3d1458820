"""Random expression graphs (hypothesis) against sympy and PyTorch, and the engine's laws.

A program is a list of steps; each step applies an operation to earlier nodes,
picked mostly among the most recent ones, so graphs come out deep, share
subexpressions, and often feed one node to both operands of an op (x * x).
Building it with tracegrad decides the exact program (an op whose input is
outside its domain becomes tanh), which is then replayed on sympy symbols or
torch float64 tensors to get independent gradients.
"""

import math

import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tracegrad import Value, grad

# How each library spells the functions that are not Python operators.
VALUE_LIB = {
    "relu": lambda a: a.relu(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "sum": Value.sum,
}
SYMPY_LIB = {
    "relu": lambda a: sympy.Piecewise((a, a > 0), (0, True)),  # derivative 0 at 0, as ours
    "tanh": sympy.tanh,
    "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
    "exp": sympy.exp,
    "log": sympy.log,
    "sum": lambda terms: sympy.Add(*terms),
}


def _torch_lib(torch):
    return {
        "relu": torch.relu,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "exp": torch.exp,
        "log": torch.log,
        "sum": lambda terms: sum(terms[1:], terms[0]),
    }


# name: (function of (a, b, lib), domain check on the float data of a and b)
OPERATIONS = {
    "add": (lambda a, b, L: a + b, None),
    "sub": (lambda a, b, L: a - b, None),
    "mul": (lambda a, b, L: a * b, None),
    "square": (lambda a, b, L: a * a, None),  # one node, both operands
    "div": (lambda a, b, L: a / b, lambda a, b: abs(b) >= 0.25),
    "pow": (lambda a, b, L: a**b, lambda a, b: a >= 0.1 and abs(b) <= 3),
    "sum": (lambda a, b, L: L["sum"]([a, b, a]), None),
    "neg": (lambda a, b, L: -a, None),
    "cube": (lambda a, b, L: a**3, None),
    "inverse": (lambda a, b, L: a**-1, lambda a, b: abs(a) >= 0.25),
    "sqrt": (lambda a, b, L: a**0.5, lambda a, b: a >= 0.1),
    "affine": (lambda a, b, L: 0.5 * a + 1, None),
    "rsub": (lambda a, b, L: 1 - a, None),
    "rdiv": (lambda a, b, L: 2 / a, lambda a, b: abs(a) >= 0.25),
    "rpow": (lambda a, b, L: 2**a, lambda a, b: a <= 6),
    "relu": (lambda a, b, L: L["relu"](a), None),
    "tanh": (lambda a, b, L: L["tanh"](a), None),
    "sigmoid": (lambda a, b, L: L["sigmoid"](a), None),
    "exp": (lambda a, b, L: L["exp"](a), lambda a, b: a <= 4),
    "log": (lambda a, b, L: L["log"](a), lambda a, b: a >= 0.1),
}
LIMIT = 100.0  # results beyond this become tanh too: keeps grads in a range floats compare well


def _pick(pool, k):
    """The node k places back from the newest: small k (what hypothesis shrinks to) means deep."""
    return len(pool) - 1 - k % len(pool)


steps = st.lists(
    st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 30), st.integers(0, 30)),
    min_size=1,
    max_size=30,
)
leaf_values = st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=1, max_size=4)
# For sympy's exact rationals a subnormal leaf is 1/2^1074, and ** and 2 ** x of it
# build integers that took over 20 GB: sympy's check keeps to normal floats.
normal_leaf_values = st.lists(st.floats(-2.0, 2.0, allow_nan=False, allow_subnormal=False),
                              min_size=1, max_size=4)


def build(leaf_data, program):
    """(leaves, every node, the program as actually run) with tracegrad."""
    leaves = [Value(x) for x in leaf_data]
    pool = list(leaves)
    ran = []
    for name, i, j in program:
        i, j = _pick(pool, i), _pick(pool, j)
        fn, allowed = OPERATIONS[name]
        a, b = pool[i], pool[j]
        out = None
        if allowed is None or allowed(a.data, b.data):
            out = fn(a, b, VALUE_LIB)
            if abs(out.data) > LIMIT:
                out = None
        if out is None:
            name, out = "tanh", a.tanh()
        ran.append((name, i, j))
        pool.append(out)
    return leaves, pool, ran


def replay(leaves, program, lib):
    pool = list(leaves)
    for name, i, j in program:
        pool.append(OPERATIONS[name][0](pool[i], pool[j], lib))
    return pool


def _tolerance(reference_grads):
    # Each library rounds exp, tanh, ... its own way; along many paths those
    # last-bit differences add up, relative to the size of the gradients.
    return 1e-9 * (1.0 + max(abs(g) for g in reference_grads))


@settings(max_examples=80, deadline=None)
@given(leaf_data=leaf_values, program=steps)
def test_random_graphs_match_torch_float64(leaf_data, program):
    torch = pytest.importorskip("torch")
    leaves, pool, ran = build(leaf_data, program)
    out = pool[-1]
    out.backward()

    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in leaf_data]
    torch_pool = replay(tensors, ran, _torch_lib(torch))
    torch_pool[-1].backward()
    want = [0.0 if t.grad is None else t.grad.item() for t in tensors]  # None: leaf unused

    for node, t in zip(pool, torch_pool):  # forward values agree everywhere
        assert math.isclose(node.data, t.item(), rel_tol=1e-12, abs_tol=1e-12)
    tol = _tolerance(want)
    for k, (leaf, w) in enumerate(zip(leaves, want)):
        assert math.isclose(leaf.grad, w, rel_tol=1e-9, abs_tol=tol), (k, leaf.grad, w, ran)


@settings(max_examples=40, deadline=None)
@given(leaf_data=normal_leaf_values, program=steps.map(lambda p: p[:8]))
@example(leaf_data=[1.0], program=[("relu", 0, 0), ("div", 0, 0)])  # sympy's derivative holds a 0/0 branch
def test_random_graphs_match_sympy(leaf_data, program):
    leaves, pool, ran = build(leaf_data, program)
    out = pool[-1]
    out.backward()

    symbols = sympy.symbols(f"x0:{len(leaves)}", real=True)
    expr = replay(list(symbols), ran, SYMPY_LIB)[-1]
    # Substitute exact rationals rather than lambdify: a Piecewise derivative can
    # hold 0/0 (zoo) in a branch not taken at this point, which lambdify cannot print.
    at = {s: sympy.Rational(x) for s, x in zip(symbols, leaf_data)}
    want = [float(sympy.diff(expr, s).subs(at).evalf(30)) for s in symbols]
    tol = _tolerance(want)
    for k, (leaf, w) in enumerate(zip(leaves, want)):
        assert math.isclose(leaf.grad, w, rel_tol=1e-9, abs_tol=tol), (k, leaf.grad, w, ran)


@settings(max_examples=15, deadline=None)
@given(
    x=st.floats(-2.0, 2.0, allow_nan=False),
    ops=st.lists(st.sampled_from(["tanh", "sigmoid", "affine", "neg", "cube", "rsub"]), min_size=1, max_size=8),
    depth=st.integers(1, 3000),
)
def test_deep_chains_match_torch_float64(x, ops, depth):
    torch = pytest.importorskip("torch")
    program = [(ops[k % len(ops)], 0, 0) for k in range(depth)]
    leaves, pool, ran = build([x], program)
    pool[-1].backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    replay([t], ran, _torch_lib(torch))[-1].backward()
    want = t.grad.item()
    if math.isnan(want):  # the chain rule's product overflowed (inf · 0): float64 torch gives nan too
        assert math.isnan(leaves[0].grad)
    else:
        assert math.isclose(leaves[0].grad, want, rel_tol=1e-9, abs_tol=1e-9 * (1 + abs(want)))


# --- the engine's laws -----------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(leaf_data=leaf_values, program=steps)
def test_second_backward_exactly_doubles_leaves_and_recomputes_interior_nodes(leaf_data, program):
    leaves, pool, _ = build(leaf_data, program)
    out = pool[-1]
    out.backward()
    first = [node.grad for node in pool]
    out.backward()
    for node, g in zip(pool, first):
        if node.inputs:
            assert node.grad == g  # interior: the same, not compounded
        else:
            assert node.grad == 2 * g  # leaf: exactly twice, not a re-rounded running sum


@settings(max_examples=60, deadline=None)
@given(leaf_data=leaf_values, program=steps)
def test_grad_equals_backward_and_touches_no_grad(leaf_data, program):
    leaves, pool, _ = build(leaf_data, program)
    out = pool[-1]
    for k, node in enumerate(pool):
        node.grad = -7.0 - k  # sentinels that grad() must leave alone
    reachable = [node for node in pool if node is out or _reaches(out, node)]
    from_grad = grad(out, reachable)
    assert all(node.grad == -7.0 - k for k, node in enumerate(pool))

    for node in pool:
        node.grad = 0.0
    out.backward()
    # the same walk order, so the same sums rounded the same way: equal exactly
    assert list(from_grad) == [node.grad for node in reachable]


def _reaches(root, target):
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if node is target:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(node.inputs)
    return False


@settings(max_examples=30, deadline=None)
@given(levels=st.integers(1, 60), x=st.floats(-1e3, 1e3, allow_nan=False))
def test_doubling_by_self_addition_gives_powers_of_two(levels, x):
    # b = a + a; c = b + b; ... each level doubles d out / d a
    a = Value(x)
    node = a
    for _ in range(levels):
        node = node + node
    node.backward()
    assert a.grad == 2.0**levels
    assert node.data == x * 2.0**levels
