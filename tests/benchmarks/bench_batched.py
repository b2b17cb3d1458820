"""nn.fit's batched path against PyTorch eager and a numpy floor, each engine in its own process.

    python tests/benchmarks/bench_batched.py            # the four workloads, 3 rounds, a few minutes
    python tests/benchmarks/bench_batched.py --quick    # fewer epochs, 1 round, seconds
    python tests/benchmarks/bench_batched.py --before DIR   # also an older tracegrad, importable from DIR

The workloads (issue 20): full-batch training of ReLU MLPs in float64, mean
squared error, plain SGD with lr 0.01; inputs uniform in [-2, 2], targets a
smooth function of them; every engine starts from the same weights.

- tracegrad: ``nn.fit(..., batched=None, progress=False)``.
- torch: PyTorch eager, ``nn.Sequential`` of ``Linear`` and ``ReLU``, ``torch.optim.SGD``.
- numpy: the floor, the same MLP written by hand with one matrix product per
  layer forward and two backward: what an array program can do.

Each (engine, workload) runs in a fresh interpreter (this file, ``--worker``)
whose environment pins every BLAS to one thread. The worker times W epochs and,
on a fresh model, E + W epochs; the time per step is the difference over E,
which leaves out whatever a run pays once (imports, tracegrad's recording).
Times are the worker's CPU time (``time.process_time``, every thread of the
process), which other jobs on a shared machine inflate much less than the wall
clock, since waiting for a core is not counted (``--wall`` for the wall clock).
The rounds take turns between the engines and the median round counts; the
spread (lowest to highest of the rounds) is printed beside it. The worker
also reports its peak resident size (``ru_maxrss``) and the one-off cost of a
run: the time of one epoch of a fresh run beyond one step, the median of 5
(for tracegrad, fit's: the model and optimizer are made before the clock starts). Nothing here asserts on
timing: it prints, you read. On a shared machine the numbers move from run to
run: read the ratios, which compare engines measured in the same minutes.
"""

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time

# name -> (layer sizes, samples, timed epochs E, warm-up epochs W)
WORKLOADS = {
    "network_221, 4 samples": ([2, 2, 1], 4, 4000, 200),
    "2-16-16-1, 100 samples": ([2, 16, 16, 1], 100, 2000, 100),
    "2-16-16-1, 1,000 samples": ([2, 16, 16, 1], 1000, 600, 30),
    "8-64-64-1, 500 samples": ([8, 64, 64, 1], 500, 300, 20),
}
ENGINES = ("tracegrad", "torch", "numpy", "before")
# the worker's CPU time: on a machine shared with other jobs, the wall clock also counts the
# time the worker waited for a core (--wall: the wall clock instead)
CLOCK = time.process_time
LEARNING_RATE = 0.01
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS",
                                     "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


# --- what every engine trains: the same data and the same first weights -----------------


def data(sizes, samples, seed=0):
    """Inputs uniform in [-2, 2]; the target a smooth function of them."""
    rng = random.Random(seed)
    X = [[rng.uniform(-2.0, 2.0) for _ in range(sizes[0])] for _ in range(samples)]
    y = [math.sin(x[0]) + 0.5 * math.cos(sum(x[1:])) for x in X]
    return X, y


def initial_weights(sizes, seed=1):
    """weights[layer][neuron][input] uniform in ±1/√fan-in, biases 0.1 (network_221's numbers)."""
    if sizes == [2, 2, 1]:
        return [[[0.4, 0.2], [0.3, 0.7]], [[0.6, 0.9]]], [[0.1, -0.3], [0.2]]
    rng = random.Random(seed)
    weights = [[[rng.uniform(-1.0, 1.0) / math.sqrt(fan_in) for _ in range(fan_in)] for _ in range(fan_out)]
               for fan_in, fan_out in zip(sizes, sizes[1:])]
    biases = [[0.1] * fan_out for fan_out in sizes[1:]]
    return weights, biases


# --- one engine: a function train(epochs) that trains a fresh model -------------------


