"""viz.notation: a row for every operation of Value, and every derivative text, evaluated, is the engine's."""

import ast
import inspect
import math
import random
import re

import pytest

from tracegrad import Value
from tracegrad.engine import ARRAY_RULES
from tracegrad.viz import draw, format_number, trace
from tracegrad.viz.cli import main
from tracegrad.viz.expression import FUNCTIONS, parse
from tracegrad.viz.notation import NOTATION, fill, notation_of


def unary_methods():
    """The op of every public method of Value called with no argument that makes a new node."""
    ops = {}
    for name, method in inspect.getmembers(Value, inspect.isfunction):
        if name.startswith("_") or list(inspect.signature(method).parameters) != ["self"]:
            continue
        result = method(Value(0.5))
        if isinstance(result, Value) and result.inputs:
            ops[name] = result.op
    return ops


def test_the_unary_methods_are_found():
    assert {"relu", "tanh", "sigmoid", "softplus", "exp", "log"} <= set(unary_methods())


def test_every_operation_of_value_has_a_row():
    ops = set(ARRAY_RULES) | set(unary_methods().values()) | {"neg"}
    rows = {row.op for row in NOTATION}
    assert ops - rows == set()
    assert rows - ops == set()  # and no row for an operation the engine does not have


def test_every_row_is_complete():
    for row in NOTATION:
        assert len(row.derivatives) == len(row.operands), row.op
        assert row.written and all(row.derivatives), row.op
        assert len(row.edge_labels) in (0, len(row.operands)), row.op


# --- the derivative texts, evaluated by a small evaluator of their own (never eval) -----------

_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b}
_FUNCTIONS = {"cos": math.cos, "exp": math.exp, "log": math.log, "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x))}


def evaluate(text):
    """The number a derivative text stands for, its operands filled in as numbers."""
    python = text.replace("·", "*").replace("²", "**2").replace("ln ", "log")

    def value(node):
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.Call) and node.func.id in _FUNCTIONS and len(node.args) == 1:
            return _FUNCTIONS[node.func.id](value(node.args[0]))
        if isinstance(node, ast.IfExp):
            return value(node.body) if value(node.test) else value(node.orelse)
        if isinstance(node, ast.Compare) and [type(o) for o in node.ops] == [ast.Gt]:
            return value(node.left) > value(node.comparators[0])
        raise ValueError(f"unexpected {ast.dump(node)} in {text!r}")

    return value(ast.parse(python, mode="eval"))


def example(op, rng):
    """A node made by op from random operands (positive where the op needs it)."""
    def number():
        return Value(rng.uniform(0.2, 3.0) * rng.choice((1, -1)))

    def positive():
        return Value(rng.uniform(0.2, 3.0))

    count = rng.randint(1, 5)
    makers = {
        "+": lambda: number() + number(), "-": lambda: number() - number(), "*": lambda: number() * number(),
        "/": lambda: number() / number(), "neg": lambda: -number(),
        "**n": lambda: positive() ** rng.choice((0, 1, 2, 3, -1, 0.5, -1.5, rng.uniform(-3, 3))),
        "**": lambda: positive() ** number(),
        "log": lambda: positive().log(),
        "sum": lambda: Value.sum([number() for _ in range(count)]),
        "linear": lambda: Value.linear([number() for _ in range(count)], [number() for _ in range(count)],
                                       number()),
        "logsumexp": lambda: Value.logsumexp([number() for _ in range(count)]),
    }
    if op in makers:
        return makers[op]()
    return getattr(number(), op)()


@pytest.mark.parametrize("row", NOTATION, ids=lambda row: row.op)
def test_every_derivative_text_evaluated_equals_the_stored_local_grads(row):
    rng = random.Random(row.op)
    for _ in range(50):
        node = example(row.op, rng)
        assert notation_of(node.op) is row
        for position, slope in enumerate(node.local_grads):
            named = row.names_at(position, node.inputs)
            named["out"] = node
            exponent = node.op[2:]  # x ** n: n is in the op name, read here by hand, not by the engine

            def number(name, where):
                if name in ("n", "n - 1"):
                    return f"({float(exponent) - (name == 'n - 1')!r})"
                return f"({named[name].data!r})"

            text = fill(row.derivative(position, len(node.inputs), node.op), number)
            assert math.isclose(evaluate(text), slope, rel_tol=1e-9, abs_tol=1e-12), (row.op, text, slope)


def test_fill_parenthesises_only_where_needed():
    x = Value(2.0, label="x")
    assert str(trace((x * 3.0 + 1.0).softplus())).count("sigmoid(x*3 + 1)") == 1
    assert "grad(x) += 1/(a + b)" in str(trace(x / (Value(1.0, label="a") + Value(2.0, label="b"))))


# --- who reads the table ------------------------------------------------------------------


def test_every_function_of_the_table_is_offered_by_the_parser_and_named_in_help(capsys):
    assert set(FUNCTIONS) == {row.op for row in NOTATION if row.in_expressions and row.is_function}
    assert main(["trace", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    for name in FUNCTIONS:
        assert name in help_text


@pytest.mark.parametrize("method", sorted(unary_methods()))
def test_every_unary_method_is_accepted_by_tracegrad_trace(capsys, method):
    status = main(["trace", f"{method}(x)", "x=0.5"])
    out, err = capsys.readouterr()
    assert status == 0 and err == "", err
    node = getattr(Value(0.5), method)()
    assert f"{method}(0.5) = {format_number(node.data, 6)}" in out


def test_the_drawing_shows_the_tables_symbols_and_operand_roles():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    source = draw(a - b).source + draw(a / b).source + draw(a ** b).source
    for row in (notation_of("-"), notation_of("/"), notation_of("**")):
        assert re.search(f'label="?{re.escape(row.symbol or row.op)}"? ', source), row.op
        for label in filter(None, row.edge_labels):
            assert re.search(f'label="?{label}"?]', source), label


def test_parse_builds_every_function_of_the_table():
    for name in FUNCTIONS:
        assert parse(f"{name}(x)", {"x": 0.5}).op == name
