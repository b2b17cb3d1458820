"""Safe arithmetic expressions: turn text like ``"tanh(x*w + b)"`` into a graph of Values.

The text is parsed with Python's ``ast`` module and then walked against a short
whitelist: numbers, variable names, ``+ - * / **``, unary ``-``/``+``,
parentheses and calls with one argument of the functions viz.notation offers
(``FUNCTIONS``: relu, tanh, ...).
Nothing is ever evaluated as Python; every other construct (attributes, other
calls, subscripts, strings, lambdas, comparisons, ...) is refused with an
``ExpressionError`` whose message is one line a learner can act on.

Everything is computed on floats through ``Value``, so no input can make a
huge integer or run for long; the limits below exist to keep the graph small
enough to read and to give a clear message instead of a parser crash.
"""

import ast
import keyword
import math
import re
import warnings

from tracegrad import Value

from .notation import EXPRESSION_FUNCTIONS, NOTATION

__all__ = ["ExpressionError", "parse", "ALLOWED", "FUNCTIONS", "OPERATORS", "MAX_LENGTH", "MAX_DEPTH", "MAX_OPERATIONS", "MAX_EXPONENT"]

# what expressions may use: the rows of viz.notation that expressions offer
FUNCTIONS = EXPRESSION_FUNCTIONS  # relu, tanh, sigmoid, ...
OPERATORS = tuple(dict.fromkeys(row.written.split()[1] for row in NOTATION
                                if row.in_expressions and len(row.written.split()) == 3))  # + - * / **

MAX_LENGTH = 1000  # characters of expression text
MAX_DEPTH = 100  # levels of nested parentheses
MAX_OPERATIONS = 300  # operators and calls; also bounds how deep the graph can be
MAX_EXPONENT = 100  # |n| in x ** n; larger powers of floats only overflow

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
ALLOWED = f"numbers, variables, {' '.join(OPERATORS)}, parentheses and {', '.join(FUNCTIONS)}"


class ExpressionError(ValueError):
    """The expression text cannot be turned into a graph; the message says why, on one line."""


def parse(text, variables):
    """The Value that ``text`` computes, with each variable a labelled leaf.

    ``variables`` maps names to numbers (each becomes ``Value(number, label=name)``)
    or to Values (used as they are, so the caller can read their ``.grad`` later).
    Raises ExpressionError for anything outside the whitelist, for unknown names,
    and for numeric failures while computing (log of a negative, division by zero,
    overflow).
    """
    leaves = _leaves(variables)
    text, tree = _syntax_tree(text)
    _check(tree, text, leaves)
    return _build(tree, leaves)


# --- reading the text --------------------------------------------------------


# a number written right before a name, as in "2x" or "0.5 w" (not the exponent of 2e5)
_NUMBER_THEN_NAME = re.compile(r"(?<![\w.])(\d+\.?\d*|\.\d+)\s*((?![eE][-+]?\d)[A-Za-z_]\w*)")


