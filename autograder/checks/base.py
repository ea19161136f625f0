"""What a check is: a named, scored verdict on the evidence of one run.

A check declares its name (the id used in JSON results and in the notebook's
grade cell), its points and what it expects, in words a student understands.
`evaluate` returns an `Outcome`; scoring and feedback are done elsewhere.

Example:

    >>> from autograder.checks.base import Check, Outcome
    >>> class RanAtAll(Check):
    ...     def evaluate(self, evidence):
    ...         return Outcome(bool(evidence.epochs), "Training ran.", "No training was recorded.")
    >>> RanAtAll("ran_at_all", points=1, expects="Training runs.").name
    'ran_at_all'
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """A verdict with the message for each side of it; `message` picks one."""

    passed: bool
    success: str
    failure: str

    @property
    def message(self):
        return self.success if self.passed else self.failure


@dataclass(frozen=True)
class Check:
    """Base class: subclasses implement `evaluate(evidence) -> Outcome`."""

    name: str
    points: float
    expects: str

    def __post_init__(self):
        if not self.expects:  # frozen: set once here, from the check's own parameters
            object.__setattr__(self, "expects", self.default_expects())

    def default_expects(self):
        """What the check expects, in words, when the spec does not say."""
        return ""

    def evaluate(self, evidence):
        raise NotImplementedError(f"{type(self).__name__} must implement evaluate(evidence)")
