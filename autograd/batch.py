"""The graph of one sample, recorded once and replayed over a whole batch with numpy.

A model plus its loss, for one sample, is a fixed graph when nothing in it
branches on the data (a ReLU is not a branch: it is a mask). ``Tape.record``
builds that graph for some samples with the ordinary scalar engine, checks
that they all made the same graph, and keeps its shape: each node's operation
and where its operands are. ``forward`` then runs every operation's rule over
arrays (in engine.py, beside its scalar rule) for all samples at once, and
``backward`` the chain rule over the same arrays, summing the samples'
gradients into each parameter's ``.grad``: what backward() of the mean loss
over the batch would give, a few hundred times faster.

The leaves of a recorded graph are of three kinds:
- inputs: the Values the tape makes from a sample's numbers and hands to fn;
  at replay they come from the batch's rows;
- shared leaves: the same Value in every sample's graph (parameters); read
  live at every replay, and where gradients go;
- constants: made inside fn, like a target y or the 0.5 of ½(ŷ − y)²;
  their value in each recorded sample is kept.

Operations of the same kind at the same depth run as one numpy call each, on
a table holding one row per node and one column per sample.
"""

import numpy as np

from .engine import ARRAY_RULES, Value, is_grad_enabled, power_exponent

__all__ = ["Tape", "StructureMismatch", "replay"]


class StructureMismatch(ValueError):
    """The graph cannot be replayed over a batch; the message says why."""


