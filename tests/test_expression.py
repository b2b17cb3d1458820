"""viz.expression: the right numbers for valid text, ExpressionError for everything else."""

import ast
import builtins
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracegrad import Value, grad
from tracegrad.viz.expression import FUNCTIONS, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, ExpressionError, parse


def sigmoid(t):
    return 1.0 / (1.0 + math.exp(-t))


# (text, variables, value as plain Python math, {variable: derivative as plain math})
# The derivatives are written out by hand, independently of the engine.
VALID = [
    ("x*x + 3*x", {"x": 2.0}, 2 * 2 + 3 * 2, {"x": 2 * 2 + 3}),
    ("x / y - y", {"x": 3.0, "y": -2.0}, 3 / -2 - -2, {"x": 1 / -2, "y": -3 / 4 - 1}),
    ("-x ** 2", {"x": 3.0}, -9.0, {"x": -6.0}),  # ** binds tighter than unary minus, as in Python
    ("(-x) ** 2", {"x": 3.0}, 9.0, {"x": 6.0}),
    ("x ** -1", {"x": 4.0}, 0.25, {"x": -1 / 16}),
    ("2 ** x", {"x": 3.0}, 8.0, {"x": 8.0 * math.log(2)}),
    ("x ** y", {"x": 2.0, "y": 3.0}, 8.0, {"x": 3 * 4.0, "y": 8.0 * math.log(2)}),
    ("+x - -3", {"x": 1.5}, 4.5, {"x": 1.0}),
    ("relu(w*x + b)", {"w": 3.0, "x": 2.0, "b": 7.0}, 13.0, {"w": 2.0, "x": 3.0, "b": 1.0}),
    ("relu(w*x + b)", {"w": -3.0, "x": 2.0, "b": 1.0}, 0.0, {"w": 0.0, "x": 0.0, "b": 0.0}),
    ("tanh(x)", {"x": 0.5}, math.tanh(0.5), {"x": 1 - math.tanh(0.5) ** 2}),
    ("sigmoid(x)", {"x": -1.0}, sigmoid(-1.0), {"x": sigmoid(-1.0) * (1 - sigmoid(-1.0))}),
    ("exp(x) * log(x)", {"x": 2.0}, math.exp(2) * math.log(2),
     {"x": math.exp(2) * math.log(2) + math.exp(2) / 2}),
    ("(relu(w*x + b) - y) ** 2", {"w": 3.0, "b": 7.0, "x": 2.0, "y": 4.0}, 81.0,
     {"w": 36.0, "b": 18.0, "x": 54.0, "y": -18.0}),  # square_neuron
    ("1_000 * x + 0x10", {"x": 1.0}, 1016.0, {"x": 1000.0}),
    ("(x\n + 1)", {"x": 1.0}, 2.0, {"x": 1.0}),
]


@pytest.mark.parametrize("text, variables, value, derivatives", VALID)
def test_values_and_gradients_match_plain_math(text, variables, value, derivatives):
    leaves = {name: Value(number, label=name) for name, number in variables.items()}
    out = parse(text, leaves)
    assert out.data == pytest.approx(value, rel=1e-12)
    names = list(derivatives)
    got = grad(out, [leaves[name] for name in names], allow_unused=True)
    for name, g in zip(names, got):
        assert g == pytest.approx(derivatives[name], rel=1e-12, abs=1e-15), name


def test_variables_are_labelled_leaves_shared_by_every_use():
    out = parse("x * x", {"x": 3})
    left, right = out.inputs
    assert left is right and left.label == "x" and left.op == ""
    out.backward()
    assert left.grad == 6.0


def test_a_literal_exponent_stays_a_number_and_a_signed_literal_is_one_leaf():
    square = parse("x ** 2", {"x": 3.0})
    assert square.op == "**2" and len(square.inputs) == 1
    shifted = parse("x - -3", {"x": 1.0})
    assert shifted.inputs[1].op == "" and shifted.inputs[1].data == -3.0


def test_given_values_are_used_as_they_are():
    x = Value(2.0, label="mine")
    out = parse("x * 5", {"x": x})
    out.backward()
    assert x.grad == 5.0


