"""Optimizers: SGD (with momentum and weight decay), Adam and AdamW, following torch.optim.

Each takes the parameter list, ``step()`` moves every parameter using its
``grad``, ``zero_grad()`` sets every grad to 0.0. A step changes ``p.data``
(plain floats) directly, so it records no graph. The updates are PyTorch's,
term for term, so the steps match ``torch.optim.SGD``/``Adam``/``AdamW`` in float64.
``lr`` is a plain attribute: set ``optimizer.lr`` between steps for a schedule.

fit()'s batched path keeps the parameters and the optimizer's state in numpy
arrays while it trains: ``_array_step`` is each optimizer's step over them,
the same operations in the same order as ``step`` (so the same numbers, bit
for bit), and ``_arrays``/``_set_arrays`` move the state between the lists and
the arrays. An optimizer of a learner's own (a subclass with its own
``step``) is stepped with ``step``, on the Values.
"""

import math
from numbers import Real

from tracegrad import Value

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


class Optimizer:
    """What every optimizer shares: the parameter list and zero_grad()."""

    def __init__(self, params, lr):
        where = type(self).__name__
        params = list(params)
        if not params:
            raise ValueError(f"{where} got an empty parameter list; pass model.parameters()")
        seen = set()
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"{where}: parameters[{i}] must be a Value, got {p!r} ({type(p).__name__})")
            if id(p) in seen:
                raise ValueError(f"{where}: parameters[{i}] {p!r} is listed twice; it would be updated twice")
            seen.add(id(p))
        self.params = params
        self.lr = _hyper(lr, "lr", where)

    def zero_grad(self):
        """Set every parameter's grad to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self):
        raise NotImplementedError

    def _has_array_step(self):
        """True when ``_array_step`` does what ``step`` does (not for a subclass with a step of its own)."""
        for cls in type(self).__mro__:
            if "step" in vars(cls):  # the class whose step runs must define the array step beside it
                return "_array_step" in vars(cls)
        return False

    def _arrays(self, np):
        """The optimizer's state as a dict of arrays, one entry per parameter, for _array_step."""
        return {}

    def _set_arrays(self, state):
        """Put state (from _arrays, after some _array_steps) back into this optimizer's lists."""

    def _array_step(self, np, data, grad, state):
        """step() over arrays: data (the parameters' values, changed in place), grad, state."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent: ``p -= lr * g``, optionally with momentum and weight decay.

    With weight decay g = grad + weight_decay·p; with momentum, a velocity
    v = momentum·v + g (v = g on the first step) replaces g (Nesterov:
    g + momentum·v). As ``torch.optim.SGD`` with dampening 0.
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, lr)
        self.momentum = _hyper(momentum, "momentum", "SGD")
        self.weight_decay = _hyper(weight_decay, "weight_decay", "SGD")
        if nesterov and self.momentum == 0.0:
            raise ValueError("SGD: nesterov=True needs a momentum > 0")
        self.nesterov = bool(nesterov)
        self.velocities = [None] * len(self.params)  # None until a parameter's first step

    def step(self):
        """Update every parameter once from its current grad."""
        lr, momentum, weight_decay = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad
            if weight_decay:
                g = g + weight_decay * p.data
            if momentum:
                v = self.velocities[i]
                v = g if v is None else momentum * v + g
                self.velocities[i] = v
                g = g + momentum * v if self.nesterov else v
            p.data -= lr * g

    def _arrays(self, np):
        started = [v is not None for v in self.velocities]
        return {"velocities": np.array([v if v is not None else 0.0 for v in self.velocities], dtype=float),
                "started": np.array(started, dtype=bool)}

    def _set_arrays(self, state):
        self.velocities = [v if started else None
                           for v, started in zip(state["velocities"].tolist(), state["started"].tolist())]

    def _array_step(self, np, data, grad, state):
        lr, momentum, weight_decay = self.lr, self.momentum, self.weight_decay
        g = grad
        if weight_decay:
            g = g + weight_decay * data
        if momentum:
            v = np.where(state["started"], momentum * state["velocities"] + g, g)
            state["velocities"], state["started"][:] = v, True
            g = g + momentum * v if self.nesterov else v
        data -= lr * g


class Adam(Optimizer):
    """Adam: a step of about lr in the direction of a running mean of gradients.

    With t the step count: m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g²
    (both start at 0), then p -= lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + eps): the
    divisions undo the zero start. Weight decay adds weight_decay·p to g, as
    ``torch.optim.Adam``; with ``decoupled_weight_decay=True`` it shrinks p
    instead (that is AdamW). ``amsgrad=True`` divides by the largest v so far.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, decoupled_weight_decay=False):
        super().__init__(params, lr)
        where = type(self).__name__
        if not isinstance(betas, (list, tuple)) or len(betas) != 2:
            raise TypeError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(_hyper(b, f"betas[{i}]", where) for i, b in enumerate(betas))
        if not all(b < 1.0 for b in self.betas):
            raise ValueError(f"{where}: betas must be in [0, 1), got {betas!r}")
        self.eps = _hyper(eps, "eps", where)
        self.weight_decay = _hyper(weight_decay, "weight_decay", where)
        self.amsgrad = bool(amsgrad)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)
        self.t = 0
        self.m = [0.0] * len(self.params)  # running mean of gradients
        self.v = [0.0] * len(self.params)  # running mean of squared gradients
        self.v_max = [0.0] * len(self.params) if self.amsgrad else None  # largest v so far

    def step(self):
        """Update every parameter once from its current grad."""
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1.0 - beta1**self.t)
        correction2 = math.sqrt(1.0 - beta2**self.t)
        eps, weight_decay, decoupled = self.eps, self.weight_decay, self.decoupled_weight_decay
        shrink = 1.0 - self.lr * weight_decay
        m, v, v_max = self.m, self.v, self.v_max
        for i, p in enumerate(self.params):
            g = p.grad
            if weight_decay:
                # Adam adds the decay to g, so it is divided by √v like the gradient
                # and pulls hardest on weights whose gradients are small; AdamW
                # shrinks every weight by the same fraction lr·weight_decay.
                if decoupled:
                    p.data *= shrink
                else:
                    g = g + weight_decay * p.data
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            second_moment = v[i]
            if v_max is not None:  # AMSGrad: a weight's step size never grows back
                second_moment = v_max[i] = max(v_max[i], second_moment)
            p.data -= step_size * (m[i] / (math.sqrt(second_moment) / correction2 + eps))

    def _arrays(self, np):
        state = {"m": np.array(self.m, dtype=float), "v": np.array(self.v, dtype=float)}
        if self.v_max is not None:
            state["v_max"] = np.array(self.v_max, dtype=float)
        return state

    def _set_arrays(self, state):
        self.m, self.v = state["m"].tolist(), state["v"].tolist()
        if "v_max" in state:
            self.v_max = state["v_max"].tolist()

    def _array_step(self, np, data, grad, state):
        # step()'s operations, in its order, on every parameter at once
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1.0 - beta1**self.t)
        correction2 = math.sqrt(1.0 - beta2**self.t)
        g = grad
        if self.weight_decay:
            if self.decoupled_weight_decay:
                data *= 1.0 - self.lr * self.weight_decay
            else:
                g = g + self.weight_decay * data
        m, v = state["m"], state["v"]
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * g * g
        second_moment = v
        if "v_max" in state:
            second_moment = np.maximum(state["v_max"], v, out=state["v_max"])
        data -= step_size * (m / (np.sqrt(second_moment) / correction2 + self.eps))


class AdamW(Adam):
    """Adam with decoupled weight decay: p -= lr·weight_decay·p, then Adam's step without decay.

    As ``torch.optim.AdamW``, including its defaults (weight_decay=1e-2);
    ``AdamW(params, weight_decay=0.0)`` is plain Adam.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)


def _hyper(x, name, where):
    """A hyperparameter as a finite float >= 0."""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{where}: {name} must be a number, got {x!r} ({type(x).__name__})")
    x = float(x)
    if not (math.isfinite(x) and x >= 0.0):
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {x}")
    return x
