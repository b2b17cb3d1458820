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
a table holding one row per node and one column per sample. A layer is
found as such in the graph, whatever code made it: ``linear`` nodes at one
depth (or ``Value.sum`` nodes of products, each product a shared leaf times
a per-sample value, plus a shared leaf for the bias) whose weights are shared
leaves and whose inputs are the same per-sample values, in the same order.
Such a group runs as one matrix product, Z = W @ X + b, and its backward as
two, δX = Wᵀ @ δ and δW = δ @ Xᵀ (summed over the batch inside the product).
Shared leaves that only such groups read have no rows in the table: they are
read from one vector of the shared leaves' values.
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
        kinds, constants = _leaf_kinds(first, shared, np.array(rows, dtype=float))
        tape = cls(first, leaves, kinds, constants, np.array(numbers, dtype=float).reshape(len(samples), -1))
        if check_parameters:
            tape._check_constants_keep_still(lambda k: _Graph.build(fn, samples[k], inputs), min(2, len(samples)),
                                             first)
        return tape

    @classmethod
    def record_split(cls, model_part, loss_part, rows, targets, *, check_parameters=True,
                     elementwise_targets=False):
        """The tape of ``loss_part(model_part(inputs), target)`` for every sample, the model recorded once.

        For a model_part that makes the same graph whatever its inputs' numbers
        (nn's Neuron, Layer and MLP: nothing in them branches): it runs once,
        on Values made from rows[0], which become the tape's inputs.
        ``loss_part(outputs, target)`` returns the roots; it runs once per
        distinct target, on the same outputs, and those graphs must have one
        shape (a StructureMismatch names the first sample whose does not: a
        loss that branches on the label); their constants (the targets, a
        one-hot row) become one number per sample. rows: the inputs, one row
        of numbers per sample; targets: numbers or lists of numbers.

        elementwise_targets: the caller knows that loss_part makes one graph
        whatever the target, each of whose constants is fixed, one of the
        target's numbers, or 1 minus one (nn's mse, half_squared_error and
        bce_with_logits). With many distinct targets, loss_part then runs on
        three of them, each constant is matched to its rule there, and its
        numbers for every sample come from the targets as an array; a
        constant that matches no rule means the full recording after all.
        """
        if not is_grad_enabled():
            raise StructureMismatch("inside no_grad() operations record no graph to replay")
        rows = np.asarray(rows, dtype=float).reshape(len(rows), -1)
        groups, firsts = _distinct(targets)
        rules, base, made = None, None, {}
        if elementwise_targets and len(firsts) > 3:
            probes = [firsts[0], firsts[1], firsts[-1]]
            rules, base, graphs = _target_rules(model_part, loss_part, rows, targets, probes)
            if rules is not None:
                firsts, made = probes, dict(zip(probes, graphs))
        tails = []
        for i in firsts:
            graph = made.get(i) or _Graph.split(model_part, loss_part, rows[0].tolist(), targets[i], base)
            if not tails:
                base, first_graph = graph.model, graph
            elif graph.ops_tail != first_graph.ops_tail or graph.roots != first_graph.roots:
                raise StructureMismatch(
                    f"sample {i} (target {targets[i]!r}) makes another graph than sample {firsts[0]} "
                    f"(target {targets[firsts[0]]!r}): the loss branches on the target"
                )
            tails.append(graph)
        graph = first_graph.joined()
        leaves = [graph.nodes[p] for p in graph.leaves]
        tail_start = len(base.nodes)
        kinds, columns = [], []
        for j, p in enumerate(graph.leaves):
            if p in graph.input_index:
                kinds.append("input")
            elif p < tail_start:
                kinds.append("shared")  # a leaf of the one model graph: the same Value for every sample
            else:
                k = p - tail_start
                in_each = [tail.nodes_tail[k] for tail in tails]
                data = np.array([leaf.data for leaf in in_each], dtype=float)
                if all(leaf is in_each[0] for leaf in in_each) and (data == data[0]).all():
                    kinds.append("shared")
                elif rules is not None:
                    kinds.append("constant")
                    columns.append(rules[k])
                else:
                    kinds.append("constant")
                    columns.append(data[groups])
        constants = np.array(columns, dtype=float).reshape(len(columns), len(rows))
        tape = cls(graph, leaves, kinds, constants, rows)
        if check_parameters:
            def build(k):
                return _Graph.split(model_part, loss_part, rows[0].tolist(), targets[firsts[k]], None).joined()

            tape._check_constants_keep_still(build, 1, first_graph, sample_index=[firsts[0]])
        return tape

    def __init__(self, graph, leaves, kinds, constants, inputs):
        """kinds: for each of graph.leaves, "input", "shared" or "constant"; constants: one row
        (a number per recorded sample) per constant leaf, in order; inputs: the recorded samples'
        numbers, one row each."""
        self.recorded = len(inputs)
        self._inputs = inputs
        input_rows, self.shared_leaves = [], []
        input_positions, shared_positions, constant_positions = [], [], []
        for j, p in enumerate(graph.leaves):
            if kinds[j] == "input":
                input_positions.append(p)
                input_rows.append(graph.input_index[p])
            elif kinds[j] == "shared":
                shared_positions.append(p)
                self.shared_leaves.append(leaves[j])
            else:
                constant_positions.append(p)
        self._input_columns = np.array(input_rows, dtype=np.intp)
        self._input_rows = None
        self._constant_positions = constant_positions  # in the recorded graph, for the nudge check
        self._constants = constants
        # constants equal in every sample can be used for samples never recorded
        self.varying_constants = int(sum((c != c[0]).any() for c in self._constants))
        shared_index = {p: j for j, p in enumerate(shared_positions)}
        plans = _plans(graph, shared_index)
        # Shared leaves read by an operation over the table (not only by matrix
        # products) get rows in it, the same number in every column.
        read = set(graph.roots)
        for plan in plans:
            if plan[0] != "matrix":
                read.update(q for operands in plan[3] for q in operands)
        in_table = [p for p in shared_positions if p in read]
        self._shared_in_table = np.array([shared_index[p] for p in in_table], dtype=np.intp)
        # Rows of the table, renumbered: the leaves by kind, then each group's
        # results together, so most rows are read and written as slices.
        order = input_positions + constant_positions + in_table
        self._leaf_rows = [len(input_positions), len(input_positions) + len(constant_positions), len(order)]
        for plan in plans:
            order += plan[2]
        row = {p: r for r, p in enumerate(order)}
        self.size = len(order)
        self.roots = [row[p] for p in graph.roots]
        needs = self._needs_grad(graph, shared_positions)
        needs = [needs[p] for p in order]  # by row
        self._groups = []
        for plan in plans:
            if plan[0] == "matrix":
                _, _, outs, inputs, weights, biases = plan
                self._groups.append(_MatrixGroup([row[p] for p in outs], [row[q] for q in inputs], weights,
                                                 biases, any(needs[row[q]] for q in inputs)))
            else:
                _, op, outs, operands = plan
                self._groups.append(_Group(op, [row[p] for p in outs],
                                           [[row[q] for q in rows] for rows in operands], needs))
        self.matrix_groups = sum(isinstance(group, _MatrixGroup) for group in self._groups)
        self._saved = None
        self._planned_for = None  # the backward pass's plan (see _gradient_table), made by the first one

    # --- running ------------------------------------------------------------------

    def forward(self, samples=None, inputs=None, shared=None):
        """The roots' values over a batch: a list with one array (one number per sample) per root.

        samples: indexes of recorded samples to run (default: every recorded
        sample). inputs: instead, new samples' numbers (one row each), for a
        tape whose recorded samples differ only in their inputs. shared: the
        shared leaves' values as an array, in ``shared_leaves`` order (default:
        each one's ``.data``).
        """
        if shared is None:
            shared = self.shared_values()
        table = self._leaf_table(samples, inputs, shared)
        self._saved = (table, shared, self._run(table, shared))
        return [table[r].copy() for r in self.roots]

    def shared_values(self):
        """The shared leaves' ``.data`` as an array, in ``shared_leaves`` order."""
        return np.array([leaf.data for leaf in self.shared_leaves], dtype=float)

    def backward(self, seeds):
        """Add d (Σ over samples of Σ seed·root) / d leaf to each shared leaf's ``.grad``.

        seeds: one number (or one per sample) for each root, as in forward();
        for the mean of a loss over the batch, 1/batch size for the loss root.
        Uses the values of the last forward(). Returns False, changing
        nothing, when a gradient is inf or nan.
        """
        totals = self.gradient(seeds)
        if totals is None:
            return False
        for leaf, total in zip(self.shared_leaves, totals.tolist()):
            leaf.grad += total
        return True

    def gradient(self, seeds):
        """The gradients backward() adds, as an array in ``shared_leaves`` order; None when one is inf or nan."""
        if self._saved is None:
            raise RuntimeError("Tape.backward() needs a forward() first")
        table, _, saved = self._saved
        grads = self._gradient_table(table.shape, tuple(_is_zero(seed) for seed in seeds))
        for r, seed, assign in zip(self.roots, seeds, self._seeds_assign):
            if assign:
                grads[r] = seed
            elif assign is not None:
                grads[r] += seed
        totals = np.zeros(len(self.shared_leaves))
        with np.errstate(all="ignore"):
            for group, locals_ in zip(reversed(self._groups), reversed(saved)):
                if group.needs:
                    group.send_back(grads, locals_, totals)
        first_shared, end = self._leaf_rows[1:]
        if end > first_shared:
            totals[self._shared_in_table] += grads[first_shared:end].sum(axis=1)
        if not np.isfinite(totals).all():
            return None
        return totals

    # --- inside ---------------------------------------------------------------------

    def _run(self, table, shared):
        """Fill the table's rows of results, group by group; what each group's backward needs."""
        saved = []
        with np.errstate(all="ignore"):  # inf and nan are looked for afterwards, by the caller
            for group in self._groups:
                saved.append(group.run(table, shared))
        return saved

    def _leaf_table(self, samples, inputs, shared):
        """The table of values, one row per node, its leaves' rows filled in."""
        if inputs is not None:
            if self.varying_constants:
                raise StructureMismatch(
                    "this graph holds constants that differ from sample to sample (targets, say), "
                    "so it replays only the samples it recorded"
                )
            rows = np.asarray(inputs, dtype=float).reshape(len(inputs), -1)
            input_rows = rows.T[self._input_columns]
            constants = self._constants[:, :1]
        else:
            pick = slice(None) if samples is None else np.asarray(samples, dtype=np.intp)
            if self._input_rows is None:  # the recorded inputs as the table's rows hold them, made once
                self._input_rows = np.ascontiguousarray(self._inputs.T[self._input_columns])
            input_rows = self._input_rows[:, pick]
            constants = self._constants[:, pick]
        table = self._buffer("_table", (self.size, input_rows.shape[1]))
        table[:self._leaf_rows[0]] = input_rows
        inputs_end, constants_end, shared_end = self._leaf_rows
        table[inputs_end:constants_end] = constants
        table[constants_end:shared_end] = shared[self._shared_in_table].reshape(-1, 1)
        return table

    def _gradient_table(self, shape, zero_seeds):
        """The table of gradients for backward, one row per node, kept from one call to the next.

        It is never zero-filled as a whole: each row a group sends gradients to
        is written (not added to) by the first group to reach it, so only rows
        that no group reaches must hold 0, and do from the start. Which rows a
        group reaches first is decided once, for the roots that get a seed.
        """
        grads = getattr(self, "_grads", None)
        if grads is None or grads.shape != shape:
            grads = self._grads = np.zeros(shape)
        elif zero_seeds != self._planned_for:
            grads.fill(0.0)
        if zero_seeds != self._planned_for:
            self._plan_backward(zero_seeds)
        if len(self._zeroed_each_step):
            grads[self._zeroed_each_step] = 0.0
        return grads

    def _plan_backward(self, zero_seeds):
        written, zeroed = np.zeros(self.size, dtype=bool), []
        self._seeds_assign = []
        for r, zero in zip(self.roots, zero_seeds):
            self._seeds_assign.append(None if zero else not written[r])
            written[r] |= not zero
        for group in reversed(self._groups):
            if group.needs:
                group.plan_back(written, zeroed)
        # rows that one group reaches first with others not yet reached: zeroed, then added to
        self._zeroed_each_step = np.array(sorted(set(zeroed)), dtype=np.intp)
        self._planned_for = zero_seeds

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

    def _check_constants_keep_still(self, build, count, first, sample_index=None):
        """Rebuild samples 0..count-1 with every shared leaf nudged: the shape and the constants must not move.

        build(k) makes recorded sample k's graph. The nudge goes up, or down
        when the rebuilt graph cannot be computed that way (a parameter at the
        edge of a log's domain): only a graph that neither way can rebuild is
        refused, as one that cannot be checked.
        """
        saved = [leaf.data for leaf in self.shared_leaves]
        try:
            for direction in (1.0, -1.0):
                for leaf, data in zip(self.shared_leaves, saved):
                    leaf.data = data * (1.0 + direction * 1e-4) + direction * 1e-4
                try:
                    graphs = [build(k) for k in range(count)]
                    break
                except (ValueError, ArithmeticError) as error:
                    if isinstance(error, StructureMismatch) or direction < 0:
                        raise StructureMismatch(
                            "the graph could not be rebuilt with its parameters nudged, to check that no "
                            f"number in it is read off a parameter's .data ({error})"
                        ) from None
        finally:
            for leaf, data in zip(self.shared_leaves, saved):
                leaf.data = data
        for k, graph in enumerate(graphs):
            first.check_same_shape(graph, k, nudged=True)
            column = k if sample_index is None else sample_index[k]
            for p, constants in zip(self._constant_positions, self._constants):
                if graph.nodes[p].data != constants[column]:
                    raise StructureMismatch(
                        f"a constant in the graph ({graph.nodes[p].data:g} in sample {column}) changes "
                        "with the parameters: the computation reads .data to decide a number"
                    )


