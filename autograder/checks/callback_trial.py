"""Self-checks for `python -m autograder check`: the student's callback, driven
through a scripted series of epoch logs instead of real training, and the
input the notebook passes to `fit`. They score nothing and say nothing of the
hidden grading; they tell a student in seconds whether the logic is right.

Example:

    >>> from autograder.checks.callback_trial import CallbackStops
    >>> CallbackStops("callback_stops", points=0, target=0.998, script=(0.9, 0.999)).first_at_target
    1
"""

from dataclasses import dataclass, field

from autograder.checks.base import Check, Outcome
from autograder.sandboxed.protocol import ACCURACY_KEYS

KEYS = ACCURACY_KEYS
RESCALING = ("Rescaling", "Normalization")  # layers that scale pixels inside the model
# Pixels above this are grey levels (0-255) left unscaled; standardised images (per set or per
# image) stay below ~10, and scaled ones at 1.
UNSCALED_ABOVE = 20.0


def trial_or_problem(evidence, key):
    """(the trial with logs under `key`, or None, and why it is missing)."""
    if not evidence.fits:
        return None, f"fit() was never called{evidence.reason_suffix()}"
    trial = evidence.callback_trials.get(key)
    if trial is None:
        return None, "the callback could not be tried"
    return trial, ""


def trial_for(evidence):
    """The trial under the accuracy name the real training logs had (the one
    the student's callback reads), else under Keras 3's `accuracy`; and why it
    is missing ('' when it is not)."""
    logged = evidence.epochs[-1].logs if evidence.epochs else {}
    key = next((key for key in logged if key in evidence.callback_trials), KEYS[0])
    trial, problem = trial_or_problem(evidence, key)
    return trial, (problem + "." if problem else "")


def first_at_target(script, target):
    return next(i for i, value in enumerate(script) if value >= target)


def stop_verdict(trial, script, target):
    """What is wrong with where the trial stopped ('' when nothing is)."""
    expected, series = first_at_target(script, target), ", ".join(f"{value}" for value in script)
    if trial["error"]:
        return f"Your callback raised {trial['error']} on logs like {{'accuracy': {script[0]}}}."
    stopped = trial["stopped_at"]
    if stopped is None:
        return (f"Fed the epoch accuracies {series}, your callback never stopped training "
                f"(check the metric name it reads and the comparison with {target}).")
    if stopped < expected:
        return (f"Fed the epoch accuracies {series}, your callback stopped training at epoch {stopped + 1}, where "
                f"accuracy was only {script[stopped]}: set self.model.stop_training = True only inside the `if` "
                f"that tests whether accuracy reaches {target}.")
    if stopped > expected:
        return (f"Fed the epoch accuracies {series}, your callback let epoch {expected + 1} (accuracy "
                f"{script[expected]}) pass and stopped at epoch {stopped + 1}: stop at the first epoch that "
                f"reaches {target}.")
    return ""


def print_verdict(trial, message, script, target):
    """What is wrong with what the trial printed ('' when nothing is): the
    message belongs to the first scripted epoch reaching `target`, and only to it."""
    printed, expected = [i for i, text in enumerate(trial["printed"]) if message in text], first_at_target(script, target)
    stopped = trial["stopped_at"]
    if not printed and stopped is not None and stopped < expected:
        return (f"On a scripted series of epochs, your callback stopped training at epoch {stopped + 1} (accuracy "
                f"{script[stopped]}), before epoch {expected + 1}, the first to reach {target}, where the message "
                "belongs: set stop_training inside the `if` that tests the accuracy, where you print the message.")
    if not printed and stopped is None:
        return (f"On a scripted series of epochs, the message \"{message}\" was never printed and training never "
                f"stopped: check the metric name your `if` reads and its comparison with {target}.")
    if not printed:
        return (f"On a scripted series of epochs, the message \"{message}\" was never printed: print it exactly, "
                "in the same `if` that sets stop_training.")
    if printed != [expected]:
        return (f"On a scripted series of epochs, the message was printed in epochs {[i + 1 for i in printed]}; it "
                f"belongs only to epoch {expected + 1}, the first to reach {target}, where training stops.")
    return ""


@dataclass(frozen=True)
class CallbackStops(Check):
    """With logs named like Keras 3's (`accuracy`), the callbacks given to fit
    stop training at the first scripted epoch that reaches `target`."""

    target: float = field(kw_only=True)  # the assignment's: see its spec
    script: tuple = field(kw_only=True)
    expects: str = field(default="your callback stops training at the first epoch that reaches the target")

    @property
    def first_at_target(self):
        return first_at_target(self.script, self.target)

    def evaluate(self, evidence):
        trial, problem = trial_or_problem(evidence, KEYS[0])
        if trial is None:
            return Outcome(False, "", problem[0].upper() + problem[1:] + ".")
        verdict = stop_verdict(trial, self.script, self.target)
        other = evidence.callback_trials.get(KEYS[1], {})
        if verdict and other.get("stopped_at") == self.first_at_target:
            verdict += (" It stops correctly when the logs say 'acc': read logs.get('accuracy') (what Keras 3 "
                        "reports for metrics=['accuracy']).")
        series = ", ".join(f"{value}" for value in self.script)
        return Outcome(not verdict, f"Fed the epoch accuracies {series}, your callback stopped training at "
                       f"epoch {self.first_at_target + 1}, the first to reach {self.target}.", verdict)


@dataclass(frozen=True)
class CallbackPrints(Check):
    """The callback prints `message` in the first scripted epoch that reaches `target`, and in no other."""

    message: str = ""
    target: float = field(kw_only=True)  # the assignment's: see its spec
    script: tuple = field(kw_only=True)
    expects: str = field(default="your callback prints the stop message when it stops training")

    def evaluate(self, evidence):
        trial, problem = trial_or_problem(evidence, KEYS[0])
        if trial is None:
            return Outcome(False, "", problem[0].upper() + problem[1:] + ".")
        verdict = print_verdict(trial, self.message, self.script, self.target)
        return Outcome(not verdict, "Your callback printed the message once, when it stopped training.", verdict)


@dataclass(frozen=True)
class FitInput(Check):
    """The images given to fit have `shape` (after the batch axis) and scaled pixels: to [0, 1]
    as the lesson does, or standardised (see UNSCALED_ABOVE), or by a layer of the model."""

    shape: tuple = field(kw_only=True)  # the assignment's images, channel axis included
    expects: str = ""

    def default_expects(self):
        return f"fit gets images of shape {tuple(self.shape)} with pixels scaled to [0, 1]"

    def evaluate(self, evidence):
        if not evidence.fits:
            return Outcome(False, "", f"fit() was never called{evidence.reason_suffix()}.")
        summary = evidence.fits[-1].input
        shape = tuple(summary.get("shape", [])[1:])
        if shape != tuple(self.shape):
            return Outcome(False, "", f"fit got images of shape {shape or summary}; reshape them to "
                           f"{tuple(self.shape)} (one colour channel).")
        rescaled = evidence.model is not None and any(evidence.model.count(kind) for kind in RESCALING)
        top = summary["max"]  # an array's summary (its shape was read above) has its range
        scaled = "in [0, 1]" if top <= 1.0 else f"scaled (up to {top:.3g})"
        return Outcome(rescaled or top <= UNSCALED_ABOVE,
                       f"fit gets {shape} images with pixels " + ("scaled by your model." if rescaled else f"{scaled}."),
                       f"Pixels go up to {top}: divide the images by 255.0.")
