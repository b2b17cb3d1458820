"""Module, Neuron, Layer, MLP: micrograd's model classes, plus what a learner needs next.

The public shape is micrograd's (``mlp.layers[i].neurons[j].w[k]``, ``.b``,
``parameters()``, ``zero_grad()``), so code written for micrograd's nn runs
unchanged. Added here: an activation per model or layer, seeded initialisation,
models built from explicit weights, and labels on every parameter and neuron
output, so a drawn graph reads like a textbook figure:

    mlp.layers[0].neurons[1].w[0]   is labelled  "L1.N1.w0"   (layers from 1, like W1, b1)
    mlp.layers[0].neurons[1].b      is labelled  "L1.N1.b"
    that neuron's weighted sum      is labelled  "L1.N1.z"    (one Value.linear node, set on every call)
    its activated output            is labelled  "L1.N1.a"    (only when it has an activation)

Saving and loading are in state.py, conversion to PyTorch in export.py.
"""

import math
import os
import random

from tracegrad import Value

from . import export, state
from .shapes import (_ACTIVATION_FUNCTIONS, ACTIVATIONS, _check_shapes, _number, _numbers, _rows, _size,
                     _sizes_from_weights)

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "load"]


# How repr names a neuron; "ReLUNeuron(2)" and "LinearNeuron(2)" are micrograd's.
_REPR_NAMES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}


def _shared_inputs(x):
    """x with plain numbers wrapped as Values labelled x0, x1, ..., once per call.

    Every neuron of the first layer then reads the same input node, as in a
    textbook figure, instead of wrapping its own copy of each number.
    Anything that is not a list or tuple is left for the neuron to refuse.
    """
    if not isinstance(x, (list, tuple)) or all(isinstance(v, Value) for v in x):
        return x
    inputs = []
    for k, v in enumerate(x):
        if isinstance(v, Value):
            inputs.append(v)
            continue
        try:
            inputs.append(Value(v, label=f"x{k}"))
        except (TypeError, ValueError, OverflowError) as error:
            raise type(error)(f"input {k} of the model: {error}") from None
    return inputs