def _syntax_tree(text):
    """(text on one line, its ast), or ExpressionError; limits are checked before the parser runs."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    # Count bracket nesting ourselves: CPython's parser gives up near 200 levels
    # with a less helpful message (or, on some versions, a RecursionError).
    depth = 0
    for char in text:
        if char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExpressionError(f"the expression nests more than {MAX_DEPTH} parentheses deep")
        elif char in ")]}":
            depth -= 1
    # In "eval" mode a newline ends the input; a formula spread over lines means one line.
    text = text.replace("\r", " ").replace("\n", " ")
    try:
        # The parser warns on stderr about "1if" or "\d" in a string; our own error says enough.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return text, ast.parse(text, mode="eval").body
    except SyntaxError as error:
        juxtaposed = _NUMBER_THEN_NAME.search(text)
        if juxtaposed:  # "2x": maths writes a product so, Python (and so an expression) does not
            number, name = juxtaposed.groups()
            raise ExpressionError(f"not a valid expression: {juxtaposed.group()!r} needs a * between the number "
                                  f"and the name: write {number}*{name}") from None
        where = f" at column {error.offset}" if error.offset else ""
        raise ExpressionError(f"not a valid expression: {_one_line(error.msg)}{where}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        # ValueError: e.g. null bytes on older Pythons; the others: pathological input
        raise ExpressionError(f"not a valid expression: {_one_line(str(error)) or type(error).__name__}") from None


def _leaves(variables):
    """name -> Value for every variable, checking the names and numbers."""
    if not isinstance(variables, dict):
        raise TypeError(f"variables must be a dict of name -> number, got {type(variables).__name__}")
    leaves = {}
    for name, value in variables.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ExpressionError(f"{name!r} is not a variable name (use letters, digits and _)")
        if name in FUNCTIONS:
            raise ExpressionError(f"{name!r} is a function name; pick another variable name")
        if isinstance(value, Value):
            leaves[name] = value
            continue
        if isinstance(value, bool):  # Value() takes True as 1.0; a variable should not
            raise ExpressionError(f"variable {name} needs a number, got {value!r}")
        try:  # Value() checks the number and says what is wrong with it
            leaves[name] = Value(value, label=name)
        except (TypeError, ValueError, OverflowError) as error:
            raise ExpressionError(f"variable {name}: {error}") from None
    return leaves


# --- the whitelist -----------------------------------------------------------


def _check(tree, text, leaves):
    """Raise ExpressionError unless every node of tree is on the whitelist.

    Iterative (an explicit stack), so even a deep tree cannot exhaust recursion;
    the operation limit keeps the graph (and so any later walk of it) small.
    """
    operations = 0
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Constant):
            _number(node, text)
        elif isinstance(node, ast.Name):
            _variable(node, leaves)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operations += 1
            stack.append(node.operand)
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            operations += 1
            if isinstance(node.op, ast.Pow):
                _check_exponent(node.right, text)
            stack.append(node.right)
            stack.append(node.left)
        elif isinstance(node, ast.Call):
            operations += 1
            _check_call(node, text)
            stack.append(node.args[0])
        else:
            raise ExpressionError(_refusal(node, text))
        if operations > MAX_OPERATIONS:
            raise ExpressionError(f"the expression has more than {MAX_OPERATIONS} operations")


def _number(node, text):
    """The constant's value as int or float, refusing bools, strings, complex, inf."""
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExpressionError(_refusal(node, text))
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            raise ExpressionError(f"the number {_fragment(node, text)} is too large for a float") from None
    elif not math.isfinite(value):
        raise ExpressionError(f"the number {_fragment(node, text)} is too large for a float")
    return value


def _variable(node, leaves):
    name = node.id
    if name in leaves:
        return leaves[name]
    if name in FUNCTIONS:
        raise ExpressionError(f"{name} is a function: call it with one argument, like {name}(x)")
    if leaves:
        known = ", ".join(sorted(leaves))
        raise ExpressionError(f"unknown variable {name!r}; known variables: {known}")
    raise ExpressionError(f"unknown variable {name!r}; give it a value, like {name}=2")


def _check_call(node, text):
    func = node.func
    if not isinstance(func, ast.Name):
        raise ExpressionError(f"only {', '.join(FUNCTIONS)} can be called, not {_fragment(func, text)}")
    if func.id not in FUNCTIONS:
        raise ExpressionError(f"unknown function {func.id!r}; functions: {', '.join(FUNCTIONS)}")
    if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        raise ExpressionError(f"{func.id}() takes exactly one argument, like {func.id}(x)")


def _signed_number(node):
    """node's value if it is a number literal with any signs in front (-3, +-2.5), else None."""
    sign = 1
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * node.value
    return None


def _check_exponent(node, text):
    """Refuse power towers and literal exponents beyond ±MAX_EXPONENT, before computing anything."""
    n = _signed_number(node)
    if n is not None:
        if not abs(n) <= MAX_EXPONENT:  # also refuses nan/inf
            raise ExpressionError(f"the exponent {_fragment(node, text)} is too large; the limit is ±{MAX_EXPONENT}")
        return
    for inner in ast.walk(node):
        if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Pow):
            raise ExpressionError(
                f"powers of powers like a ** b ** c are not allowed: {_fragment(node, text)}"
            )


