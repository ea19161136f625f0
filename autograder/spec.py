"""What a grading spec declares: how to run an assignment and what to check.

A new assignment is a source notebook plus a module in
`autograder/assignments/` that defines `SPEC`; nothing in the grading core
changes. `autograder.assignments.load_spec` finds it by name.
"""

from dataclasses import dataclass, field

from autograder.errors import UnknownAssignment


@dataclass(frozen=True)
class Profile:
    """How much data a grading run uses: `train_images` first images (None: all).

    `as_written`: the exercise as written, what the course grades by default;
    any other profile is flagged on every page it makes. The uncalibrated
    limits are what a run gets before `python -m autograder calibrate` has
    measured the reference on this machine (`c.Calibration.uncalibrated_*`
    override them by profile name)."""

    name: str
    train_images: int = None
    description: str = ""
    as_written: bool = False
    uncalibrated_seconds: int = 3600  # of wall time
    uncalibrated_stall_seconds: int = 900  # without an epoch ending, during a fit


# A student's self-check: nothing is trained, seconds are expected; calibrated and limited on its own.
SELF_CHECK = Profile("check", description="the self-check (nothing is trained)", uncalibrated_seconds=120)


@dataclass(frozen=True)
class Call:
    """A function of the student's that the grader calls in the sandbox, after the
    cells and the entry point, on inputs of the grader's choosing.

    `args` name arrays of the spec's `call_inputs`; "$model" stands for the
    model trained last. The result is kept as evidence under `id`.
    """

    id: str
    function: str
    args: tuple


@dataclass(frozen=True)
class GradingSpec:
    assignment: str
    dataset: type  # a datasets.base.Dataset subclass
    checks: tuple
    profiles: dict
    entry_point: str = None  # the function the grader calls once after the cells (training), if any
    uses_keras: bool = True  # record `fit` calls and save the trained model
    calls: tuple = field(default=())
    call_inputs: object = None  # callable(trusted data) -> {name: array}, the arrays `calls` use
    pitfalls: tuple = field(default=())
    figures: tuple = field(default=())
    self_checks: tuple = field(default=())  # `python -m autograder check`: fast, no points, no hidden grading
    # The student's callbacks driven through a scripted series of epochs, after each fit when grading and instead
    # of training in a self-check: {"script": [accuracy per epoch], "keys": [metric names the logs use]}.
    trial: dict = None

    @property
    def max_score(self):
        return float(sum(check.points for check in self.checks))

    @property
    def default_profile(self):
        """The profile that is the exercise as written."""
        return next(profile for profile in self.profiles.values() if profile.as_written)

    def profile(self, name=None):
        """The profile `name` (None or '': the exercise as written)."""
        if not name:
            return self.default_profile
        if name not in self.profiles:
            raise UnknownAssignment(f"{self.assignment} has no profile {name!r}; choose one of {sorted(self.profiles)}")
        return self.profiles[name]