def tracegrad_trainer(sizes, X, y):
    from tracegrad import nn

    weights, biases = initial_weights(sizes)

    def make():
        model = nn.MLP.from_weights(weights, biases)
        return model, nn.SGD(model.parameters(), lr=LEARNING_RATE)

    def train(epochs, made=None):
        model, optimizer = made or make()
        nn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=epochs, progress=False)
        return model

    train.make = make  # the model and optimizer, made apart from fit (the one-off cost is fit's own)
    return train


def torch_trainer(sizes, X, y):
    import torch

    torch.set_num_threads(1)
    weights, biases = initial_weights(sizes)
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor(y, dtype=torch.float64).reshape(-1, 1)

    def train(epochs):
        layers = []
        for k, (w, b) in enumerate(zip(weights, biases)):
            linear = torch.nn.Linear(len(w[0]), len(w), dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.tensor(w, dtype=torch.float64))
                linear.bias.copy_(torch.tensor(b, dtype=torch.float64))
            layers.append(linear)
            if k < len(weights) - 1:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers)
        optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
        for _ in range(epochs):
            optimizer.zero_grad()
            loss = ((model(inputs) - targets) ** 2).mean()
            loss.backward()
            optimizer.step()
        return model

    return train


def numpy_trainer(sizes, X, y):
    import numpy as np

    weights, biases = initial_weights(sizes)
    inputs = np.array(X, dtype=float)
    targets = np.array(y, dtype=float).reshape(-1, 1)

    def train(epochs):
        W = [np.array(w, dtype=float) for w in weights]
        b = [np.array(v, dtype=float) for v in biases]
        last = len(W) - 1
        for _ in range(epochs):
            activations = [inputs]
            for k in range(len(W)):
                z = activations[-1] @ W[k].T + b[k]
                activations.append(z if k == last else np.maximum(z, 0.0))
            out = activations[-1]
            delta = 2.0 * (out - targets) / len(out)  # d mean((out - y)²) / d out
            for k in range(last, -1, -1):
                grad_W, grad_b = delta.T @ activations[k], delta.sum(axis=0)
                if k:
                    delta = (delta @ W[k]) * (activations[k] > 0.0)
                W[k] -= LEARNING_RATE * grad_W
                b[k] -= LEARNING_RATE * grad_b
        return W, b

    return train


# "before": tracegrad from another directory (--before), to compare two versions in the same minutes
TRAINERS = {"tracegrad": tracegrad_trainer, "torch": torch_trainer, "numpy": numpy_trainer,
            "before": tracegrad_trainer}


def worker(engine, workload, epochs, warmup):
    """In this process: per-step time, one-off time and peak RSS of one engine on one workload."""
    sizes, samples, _, _ = WORKLOADS[workload]
    X, y = data(sizes, samples)
    train = TRAINERS[engine](sizes, X, y)
    train(1)  # what any first call pays (PyTorch's lazy set-up, imports) is nobody's step

    def timed(count):
        made = (train.make(),) if hasattr(train, "make") else ()
        start = CLOCK()
        train(count, *made)
        return CLOCK() - start

    short = timed(warmup)
    long = timed(warmup + epochs)
    per_step = (long - short) / epochs
    # the first epoch's extra cost: one epoch of a fresh run beyond a step (W epochs beyond W
    # steps would add W times the error of the step's time)
    once = statistics.median(timed(1) for _ in range(5)) - per_step
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {"per_step": per_step, "once": once, "peak_mb": peak_kb / 1024}


