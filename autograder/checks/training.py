"""Checks on how training went: the target reached, the epochs used, where it
stopped and what the callback printed.

They read what the grader's trainer recorded (it trained the model, computed
the accuracy and asked the student's callbacks after each epoch whether to
stop) and the callbacks' trial on a scripted series of epochs: never the
student's History, return value or logs.

Example:

    >>> from autograder.checks.training import WithinEpochLimit
    >>> WithinEpochLimit("within_epoch_limit", points=1, max_epochs=20, target=0.998).expects
    'training reaches the target within 20 epochs'
"""

from dataclasses import dataclass, field

from autograder.checks.base import Check, Outcome
from autograder.checks.callback_trial import print_verdict, stop_verdict, trial_for

# Images given to fit must be the training set the notebook loads, each once
# (a few may be lost to a generator's last partial batch, or repeated in it),
# with their own labels; an epoch may hold some out for validation (a
# validation_split of up to 0.25, or as many held out by hand), no more.
DATA_FOUND = 0.99  # share of the images given to fit that are the grader's
DATA_COVERED = 0.75  # share of the grader's training images fit got, and one epoch trains on
REPEAT_SLACK = 1024  # images beyond the training set's size: a generator's last batches


def data_problem(fit):
    """Why the images and labels given to `fit` are not the training set, or ''."""
    data = fit.data
    if not data:
        return ""
    images, found = data.get("images", 0), data.get("found", 0)
    if found < DATA_FOUND * images:
        return f"{images - found:,} of the {images:,} images given to fit are not images of the training set"
    if data.get("wrong_labels"):
        return f"{data['wrong_labels']:,} images were given to fit with labels that are not theirs"
    expected = data.get("expected", 0)
    if images > expected + REPEAT_SLACK:
        return f"fit got {images:,} images, more than the {expected:,} of the training set: images were repeated"
    if data.get("distinct", 0) < DATA_COVERED * expected:
        return f"fit got only {data.get('distinct', 0):,} of the {expected:,} training images"
    if fit.trained_per_epoch is not None and fit.trained_per_epoch < DATA_COVERED * expected:
        return (f"each epoch trained on only {fit.trained_per_epoch:,} of the {expected:,} training images "
                f"(validation_split {fit.validation_split:g}, or steps_per_epoch too small)")
    return ""


def incomplete_training(evidence):
    """A failing Outcome when there is no finished training of the real data to judge, else None."""
    if evidence.run.grader_failure or evidence.run.timed_out or evidence.run.killed_reason:
        return Outcome(False, "", f"Training did not finish{evidence.reason_suffix()}.")
    if crash := evidence.training_crash():
        return Outcome(False, "", f"Training broke off: {crash}.")
    if not evidence.epochs:
        return Outcome(False, "", f"No training was recorded{evidence.reason_suffix()}.")
    if problem := next(filter(None, map(data_problem, evidence.fits)), None):
        return Outcome(False, "", f"Training did not use the grader's data: {problem}.")
    return None


def first_reaching_or_problem(evidence, target):
    """(index of the first epoch reaching `target`, None) or (None, a failing Outcome)."""
    if missing := incomplete_training(evidence):
        return None, missing
    first = evidence.first_epoch_reaching(target)
    if first is None:
        best = max((e.accuracy for e in evidence.epochs if e.accuracy is not None), default=None)
        return None, Outcome(False, "", f"Training accuracy peaked at {format_accuracy(best)} in "
                             f"{count_epochs(len(evidence.epochs))}, below the target {target}.")
    return first, None


@dataclass(frozen=True)
class ReachesTarget(Check):
    """An epoch's training accuracy, computed by the grader's trainer on the
    images actually trained on, reaches `target`."""

    target: float = field(kw_only=True)  # the assignment's: see its spec
    expects: str = field(default="training accuracy reaches the target")

    def evaluate(self, evidence):
        first, failed = first_reaching_or_problem(evidence, self.target)
        if failed:
            return failed
        return Outcome(True, f"Training accuracy reached {evidence.epochs[first].accuracy:.4f} in epoch "
                       f"{first + 1} (computed by the grader, which trained your model).", "")


