"""tracegrad's speed and memory against micrograd 0.1.0 and PyTorch, each library in its own process.

    python tests/benchmarks/bench_engine.py            # full size, a few minutes
    python tests/benchmarks/bench_engine.py --quick    # toy sizes, seconds

Needs micrograd (``pip install -e ".[bench]"``); PyTorch rows run when torch is
installed. A user's training loop runs step after step in one process with
Python's garbage collector on, so that is how every row is measured: each
library runs in a fresh interpreter of its own (this file, ``--worker``),
builds its model and data, takes a few warm-up steps, then times steps back to
back with the collector on and untouched, and reports the median step time
and the share of the time spent in the collector (seen through gc.callbacks).
Two libraries in one process would pay for each other's garbage. Every worker
runs three times, the libraries taking turns, and the median run counts.

The step: a 2-16-16-1 ReLU MLP over 100 samples of two moons, mean squared
error, backward, plain SGD; every library starts from the same weights (drawn
as micrograd draws them after random.seed(1337)). Nothing here asserts on
timing: it prints, you read.
"""

import argparse
import gc
import json
import math
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES = [2, 16, 16, 1]
LEARNING_RATE = 0.05
FULL = {"samples": 100, "steps": {"micrograd": 6, "tracegrad": 30, "torch": 300},
        "warmup": 2, "rounds": 3, "terms": 100_000, "chain": 1_000_000}
QUICK = {"samples": 10, "steps": {"micrograd": 2, "tracegrad": 3, "torch": 3},
         "warmup": 1, "rounds": 1, "terms": 2_000, "chain": 10_000}


# --- what every library runs: data, weights, one training step ----------------------


def moons(n, seed=0):
    """Two interleaved half circles, labels -1/+1."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            x0, x1, label = math.cos(t), math.sin(t), 1.0
        else:
            x0, x1, label = 1 - math.cos(t), 0.5 - math.sin(t), -1.0
        xs.append([x0 + rng.gauss(0, 0.1), x1 + rng.gauss(0, 0.1)])
        ys.append(label)
    return xs, ys


def initial_weights(seed=1337):
    """weights[layer][neuron][input] as micrograd.nn.MLP draws them after random.seed(seed); biases 0."""
    rng = random.Random(seed)
    sizes = SIZES
    return [[[rng.uniform(-1, 1) for _ in range(sizes[i])] for _ in range(sizes[i + 1])]
            for i in range(len(sizes) - 1)]


class InlineMLP:
    """micrograd's MLP over any Value class: the same nodes in the same order (b + Σ w·x, chained +)."""

    def __init__(self, V, weights):
        self.layers = [[([V(w) for w in row], V(0.0)) for row in layer] for layer in weights]

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


def train_step(model, xs, ys):
    """A learner's hand-written step: forward, mean squared error, zero_grad, backward, SGD."""
    predictions = [model(x) for x in xs]
    loss = sum((p - y) ** 2 for p, y in zip(predictions, ys)) * (1.0 / len(ys))
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= LEARNING_RATE * p.grad
    return loss.data


# --- the workers: one library, one case, in this fresh process ------------------------


class CollectorClock:
    """Seconds spent in Python's garbage collector, measured with gc.callbacks."""

    def __init__(self):
        self.seconds, self.collections, self._started = 0.0, 0, None

    def __call__(self, phase, info):
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self.collections += 1
            self._started = None


def timed_steps(step, steps, warmup):
    """Median seconds of ``step()`` called back to back, and the collector's share of the time."""
    for _ in range(warmup):
        step()
    clock = CollectorClock()
    gc.callbacks.append(clock)
    times = []
    start = time.perf_counter()
    try:
        for _ in range(steps):
            began = time.perf_counter()
            step()
            times.append(time.perf_counter() - began)
    finally:
        gc.callbacks.remove(clock)
    total = time.perf_counter() - start
    return {"median": statistics.median(times), "gc_share": clock.seconds / total,
            "collections": clock.collections, "steps": steps}


def _micrograd_model(weights):
    from micrograd.nn import MLP
    model = MLP(SIZES[0], SIZES[1:])
    for layer, rows in zip(model.layers, weights):
        for neuron, row in zip(layer.neurons, rows):
            for w, value in zip(neuron.w, row):
                w.data = value
    return model


