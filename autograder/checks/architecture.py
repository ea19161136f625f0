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

    def __post_init__(self):
        if not self.expects:
            object.__setattr__(self, "expects", f"exactly {self.expected} {self.layer} layer")

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
