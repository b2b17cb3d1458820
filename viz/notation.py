"""How each operation of Value looks to a learner: one row per operation, one table.

A row says how the operation is written, its local derivative as text (one
template per operand), the symbol the drawing shows in its small circle, the
labels on its operand edges, and whether expressions (``viz.parse`` and so
``tracegrad trace``) offer it. The trace, the drawing, the parser and the command
line's help all read this table; a test checks that every operation of Value
has a row and that every derivative text, evaluated, gives the engine's own
local gradients.

A derivative template names operands in braces: ``{x}``, ``{y}``, ``{out}``
(the result), ``{w_i}``/``{x_i}`` (an operand among many). fill() puts names in:
a placeholder that is the whole text or a function's whole argument gets the
bare name, one standing next to an operator gets parentheses when it needs them.
"""

import re
from dataclasses import dataclass

from tracegrad.engine import power_exponent

__all__ = ["Notation", "NOTATION", "notation_of", "EXPRESSION_FUNCTIONS", "fill"]


@dataclass(frozen=True)
class Notation:
    """One operation as a learner sees it."""

    op: str  # the engine's op name; "**n" stands for x ** n with a number n ("**2", "**0.5")
    written: str  # how a learner writes it, in the operands' names
    operands: tuple  # the names of its operands in derivatives (one per kind, for many operands)
    derivatives: tuple  # d out / d operand, one template per name in operands
    symbol: str = ""  # what the drawing's small circle shows; "" for the op name itself
    edge_labels: tuple = ()  # the drawing's label on each operand's edge, where order matters
    in_expressions: bool = False  # viz.parse, and so `tracegrad trace`, accept it

    @property
    def is_function(self):
        """Written as a call, ``tanh(x)``: the name the parser looks for."""
        return self.written.startswith(self.op + "(")

    def operand_kind(self, position, count):
        """The index in operands (and derivatives) of operand number position out of count."""
        if self.op == "linear":  # w1, x1, ..., wn, xn, b
            return 2 if position == count - 1 else position % 2
        if len(self.operands) == 1:  # one operand, or many alike (sum, logsumexp)
            return 0
        return position

    def names_at(self, position, inputs):
        """Each placeholder's node for the derivative by operand number position: {"x": a, "y": b}."""
        if self.op == "linear":  # the slope of w_i is its partner x_i, and back
            partner = position + 1 if position % 2 == 0 else position - 1
            if position == len(inputs) - 1:
                return {"b": inputs[position]}
            kind, other = ("w_i", "x_i") if position % 2 == 0 else ("x_i", "w_i")
            return {kind: inputs[position], other: inputs[partner]}
        if len(self.operands) == 1:
            return {self.operands[0]: inputs[position]}
        return dict(zip(self.operands, inputs))

    def derivative(self, position, count, op=None):
        """The template of d out / d operand number position out of count.

        op: the node's own op name, for x ** n, where the exponent n is in it
        ("**2"): n·x**(n - 1) reads "2·{x}" for n = 2 and "0" for n = 0.
        """
        n = power_exponent(op) if op else None
        if n == 0.0:
            return "0"
        if n == 2.0:
            return "2·{x}"
        return self.derivatives[self.operand_kind(position, count)]


NOTATION = (
    Notation("+", "x + y", ("x", "y"), ("1", "1"), in_expressions=True),
    Notation("-", "x - y", ("x", "y"), ("1", "-1"), symbol="−", edge_labels=("", "minus"),
             in_expressions=True),
    Notation("*", "x * y", ("x", "y"), ("{y}", "{x}"), symbol="×", in_expressions=True),
    Notation("/", "x / y", ("x", "y"), ("1/{y}", "-{x}/{y}²"), symbol="÷",
             edge_labels=("", "divided by"), in_expressions=True),
    Notation("neg", "-x", ("x",), ("-1",), in_expressions=True),
    Notation("**n", "x ** n", ("x",), ("{n}·{x}**{n - 1}",), in_expressions=True),
    Notation("**", "x ** y", ("x", "y"), ("{y}·{x}**({y} - 1)", "{out}·ln {x}"),
             edge_labels=("base", "exponent"), in_expressions=True),
    Notation("relu", "relu(x)", ("x",), ("1 if {x} > 0 else 0",), in_expressions=True),
    Notation("tanh", "tanh(x)", ("x",), ("(1 - {out}²)",), in_expressions=True),
    Notation("sin", "sin(x)", ("x",), ("cos({x})",), in_expressions=True),
    Notation("sigmoid", "sigmoid(x)", ("x",), ("{out}·(1 - {out})",), in_expressions=True),
    Notation("softplus", "softplus(x)", ("x",), ("sigmoid({x})",), in_expressions=True),
    Notation("exp", "exp(x)", ("x",), ("{out}",), in_expressions=True),
    Notation("log", "log(x)", ("x",), ("1/{x}",), in_expressions=True),
    Notation("sum", "Value.sum([x_1, ..., x_n])", ("x_i",), ("1",)),
    Notation("linear", "Value.linear([w_1, ..., w_n], [x_1, ..., x_n], b)", ("w_i", "x_i", "b"),
             ("{x_i}", "{w_i}", "1"), symbol="w·x+b"),
    Notation("logsumexp", "Value.logsumexp([x_1, ..., x_n])", ("x_i",), ("exp({x_i} - {out})",)),
)

_BY_OP = {row.op: row for row in NOTATION}

# the functions an expression may call, in the table's order: relu, tanh, ...
EXPRESSION_FUNCTIONS = tuple(row.op for row in NOTATION if row.in_expressions and row.is_function)


def notation_of(op):
    """The row for an op name ("*", "**2", "tanh"); None for an operation a learner wrote."""
    if power_exponent(op) is not None:
        return _BY_OP["**n"]
    return _BY_OP.get(op)


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def fill(template, text_of):
    """template with each placeholder replaced by text_of(name, where).

    where is "alone" (the placeholder is the whole template: a factor of a
    product), "argument" (the whole argument of a call, "sigmoid({x})") or
    "inside" (next to an operator: parenthesise what is not a single name).
    """
    def replace(match):
        before, after = template[:match.start()], template[match.end():]
        if not before and not after:
            where = "alone"
        elif re.search(r"[a-z]\($", before) and after.startswith(")"):
            where = "argument"
        else:
            where = "inside"
        return text_of(match.group(1), where)

    return _PLACEHOLDER.sub(replace, template)