def replay(root, changes):
    """root's value recomputed with some leaves' data replaced: ``{leaf: new data}``.

    Every operation applies its own forward rule (its rule over arrays, on
    one sample), so no ``.data`` or ``.grad`` changes. A ValueError for a
    graph with an operation that has no such rule (a learner's own, with a
    _backward function).

    One sample needs none of a tape's tables: each node's rule runs on numpy
    numbers, in topological order, and a value is dropped once its last user
    has run (a million-operation chain: 2.3 GB and 29 s on a tape).
    """
    nodes, ops, position = _walk([root])
    for leaf in changes:
        p = position.get(leaf) if isinstance(leaf, Value) else None
        if p is None or ops[p] is not _LEAF:
            raise ValueError(f"replay(): {leaf!r} is not a leaf of root's graph")
    del position
    uses = [0] * len(nodes)  # how many operations still need each value
    for _, operands in ops:
        for q in operands:
            uses[q] += 1
    values = [None] * len(nodes)
    rules = {}
    with np.errstate(all="ignore"):
        for p, (op, operands) in enumerate(ops):
            node = nodes[p]
            nodes[p] = None  # the walk's list need not keep the graph alive
            if op is None:
                values[p] = np.float64(changes.get(node, node.data))
                continue
            if op not in rules:
                exponent = power_exponent(op)
                rule, stacked = ARRAY_RULES.get(op if exponent is None else "**n", (None, False))
                if rule is None:
                    raise StructureMismatch(f"the operation {op!r} has no rule over arrays")
                rules[op] = rule, stacked, () if exponent is None else (exponent,)
            rule, stacked, extra = rules[op]
            if stacked:  # operands along axis -2, one sample along the last
                out, _ = rule(np, np.array([values[q] for q in operands]).reshape(-1, 1))
            else:
                out, _ = rule(np, *[values[q] for q in operands], *extra)
            values[p] = np.float64(np.asarray(out).reshape(-1)[0])
            for q in operands:
                uses[q] -= 1
                if not uses[q]:
                    values[q] = None
    return float(values[-1])


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
    def split(cls, model_part, loss_part, numbers, target, model):
        """The graph of loss_part(model_part(inputs), target): the model's nodes first, then the loss's.

        model: a split graph made before, whose model nodes are reused (the
        model does not run again), or None to run it.
        """
        if model is None:
            inputs = [Value(x) for x in numbers]
            result = model_part(inputs)
            model = cls.of(_flatten(result))
            model.single = isinstance(result, Value)
            for k, x in enumerate(inputs):
                p = model.position.get(x)
                if p is not None:
                    model.input_index[p] = k
        outputs = [model.nodes[p] for p in model.roots]
        roots = _flatten(loss_part(outputs[0] if model.single else outputs, target))
        nodes, ops, position = _walk_on(roots, model.position)
        graph = cls()
        graph.model = model
        graph.nodes_tail, graph.ops_tail = nodes, ops
        graph.position = _Joined(model.position, position)
        graph.roots = [graph.position[root] for root in roots]
        graph.input_index = model.input_index
        return graph

    def joined(self):
        """A split graph as a whole (its model's nodes, then its loss's): made only where needed."""
        self.nodes, self.ops = self.model.nodes + self.nodes_tail, self.model.ops + self.ops_tail
        self.leaves = [p for p, (op, _) in enumerate(self.ops) if op is None]
        return self

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