class Tape:
    """The graph ``fn`` builds for one sample, ready to run over many samples at once.

    ``Tape.record(fn, samples)`` calls ``fn(inputs, *rest)`` for each sample
    ``(numbers, *rest)``, where ``inputs`` are Values made from ``numbers``,
    and keeps what fn returned (a Value or a list of Values: the roots).
    ``forward()`` gives the roots' values over a batch, ``backward(seeds)``
    adds the gradients to the shared leaves.
    """

    @classmethod
    def record(cls, fn, samples, *, inputs=True, check_parameters=True):
        """Record fn on every sample; a StructureMismatch if their graphs differ.

        inputs: the first argument of each sample is a list of numbers, handed
        to fn as Values (the tape's inputs), so forward(inputs=...) can run new
        samples; with inputs=False every argument goes to fn as it is, and
        only the recorded samples can be replayed.
        check_parameters: also rebuild the first samples with every shared
        leaf nudged, and refuse a graph whose shape or constants change with
        them (a computation that reads ``.data`` to decide what to do).
        """
        samples = [_as_sample(sample, k, inputs) for k, sample in enumerate(samples)]
        if not samples:
            raise ValueError("Tape.record() needs at least one sample")
        if not is_grad_enabled():
            raise StructureMismatch("inside no_grad() operations record no graph to replay")
        first = _Graph.build(fn, samples[0], inputs)
        leaves = [first.nodes[p] for p in first.leaves]  # kept alive: compared by identity below
        rows = [[leaf.data for leaf in leaves]]
        shared = [True] * len(leaves)
        for k, sample in enumerate(samples[1:], start=1):
            graph = _Graph.build(fn, sample, inputs)
            first.check_same_shape(graph, k)
            rows.append([graph.nodes[p].data for p in graph.leaves])
            for j, p in enumerate(graph.leaves):
                shared[j] = shared[j] and graph.nodes[p] is leaves[j]
        numbers = [sample[0] if inputs else [] for sample in samples]
        tape = cls(first, leaves, shared, np.array(rows, dtype=float),
                   np.array(numbers, dtype=float).reshape(len(samples), -1))
        if check_parameters:
            tape._check_constants_keep_still(fn, samples[:2], first, inputs)
        return tape

    def __init__(self, graph, leaves, shared, leaf_data, inputs):
        self.recorded = len(leaf_data)
        self._inputs = inputs  # the recorded samples' numbers, one row each
        input_rows, self.shared_leaves, constant_columns = [], [], []
        input_positions, shared_positions, constant_positions = [], [], []
        for j, p in enumerate(graph.leaves):
            k = graph.input_index.get(p)
            if k is not None:
                input_positions.append(p)
                input_rows.append(k)
            elif shared[j] and (leaf_data[:, j] == leaf_data[0, j]).all():
                shared_positions.append(p)
                self.shared_leaves.append(leaves[j])
            else:
                constant_positions.append(p)
                constant_columns.append(leaf_data[:, j])
        self._input_columns = np.array(input_rows, dtype=np.intp)
        self._constant_positions = constant_positions  # in the recorded graph, for the nudge check
        self._constants = np.array(constant_columns, dtype=float).reshape(len(constant_positions), self.recorded)
        # constants equal in every sample can be used for samples never recorded
        self.varying_constants = int(sum((c != c[0]).any() for c in self._constants))
        grouped = _grouped(graph)
        # Rows of the table, renumbered: the leaves by kind, then each group's
        # results together, so most rows are read and written as slices.
        order = input_positions + constant_positions + shared_positions
        self._leaf_rows = [len(input_positions), len(input_positions) + len(constant_positions), len(order)]
        for _, outs, _ in grouped:
            order += outs
        row = {p: r for r, p in enumerate(order)}
        self.size = len(order)
        self.roots = [row[p] for p in graph.roots]
        needs = self._needs_grad(graph, shared_positions)
        needs = [needs[p] for p in order]  # by row
        self._groups = [_Group(op, [row[p] for p in outs], [[row[q] for q in rows] for rows in operands],
                               needs)
                        for op, outs, operands in grouped]
        self._saved = None

    # --- running ------------------------------------------------------------------

    def forward(self, samples=None, inputs=None):
        """The roots' values over a batch: a list with one array (one number per sample) per root.

        samples: indexes of recorded samples to run (default: every recorded
        sample). inputs: instead, new samples' numbers (one row each), for a
        tape whose recorded samples differ only in their inputs.
        """
        table = self._leaf_table(samples, inputs)
        self._saved = (table, self._run(table))
        return [table[r].copy() for r in self.roots]

    def backward(self, seeds):
        """Add d (Σ over samples of Σ seed·root) / d leaf to each shared leaf's ``.grad``.

        seeds: one number (or one per sample) for each root, as in forward();
        for the mean of a loss over the batch, 1/batch size for the loss root.
        Uses the values of the last forward(). Returns False, changing
        nothing, when a gradient is inf or nan.
        """
        if self._saved is None:
            raise RuntimeError("Tape.backward() needs a forward() first")
        table, saved = self._saved
        grads = self._buffer("_grads", table.shape)
        grads.fill(0.0)
        for r, seed in zip(self.roots, seeds):
            grads[r] += seed
        with np.errstate(all="ignore"):
            for group, locals_ in zip(reversed(self._groups), reversed(saved)):
                if group.needs:
                    group.send_back(grads, locals_)
        first_shared, end = self._leaf_rows[1:]
        totals = grads[first_shared:end].sum(axis=1)
        if not np.isfinite(totals).all():
            return False
        for leaf, total in zip(self.shared_leaves, totals.tolist()):
            leaf.grad += total
        return True

    # --- inside ---------------------------------------------------------------------

    def _run(self, table):
        """Fill the table's rows of results, group by group; the local gradients of each group."""
        saved = []
        with np.errstate(all="ignore"):  # inf and nan are looked for afterwards, by the caller
            for group in self._groups:
                saved.append(group.run(table))
        return saved

    def _leaf_table(self, samples, inputs):
        """The table of values, one row per node, its leaves' rows filled in."""
        if inputs is not None:
            if self.varying_constants:
                raise StructureMismatch(
                    "this graph holds constants that differ from sample to sample (targets, say), "
                    "so it replays only the samples it recorded"
                )
            rows = np.asarray(inputs, dtype=float).reshape(len(inputs), -1)
            constants = self._constants[:, :1]
        else:
            pick = slice(None) if samples is None else np.asarray(samples, dtype=np.intp)
            rows = self._inputs[pick]
            constants = self._constants[:, pick]
        inputs_end, constants_end, shared_end = self._leaf_rows
        table = self._buffer("_table", (self.size, len(rows)))
        table[:inputs_end] = rows.T[self._input_columns]
        table[inputs_end:constants_end] = constants
        table[constants_end:shared_end] = np.array([leaf.data for leaf in self.shared_leaves]).reshape(-1, 1)
        return table

    def _buffer(self, name, shape):
        """An array kept from one call to the next: a fresh one of a few hundred KB a step
        costs more, in page faults, than the arithmetic done in it."""
        array = getattr(self, name, None)
        if array is None or array.shape != shape:
            array = np.empty(shape)
            setattr(self, name, array)
        return array

    @staticmethod
    def _needs_grad(graph, shared_positions):
        """For each node: does a shared leaf lie below it (so its gradient is wanted)?"""
        needs = [False] * len(graph.nodes)
        for p in shared_positions:
            needs[p] = True
        for p, (op, operands) in enumerate(graph.ops):
            if op is not None:
                needs[p] = any(needs[q] for q in operands)
        return needs

    def _check_constants_keep_still(self, fn, samples, first, inputs):
        """Rebuild with every shared leaf nudged: the shape and the constants must not move."""
        saved = [leaf.data for leaf in self.shared_leaves]
        try:
            for leaf in self.shared_leaves:
                leaf.data = leaf.data * 1.0001 + 0.0001
            for k, sample in enumerate(samples):
                graph = _Graph.build(fn, sample, inputs)
                first.check_same_shape(graph, k, nudged=True)
                for p, column in zip(self._constant_positions, self._constants):
                    if graph.nodes[p].data != column[k]:
                        raise StructureMismatch(
                            f"a constant in the graph ({graph.nodes[p].data:g} in sample {k}) changes "
                            "with the parameters: the computation reads .data to decide a number"
                        )
        finally:
            for leaf, data in zip(self.shared_leaves, saved):
                leaf.data = data


