"""Checks on the model's structure, read by the trusted side from the saved
`.keras` file (configuration and weights), never from the student's process.

Example:

    >>> from autograder.checks.architecture import LayerCount
    >>> check = LayerCount("single_conv2d", points=1, layer="Conv2D", expected=1)
    >>> check.expects
    'exactly 1 Conv2D layer'
"""

from dataclasses import dataclass, field

from .base import Check, Outcome


@dataclass(frozen=True)
class LayerCount(Check):
    """Exactly `expected` layers of class `layer`, counted through nested models.

    A `Conv2D` hidden where the configuration does not show it (inside a
    custom layer) is still counted through its 4-D kernel in the weights file.
    """

    layer: str = ""
    expected: int = 1
    expects: str = field(default="")

    def default_expects(self):
        return f"exactly {self.expected} {self.layer} layer"

    def evaluate(self, evidence):
        model = evidence.model
        if model is None:
            return Outcome(False, "", f"No model was saved{evidence.reason_suffix()}, so its {self.layer} "
                           "layers could not be counted.")
        if model.unverifiable:
            return Outcome(False, "", f"The model contains {', '.join(model.unverifiable)}, whose insides the "
                           f"grader cannot inspect, so its {self.layer} layers cannot be counted: use built-in "
                           "Keras layers only.")
        found = model.count(self.layer)
        return Outcome(
            found == self.expected,
            f"The model has exactly {self.expected} {self.layer} layer.",
            f"The model has {found} {self.layer} layers; the exercise allows exactly {self.expected}.",
        )


@dataclass(frozen=True)
class LayersMatch(Check):
    """The model's layers of the classes in `layers`, in order, are exactly
    `layers`: each a (class, output shape without the batch size, activation
    or None for any). Read from the model the grader loaded."""

    layers: tuple = ()

    def evaluate(self, evidence):
        model = evidence.model
        if model is None or not model.layers:
            return Outcome(False, "", f"No model could be read{evidence.reason_suffix()}"
                           f"{': ' + model.load_error if model and model.load_error else ''}.")
        if model.unverifiable:
            return Outcome(False, "", f"The model contains {', '.join(model.unverifiable)}, which the grader "
                           "cannot inspect: use built-in Keras layers only.")
        classes = {layer[0] for layer in self.layers}
        found = [layer for layer in model.layers if layer["class"] in classes]
        wanted = " -> ".join(describe(*layer) for layer in self.layers)
        have = " -> ".join(describe(layer["class"], tuple(layer["output_shape"][1:]), layer["activation"])
                           for layer in found) or "none"
        return Outcome(len(found) == len(self.layers) and all(map(matches, found, self.layers)),
                       f"Found {wanted}.", f"Expected {wanted}; your model has {have}.")


def matches(layer, expected):
    kind, shape, activation = expected
    return (layer["class"] == kind and tuple(layer["output_shape"][1:]) == tuple(shape)
            and (activation is None or layer["activation"] == activation))


def describe(kind, shape, activation=None):
    size = "x".join(str(side) for side in shape)
    return f"{kind} {size}" + (f" ({activation})" if activation else "")