class _Joined:
    """Two dicts node -> position read as one (a split graph's model part and its loss part)."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def get(self, node, default=None):
        p = self.first.get(node)
        return self.second.get(node, default) if p is None else p

    def __getitem__(self, node):
        p = self.get(node)
        if p is None:
            raise KeyError(node)
        return p


def _walk_on(roots, known):
    """_walk for the nodes under roots that are not in known (node -> position): numbered after them.

    A loss's few nodes on top of a model's graph walked once already.
    """
    known_position, position = known.get, {}
    nodes, ops, offset = [], [], len(known)
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if node is None:
            node = stack.pop()
            if node in position:
                continue
            if node._own_operation:
                raise StructureMismatch(f"the operation {node.op!r} is a learner's own (made with Value(data, "
                                        "_children, _op)): it has no rule over arrays")
            operands = []
            for v in node.inputs:
                p = known_position(v)
                operands.append(position[v] if p is None else p)
            position[node] = offset + len(nodes)
            nodes.append(node)
            ops.append((node.op, tuple(operands)))
            continue
        if node in position or known_position(node) is not None:
            continue
        if node._x is None:
            position[node] = offset + len(nodes)
            nodes.append(node)
            ops.append(_LEAF)
            continue
        stack.append(node)
        stack.append(None)
        stack.extend(reversed(node.inputs))
    return nodes, ops, position


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
        self._destinations = None  # made by plan_back: a forward-only tape (replay) never needs them

    def run(self, table, shared):
        """Write this group's results into the table; return its local gradients."""
        out = table[self.outs]  # a view: the rule writes its results straight into the table
        if self.stacked:
            result, local = self.rule(np, table[self.operands].reshape(self.shape + (-1,)), out=out)
            locals_ = (local,)
        else:
            result, locals_ = self.rule(np, *[table[rows] for rows in self.operands], *self.extra, out=out)
        if result is not out:
            out[...] = result
        return locals_

    def plan_back(self, written, zeroed):
        """Before the first send_back: for each operand column, where its gradients go (None: nowhere wanted)."""
        if self._destinations is None:
            self._destinations = [None if rows is None else _Destination(rows) for rows in self._sent_to]
        for destination in self._destinations:
            if destination is not None:
                destination.plan(written, zeroed)

    def send_back(self, grads, locals_, shared_grads):
        """The chain rule for the whole group: each operand's grad += local gradient × upstream."""
        upstream = grads[self.outs]
        if self.stacked:
            # (m, operands, samples): each operand of a result gets local × that result's upstream
            sent = np.broadcast_to(locals_[0] * upstream[:, None, :], self.shape + upstream.shape[-1:])
            self._destinations[0].send(grads, sent.reshape(-1, upstream.shape[-1]))
            return
        for destination, local in zip(self._destinations, locals_):
            if destination is None:
                continue
            if destination.direct is not None:  # the first to reach these rows: the product goes straight in
                np.multiply(local, upstream, out=grads[destination.direct])
            else:
                destination.send(grads, local * upstream)