def replay(root, changes):
    """root's value recomputed with some leaves' data replaced: ``{leaf: new data}``.

    Every operation applies its own forward rule (its rule over arrays, on
    one sample), so no ``.data`` or ``.grad`` changes. A ValueError for a
    graph with an operation that has no such rule (a learner's own, with a
    _backward function).
    """
    graph = _Graph.of([root])
    leaves = [graph.nodes[p] for p in graph.leaves]
    tape = Tape(graph, leaves, [True] * len(leaves), np.array([[leaf.data for leaf in leaves]]),
                np.empty((1, 0)))
    table = tape._leaf_table(None, None)
    first_shared = tape._leaf_rows[1]
    row = {leaf: first_shared + j for j, leaf in enumerate(tape.shared_leaves)}
    for leaf, data in changes.items():
        if not isinstance(leaf, Value) or leaf not in row:
            raise ValueError(f"replay(): {leaf!r} is not a leaf of root's graph")
        table[row[leaf]] = data
    tape._run(table)
    return float(table[tape.roots[0], 0])


# --- a recorded graph ---------------------------------------------------------------------


class _Graph:
    """One sample's graph: its nodes in topological order and, for each, (op, operand positions)."""

    @classmethod
    def build(cls, fn, sample, with_inputs):
        if not with_inputs:
            return cls.of(_flatten(fn(*sample)))
        numbers, *rest = sample
        inputs = [Value(x) for x in numbers]
        graph = cls.of(_flatten(fn(inputs, *rest)))
        for k, x in enumerate(inputs):
            p = graph.position.get(x)
            if p is not None:
                graph.input_index[p] = k
        return graph

    @classmethod
    def of(cls, roots):
        graph = cls()
        graph.nodes, graph.ops, graph.position = _walk(roots)
        graph.roots = [graph.position[root] for root in roots]
        graph.leaves = [p for p, (op, _) in enumerate(graph.ops) if op is None]
        graph.input_index = {}
        return graph

    def check_same_shape(self, other, k, nudged=False):
        when = "with the parameters nudged" if nudged else ""
        if other.ops == self.ops and other.roots == self.roots and other.input_index == self.input_index:
            return
        if len(other.ops) != len(self.ops):
            raise StructureMismatch(
                f"sample {k}{' ' + when if when else ''} makes a graph of {len(other.ops)} nodes, "
                f"sample 0 one of {len(self.ops)}: the computation branches on the data"
            )
        for p, (ours, theirs) in enumerate(zip(self.ops, other.ops)):
            if ours != theirs:
                raise StructureMismatch(
                    f"sample {k}{' ' + when if when else ''} makes another graph than sample 0: node {p} "
                    f"is {_describe(theirs)} there, {_describe(ours)} in sample 0"
                )
        raise StructureMismatch(f"sample {k} uses its inputs in other places than sample 0")


