"""Saving and loading MLPs as plain JSON data.

A state dict holds the architecture and every parameter, as data JSON can
write and read back exactly (Python writes each float with enough digits to
round-trip):

    {"format": "tracegrad.MLP", "version": 1,
     "nin": 2, "nouts": [2, 1], "activations": ["relu", "linear"],
     "weights": [[[0.4, 0.2], [0.3, 0.7]], [[0.6, 0.9]]],
     "biases": [[0.1, -0.3], [0.2]]}

Loading checks the whole thing (keys, types, shapes, finiteness, and for
load_state_dict that it fits the model) before it assigns a single parameter,
so a bad file is an error, never a half-loaded model.
"""

import json
import math
import os

from tracegrad.files import replace_file

from .shapes import ACTIVATIONS, _check_shapes, _size

__all__ = ["state_dict", "load_state_dict", "check_state", "save", "read_state", "shortened", "MAX_FILE_BYTES"]

FORMAT = "tracegrad.MLP"
VERSION = 1
_KEYS = ("format", "version", "nin", "nouts", "activations", "weights", "biases")
# A file save() writes has about 25 bytes per parameter: this allows 1.3 million
# parameters (far beyond what trains in pure Python) and bounds what load() reads.
MAX_FILE_BYTES = 32 * 1024 * 1024
_MAX_NESTING = 4  # the state dict, weights, a layer's rows, a row's numbers
_MAX_DIGITS = 1000  # in a JSON integer; a float holds at most 309


def state_dict(model):
    """The model's architecture and parameters as plain JSON-serialisable data."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "nin": model.nin,
        "nouts": model.nouts,
        "activations": model.activations,
        "weights": model.weights(),
        "biases": model.biases(),
    }


def load_state_dict(model, state):
    """Copy the parameters in ``state`` into ``model``, whose architecture must match."""
    check_state(state)
    for key in ("nin", "nouts", "activations"):
        ours, theirs = getattr(model, key), state[key]
        if ours != theirs:
            raise ValueError(
                f"state_dict does not fit this model: {key} is {theirs!r} in the state dict, "
                f"{ours!r} in the model"
            )
    # Everything is checked: only now touch the model.
    for layer, layer_weights, layer_biases in zip(model.layers, state["weights"], state["biases"]):
        for neuron, row, bias in zip(layer.neurons, layer_weights, layer_biases):
            for w, x in zip(neuron.w, row):
                w.data = float(x)
            neuron.b.data = float(bias)


def save(model, path):
    """Write the model's state dict to ``path`` as JSON, replacing the file in one step.

    A reader, a crash or a ``kill -9`` finds the old file or the new one,
    never part of one (see tracegrad.files.replace_file).
    """
    for p in model.parameters():
        if not math.isfinite(p.data):
            raise ValueError(f"cannot save a model with a non-finite parameter: {p.label or p} is {p.data}")
    data = (json.dumps(state_dict(model), indent=1, allow_nan=False) + "\n").encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(
            f"this model's file would be {len(data):,} bytes; load() reads at most {MAX_FILE_BYTES:,}"
        )
    replace_file(path, data)


def read_state(path):
    """The state dict in a file written by save(), as data (MLP.load builds the model from it).

    Whatever keeps the file from being a saved model's (more than MAX_FILE_BYTES,
    not UTF-8, not JSON, a key given twice, numbers no saved model holds) is a
    ValueError that names the file and says what.
    """
    return _read_json(path, os.fspath(path))


def _read_json(path, name):
    """The JSON data in the file at path, refusing anything a saved model cannot be."""
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"{name} is {size:,} bytes; a saved model is at most {MAX_FILE_BYTES:,}")
        data = file.read(MAX_FILE_BYTES + 1)  # a device or a pipe reports no size
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{name} is more than {MAX_FILE_BYTES:,} bytes; a saved model is at most that")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{name} is not a saved model: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_int=_whole_number)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{name} is not a saved model: invalid JSON at line {error.lineno}, "
            f"column {error.colno} ({error.msg})"
        ) from None
    except ValueError as error:  # from the two hooks
        raise ValueError(f"{name} is not a saved model: {error}") from None
    except RecursionError:  # json's reader recurses once per level of [ or {
        raise ValueError(f"{name} is not a saved model: its JSON nests too deeply to read") from None


def _unique_keys(pairs):
    """A JSON object as a dict; a key given twice is an error, not "the last one wins"."""
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {shortened(repr(key), 60)} appears twice in one object")
        result[key] = value
    return result


def _whole_number(text):
    """A JSON integer as an int; converting a huge one would take time for nothing a float can hold."""
    digits = len(text.lstrip("-"))
    if digits > _MAX_DIGITS:
        raise ValueError(f"a whole number of {digits} digits, far beyond what a float can hold")
    return int(text)


def shortened(message, limit=400):
    """message cut to limit characters: an error names the bad entry, not its megabytes."""
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _check_nesting(state):
    """Raise ValueError if lists or dicts in state nest deeper than any state dict does.

    Checked before anything else, so no later message tries to print a deeply
    nested value (or one that holds itself), which would exhaust recursion.
    """
    stack = [(state, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            inside = value.values()
        elif isinstance(value, (list, tuple)):
            inside = value
        else:
            continue
        if depth > _MAX_NESTING:
            raise ValueError(
                f"state_dict nests lists or dicts more than {_MAX_NESTING} levels deep; its deepest "
                "entries are the numbers in weights[layer][neuron][input]"
            )
        stack.extend((item, depth + 1) for item in inside)


def check_state(state):
    """Raise TypeError/ValueError naming the first key or index of ``state`` that does not fit."""
    if not isinstance(state, dict):
        raise TypeError(f"a state_dict must be a dict, got {type(state).__name__}")
    _check_nesting(state)
    missing = [key for key in _KEYS if key not in state]
    if missing:
        raise ValueError(f"state_dict is missing key {missing[0]!r} (expected keys: {', '.join(_KEYS)})")
    unexpected = [key for key in state if key not in _KEYS]
    if unexpected:
        raise ValueError(f"state_dict has unexpected key {unexpected[0]!r}")
    if state["format"] != FORMAT:
        raise ValueError(f"state_dict['format'] must be {FORMAT!r}, got {state['format']!r}")
    if state["version"] != VERSION or isinstance(state["version"], bool):
        raise ValueError(
            f"state_dict['version'] is {state['version']!r}; this tracegrad reads version {VERSION}"
        )
    nin = _size(state["nin"], "state_dict['nin']")
    nouts = state["nouts"]
    if not isinstance(nouts, list) or not nouts:
        raise TypeError(f"state_dict['nouts'] must be a non-empty list of layer sizes, got {nouts!r}")
    for i, n in enumerate(nouts):
        _size(n, f"state_dict['nouts'][{i}]")
    activations = state["activations"]
    if not isinstance(activations, list) or len(activations) != len(nouts):
        raise ValueError(
            f"state_dict['activations'] must be a list of {len(nouts)} names (one per layer), "
            f"got {activations!r}"
        )
    for i, name in enumerate(activations):
        if name not in ACTIVATIONS:
            raise ValueError(
                f"state_dict['activations'][{i}] must be one of {', '.join(map(repr, ACTIVATIONS))}, "
                f"got {name!r}"
            )
    _check_shapes(state["weights"], state["biases"], [nin] + nouts, "state_dict")