class _MatrixGroup:
    """Linear nodes that read the same inputs, with shared leaves for weights: Z = W @ X + b at once.

    W is a (nodes × inputs) matrix and b a vector gathered from the shared
    leaves' values, X the inputs' rows of the table (inputs × samples). The
    backward pass is the textbook's: δX = Wᵀ @ δ goes to the inputs' rows,
    δW = δ @ Xᵀ and δb = Σ δ (over the samples) to the shared leaves.
    """

    needs = True  # the weights are shared leaves: their gradient is always wanted

    def __init__(self, outs, inputs, weights, biases, inputs_need_grad):
        self.outs = slice(outs[0], outs[-1] + 1)  # renumbered to be consecutive
        self.inputs = _rows(inputs)
        self.weights = np.array(weights, dtype=np.intp)  # (nodes, inputs): positions in the shared vector
        self.biases = None if biases is None else np.array(biases, dtype=np.intp)
        # a leaf used twice in W (or in b) must have both gradients added: np.add.at does that, slowly
        self._weights_repeat = len(set(self.weights.ravel().tolist())) < self.weights.size
        self._biases_repeat = biases is not None and len(set(biases)) < len(biases)
        self._inputs_destination = _Destination(inputs) if inputs_need_grad else None

    def run(self, table, shared):
        weights = shared[self.weights]
        inputs = table[self.inputs]
        out = table[self.outs]  # a view: the product is written straight into the table
        np.matmul(weights, inputs, out=out)
        if self.biases is not None:
            out += shared[self.biases][:, None]
        return weights, inputs

    def send_back(self, grads, saved, shared_grads):
        weights, inputs = saved
        upstream = grads[self.outs]
        _add_into(shared_grads, self.weights, upstream @ inputs.T, self._weights_repeat)
        if self.biases is not None:
            _add_into(shared_grads, self.biases, upstream.sum(axis=1), self._biases_repeat)
        destination = self._inputs_destination
        if destination is None:
            return
        if destination.direct is not None:  # the first to reach the inputs' rows: the product goes straight in
            # one node (a network's output): Wᵀ @ δ is an outer product, which a broadcast multiplies faster
            (np.multiply if len(weights) == 1 else np.matmul)(weights.T, upstream, out=grads[destination.direct])
        else:
            destination.send(grads, weights.T @ upstream)

    def plan_back(self, written, zeroed):
        if self._inputs_destination is not None:
            self._inputs_destination.plan(written, zeroed)


