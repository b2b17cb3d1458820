"""tracegrad's engine against micrograd 0.1.0: time and memory, in one interleaved run.

    python tests/benchmarks/bench_engine.py           # full size, about a minute
    python tests/benchmarks/bench_engine.py --quick   # toy sizes, a few seconds

Needs micrograd (``pip install -e ".[bench]"``). Every timed case runs the
libraries alternately within each repetition (the one that went first goes
last next time) and reports medians, with Python's default garbage-collector
settings. Between runs, outside the timing, gc.collect() starts each run from
a clean heap, so one library's leftover reference cycles are not collected
(and charged) during the other's run; that leaves micrograd's last cleanup
untimed, which if anything favours micrograd. The MLP case times a few
training steps back to back, so each library pays its steady-state
collection cost. Nothing here asserts on timing: it prints, you read.
"""

import argparse
import gc
import math
import random
import statistics
import sys
import time
import tracemalloc
import weakref
from pathlib import Path

try:
    import autograd  # noqa: F401  (installed with pip install -e .)
except ImportError:  # run from a checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from autograd import Value

FULL = {"chain_steps": 50_000, "sum_terms": 100_000, "samples": 100, "mlp_steps": 5, "repeats": 5}
QUICK = {"chain_steps": 300, "sum_terms": 1_000, "samples": 10, "mlp_steps": 1, "repeats": 1}
SIZES = [2, 16, 16, 1]


def _micrograd():
    """micrograd's Value and MLP classes, or a clear error."""
    try:
        from micrograd.engine import Value as MicroValue
        from micrograd.nn import MLP as MicroMLP
    except ImportError:
        raise SystemExit('this benchmark needs micrograd: pip install -e ".[bench]"') from None
    return MicroValue, MicroMLP


def _micrograd_mlp(MicroMLP, seed=1337):
    """micrograd.nn.MLP(2, [16, 16, 1]) with reproducible weights.

    micrograd draws weights from the global random generator; its state is
    put back afterwards, so nothing else in the process sees the seed.
    """
    state = random.getstate()
    random.seed(seed)
    try:
        return MicroMLP(SIZES[0], SIZES[1:])
    finally:
        random.setstate(state)


def _nn_mlp():
    """tracegrad's nn.MLP, if the nn package provides it yet."""
    try:
        import nn
    except ImportError:
        return None
    return getattr(nn, "MLP", None) if "MLP" in getattr(nn, "__all__", ()) else None


def interleaved(runs, repeats):
    """Median seconds of each run, alternating their order in every repetition.

    ``runs`` maps a name to a setup function that returns the function to time:
    inputs are made fresh for each run and dropped after it, so one library's
    objects never sit in the heap (slowing the collector) during the other's run.
    """
    names = list(runs)
    times = {name: [] for name in names}
    for rep in range(repeats):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            timed = runs[name]()
            gc.collect()  # outside the timed region: see the module docstring
            start = time.perf_counter()
            timed()
            times[name].append(time.perf_counter() - start)
            del timed
    return {name: statistics.median(t) for name, t in times.items()}


def with_recursion_limit(limit, fn):
    """fn() with sys.setrecursionlimit raised to ``limit``; micrograd's topological sort recurses."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        return fn()
    finally:
        sys.setrecursionlimit(old)


# --- the workloads, written once for any micrograd-style Value class -----------


def chain(V, steps):
    """Build y = (...(x·1.0001 + 0.001)·1.0001 + 0.001...) with 2·steps operations; backward."""
    x = V(0.5)
    y = x
    for _ in range(steps):
        y = y * 1.0001 + 0.001
    y.backward()
    return x.grad


def wide_sum(weights, inputs, value_sum=False):
    """Σ wi·xi (Python's sum, or Value.sum as one node), then backward."""
    products = [w * x for w, x in zip(weights, inputs)]
    total = Value.sum(products) if value_sum else sum(products)
    total.backward()
    return total.data


class InlineMLP:
    """micrograd's MLP over any Value class: the same nodes in the same order (b + Σ w·x, chained +)."""

    def __init__(self, layers):
        self.layers = layers  # [[(weights, bias) for each neuron] for each layer]

    @classmethod
    def like(cls, micro_model, V):
        """A copy of a micrograd.nn.MLP's parameters as V's."""
        return cls(
            [[([V(w.data) for w in n.w], V(n.b.data)) for n in layer.neurons] for layer in micro_model.layers]
        )

    def __call__(self, x):
        for k, layer in enumerate(self.layers):
            outs = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in layer]
            x = outs if k == len(self.layers) - 1 else [o.relu() for o in outs]
        return x[0]

    def parameters(self):
        return [p for layer in self.layers for w, b in layer for p in w + [b]]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0