def worker_step(case, library, samples, steps, warmup):
    """Time one training step of ``case`` ("shape", "mlp", "fit", "fit-scalar", "torch") in ``library``."""
    xs, ys = moons(samples)
    weights = initial_weights()
    if library == "micrograd":
        if case == "shape" or case == "mlp":  # micrograd's own MLP is its graph shape
            model = _micrograd_model(weights)
            return timed_steps(lambda: train_step(model, xs, ys), steps, warmup)
    elif library == "torch":
        return _torch_step(xs, ys, weights, steps, warmup)
    else:
        from tracegrad import nn
        from tracegrad import Value
        if case == "shape":
            model = InlineMLP(Value, weights)
            return timed_steps(lambda: train_step(model, xs, ys), steps, warmup)
        model = nn.MLP.from_weights(weights, [[0.0] * len(layer) for layer in weights])
        if case == "mlp":
            return timed_steps(lambda: train_step(model, xs, ys), steps, warmup)
        return _fit_steps(nn, model, xs, ys, steps, warmup, batched=(case == "fit"))
    raise ValueError(f"no case {case!r} for {library}")


def _fit_steps(nn, model, xs, ys, steps, warmup, batched):
    """nn.fit's own step times (full batch), read off its on_step hook."""
    stamps = []
    clock = CollectorClock()
    options = {"batched": batched}
    try:
        nn.fit(model, xs[:2], ys[:2], epochs=1, progress=False, **options)
    except TypeError:  # an nn.fit before the batched path: it has only one path
        if batched:
            return None
        options = {}
    gc.callbacks.append(clock)
    start = time.perf_counter()
    try:
        nn.fit(model, xs, ys, loss="mse", optimizer=nn.SGD(model.parameters(), lr=LEARNING_RATE),
               epochs=steps + warmup, progress=False,
               on_step=lambda info: stamps.append(time.perf_counter()), **options)
    finally:
        gc.callbacks.remove(clock)
    total = time.perf_counter() - start
    durations = [b - a for a, b in zip(stamps, stamps[1:])][warmup - 1:]
    return {"median": statistics.median(durations), "gc_share": clock.seconds / total,
            "collections": clock.collections, "steps": len(durations),
            "first_step": stamps[0] - start}