def _add_into(vector, positions, values, repeated):
    if repeated:
        np.add.at(vector, positions, values)
    else:
        vector[positions] += values


def _plans(graph, shared):
    """How to run the operations, shallowest first: ("matrix", "linear", outs, inputs, weights, biases)
    for a layer found in the graph, ("op", op, outs, operands) for a group of one kind at one depth.

    shared: the shared leaves' positions in the graph -> their index in the shared vector.
    """
    ops = _sums_of_products_as_linear(graph, shared)
    depth = [0] * len(ops)
    depth_of = depth.__getitem__
    grouped = {}
    for p, (op, operands) in enumerate(ops):
        if op is None or op is _ABSORBED:
            continue
        # (a linear node made of a sum of products without a bias has None for it)
        depth[p] = 1 + max(map(depth_of, operands if operands[-1] is not None else operands[:-1]))
        layer = _as_layer(op, operands, shared)
        key = (depth[p], "matrix", layer[0]) if layer else (depth[p], op, len(operands))
        outs, rows = grouped.setdefault(key, ([], []))
        outs.append(p)
        rows.append(layer if layer else operands)
    plans = []
    for (_, op, inputs), (outs, rows) in sorted(grouped.items(), key=lambda item: item[0][0]):
        if op == "matrix":
            biases = [b for _, _, b in rows]
            plans.append(("matrix", "linear", outs, list(inputs), [weights for _, weights, _ in rows],
                          None if biases[0] is None else biases))
        else:
            plans.append(("op", op, outs, rows))
    return plans


