"""Known mistakes, recognised from the evidence, turned into targeted hints.

A pitfall never changes a score: it adds one sentence to the messages of the
checks it concerns, so a student learns what to change rather than only that
something failed (or, when Keras forgave the mistake, that it is one).

Example:

    >>> from autograder.checks.pitfalls import PIXELS_NOT_SCALED
    >>> PIXELS_NOT_SCALED.applies_to
    ('reaches_target', 'stops_at_target')
"""

import re
from dataclasses import dataclass
from typing import Callable

from .callback_trial import RESCALING


@dataclass(frozen=True)
class Pitfall:
    name: str
    hint: str
    applies_to: tuple
    detect: Callable  # (evidence) -> bool


LOGS_KEY = r"""logs\s*(\.get\(|\[)\s*['"]{key}['"]"""  # logs.get('KEY' or logs['KEY'


def _raised_in_callback_on_none(evidence):
    crash = evidence.training_crash() or ""
    return "TypeError" in crash and "NoneType" in crash


def _reads_legacy_acc_key(evidence):
    """Reads logs['acc'] with no 'accuracy' fallback, and that went wrong."""
    source = evidence.submission_source
    reads_acc = re.search(LOGS_KEY.format(key="acc"), source)
    reads_accuracy = re.search(LOGS_KEY.format(key="accuracy"), source)
    went_wrong = _raised_in_callback_on_none(evidence) or (evidence.epochs and not evidence.stopped_by_callback)
    return bool(reads_acc and not reads_accuracy and went_wrong)


def _input_not_reshaped(evidence):
    shapes = [fit.input.get("shape") for fit in evidence.fits]
    error = evidence.exception["message"] if evidence.exception else ""
    return any(shape and len(shape) == 3 for shape in shapes) or "found ndim=3" in error


def _pixels_not_scaled(evidence):
    rescaled = any(model.count(kind) for model in evidence.models for kind in RESCALING)
    return not rescaled and any((fit.input.get("max") or 0) > 1.0 for fit in evidence.fits)


LEGACY_ACC_KEY = Pitfall(
    "legacy_acc_key",
    "In TensorFlow 2 the metric is logged as 'accuracy': logs.get('acc') returns None. "
    "Read logs.get('accuracy') (falling back to 'acc' if you like).",
    ("reaches_target", "within_epoch_limit", "stops_at_target", "prints_stop_message"),
    _reads_legacy_acc_key,
)


def stop_outside_if(target):
    """The callback stops training after epoch 1 although `target` was not reached."""
    return Pitfall(
        "stop_outside_if",
        "Training stopped after the first epoch: `self.model.stop_training = True` must sit inside the `if` "
        "that tests the accuracy.",
        ("reaches_target", "stops_at_target", "prints_stop_message"),
        lambda evidence: len(evidence.epochs) == 1 and evidence.stopped_by_callback
        and evidence.first_epoch_reaching(target) is None,
    )


INPUT_NOT_RESHAPED = Pitfall(
    "input_not_reshaped",
    "Conv2D needs images of shape (28, 28, 1): reshape with x_train.reshape(-1, 28, 28, 1).",
    ("reaches_target", "within_epoch_limit", "stops_at_target", "prints_stop_message"),
    _input_not_reshaped,
)
PIXELS_NOT_SCALED = Pitfall(
    "pixels_not_scaled",
    "The images reached fit() with pixel values up to 255: scale them to [0, 1] by dividing by 255.0.",
    ("reaches_target", "stops_at_target"),
    _pixels_not_scaled,
)


def hints_for(pitfalls, evidence):
    """{check name: [hint, ...]} for every pitfall the evidence shows."""
    hints = {}
    for pitfall in pitfalls:
        if pitfall.detect(evidence):
            for name in pitfall.applies_to:
                hints.setdefault(name, []).append(pitfall.hint)
    return hints
