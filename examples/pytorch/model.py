"""The seed template's `simple` model in PyTorch: a fully connected network, like src/models/simple.py
and expman's built-in model (model.hidden_units, model.activation, model.dropout)."""

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "elu": nn.ELU, "selu": nn.SELU}


class SimpleModel(nn.Module):
    def __init__(self, inputs, outputs, hidden_units=(16, 16), activation="relu", dropout=0.0):
        super().__init__()
        layers = []
        width = inputs
        for units in hidden_units:
            layers += [nn.Linear(width, units), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = units
        layers.append(nn.Linear(width, outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def build(run, inputs, outputs):
    """The model a run's config describes: [model] keys, overridable from [params]."""
    p = run.params
    return SimpleModel(
        inputs,
        outputs,
        hidden_units=p.get("hidden_units", run.get("model.hidden_units", [16, 16])),
        activation=p.get("activation", run.get("model.activation", "relu")),
        dropout=p.get("dropout", run.get("model.dropout", 0.0)),
    )
