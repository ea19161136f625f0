"""Known mistakes, recognised from the evidence, turned into targeted hints.

A pitfall never changes a score: it adds its hint, once, to the message of the
check it explains, so a student learns what to change rather than only that
something failed (or, when Keras forgave the mistake, that it is one). The
other checks it makes fail point to that hint instead of repeating it.

Example:

    >>> from autograder.checks.pitfalls import PIXELS_NOT_SCALED
    >>> PIXELS_NOT_SCALED.explains, PIXELS_NOT_SCALED.causes
    ('reaches_target', ('within_epoch_limit', 'stops_at_target'))
"""

import re
from dataclasses import dataclass
from typing import Callable

from autograder.checks.callback_trial import RESCALING, UNSCALED_ABOVE


@dataclass(frozen=True)
class Pitfall:
    name: str
    hint: str
    explains: str  # the check whose message carries the hint
    causes: tuple  # other checks the mistake can make fail: when one does, it points to the hint
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
    return not rescaled and any((fit.input.get("max") or 0) > UNSCALED_ABOVE for fit in evidence.fits)


LEGACY_ACC_KEY = Pitfall(
    "legacy_acc_key",
    "In TensorFlow 2 the metric is logged as 'accuracy': logs.get('acc') returns None. "
    "Read logs.get('accuracy') (falling back to 'acc' if you like).",
    "stops_at_target", ("reaches_target", "within_epoch_limit", "prints_stop_message"),
    _reads_legacy_acc_key,
)


def stop_outside_if(target):
    """The callback stops training after epoch 1 although `target` was not reached."""
    return Pitfall(
        "stop_outside_if",
        "Your callback stops training whatever the accuracy: `self.model.stop_training = True` must sit inside "
        "the `if` that tests the accuracy.",
        "stops_at_target", ("reaches_target", "within_epoch_limit", "prints_stop_message"),
        lambda evidence: len(evidence.epochs) == 1 and evidence.stopped_by_callback
        and evidence.first_epoch_reaching(target) is None,
    )


INPUT_NOT_RESHAPED = Pitfall(
    "input_not_reshaped",
    "Conv2D needs images of shape (28, 28, 1): reshape with x_train.reshape(-1, 28, 28, 1).",
    "reaches_target", ("within_epoch_limit", "stops_at_target", "prints_stop_message"),
    _input_not_reshaped,
)
PIXELS_NOT_SCALED = Pitfall(
    "pixels_not_scaled",
    "The images reached fit() with pixel values up to 255: scale them to [0, 1] by dividing by 255.0.",
    "reaches_target", ("within_epoch_limit", "stops_at_target"),
    _pixels_not_scaled,
)


def hints_for(pitfalls, evidence, failed):
    """{check name: [sentence, ...]} for every pitfall the evidence shows: its hint
    on the check it explains, a pointer to it on each check in `failed` it causes."""
    hints = {}
    for pitfall in filter(lambda pitfall: pitfall.detect(evidence), pitfalls):
        hints.setdefault(pitfall.explains, []).append(pitfall.hint)
        pointer = f"See the hint under `{pitfall.explains}`."
        for name in (name for name in pitfall.causes if name in failed):
            if pointer not in hints.get(name, []):  # two pitfalls explained by one check: one pointer
                hints.setdefault(name, []).append(pointer)
    return hints