def moons(n, seed=0):
    """Two interleaved half circles with labels -1/+1, as in micrograd's demo."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            x0, x1, label = math.cos(t), math.sin(t), 1
        else:
            x0, x1, label = 1 - math.cos(t), 0.5 - math.sin(t), -1
        xs.append([x0 + rng.gauss(0, 0.1), x1 + rng.gauss(0, 0.1)])
        ys.append(label)
    return xs, ys


def svm_loss(model, xs, ys, alpha=1e-4):
    """micrograd demo's loss: mean hinge max(0, 1 - y·score) plus alpha·Σp²."""
    scores = [model(x) for x in xs]
    losses = [(1 + -y * score).relu() for y, score in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def train_step(model, xs, ys, rate=0.05):
    """Zero grads, forward over every sample, loss, backward, SGD update; the loss as a float."""
    model.zero_grad()
    loss = svm_loss(model, xs, ys)
    loss.backward()
    for p in model.parameters():
        p.data -= rate * p.grad
    return loss.data


def graph_nodes(root):
    """The set of nodes in root's graph, walking micrograd's ``_prev`` (ours has it too) iteratively."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node._prev)
    return seen


# --- the cases ------------------------------------------------------------------


def time_cases(chain_steps, sum_terms, samples, mlp_steps, repeats):
    """Rows of (case, micrograd seconds, tracegrad seconds) and notes on how they ran.

    One function per case, so a case's graphs and leaves are gone before the
    next starts: a large live heap slows every collection, for both libraries.
    """
    rows, notes = [], []
    for case in (chain_case, sum_case, mlp_case):
        case_rows, note = case(chain_steps=chain_steps, sum_terms=sum_terms, samples=samples,
                               mlp_steps=mlp_steps, repeats=repeats)
        rows += case_rows
        notes.append(note)
    return rows, notes


def chain_case(chain_steps, repeats, **_):
    """a. a long chain."""
    MicroValue, _ = _micrograd()
    depth = 2 * chain_steps + 1000
    t = interleaved(
        {
            "micrograd": lambda: lambda: with_recursion_limit(depth, lambda: chain(MicroValue, chain_steps)),
            "tracegrad": lambda: lambda: chain(Value, chain_steps),
        },
        repeats,
    )
    same = with_recursion_limit(depth, lambda: chain(MicroValue, chain_steps)) == chain(Value, chain_steps)
    note = (
        f"a. micrograd's recursive topological sort needs sys.setrecursionlimit({depth:,}) "
        f"for this chain (raised for its runs only); tracegrad runs at the default "
        f"{sys.getrecursionlimit()}. Gradients identical: {same}."
    )
    return [(f"a. chain, {2 * chain_steps:,} ops: build + backward", t["micrograd"], t["tracegrad"])], note


def sum_case(sum_terms, repeats, **_):
    """b. a wide sum of products."""
    MicroValue, _ = _micrograd()
    rng = random.Random(1)
    data = [rng.uniform(-1, 1) for _ in range(sum_terms)]
    start = [rng.uniform(-1, 1) for _ in range(sum_terms)]
    depth = sum_terms + 1000

    def micrograd_run():
        weights = [MicroValue(w) for w in start]
        return lambda: with_recursion_limit(depth, lambda: wide_sum(weights, data))

    def tracegrad_run(value_sum):
        weights = [Value(w) for w in start]
        return lambda: wide_sum(weights, data, value_sum)

    t = interleaved(
        {
            "micrograd": micrograd_run,
            "tracegrad": lambda: tracegrad_run(False),
            "Value.sum": lambda: tracegrad_run(True),
        },
        repeats,
    )
    rows = [
        (f"b. sum of {sum_terms:,} products (Python sum)", t["micrograd"], t["tracegrad"]),
        (f"b. sum of {sum_terms:,} products (Value.sum)", t["micrograd"], t["Value.sum"]),
    ]
    return rows, f"b. Python's sum chains {sum_terms:,} + nodes: micrograd again needs a raised recursion limit."


def mlp_case(samples, mlp_steps, repeats, **_):
    """c. training steps of a 2-16-16-1 ReLU MLP with micrograd's demo loss."""
    _, MicroMLP = _micrograd()
    xs, ys = moons(samples)
    micro_model = _micrograd_mlp(MicroMLP)
    shaped = InlineMLP.like(micro_model, Value)
    first_micro, first_ours = train_step(micro_model, xs, ys), train_step(shaped, xs, ys)
    # the models are small (337 parameters each) and live throughout
    runs = {
        "micrograd": lambda: lambda: [train_step(micro_model, xs, ys) for _ in range(mlp_steps)],
        "shaped": lambda: lambda: [train_step(shaped, xs, ys) for _ in range(mlp_steps)],
    }
    NNMLP = _nn_mlp()
    if NNMLP is not None:
        try:
            nn_model = NNMLP(SIZES[0], SIZES[1:], seed=1337)
        except TypeError:  # an nn.MLP without the seed keyword
            nn_model = NNMLP(SIZES[0], SIZES[1:])
        runs["nn"] = lambda: lambda: [train_step(nn_model, xs, ys) for _ in range(mlp_steps)]
    t = {name: s / mlp_steps for name, s in interleaved(runs, repeats).items()}
    what = f"c. MLP 2-16-16-1 step, {samples} samples"
    rows = []
    if "nn" in t:
        rows.append((f"{what}, tracegrad nn.MLP", t["micrograd"], t["nn"]))
    rows.append((f"{what}, tracegrad engine, micrograd's graph shape", t["micrograd"], t["shaped"]))
    note = (
        f"c. per step, {mlp_steps} steps timed back to back; micrograd.nn.MLP against the same "
        f"weights in micrograd's graph shape: first-step losses {first_micro!r} and {first_ours!r}."
    )
    if "nn" not in t:
        note += " nn does not export MLP yet: no nn.MLP row."
    return rows, note


def memory_case(samples):
    """Peak traced bytes per node for one loss + backward, and whether the dropped graph is freed."""
    MicroValue, MicroMLP = _micrograd()
    xs, ys = moons(samples)
    micro_model = _micrograd_mlp(MicroMLP)
    models = {"micrograd": micro_model, "tracegrad": InlineMLP.like(micro_model, Value)}
    result = {}
    for name, model in models.items():
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        loss = svm_loss(model, xs, ys)
        loss.backward()
        graph_bytes, peak = tracemalloc.get_traced_memory()
        nodes = graph_nodes(loss)
        refs = [weakref.ref(node) for node in nodes if node._prev]  # parameters stay alive
        nodes = len(nodes)
        del loss
        freed_by_refcount = all(ref() is None for ref in refs)
        del refs
        # Freed tuples and floats partly stay in CPython's free lists (a fixed
        # amount, a few hundred KiB at most) until a full collection clears them.
        after_drop = tracemalloc.get_traced_memory()[0]
        gc.collect()
        after_collect = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        result[name] = {
            "nodes": nodes,
            "peak_per_node": (peak - base) / nodes,
            "graph_bytes": graph_bytes - base,
            "left_after_drop": after_drop - base,
            "left_after_collect": after_collect - base,
            "freed_by_refcount": freed_by_refcount,
        }
    return result


# --- printing -------------------------------------------------------------------


def _ms(seconds):
    return f"{seconds * 1000:,.1f} ms"


def format_report(rows, notes, memory):
    width = max(len(case) for case, _, _ in rows)
    lines = [
        f"{'case':<{width}} | {'micrograd median':>16} | {'tracegrad median':>16} | ratio",
        f"{'-' * width}-+-{'-' * 16}-+-{'-' * 16}-+------",
    ]
    for case, micro, ours in rows:
        lines.append(f"{case:<{width}} | {_ms(micro):>16} | {_ms(ours):>16} | {micro / ours:.1f}x")
    m, o = memory["micrograd"], memory["tracegrad"]
    lines += [
        "",
        f"d. memory: the MLP's loss + backward, {m['nodes']:,} nodes in micrograd, {o['nodes']:,} in tracegrad",
        f"   peak bytes per node        | micrograd {m['peak_per_node']:,.0f} B | "
        f"tracegrad {o['peak_per_node']:,.0f} B | ratio {m['peak_per_node'] / o['peak_per_node']:.1f}x",
    ]
    for name, r in memory.items():
        lines.append(
            f"   {name:<9} after del: weakrefs to its interior nodes {'all dead' if r['freed_by_refcount'] else 'ALIVE'}, "
            f"{r['left_after_drop'] / 1024:,.1f} KiB of {r['graph_bytes'] / 1024:,.1f} KiB still allocated; "
            f"after gc.collect(): {r['left_after_collect'] / 1024:,.1f} KiB"
        )
    lines += ["", "notes:"] + [f"  {note}" for note in notes]

    lines += ["", 'targets (issue "autograd"):']
    issue_measured = {"tracegrad nn.MLP": "~17x", "tracegrad engine, micrograd's graph shape": "~10x"}
    for case, micro, ours in rows:
        if case.startswith("c."):
            who = case.split(", ", 2)[-1]
            speedup = micro / ours
            lines.append(
                f"  MLP step >= 10x faster than micrograd, {who}: {speedup:.1f}x, {_met(speedup >= 10)} "
                f"(the issue measured {issue_measured[who]})"
            )
    share = o["peak_per_node"] / m["peak_per_node"]
    lines.append(f"  peak memory per node <= 1/3 of micrograd's: {share:.2f}, {_met(share <= 1 / 3)}")
    freed = o["freed_by_refcount"] and o["left_after_drop"] < 0.05 * o["graph_bytes"]
    lines.append(f"  no graph kept alive after drop: {_met(freed)}")
    return "\n".join(lines)


def _met(ok):
    return "met" if ok else "NOT met"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="toy sizes: checks that it runs")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    rows, notes = time_cases(**sizes)
    memory = memory_case(sizes["samples"])
    print(format_report(rows, notes, memory))
    print(f"\n(python {sys.version.split()[0]}, {time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