_ABSORBED = "absorbed into a linear node"


def _as_layer(op, operands, shared):
    """(inputs, weight indexes, bias index) for a linear node whose weights and bias are shared leaves
    and whose inputs are not; None for any other node."""
    if op != "linear":
        return None
    weights, inputs, bias = operands[0:-1:2], operands[1:-1:2], operands[-1]
    if bias is not None and bias not in shared:
        return None
    indexes = list(map(shared.get, weights))
    if None in indexes or any(map(shared.__contains__, inputs)):
        return None
    return tuple(inputs), indexes, None if bias is None else shared[bias]


def _sums_of_products_as_linear(graph, shared):
    """The graph's (op, operands), with each sum of products written as the linear node it is.

    A ``sum`` node whose terms are products of a shared leaf and a per-sample
    value (w·x, or x·w), plus at most one shared leaf (the bias), computes what
    a ``linear`` node does; when nothing else reads those products, they are
    not computed on their own (marked absorbed). A sum of only products has
    None for a bias. The result is the same sum up to rounding.
    """
    ops = list(graph.ops)
    if not any(op == "sum" for op, _ in ops):  # nn's models: linear nodes already
        return ops
    readers = [0] * len(ops)
    for _, operands in ops:
        for q in operands:
            readers[q] += 1
    for q in graph.roots:
        readers[q] += 1
    for p, (op, operands) in enumerate(ops):
        if op != "sum":
            continue
        pairs, bias = [], None
        for q in operands:
            term_op, factors = ops[q]
            if term_op == "*" and readers[q] == 1 and len(factors) == 2:
                w, x = factors if factors[0] in shared else factors[::-1]
                if w in shared and x not in shared:
                    pairs.append((q, w, x))
                    continue
            if term_op is None and q in shared and bias is None:
                bias = q
                continue
            break
        else:
            if pairs and len(pairs) + (bias is not None) == len(operands):
                for q, _, _ in pairs:
                    ops[q] = (_ABSORBED, ops[q][1])
                linear_operands = tuple(v for _, w, x in pairs for v in (w, x)) + (bias,)
                ops[p] = ("linear", linear_operands)
    return ops