def _torch_step(xs, ys, weights, steps, warmup):
    """PyTorch's batched nn.Linear layers on the whole batch, float64 like the scalar engines."""
    try:
        import torch
    except ImportError:
        return None
    layers = []
    for i, rows in enumerate(weights):
        linear = torch.nn.Linear(SIZES[i], SIZES[i + 1]).double()
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(rows, dtype=torch.float64))
            linear.bias.zero_()
        layers += [linear, torch.nn.ReLU()] if i < len(weights) - 1 else [linear]
    model = torch.nn.Sequential(*layers)
    X = torch.tensor(xs, dtype=torch.float64)
    Y = torch.tensor(ys, dtype=torch.float64)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    def step():
        loss = ((model(X).squeeze(1) - Y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return timed_steps(step, steps, warmup)


def worker_memory(library, terms, chain):
    """Peak bytes per node of a wide sum of products, built and back-propagated from nothing;
    whether the dropped graph is freed without the collector; a long chain."""
    if library == "micrograd":
        from micrograd.engine import Value
        sys.setrecursionlimit(10 * terms + 1000)  # its topological sort recurses
    else:
        from tracegrad import Value
    rng = random.Random(1)
    inputs = [rng.uniform(-1, 1) for _ in range(terms)]
    starts = [rng.uniform(-1, 1) for _ in range(terms)]
    result = {}
    for variant in ("Python sum", "Value.sum"):
        if variant == "Value.sum" and not hasattr(Value, "sum"):
            continue
        gc.collect()
        gc.disable()  # nothing but reference counting may free the graph below
        tracemalloc.start()
        weights = [Value(w) for w in starts]
        products = [w * x for w, x in zip(weights, inputs)]
        total = sum(products) if variant == "Python sum" else Value.sum(products)
        del products
        total.backward()
        _, peak = tracemalloc.get_traced_memory()
        nodes = _count_nodes(total)
        del total, weights
        # with the collector off, only reference counting can have freed the graph;
        # Values are containers the collector tracks, so gc.get_objects() lists any left
        freed = not any(type(o) is Value for o in gc.get_objects())
        tracemalloc.stop()
        gc.enable()
        result[variant] = {"nodes": nodes, "peak_per_node": peak / nodes, "freed_at_once": freed}
    if library != "micrograd":
        x = Value(0.5)
        y = x
        began = time.perf_counter()
        for _ in range(chain // 2):
            y = y * 1.0000001 + 0.0
        y.backward()
        result["chain"] = {"ops": chain, "seconds": time.perf_counter() - began,
                           "grad": x.grad, "recursion_limit": sys.getrecursionlimit()}
    return result


def _walk(root):
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node._prev)
    return seen


def _count_nodes(root):
    return len(_walk(root))


# --- the driver: every row, each library in its own process ---------------------------


def run_worker(*args, python=sys.executable):
    done = subprocess.run([python, __file__, "--worker", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


ROWS = [
    ("micrograd's graph shape (sum(w*x ..., b)) over each library's Value", "shape", "shape"),
    ("each library's own nn.MLP, a hand-written loop", "mlp", "mlp"),
    ("tracegrad nn.fit, full batch, batched path", "mlp", "fit"),
    ("tracegrad nn.fit, full batch, scalar path", "mlp", "fit-scalar"),
    ("PyTorch, batched nn.Linear (float64), for scale", "mlp", "torch"),
]


def measure(sizes):
    """Every row: (title, micrograd's result, the other library's result); and memory.

    Each worker runs ``rounds`` times, the libraries taking turns, and a row
    keeps the run with the median step time: a shared machine's speed drifts
    over minutes, and turns spread the drift over both sides of a ratio.
    """
    runs = {}  # (case, library) -> results of its rounds
    jobs = list(dict.fromkeys([(micro_case, "micrograd") for _, micro_case, _ in ROWS]
                              + [(case, "torch" if case == "torch" else "tracegrad") for _, _, case in ROWS]))
    for _ in range(sizes["rounds"]):
        for case, library in jobs:
            result = run_worker("step", case, library, sizes["samples"], sizes["steps"][library],
                                sizes["warmup"])
            runs.setdefault((case, library), []).append(result)
    median = {job: _median_run(results) for job, results in runs.items()}
    rows = [(title, median[(micro_case, "micrograd")], median[(case, "torch" if case == "torch" else "tracegrad")])
            for title, micro_case, case in ROWS]
    memory = {library: run_worker("memory", library, sizes["terms"], sizes["chain"])
              for library in ("micrograd", "tracegrad")}
    return rows, memory


def _median_run(results):
    """The run whose median step time is the median of the rounds' (None if the case is unavailable)."""
    results = sorted((r for r in results if r is not None), key=lambda r: r["median"])
    return results[len(results) // 2] if results else None


def format_report(rows, memory, samples):
    lines = [f"One training step: 2-16-16-1 ReLU MLP, {samples} samples, MSE, SGD; "
             "median step time, each library in its own process, collector on", "",
             "| row | micrograd 0.1.0 | other | speed-up | time in the collector |",
             "|---|---|---|---|---|"]
    for title, micro, ours in rows:
        if ours is None:
            lines.append(f"| {title} | {_ms(micro['median'])} | (not available) | | |")
            continue
        lines.append(f"| {title} | {_ms(micro['median'])} | {_ms(ours['median'])} | "
                     f"{micro['median'] / ours['median']:,.1f}x | micrograd {micro['gc_share']:.0%}, "
                     f"other {ours['gc_share']:.0%} |")
    torch_row = next((ours for title, _, ours in rows if title.startswith("PyTorch")), None)
    fit_row = next((ours for title, _, ours in rows if "batched path" in title), None)
    lines.append("")
    if torch_row and fit_row:
        lines.append(f"nn.fit batched step / PyTorch batched step: {fit_row['median'] / torch_row['median']:.2f} "
                     f"(nn.fit's first step, which records the graph: {_ms(fit_row['first_step'])})")
    lines += ["", "Memory: a sum of products, built from nothing (weights included) and back-propagated; "
              "peak traced bytes / nodes in the graph (weights, constants, products, sums):"]
    for variant in ("Python sum", "Value.sum"):
        cells = []
        for library in ("micrograd", "tracegrad"):
            r = memory[library].get(variant)
            if r:
                cells.append(f"{library} {r['peak_per_node']:,.0f} B/node over {r['nodes']:,} nodes, "
                             f"{'freed at once' if r['freed_at_once'] else 'NOT freed without the collector'}")
        lines.append(f"  {variant}: " + "; ".join(cells))
    chain = memory["tracegrad"].get("chain")
    if chain:
        lines.append(f"  a chain of {chain['ops']:,} operations: built and back-propagated in "
                     f"{chain['seconds']:.1f} s at the recursion limit {chain['recursion_limit']}")
    return "\n".join(lines)


def _ms(seconds):
    return f"{seconds * 1000:,.2f} ms" if seconds < 0.01 else f"{seconds * 1000:,.0f} ms"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="toy sizes: checks that it runs")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # tracegrad is imported as installed (pip install -e .): its folders map to one package
    if args.worker:
        kind, *rest = args.worker
        if kind == "step":
            case, library, samples, steps, warmup = rest
            result = worker_step(case, library, int(samples), int(steps), int(warmup))
        else:
            library, terms, chain = rest
            result = worker_memory(library, int(terms), int(chain))
        print(json.dumps(result))
        return
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    rows, memory = measure(sizes)
    print(format_report(rows, memory, sizes["samples"]))
    print(f"\n(python {sys.version.split()[0]}, {time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