@dataclass(frozen=True)
class WithinEpochLimit(Check):
    """The target is reached within `max_epochs`, and training (all `fit`
    calls together) runs no longer than that."""

    max_epochs: int = field(kw_only=True)
    target: float = field(kw_only=True)  # the assignment's: see its spec
    expects: str = field(default="")

    def default_expects(self):
        return f"training reaches the target within {self.max_epochs} epochs"

    def evaluate(self, evidence):
        first, failed = first_reaching_or_problem(evidence, self.target)
        if failed:
            return Outcome(False, "", failed.failure + " The epoch limit counts only for training that reaches it.")
        ran = len(evidence.epochs)
        return Outcome(
            first + 1 <= self.max_epochs and ran <= self.max_epochs,
            f"The target was reached in epoch {first + 1}; training ran {ran} epochs (limit {self.max_epochs}).",
            f"Training ran {ran} epochs and reached the target in epoch {first + 1}; the limit is {self.max_epochs}.",
        )


@dataclass(frozen=True)
class StopsAtTarget(Check):
    """The callback stops training at the end of the first epoch whose accuracy
    reaches `target` (not earlier, not later, not because `epochs` ran out),
    and stops a scripted series of epochs (`script`) at its first epoch that
    reaches it: the rule, not a coincidence."""

    target: float = field(kw_only=True)  # the assignment's: see its spec
    script: tuple = field(kw_only=True)
    expects: str = field(default="the callback stops training at the first epoch that reaches the target")

    def evaluate(self, evidence):
        if missing := incomplete_training(evidence):
            return missing
        ran, first = len(evidence.epochs), evidence.first_epoch_reaching(self.target)
        if first is None:
            return Outcome(False, "", f"Training stopped after {count_epochs(ran)} at accuracy "
                           f"{format_accuracy(evidence.epochs[-1].accuracy)}, before reaching {self.target}.")
        if first + 1 < ran:
            return Outcome(False, "", f"Accuracy reached {self.target} in epoch {first + 1}, but training went on "
                           f"to epoch {ran}: stop in the epoch that reaches it.")
        if not evidence.stopped_by_callback:
            return Outcome(False, "", f"Training ended in epoch {ran} because `epochs` ran out, not because your "
                           "callback stopped it.")
        trial, problem = trial_for(evidence)
        verdict = problem or stop_verdict(trial, self.script, self.target)
        return Outcome(not verdict, f"Your callback stopped training in epoch {ran}, the first to reach "
                       f"{self.target}, and stops a scripted series of epochs where it should.",
                       f"Training stopped in epoch {ran}, the first to reach {self.target}, but not by the rule: "
                       f"{verdict}")


@dataclass(frozen=True)
class PrintsStopMessage(Check):
    """`message` is printed by the callback in the epoch where it stopped
    training, the first to reach `target`, and in no other; likewise on the
    scripted series."""

    message: str = ""
    target: float = field(kw_only=True)  # the assignment's: see its spec
    script: tuple = field(kw_only=True)
    expects: str = field(default="the callback prints the stop message when it stops training")

    def evaluate(self, evidence):
        if missing := incomplete_training(evidence):
            return missing
        printed, last = evidence.epochs_printing(self.message), len(evidence.epochs) - 1
        if not printed and evidence.stopped_by_callback and evidence.first_epoch_reaching(self.target) is None:
            return Outcome(False, "", f"Your callback stopped training in epoch {last + 1}, before any epoch reached "
                           f"{self.target}, so the message had no epoch to be printed in.")
        if not printed:
            where = " outside training, not by your callback" if evidence.printed_outside_training(self.message) else ""
            return Outcome(False, "", f"The message \"{self.message}\" was not printed{where} during training.")
        if printed != [last]:
            return Outcome(False, "", f"The message was printed in epochs {[i + 1 for i in printed]}, but it "
                           f"belongs only to the epoch where your callback stops training (epoch {last + 1}).")
        if not evidence.stopped_by_callback:
            return Outcome(False, "", "The message was printed, but training was not stopped: "
                           "set self.model.stop_training = True where you print it.")
        first = evidence.first_epoch_reaching(self.target)
        if first != last:
            return Outcome(False, "", f"The message was printed in epoch {last + 1} while accuracy was "
                           f"{format_accuracy(evidence.epochs[last].accuracy)}; it belongs to the first epoch that "
                           f"reaches {self.target}.")
        trial, problem = trial_for(evidence)
        verdict = problem or print_verdict(trial, self.message, self.script, self.target)
        return Outcome(not verdict, f"Your callback printed \"{self.message}\" in epoch {last + 1}, where it stopped "
                       "training.", f"The message came in the right epoch, but not by the rule: {verdict}")


def count_epochs(count):
    return f"{count} epoch" + ("" if count == 1 else "s")


def format_accuracy(value):
    return "unknown" if value is None else f"{value:.4f}"