def _rows(positions):
    """A slice when positions are consecutive (a cheap view of the table), else the index array."""
    listed = positions.tolist() if isinstance(positions, np.ndarray) else list(positions)
    if listed and listed == list(range(listed[0], listed[0] + len(listed))):  # in Python: a few, mostly
        return slice(listed[0], listed[0] + len(listed))
    return np.array(listed, dtype=np.intp)


class _Destination:
    """Where a group sends gradients, one row per position, in the gradient table (positions may repeat).

    Positions that appear once get theirs in one step; the rows of a repeated
    position are summed first (a fancy += would keep only one of them). The
    first group of the backward pass to reach a row writes it, later ones add
    to it, so the table needs no zero-filling: plan() decides which, once.
    """

    def __init__(self, positions):
        positions = np.asarray(positions, dtype=np.intp)
        once = np.bincount(positions)[positions] == 1
        if once.all():
            self.single, self.repeated = (_rows(positions), None), None
        else:
            repeated = np.flatnonzero(~once)
            order = repeated[np.argsort(positions[repeated], kind="stable")]
            ordered = positions[order]
            starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
            single = np.flatnonzero(once)
            self.single = (_rows(positions[single]), _rows(single)) if len(single) else None
            self.repeated = (ordered[starts], order, starts)
        self.write_single = self.write_repeated = False
        self.direct = None

    def plan(self, written, zeroed):
        """written: for each row, has a group before this one (in the backward pass) sent it gradients?"""
        if self.single is not None:
            self.write_single = _first_to_reach(written, self.single[0], zeroed)
        if self.repeated is not None:
            self.write_repeated = _first_to_reach(written, self.repeated[0], zeroed)
        # the common case, where a product can be computed straight into the table with out=
        simple = self.repeated is None and self.single[1] is None and isinstance(self.single[0], slice)
        self.direct = self.single[0] if simple and self.write_single else None

    def send(self, grads, rows):
        if self.single is not None:
            targets, which = self.single
            part = rows if which is None else rows[which]
            if self.write_single:
                grads[targets] = part
            else:
                grads[targets] += part
        if self.repeated is not None:
            targets, order, starts = self.repeated
            summed = np.add.reduceat(rows[order], starts, axis=0)
            if self.write_repeated:
                grads[targets] = summed
            else:
                grads[targets] += summed


