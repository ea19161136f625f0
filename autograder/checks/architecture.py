"""Checks on the model's structure, read by the trusted side from the saved
`.keras` file (configuration and weights), never from the student's process.

Example:

    >>> from autograder.checks.architecture import LayerCount
    >>> check = LayerCount("single_conv2d", points=1, layer="Conv2D", expected=1)
    >>> check.expects
    'exactly 1 Conv2D layer'
"""

from dataclasses import dataclass, field

from autograder.checks.base import Check, Outcome


@dataclass(frozen=True)
class LayerCount(Check):
    """Exactly `expected` layers of class `layer` in every model trained,
    counted through nested models, and no other layer of its family: "one
    Conv2D" rules out a Conv3D or a DepthwiseConv2D beside or instead of it
    (see `inspect_model.FAMILIES`)."""

    layer: str = ""
    expected: int = 1
    expects: str = field(default="")

    def default_expects(self):
        return f"exactly {self.expected} {self.layer} layer"

    def evaluate(self, evidence):
        if not evidence.models:
            return Outcome(False, "", f"No model was trained{evidence.reason_suffix()}, so its {self.layer} "
                           "layers could not be counted.")
        for model in evidence.models:
            if problem := self._problem(model):
                return Outcome(False, "", problem)
        return Outcome(True, f"The model has exactly {self.expected} {self.layer} layer.", "")

    def _problem(self, model):
        if model.unverifiable:
            return (f"The model contains {', '.join(model.unverifiable)}, whose insides the grader cannot inspect, "
                    f"so its {self.layer} layers cannot be counted: use built-in Keras layers only.")
        family, _ = model.family(self.layer)
        counts = model.family_counts(self.layer)
        total = sum(counts.values())
        if counts.get(self.layer, 0) == self.expected and total == self.expected:
            return ""
        found = ", ".join(f"{count} {kind}" for kind, count in counts.items()) or f"no {family} layer"
        return f"The model has {found}; the exercise allows exactly {self.expected} {family} layer: a {self.layer}."


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