REFUSED = [
    ("__import__('os').system('echo hacked')", f"only {', '.join(FUNCTIONS)} can be called"),
    ("__import__('os')", "unknown function '__import__'"),
    ("open('/tmp/tracegrad-should-not-exist', 'w')", "unknown function 'open'"),
    ("x.real", "attribute access is not allowed"),
    ("x.__class__.__bases__", "attribute access is not allowed"),
    ("(x)(1)", "unknown function 'x'"),
    ("tanh.__call__(x)", "can be called, not 'tanh.__call__'"),
    ("relu(x, x)", r"relu\(\) takes exactly one argument"),
    ("relu(x=1)", r"relu\(\) takes exactly one argument"),
    ("relu(*x)", r"relu\(\) takes exactly one argument"),
    ("relu()", r"relu\(\) takes exactly one argument"),
    ("relu", "relu is a function"),
    ("x[0]", "indexing is not allowed"),
    ("lambda: 1", "lambda is not allowed"),
    ("[t for t in x]", "a comprehension is not allowed"),
    ("x if x else 1", "if/else is not allowed"),
    ("(x := 1)", "assignment"),
    ("x < 1", "comparison is not allowed"),
    ("x and 1", "and/or is not allowed"),
    ("not x", "the operator not is not allowed"),
    ("~x", "the operator ~ is not allowed"),
    ("x // 2", "the operator // is not allowed"),
    ("x % 2", "the operator % is not allowed"),
    ("x @ x", "the operator @ is not allowed"),
    ("'abc'", "a str constant is not allowed"),
    ("f'{x}'", "an f-string is not allowed"),
    ("True", "a bool constant is not allowed"),
    ("None", "a NoneType constant is not allowed"),
    ("1j", "a complex constant is not allowed"),
    ("(1, 2)", "a tuple is not allowed"),
    ("x ** 101", "exponent '101' is too large"),
    ("x ** -1000", "exponent '-1000' is too large"),
    ("9 ** 9 ** 9", "powers of powers"),
    ("x ** (x ** 2)", "powers of powers"),
    ("x ** (x * 200)", "exponent 200 is too large"),
    ("9" * 400, "too large for a float"),
    ("1e999", "too large for a float"),
    ("log(x - 2)", "log is undefined"),
    ("x / (x - 1)", "division by zero"),
    ("exp(1000)", "too large for a float"),
    ("1e200 * 1e200", "too large for a float"),
    ("(-8) ** 0.5", "whole-number exponent"),
    ("y", "unknown variable 'y'; known variables: x"),
    ("x +", "not a valid expression"),
    ("x)", "not a valid expression"),
    ("", "empty"),
    ("   ", "empty"),
    ("\x00", "not a valid expression"),
    ("(" * 1000 + "x" + ")" * 1000, "characters long"),
    ("(" * 400 + "x" + ")" * 400, f"more than {MAX_DEPTH} parentheses"),
    ("relu(" * 150 + "x" + ")" * 150, f"more than {MAX_DEPTH} parentheses"),
    ("-" * 999 + "x", "more than 300 operations"),
    ("+".join(["x"] * 400), "more than 300 operations"),
]


@pytest.mark.parametrize("text, message", REFUSED)
def test_refused_with_one_clear_line(text, message):
    with pytest.raises(ExpressionError, match=message) as caught:
        parse(text, {"x": 1.0})
    assert "\n" not in str(caught.value)


def test_text_is_only_ever_parsed_never_run(tmp_path, monkeypatch):
    target = tmp_path / "written"
    real_compile = builtins.compile

    def forbidden(*args, **kwargs):
        raise AssertionError("the parser must never evaluate user text")

    def only_to_a_tree(source, filename, mode, flags=0, *args, **kwargs):
        # ast.parse is compile(..., flags=PyCF_ONLY_AST): a syntax tree, no code object
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError("the parser must never compile user text to code")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", only_to_a_tree)
    with pytest.raises(ExpressionError):
        parse(f"open({str(target)!r}, 'w').write('x')", {})
    assert parse("relu(x) * 2", {"x": 1.5}).data == 3.0
    assert not target.exists()


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"1x": 1}, "not a variable name"),
        ({"x y": 1}, "not a variable name"),
        ({"if": 1}, "not a variable name"),
        ({"relu": 1}, "is a function name"),
        ({"x": "2"}, "needs a real number"),
        ({"x": True}, "needs a number"),
        ({"x": float("nan")}, "finite"),
        ({"x": 10**400}, "too large"),
    ],
)
def test_bad_variables_are_refused(variables, message):
    with pytest.raises(ExpressionError, match=message):
        parse("1", variables)