def run_worker(engine, workload, epochs, warmup, before=None, wall=False):
    env = dict(os.environ, **ONE_THREAD)
    if engine == "before":
        env["PYTHONPATH"] = before
    done = subprocess.run([sys.executable, __file__, "--worker", engine, workload, str(epochs), str(warmup)]
                          + (["--wall"] if wall else []), capture_output=True, text=True, env=env)
    if done.returncode:
        raise RuntimeError(f"the {engine} worker failed on {workload}:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


# --- the report --------------------------------------------------------------------------


def measure(rounds, quick, engines, before=None, wall=False):
    results = {}
    for workload, (_, _, epochs, warmup) in WORKLOADS.items():
        if quick:
            epochs, warmup = max(10, epochs // 20), max(2, warmup // 20)
        runs = {engine: [] for engine in engines}
        for _ in range(rounds):  # the engines take turns, so a busy minute hits them all
            for engine in engines:
                runs[engine].append(run_worker(engine, workload, epochs, warmup, before, wall))
        results[workload] = runs
    return results


def summary(runs):
    steps = [run["per_step"] for run in runs]
    return {"median": statistics.median(steps), "low": min(steps), "high": max(steps),
            "once": statistics.median(run["once"] for run in runs),
            "peak_mb": max(run["peak_mb"] for run in runs)}


def us(seconds):
    return f"{seconds * 1e6:,.0f} µs" if seconds >= 1e-5 else f"{seconds * 1e6:.1f} µs"


def format_report(results):
    with_before = any("before" in runs for runs in results.values())
    lines = ["| workload | tracegrad `nn.fit` | PyTorch eager | numpy floor | tracegrad / torch | "
             "tracegrad / numpy |" + (" before (--before) | before / numpy |" if with_before else ""),
             "|---|---|---|---|---|---|" + ("---|---|" if with_before else "")]
    details = []
    for workload, runs in results.items():
        s = {engine: summary(r) for engine, r in runs.items()}
        cells = [f"{us(s[e]['median'])} ({us(s[e]['low'])}–{us(s[e]['high'])})" if e in s else "–"
                 for e in ENGINES[:3]]
        ratios = [f"{s['tracegrad']['median'] / s[e]['median']:.2f}" if "tracegrad" in s and e in s else "–"
                  for e in ("torch", "numpy")]
        if with_before:
            cells_before = [f"{us(s['before']['median'])} ({us(s['before']['low'])}–{us(s['before']['high'])})",
                            f"{s['before']['median'] / s['numpy']['median']:.2f}" if "numpy" in s else "–"]
        else:
            cells_before = []
        lines.append(f"| {workload} | " + " | ".join(cells + ratios + cells_before) + " |")
        for engine in ("tracegrad", "before"):
            if engine in s:
                details.append(f"{workload}: {engine}'s one-off cost (recording) {s[engine]['once'] * 1e3:.1f} ms "
                               f"= {s[engine]['once'] / s[engine]['median']:.0f} steps")
        peaks = ", ".join(f"{e} {s[e]['peak_mb']:.0f} MB" for e in ENGINES if e in s)
        details.append(f"{workload}: peak resident size {peaks}")
    return "\n".join(lines + [""] + details)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs, one round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engines", default=",".join(ENGINES), help="a comma-separated subset of "
                        + ", ".join(ENGINES))
    parser.add_argument("--before", metavar="DIR", help="also time the tracegrad importable from DIR "
                        "(a directory holding a tracegrad package), as engine 'before'")
    parser.add_argument("--wall", action="store_true", help="time with the wall clock, not CPU time")
    parser.add_argument("--worker", nargs=4, metavar=("ENGINE", "WORKLOAD", "EPOCHS", "WARMUP"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        global CLOCK
        CLOCK = time.perf_counter if args.wall else CLOCK
        engine, workload, epochs, warmup = args.worker
        print(json.dumps(worker(engine, workload, int(epochs), int(warmup))))
        return
    engines = [e for e in args.engines.split(",") if e and e != "before"]
    if args.before:
        engines.append("before")
    load = os.getloadavg()[0]
    results = measure(1 if args.quick else args.rounds, args.quick, engines, args.before, args.wall)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load:.1f} before the run, "
          f"{os.getloadavg()[0]:.1f} after; {'wall-clock' if args.wall else 'CPU'} time per step, median of the "
          "rounds (lowest–highest)")
    print(format_report(results))


if __name__ == "__main__":
    main()
