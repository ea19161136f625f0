"""A check of the student's "journey of an image" function: the activations
of one filter after each convolution and pooling layer, against the grader's
own computation on the same trained model (loaded on the trusted side).

Example:

    >>> from autograder.checks.activations import ActivationsMatch
    >>> from autograder.spec import Call
    >>> call = Call("journey", "layer_activations", ("$model", "images", "filter_index"))
    >>> ActivationsMatch("activations_match", points=2, call=call, expects="...").layers
    4
"""

from dataclasses import dataclass

import numpy as np

from autograder.checks.arrays import call_arguments, returned
from autograder.checks.base import Check, Outcome
from autograder.evidence.inspect_model import describe_error, feature_maps

KINDS = ("Conv2D", "MaxPooling2D")


def grader_activations(evidence, call, layers):
    """[array (images, h, w)] of the chosen filter after each of the first
    `layers` convolution and pooling layers, computed by the grader."""
    images, channel = call_arguments(evidence, call)[1:]
    maps = feature_maps(evidence.model, images, KINDS, layers)
    return [feature_map[..., int(channel)] for feature_map in maps]


@dataclass(frozen=True)
class ActivationsMatch(Check):
    call: object = None  # the spec.Call of the student's function: (model, images, filter index)
    layers: int = 4
    tolerance: float = 1e-3

    def evaluate(self, evidence):
        value, missing = returned(evidence, self.call)
        if value is None:
            return Outcome(False, "", missing + ".")
        if evidence.model is None or evidence.model.keras_model is None:
            return Outcome(False, "", f"The trained model could not be loaded: {evidence.model_problem()}.")
        try:
            expected = grader_activations(evidence, self.call, self.layers)
        except Exception as error:
            return Outcome(False, "", f"The grader could not compute your model's activations: "
                           f"{describe_error(error)}.")
        if not isinstance(value, list) or len(value) != len(expected):
            return Outcome(False, "", f"Return a list of {len(expected)} arrays, one per convolution and pooling "
                           "layer.")
        for index, (yours, theirs) in enumerate(zip(value, expected), start=1):
            if problem := self._difference(np.squeeze(yours), np.squeeze(theirs)):
                return Outcome(False, "", f"Layer {index}: {problem}.")
        return Outcome(True, f"Your {len(expected)} activation maps match the grader's (shapes "
                       f"{', '.join(str(tuple(m.shape)) for m in expected)}).", "")

    def _difference(self, yours, theirs):
        if yours.shape != theirs.shape:
            return f"shape {yours.shape}, expected {theirs.shape} (one map per image for the chosen filter)"
        scale = max(float(np.abs(theirs).max()), 1.0)
        gap = float(np.abs(yours.astype(np.float64) - theirs).max())
        if gap > self.tolerance * scale:
            return (f"values differ from the grader's by up to {gap:.3g}: check the preprocessing (reshape and "
                    "scale the images as for training), the layer order and the filter index")
        return ""