def test_unknown_name_without_variables_says_how_to_give_one():
    with pytest.raises(ExpressionError, match="give it a value, like z=2"):
        parse("z + 1", {})


def test_limits_are_the_documented_ones():
    assert MAX_LENGTH == 1000 and MAX_EXPONENT == 100
    parse("x ** 100", {"x": 1.0})
    parse("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH, {"x": 1.0})


# --- hypothesis: hostile text is refused, and never with another exception ---

# Python's characters that matter most to a parser, plus anything at all.
_PYTHON_BITS = st.sampled_from(
    list("()[]{}.,:;'\"*+-/%@<>=!~^&|#\\ \n\t0123456789xyz_eE")
    + ["**", "//", "lambda", "import", "__import__", "os", "relu", "exp", "log", "if", "else",
       "for", "in", "not", "and", "yield", "await", "1e999", "0x", "1j", "True", "None", "...",
       "print", "open", "f'", "b'"]
)


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=60), st.lists(_PYTHON_BITS, max_size=40).map("".join)))
def test_any_text_gives_a_value_or_an_expression_error(text):
    try:
        out = parse(text, {"x": 0.5, "y": -2.0, "z": 3.0})
    except ExpressionError as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(out, Value) and math.isfinite(out.data)


# Valid expressions, generated with the value plain Python math gives for them.
_X, _Y = 0.7, -1.3


def _leaf():
    return st.one_of(
        st.just(("x", _X)),
        st.just(("y", _Y)),
        st.integers(0, 9).map(lambda n: (str(n), float(n))),
    )


def _grow(children):
    def binary(pair, op):
        (a, va), (b, vb) = pair
        value = {"+": va + vb, "-": va - vb, "*": va * vb}[op]
        return (f"({a} {op} {b})", value)

    def call(child, name):
        text, v = child
        value = {"tanh": math.tanh(v), "relu": max(v, 0.0), "sigmoid": sigmoid(v)}[name]
        return (f"{name}({text})", value)

    return st.one_of(
        st.builds(binary, st.tuples(children, children), st.sampled_from("+-*")),
        st.builds(call, children, st.sampled_from(["tanh", "relu", "sigmoid"])),
        children.map(lambda c: (f"-{c[0]}", -c[1])),
        children.map(lambda c: (f"({c[0]}) ** 2", c[1] ** 2)),
    )


@settings(max_examples=200)
@given(st.recursive(_leaf(), _grow, max_leaves=12))
def test_generated_expressions_compute_what_python_math_computes(case):
    text, expected = case
    assert parse(text, {"x": _X, "y": _Y}).data == pytest.approx(expected, rel=1e-9, abs=1e-12)


# Valid pieces wrapped in a construct the whitelist does not allow.
_FORBIDDEN_WRAPPERS = [
    "({}).real", "({})[0]", "print({})", "__import__({})", "({}) if x else 1", "({}) < x",
    "({}) and x", "not ({})", "~({})", "({}) // 2", "({}) % 2", "lambda: {}", "[{}]", "({},)",
    "{{{}}}", "[t for t in ({})]", "relu({}, x)", "relu(x={})", "tanh.__call__({})",
    "({}) ** 1000", "2 ** 2 ** ({})", "'{}'", "f'{{{}}}'", "(t := {})", "({}) @ x",
    "exp({}).__class__", "getattr({}, 'real')", "x[{}]",
]


@settings(max_examples=300)
@given(
    st.recursive(_leaf(), _grow, max_leaves=6),
    st.lists(st.sampled_from(_FORBIDDEN_WRAPPERS), min_size=1, max_size=3),
    st.recursive(_leaf(), _grow, max_leaves=4),
)
def test_a_forbidden_construct_anywhere_is_refused(inner, wrappers, outer):
    text = inner[0]
    for wrapper in wrappers:
        text = wrapper.format(text)
    text = f"{outer[0]} + {text}"  # the forbidden part need not come first
    with pytest.raises(ExpressionError):
        parse(text, {"x": _X, "y": _Y})