_LEAF = (None, ())


def _walk(roots):
    """Every node under roots once, operands first; for each, (op, operand positions); node -> position.

    The walk of backprop.backward, reading the slots behind ``inputs`` (see
    engine.py): a tape records every sample, so this loop is its hot path.
    """
    nodes, ops, position = [], [], {}
    for root in roots:
        stack = [root]
        while stack:
            node = stack.pop()
            if node is None:  # the node below has all its operands placed
                node = stack.pop()
                if node in position:
                    continue
                if node._own_operation:
                    raise StructureMismatch(
                        f"the operation {node.op!r} is a learner's own (made with Value(data, "
                        "_children, _op)): it has no rule over arrays, and runs only on the scalar engine"
                    )
                x, y = node._x, node._y
                if y is not None:
                    operands = (position[x], position[y])
                elif type(x) is tuple:
                    operands = tuple([position[v] for v in x])
                else:
                    operands = (position[x],)
                position[node] = len(nodes)
                nodes.append(node)
                ops.append((node.op, operands))
                continue
            if node in position:
                continue
            x = node._x
            if x is None:
                position[node] = len(nodes)
                nodes.append(node)
                ops.append(_LEAF)
                continue
            stack.append(node)
            stack.append(None)
            y = node._y
            if y is not None:
                stack.append(y)
                stack.append(x)
            elif type(x) is tuple:
                stack.extend(reversed(x))
            else:
                stack.append(x)
    return nodes, ops, position


class _Group:
    """Operations of one kind at one depth: run as one numpy call over all of them and all samples."""

    def __init__(self, op, outs, operands, needs):
        exponent = power_exponent(op)
        rule_key = op if exponent is None else "**n"
        if rule_key not in ARRAY_RULES:
            raise StructureMismatch(
                f"the operation {op!r} has no rule over arrays (a learner's own operation, "
                "with a _backward function, runs only on the scalar engine)"
            )
        self.rule, self.stacked = ARRAY_RULES[rule_key]
        self.extra = () if exponent is None else (exponent,)
        self.outs = slice(outs[0], outs[-1] + 1)  # renumbered to be consecutive
        table = np.array(operands, dtype=np.intp)  # (m, operands)
        # the gradient only goes where a shared leaf (a parameter) lies below
        self.needs = any(needs[r] for r in outs)
        if self.stacked:
            self.shape = table.shape
            self.operands = _rows(table.ravel())
            self._sent_to = [table.ravel()]
        else:
            self.operands = [_rows(column) for column in table.T]
            self._sent_to = [column if any(needs[q] for q in column.tolist()) else None for column in table.T]
        self._plans = None  # made by the first send_back: a forward-only tape (replay) never needs them

    @property
    def plans(self):
        """For each operand column, how send_back adds into its rows (None: no gradient wanted there)."""
        if self._plans is None:
            self._plans = [None if rows is None else _scatter_plan(rows) for rows in self._sent_to]
        return self._plans

    def run(self, table):
        """Write this group's results into the table; return its local gradients."""
        if self.stacked:
            out, local = self.rule(np, table[self.operands].reshape(self.shape + (-1,)))
            locals_ = (local,)
        else:
            out, locals_ = self.rule(np, *[table[rows] for rows in self.operands], *self.extra)
        table[self.outs] = out
        return locals_

    def send_back(self, grads, locals_):
        """The chain rule for the whole group: each operand's grad += local gradient × upstream."""
        upstream = grads[self.outs]
        if self.stacked:
            # (m, operands, samples): each operand of a result gets local × that result's upstream
            sent = np.broadcast_to(locals_[0] * upstream[:, None, :], self.shape + upstream.shape[-1:])
            _scatter_add(grads, self.plans[0], sent.reshape(-1, upstream.shape[-1]))
            return
        for plan, local in zip(self.plans, locals_):
            if plan is not None:
                _scatter_add(grads, plan, local * upstream)


