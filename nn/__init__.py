"""tracegrad's neural networks, built on autograd: models, losses, optimizers, data, training.

micrograd's classes (Module, Neuron, Layer, MLP) with its public shape, so
code written for micrograd's nn runs unchanged with ``from tracegrad.nn import MLP``.
"""

from .data import DATASETS, make_circles, make_moons, make_spiral, make_squares, make_xor, toy_dataset
from .export import to_torch
from .losses import LOSSES, bce_with_logits, cross_entropy, half_squared_error, hinge, mse
from .module import ACTIVATIONS, MLP, Layer, Module, Neuron, load
from .optim import SGD, Adam, AdamW, Optimizer
from .state import load_state_dict, save, state_dict
from .train import ScalarPathWarning, StepInfo, accuracy, fit, predict

__all__ = [
    # models
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "ACTIVATIONS",
    # saving, loading, PyTorch
    "state_dict",
    "load_state_dict",
    "save",
    "load",
    "to_torch",
    # losses
    "mse",
    "half_squared_error",
    "hinge",
    "bce_with_logits",
    "cross_entropy",
    "LOSSES",
    # optimizers
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    # data
    "make_moons",
    "make_circles",
    "make_xor",
    "make_spiral",
    "make_squares",
    "toy_dataset",
    "DATASETS",
    # training
    "fit",
    "StepInfo",
    "ScalarPathWarning",
    "predict",
    "accuracy",
]
