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

from .base import Check, Outcome

KEYS = ("accuracy", "acc")  # Keras 3 reports the name given to compile(); the lesson's old code used 'acc'


def trial_or_problem(evidence, key):
    """(the trial with logs under `key`, or None, and why it is missing)."""
    if not evidence.fits:
        return None, f"fit() was never called{evidence.reason_suffix()}"
    trial = evidence.callback_trials.get(key)
    if trial is None:
        return None, "the callback could not be tried"
    return trial, ""


@dataclass(frozen=True)
class CallbackStops(Check):
    """With logs named like Keras 3's (`accuracy`), the callbacks given to fit
    stop training at the first scripted epoch that reaches `target`."""

    target: float = 0.998
    script: tuple = ()
    expects: str = field(default="your callback stops training at the first epoch that reaches the target")

    @property
    def first_at_target(self):
        return next(i for i, value in enumerate(self.script) if value >= self.target)

    def evaluate(self, evidence):
        trial, problem = trial_or_problem(evidence, KEYS[0])
        if trial is None:
            return Outcome(False, "", problem[0].upper() + problem[1:] + ".")
        verdict = self._verdict(trial)
        other = evidence.callback_trials.get(KEYS[1], {})
        if verdict and other.get("stopped_at") == self.first_at_target:
            verdict += (" It stops correctly when the logs say 'acc': read logs.get('accuracy') (what Keras 3 "
                        "reports for metrics=['accuracy']).")
        return Outcome(not verdict, f"Fed the epoch accuracies {self._series()}, your callback stopped training at "
                       f"epoch {self.first_at_target + 1}, the first to reach {self.target}.", verdict)

    def _verdict(self, trial):
        expected = self.first_at_target
        if trial["error"]:
            return f"Your callback raised {trial['error']} on logs like {{'accuracy': {self.script[0]}}}."
        stopped = trial["stopped_at"]
        if stopped is None:
            return (f"Fed the epoch accuracies {self._series()}, your callback never stopped training "
                    f"(check the metric name it reads and the comparison with {self.target}).")
        if stopped < expected:
            return (f"Your callback stopped training at epoch {stopped + 1}, where accuracy was only "
                    f"{self.script[stopped]}: set stop_training only when accuracy reaches {self.target}.")
        if stopped > expected:
            return (f"Your callback let epoch {expected + 1} (accuracy {self.script[expected]}) pass and stopped at "
                    f"epoch {stopped + 1}: stop at the first epoch that reaches {self.target}.")
        return ""

    def _series(self):
        return ", ".join(f"{value}" for value in self.script)


@dataclass(frozen=True)
class CallbackPrints(Check):
    """The callback prints `message` in the epoch where it stops, and not before."""

    message: str = ""
    expects: str = field(default="your callback prints the stop message when it stops training")

    def evaluate(self, evidence):
        trial, problem = trial_or_problem(evidence, KEYS[0])
        if trial is None:
            return Outcome(False, "", problem[0].upper() + problem[1:] + ".")
        printed = [i for i, text in enumerate(trial["printed"]) if self.message in text]
        stopped = trial["stopped_at"]
        if stopped is None or stopped not in printed:
            return Outcome(False, "", f"The message \"{self.message}\" was not printed when your callback stopped "
                           "training (print it exactly, where you set stop_training).")
        return Outcome(printed == [stopped], "Your callback printed the message once, when it stopped training.",
                       f"The message was printed in epochs {[i + 1 for i in printed]}: print it only when you "
                       "stop training.")


@dataclass(frozen=True)
class FitInput(Check):
    """The images given to fit have `shape` (after the batch axis) and pixels scaled to [0, 1]."""

    shape: tuple = (28, 28, 1)
    expects: str = field(default="fit gets images reshaped to 28x28x1 with pixels scaled to [0, 1]")

    def evaluate(self, evidence):
        if not evidence.fits:
            return Outcome(False, "", f"fit() was never called{evidence.reason_suffix()}.")
        summary = evidence.fits[-1].input
        shape = tuple(summary.get("shape", [])[1:])
        if shape != tuple(self.shape):
            return Outcome(False, "", f"fit got images of shape {shape or summary}; reshape them to "
                           f"{tuple(self.shape)} (one colour channel).")
        return Outcome(summary.get("max", 255) <= 1.0, f"fit gets {shape} images with pixels in [0, 1].",
                       f"Pixels go up to {summary.get('max')}: divide the images by 255.0.")