def _first_to_reach(written, rows, zeroed):
    """True when no row of rows has gradients yet (so they are written, not added to); marks them reached.

    Some reached and some not: the others go into zeroed, to be set to 0 before each backward pass.
    """
    rows = np.arange(len(written))[rows]
    reached = written[rows]
    written[rows] = True
    if not reached.any():
        return True
    zeroed.extend(rows[~reached].tolist())
    return False


def _is_zero(seed):
    return isinstance(seed, (int, float)) and seed == 0.0


def _leaf_kinds(graph, shared, leaf_data):
    """For each leaf of a graph recorded on every sample: "input", "shared" (the same Value, with the
    same data, in every sample) or "constant"; and the constants' rows, a number per sample."""
    kinds, columns = [], []
    for j, p in enumerate(graph.leaves):
        if p in graph.input_index:
            kinds.append("input")
        elif shared[j] and (leaf_data[:, j] == leaf_data[0, j]).all():
            kinds.append("shared")
        else:
            kinds.append("constant")
            columns.append(leaf_data[:, j])
    return kinds, np.array(columns, dtype=float).reshape(len(columns), len(leaf_data))


def _target_rules(model_part, loss_part, rows, targets, probes):
    """For an elementwise loss: each loss constant's numbers for every sample, from the targets.

    Records the loss on the three probe samples' targets; a constant equal in
    all three is fixed, else it must equal one of the target's numbers (or 1
    minus it) in all three. (A dict: position in the loss's nodes -> numbers,
    or None when a constant follows no such rule; the model's graph; the probes' graphs.)
    """
    try:
        numbers = np.array(targets, dtype=float).reshape(len(targets), -1)
    except (TypeError, ValueError, OverflowError):
        return None, None, []
    graphs, base = [], None
    for i in probes:
        graph = _Graph.split(model_part, loss_part, rows[0].tolist(), targets[i], base)
        base = graph.model
        if graphs and (graph.ops_tail != graphs[0].ops_tail or graph.roots != graphs[0].roots):
            return None, base, graphs
        graphs.append(graph)
    probed = numbers[probes]  # (3, numbers per target)
    rules = {}
    for k, (op, _) in enumerate(graphs[0].ops_tail):
        if op is not None:
            continue
        data = np.array([graph.nodes_tail[k].data for graph in graphs])
        # every rule the three probes agree with; more than one (a target's number equal in all
        # three, say) leaves the rule undecided
        fits = [np.full(len(numbers), data[0])] if (data == data[0]).all() else []
        for j in range(numbers.shape[1]):
            if (data == probed[:, j]).all():
                fits.append(numbers[:, j].copy())
            if (data == 1.0 - probed[:, j]).all():
                fits.append(1.0 - numbers[:, j])
        if len(fits) != 1:
            return None, base, graphs
        rules[k] = fits[0]
    return rules, base, graphs


def _distinct(targets):
    """(for each sample, the index of its target among the distinct ones; the first sample of each)."""
    if targets and all(type(t) is float for t in targets):  # a regression's targets: numpy sorts them out
        numbers = np.array(targets)
        if np.isfinite(numbers).all():
            _, first, inverse = np.unique(numbers, return_index=True, return_inverse=True)
            order = np.argsort(first)  # the distinct targets, numbered in the order they first appear
            rank = np.empty(len(order), dtype=np.intp)
            rank[order] = np.arange(len(order))
            return rank[inverse.reshape(-1)], first[order].tolist()
    index, firsts = {}, []
    groups = np.empty(len(targets), dtype=np.intp)
    for i, target in enumerate(targets):
        # by type too: 1 and 1.0 are equal, but a loss may take one and refuse the other
        key = (type(target), tuple(target) if isinstance(target, list) else target)
        try:
            j = index.get(key)
        except TypeError:  # unhashable: a group of its own
            key = j = None
        if key is not None and key[1] != key[1]:  # nan is not equal to itself: a group of its own
            j = None
        if j is None:
            j = len(firsts)
            if key is not None:
                index[key] = j
            firsts.append(i)
        groups[i] = j
    return groups, firsts


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