def _grouped(graph):
    """The operations as (op, outs, operands) groups, shallowest first."""
    depth = [0] * len(graph.nodes)
    grouped = {}
    for p, (op, operands) in enumerate(graph.ops):
        if op is None:
            continue
        depth[p] = 1 + max(depth[q] for q in operands)
        outs, rows = grouped.setdefault((depth[p], op, len(operands)), ([], []))
        outs.append(p)
        rows.append(operands)
    return [(op, outs, rows) for (_, op, _), (outs, rows) in sorted(grouped.items(), key=lambda item: item[0][0])]


def _rows(positions):
    """A slice when positions are consecutive (a cheap view of the table), else the index array."""
    positions = np.asarray(positions, dtype=np.intp)
    if len(positions) and (np.diff(positions) == 1).all():
        return slice(int(positions[0]), int(positions[-1]) + 1)
    return positions


def _scatter_plan(positions):
    """How to add one row per position into a table where positions may repeat.

    Positions that appear once are added in one step; the rows of a repeated
    position are summed first (a fancy += would keep only one of them).
    """
    positions = np.asarray(positions, dtype=np.intp)
    values, counts = np.unique(positions, return_counts=True)
    once = np.isin(positions, values[counts == 1])
    if once.all():
        return (_rows(positions), None), None
    repeated = np.flatnonzero(~once)
    order = repeated[np.argsort(positions[repeated], kind="stable")]
    ordered = positions[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    single = np.flatnonzero(once)
    return (_rows(positions[single]), _rows(single)) if len(single) else None, (ordered[starts], order, starts)


def _scatter_add(table, plan, rows):
    single, repeated = plan
    if single is not None:
        targets, which = single
        table[targets] += rows if which is None else rows[which]
    if repeated is not None:
        targets, order, starts = repeated
        table[targets] += np.add.reduceat(rows[order], starts, axis=0)


def _flatten(roots):
    if isinstance(roots, Value):
        return [roots]
    flat = []
    for item in roots:
        flat.extend(_flatten(item) if isinstance(item, (list, tuple)) else [item])
    for k, item in enumerate(flat):
        if not isinstance(item, Value):
            raise TypeError(f"Tape.record(): fn must return Values, got {item!r} at position {k}")
    return flat


def _as_sample(sample, k, inputs):
    if not isinstance(sample, (list, tuple)) or (inputs and (not sample or not isinstance(sample[0], (list, tuple)))):
        what = "(numbers, *other arguments)" if inputs else "a tuple of fn's arguments"
        raise TypeError(f"Tape.record(): sample {k} must be {what}, got {sample!r}")
    return sample


def _describe(op):
    name, operands = op
    return "a leaf" if name is None else f"{name!r} of nodes {list(operands)}"