class Module:
    """Anything with parameters: ``parameters()`` lists them, ``zero_grad()`` resets their grads."""


    def zero_grad(self):
        """Set every parameter's grad to 0.0 (gradients accumulate until you do)."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self):
        """Every trainable Value of this module, in a fixed order."""
        return []


class Neuron(Module):
    """One neuron: ``activation(w · x + b)`` for an input x of ``nin`` numbers or Values.

    ``nonlin=True`` (micrograd's switch) means ReLU, ``False`` linear; ``activation``
    names one of ACTIVATIONS instead. Weights start uniform in [-1, 1], bias 0.
    The weights are drawn from ``rng`` if given, else from ``random.Random(seed)``,
    else, as in micrograd, from Python's global ``random`` module, so
    ``random.seed(1337)`` first gives micrograd's weights. ``weights``/``bias`` set
    them explicitly. ``name`` prefixes the labels ("N.w0", "N.b", "N.z", "N.a").
    """


    def __init__(self, nin, nonlin=True, *, activation=None, seed=None, rng=None,
                 weights=None, bias=None, name="N"):
        nin = _size(nin, "Neuron: nin")
        if activation is None:
            activation = "relu" if nonlin else "linear"
        elif not nonlin and activation != "linear":
            raise ValueError(
                f"Neuron: nonlin=False means a linear neuron, but activation={activation!r}; "
                "give only one of them"
            )
        self._activation = _check_activation(activation, "Neuron")
        self._apply = _ACTIVATION_FUNCTIONS[activation]
        self.name = name
        if weights is None:
            rng = _rng(seed, rng, "Neuron")
            weights = [rng.uniform(-1.0, 1.0) for _ in range(nin)]
        else:
            weights = _numbers(weights, nin, f"Neuron {name}: weights")
        bias = 0.0 if bias is None else _number(bias, f"Neuron {name}: bias")
        # Labels are formatted once here, never in the forward pass (the hot path).
        self.w = [Value(wk, label=f"{name}.w{k}") for k, wk in enumerate(weights)]
        self.b = Value(bias, label=f"{name}.b")
        self._z_label = f"{name}.z"
        self._a_label = f"{name}.a"

    @classmethod
    def from_weights(cls, weights, bias, *, activation="relu", name="N"):
        """A neuron with the given weights (a list of numbers) and bias."""
        if not isinstance(weights, (list, tuple)) or not weights:
            raise ValueError(f"Neuron.from_weights: weights must be a non-empty list, got {weights!r}")
        return cls(len(weights), activation=activation, weights=weights, bias=bias, name=name)

    def __call__(self, x):
        w = self.w
        try:
            n = len(x)
        except TypeError:
            raise TypeError(
                f"neuron {self.name} takes a list of {len(w)} inputs, got {x!r} ({type(x).__name__})"
            ) from None
        if n != len(w):
            raise ValueError(f"neuron {self.name} takes {len(w)} inputs, got {n}")
        # One node for w·x + b, network_221's z = W·x + b: its backward pass reads
        # grad(w) += x · grad(z), the post's ∂C/∂W = δ·x, and it is a few times
        # faster than a product node per weight and a sum.
        z = Value.linear(w, x, self.b)
        z.label = self._z_label
        if self._apply is None:
            return z
        a = self._apply(z)
        a.label = self._a_label
        return a

    @property
    def activation(self):
        """The activation's name: one of ACTIVATIONS."""
        return self._activation

    @property
    def nonlin(self):
        """micrograd's flag: True unless the neuron is linear."""
        return self._activation != "linear"

    @nonlin.setter
    def nonlin(self, on):
        # micrograd's nonlin is a plain attribute, so code written for it may switch it
        activation = "relu" if on else "linear"
        self._activation, self._apply = activation, _ACTIVATION_FUNCTIONS[activation]

    def parameters(self):
        return self.w + [self.b]

    def weights(self):
        """The weights as plain floats."""
        return [wk.data for wk in self.w]

    def bias(self):
        """The bias as a plain float."""
        return self.b.data

    def __repr__(self):
        return f"{_REPR_NAMES[self._activation]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; extra keywords go to each Neuron.

    Called on an input, it returns one Value when ``nout == 1``, a list otherwise
    (as micrograd). Initial weights are drawn neuron by neuron, as Neuron draws
    them (``seed``, ``rng``, else the global ``random``). ``weights`` (one row of
    ``nin`` numbers per neuron) and ``biases`` set the parameters explicitly.
    Neuron j is named ``f"{name}.N{j}"``.
    """


    def __init__(self, nin, nout, *, seed=None, rng=None, weights=None, biases=None,
                 name="L", **kwargs):
        nin = _size(nin, "Layer: nin")
        nout = _size(nout, "Layer: nout")
        if weights is None:
            rng = _rng(seed, rng, "Layer")
            weights = [None] * nout
        else:
            weights = _rows(weights, nout, nin, f"Layer {name}: weights")
        biases = [None] * nout if biases is None else _numbers(biases, nout, f"Layer {name}: biases")
        self.neurons = [
            Neuron(nin, rng=rng, weights=weights[j], bias=biases[j], name=f"{name}.N{j}", **kwargs)
            for j in range(nout)
        ]

    @classmethod
    def from_weights(cls, weights, biases, *, activation="relu", name="L"):
        """A layer with weight rows ``weights`` (one per neuron) and ``biases``."""
        if not isinstance(weights, (list, tuple)) or not weights or not isinstance(weights[0], (list, tuple)):
            raise ValueError(
                f"Layer.from_weights: weights must be a non-empty list of rows, got {weights!r}"
            )
        return cls(len(weights[0]), len(weights), weights=weights, biases=biases,
                   activation=activation, name=name)

    def __call__(self, x):
        x = _shared_inputs(x)
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    @property
    def nin(self):
        return len(self.neurons[0].w)

    @property
    def nout(self):
        return len(self.neurons)

    @property
    def activation(self):
        """The activation shared by all neurons (ValueError if they were mixed by hand)."""
        names = {n.activation for n in self.neurons}
        if len(names) != 1:
            raise ValueError(f"this layer's neurons have different activations: {sorted(names)}")
        return names.pop()

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def weights(self):
        """The weights as plain floats: one row per neuron."""
        return [n.weights() for n in self.neurons]

    def biases(self):
        """The biases as plain floats: one per neuron."""
        return [n.b.data for n in self.neurons]

    def __repr__(self):
        names = sorted({n.activation for n in self.neurons})
        activation = names[0] if len(names) == 1 else names
        return f"Layer({self.nin}, {self.nout}, activation={activation!r})"


class MLP(Module):
    """Layers of neurons, each layer reading the previous one's outputs.

    ``MLP(2, [16, 16, 1])`` has layers 2→16, 16→16, 16→1. Hidden layers use
    ``activation`` (default ReLU), the last ``output_activation`` (default
    linear), as micrograd; or ``activation`` may list one name per layer.
    Called on ``nin`` numbers or Values it returns a Value when the last layer
    has one neuron, a list otherwise. Layer i (from 0) is named ``f"L{i + 1}"``.
    Initial weights are drawn layer by layer, neuron by neuron, as micrograd
    draws them: from ``rng``, else ``random.Random(seed)``, else the global
    ``random`` module (``random.seed(1337); MLP(2, [16, 16, 1])`` is micrograd's model).
    """


    def __init__(self, nin, nouts, *, activation="relu", output_activation="linear", seed=None,
                 rng=None, weights=None, biases=None):
        nin = _size(nin, "MLP: nin")
        if not isinstance(nouts, (list, tuple)) or not nouts:
            raise TypeError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        nouts = [_size(n, f"MLP: nouts[{i}]") for i, n in enumerate(nouts)]
        activations = _layer_activations(activation, output_activation, len(nouts))
        sizes = [nin] + nouts
        if weights is None:
            rng = _rng(seed, rng, "MLP")
            weights = biases_ = [None] * len(nouts)
        else:
            rng = None
            _check_shapes(weights, biases, sizes, "MLP")
            biases_ = biases
        self.layers = [
            Layer(sizes[i], sizes[i + 1], rng=rng, weights=weights[i], biases=biases_[i],
                  activation=activations[i], name=f"L{i + 1}")
            for i in range(len(nouts))
        ]

    @classmethod
    def from_weights(cls, weights, biases, *, activation="relu", output_activation="linear"):
        """An MLP with explicit parameters: ``weights[i][j][k]`` is layer i, neuron j, input k.

        ``biases[i][j]`` is neuron j's bias in layer i. Layer sizes are read off
        the shapes, e.g. the 2-2-1 network of the blog post "The Beginning of Humanity's Last Invention":
        ``MLP.from_weights([[[0.4, 0.2], [0.3, 0.7]], [[0.6, 0.9]]], [[0.1, -0.3], [0.2]])``.
        """
        sizes = _sizes_from_weights(weights, "MLP.from_weights")
        return cls(sizes[0], sizes[1:], activation=activation,
                   output_activation=output_activation, weights=weights, biases=biases)

    def __call__(self, x):
        x = _shared_inputs(x)
        for layer in self.layers:
            x = [n(x) for n in layer.neurons]
        return x[0] if len(x) == 1 else x

    @property
    def nin(self):
        return self.layers[0].nin

    @property
    def nouts(self):
        """The layer sizes, as given to the constructor."""
        return [layer.nout for layer in self.layers]

    @property
    def activations(self):
        """One activation name per layer."""
        return [layer.activation for layer in self.layers]

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def weights(self):
        """The weights as plain floats: ``weights()[i][j][k]`` as in from_weights."""
        return [layer.weights() for layer in self.layers]

    def biases(self):
        """The biases as plain floats: ``biases()[i][j]`` as in from_weights."""
        return [layer.biases() for layer in self.layers]

    def __repr__(self):
        sizes = " -> ".join(str(n) for n in [self.nin] + self.nouts)
        lines = [f"MLP({sizes}, {len(self.parameters())} parameters)"]
        lines += [f"  L{i + 1}: {layer!r}" for i, layer in enumerate(self.layers)]
        return "\n".join(lines)

    # Saving, loading and PyTorch export live in their own modules; these
    # methods are the short way to reach them from a model.

    def state_dict(self):
        """Architecture and parameters as plain JSON-serialisable data."""
        return state.state_dict(self)

    def load_state_dict(self, state_dict):
        """Copy parameters from ``state_dict``; checks everything first, so it never half-loads."""
        state.load_state_dict(self, state_dict)

    @classmethod
    def from_state_dict(cls, state_dict):
        """A new MLP built from a state_dict()."""
        state.check_state(state_dict)
        return cls(state_dict["nin"], state_dict["nouts"], activation=state_dict["activations"],
                   weights=state_dict["weights"], biases=state_dict["biases"])

    def save(self, path):
        """Write state_dict() to ``path`` as JSON."""
        state.save(self, path)

    @classmethod
    def load(cls, path):
        """A new MLP read from a file written by save().

        Whatever is wrong with the file's contents (more than state.MAX_FILE_BYTES,
        not UTF-8, not JSON, a key given twice, nesting or numbers no saved model
        holds, a wrong shape) is a ValueError that names the file and says what.
        """
        name = os.fspath(path)
        state_dict = state.read_state(path)
        try:
            return cls.from_state_dict(state_dict)
        except (TypeError, ValueError) as error:
            raise ValueError(state.shortened(f"{name}: {error}")) from None

    def to_torch(self):
        """An equivalent ``torch.nn.Sequential`` in float64 (needs PyTorch)."""
        return export.to_torch(self)


# --- argument checks ----------------------------------------------------------


def _check_activation(name, where):
    if name not in _ACTIVATION_FUNCTIONS:
        raise ValueError(
            f"{where}: activation must be one of {', '.join(map(repr, ACTIVATIONS))}, got {name!r}"
        )
    return name


def _layer_activations(activation, output_activation, nlayers):
    """One activation name per layer from MLP's two arguments."""
    if isinstance(activation, (list, tuple)):
        if output_activation != "linear":
            raise ValueError(
                "MLP: give either a list with one activation per layer or output_activation, not both"
            )
        if len(activation) != nlayers:
            raise ValueError(
                f"MLP: activation lists {len(activation)} names for {nlayers} layers"
            )
        names = list(activation)
    else:
        _check_activation(activation, "MLP")  # even when there is no hidden layer to use it
        names = [activation] * (nlayers - 1) + [output_activation]
    return [_check_activation(a, "MLP") for a in names]


def _rng(seed, rng, where):
    """The generator to draw initial weights from: rng, else random.Random(seed), else global random.

    With neither, the draws come from Python's global generator, as micrograd's
    do (and as PyTorch's come from the generator torch.manual_seed seeds), so
    random.seed(n) makes them repeatable. A seed or rng is private: it neither
    reads nor moves the global generator.
    """
    if rng is not None:
        if seed is not None:
            raise ValueError(f"{where}: give seed or rng, not both")
        if not callable(getattr(rng, "uniform", None)):
            raise TypeError(
                f"{where}: rng must be a random.Random (anything with uniform(a, b)), "
                f"got {rng!r} ({type(rng).__name__})"
            )
        return rng
    if seed is None:
        return random  # the module's uniform() draws from the global generator
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{where}: seed must be an int or None, got {seed!r} ({type(seed).__name__})")
    return random.Random(seed)


def load(path):
    """A new MLP read from a file written by save() (MLP.load)."""
    return MLP.load(path)