def _refusal(node, text):
    """One line saying which construct is not allowed."""
    if isinstance(node, ast.Constant):
        what = f"a {type(node.value).__name__} constant"
    elif isinstance(node, ast.BinOp):
        what = "the operator " + _operator_symbol(node.op)
    elif isinstance(node, ast.UnaryOp):
        what = "the operator " + ("~" if isinstance(node.op, ast.Invert) else "not")
    else:
        what = _NAMES.get(type(node), f"Python's {type(node).__name__} syntax")
    return f"{what} is not allowed here ({_fragment(node, text)}); use {ALLOWED}"


_NAMES = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Compare: "comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.Lambda: "lambda",
    ast.NamedExpr: "assignment (:=)",
    ast.JoinedStr: "an f-string",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator",
    ast.Starred: "unpacking (*)",
}


def _operator_symbol(op):
    symbols = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
               ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&"}
    return symbols.get(type(op), type(op).__name__)


def _fragment(node, text, limit=40):
    """The source text of node, quoted and shortened, safe to show on one line."""
    segment = ast.get_source_segment(text, node) or type(node).__name__
    segment = _one_line(segment)
    if len(segment) > limit:
        segment = segment[: limit - 3] + "..."
    return repr(segment)


def _one_line(message):
    return " ".join(str(message).split())


# --- building the graph ------------------------------------------------------


def _build(tree, leaves):
    """The Value for a checked tree, built bottom-up with an explicit stack.

    Numbers become unlabelled constant leaves, except a literal exponent, which
    stays a plain number so ``x ** 2`` is one node with d/dx = 2x.
    """
    results = []  # Values of finished subtrees, in post-order
    stack = [(tree, False)]
    while stack:
        node, children_done = stack.pop()
        if not children_done:
            children = _children(node)
            if children:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(children))
                continue
        operands = [results.pop() for _ in _children(node)][::-1]
        results.append(_apply(node, operands, leaves))
    return results.pop()


def _children(node):
    """The subtrees whose Values node needs, in order."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow) and _signed_number(node.right) is not None:
            return [node.left]
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [] if _signed_number(node) is not None else [node.operand]
    if isinstance(node, ast.Call):
        return [node.args[0]]
    return []


def _apply(node, operands, leaves):
    """One node's Value from its operands' Values; numeric failures become ExpressionError."""
    try:
        if isinstance(node, ast.Name):
            return leaves[node.id]
        if isinstance(node, (ast.Constant, ast.UnaryOp)) and _signed_number(node) is not None:
            # a signed number: one constant leaf, not a leaf plus a "neg" node
            return Value(_signed_number(node))
        if isinstance(node, ast.UnaryOp):
            (x,) = operands
            return -x if isinstance(node.op, ast.USub) else x
        if isinstance(node, ast.Call):
            (x,) = operands
            result = getattr(x, node.func.id)()
        elif isinstance(node.op, ast.Pow) and len(operands) == 1:
            result = operands[0] ** _signed_number(node.right)
        else:
            x, y = operands
            if isinstance(node.op, ast.Pow) and not abs(y.data) <= MAX_EXPONENT:
                raise ExpressionError(
                    f"the exponent {y.data:g} is too large; the limit is ±{MAX_EXPONENT}"
                )
            result = _binary(node.op, x, y)
            # float + - * / give inf instead of raising; the engine keeps what it gets
            if not math.isfinite(result.data):
                symbol = _BINARY[type(node.op)]
                raise ExpressionError(f"{x.data:g} {symbol} {y.data:g} is too large for a float")
    except ExpressionError:
        raise
    except (ArithmeticError, ValueError) as error:
        # log(-1), x / 0, exp(1000), (-8) ** 0.5: the engine's message says which node
        raise ExpressionError(_one_line(error)) from None
    return result


def _binary(op, x, y):
    if isinstance(op, ast.Add):
        return x + y
    if isinstance(op, ast.Sub):
        return x - y
    if isinstance(op, ast.Mult):
        return x * y
    if isinstance(op, ast.Div):
        return x / y
    return x**y
