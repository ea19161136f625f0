"""Checks on how training went: the metric reached, the epochs used, where it
stopped and what the callback printed.

They read the epochs recorded by the grader's own callback and the accuracy
the trusted side re-measured on the saved model: never the student's History
or return value.

Example:

    >>> from autograder.checks.training import WithinEpochLimit
    >>> WithinEpochLimit("within_epoch_limit", points=1, max_epochs=20).expects
    'training ends within 20 epochs'
"""

from dataclasses import dataclass, field

from .base import Check, Outcome


def incomplete_training(evidence):
    """A failing Outcome when there is no finished training to judge, else None."""
    if evidence.run.timed_out or evidence.run.killed_reason:
        return Outcome(False, "", f"Training did not finish{evidence.reason_suffix()}.")
    if not evidence.epochs:
        return Outcome(False, "", f"No training was recorded{evidence.reason_suffix()}.")
    if contradiction := evidence.records_contradicted():
        return Outcome(False, "", f"The training records do not match the trained model: {contradiction}.")
    return None


@dataclass(frozen=True)
class ReachesTarget(Check):
    """An epoch's logged accuracy reaches `target`, and the saved model, measured
    again by the grader on its own data, agrees with the logs (see
    `collect_evidence.LOG_TOLERANCE`)."""

    target: float = 0.998
    expects: str = field(default="training accuracy reaches the target")

    def evaluate(self, evidence):
        if missing := incomplete_training(evidence):
            return missing
        first = evidence.first_epoch_reaching(self.target)
        if first is None:
            best = max((e.accuracy for e in evidence.epochs if e.accuracy is not None), default=None)
            if best is None:
                return Outcome(False, "", "The training logs have no `accuracy` metric: "
                               "compile with metrics=['accuracy'].")
            return Outcome(False, "", f"Training accuracy peaked at {best:.4f}, below the target {self.target}.")
        measured = evidence.model.remeasured_accuracy if evidence.model else None
        return Outcome(
            measured is not None,
            f"Training accuracy reached {evidence.epochs[first].accuracy:.4f} in epoch {first + 1}; the grader "
            f"measured {format_accuracy(measured)} on the trained model.",
            f"The trained model could not be measured again: {evidence.model_problem()}.",
        )


@dataclass(frozen=True)
class WithinEpochLimit(Check):
    """Training (all `fit` calls together) runs at most `max_epochs` epochs."""

    max_epochs: int = 20
    expects: str = field(default="")

    def default_expects(self):
        return f"training ends within {self.max_epochs} epochs"

    def evaluate(self, evidence):
        if missing := incomplete_training(evidence):
            return missing
        ran = len(evidence.epochs)
        return Outcome(
            ran <= self.max_epochs,
            f"Training ran {ran} epochs (limit {self.max_epochs}).",
            f"Training ran {ran} epochs; the limit is {self.max_epochs}.",
        )


@dataclass(frozen=True)
class StopsAtTarget(Check):
    """The callback stops training at the end of the first epoch whose accuracy
    reaches `target`: not earlier, not later, and not because `epochs` ran out."""

    target: float = 0.998
    expects: str = field(default="the callback stops training at the first epoch that reaches the target")

    def evaluate(self, evidence):
        if missing := incomplete_training(evidence):
            return missing
        ran, first = len(evidence.epochs), evidence.first_epoch_reaching(self.target)
        last_accuracy = evidence.epochs[-1].accuracy
        if first is None:
            return Outcome(False, "", f"Training stopped after {ran} epochs at accuracy "
                           f"{format_accuracy(last_accuracy)}, before reaching {self.target}.")
        if first + 1 < ran:
            return Outcome(False, "", f"Accuracy reached {self.target} in epoch {first + 1}, but training went on "
                           f"to epoch {ran}: stop in the epoch that reaches it.")
        return Outcome(
            evidence.stopped_by_callback,
            f"Your callback stopped training in epoch {ran}, the first to reach {self.target}.",
            f"Training ended in epoch {ran} because `epochs` ran out, not because your callback stopped it.",
        )


@dataclass(frozen=True)
class PrintsStopMessage(Check):
    """`message` is printed during training, in the epoch where the callback
    stopped it, once `target` has really been reached (the message is no lie)."""

    message: str = ""
    target: float = 0.998
    expects: str = field(default="the callback prints the stop message when it stops training")

    def evaluate(self, evidence):
        if missing := incomplete_training(evidence):
            return missing
        printed = evidence.epochs_printing(self.message)
        if not printed:
            where = " outside training, not by your callback" if evidence.printed_outside_training(self.message) else ""
            return Outcome(False, "", f"The message \"{self.message}\" was not printed{where} during training.")
        last = len(evidence.epochs) - 1
        if last not in printed:
            return Outcome(False, "", f"The message was printed in epoch {printed[0] + 1}, but training stopped in "
                           f"epoch {last + 1}: print it when your callback stops training.")
        if not evidence.stopped_by_callback:
            return Outcome(False, "", "The message was printed, but training was not stopped: "
                           "set self.model.stop_training = True where you print it.")
        first = evidence.first_epoch_reaching(self.target)
        return Outcome(
            first is not None and first <= last,
            f"Your callback printed \"{self.message}\" in epoch {last + 1}, where it stopped training.",
            f"The message was printed in epoch {last + 1} while accuracy was only "
            f"{format_accuracy(evidence.epochs[last].accuracy)}, below {self.target}.",
        )


def format_accuracy(value):
    return "unknown" if value is None else f"{value:.4f}"
