"""Stage 5: run the checks on the evidence, add hints, total the score.

`GradeResult.to_json()` is the contract other tools build on:

    {"status": "graded"|"error"|"timeout", "score": float, "max_score": float,
     "epochs_run": int|null, "final_accuracy": float|null,
     "checks": [{"name", "passed", "points", "max_points", "message"}]}

`to_record()` adds "details", kept with saved results for feedback and reports:
{"assignment", "profile", "grading_seconds", "expects": {check: what it checks},
"training": {"accuracy": [per epoch], "stopped_by_callback", "seconds_per_epoch"} when there was
training, "crash": why training broke off, when it did, "figures": [{"title", "outputs": [{"mime", "data", "alt"}]}]}.

Example:

    >>> from autograder.grading.score import failed_result
    >>> from autograder.assignments import load_spec
    >>> failed_result(load_spec("mnist_conv"), "error", "not a notebook").score
    0.0
"""

import math
from dataclasses import asdict, dataclass, field

from autograder.checks.pitfalls import hints_for
from autograder.states import Status


@dataclass
class CheckResult:
    name: str
    passed: bool
    points: float
    max_points: float
    message: str


@dataclass
class GradeResult:
    status: str
    score: float
    max_score: float
    epochs_run: int
    final_accuracy: float
    checks: list
    details: dict = field(default_factory=dict)

    def to_json(self):
        return {key: value for key, value in self.to_record().items() if key != "details"}

    def to_record(self):
        """As plain data that is strict JSON: a NaN or infinite number becomes null."""
        return strict(asdict(self))

    @classmethod
    def from_json(cls, data):
        return cls(**{**data, "checks": [CheckResult(**check) for check in data["checks"]]})


def strict(value):
    """`value` with every non-finite float replaced by None, through lists and dicts."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: strict(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(item) for item in value]
    return value


def run_checks(spec, evidence):
    outcomes = [(check, check.evaluate(evidence)) for check in spec.checks]
    # A hint explains a failure, or warns of a habit that happened to work this time.
    hints = hints_for(spec.pitfalls, evidence, {check.name for check, outcome in outcomes if not outcome.passed})
    return [CheckResult(check.name, outcome.passed, float(check.points if outcome.passed else 0), float(check.points),
                        " ".join([outcome.message] + hints.get(check.name, []) + unsandboxed_note(evidence)))
            for check, outcome in outcomes]


def self_check_results(spec, evidence):
    """The spec's self-checks: verdicts and messages, no points."""
    return [CheckResult(check.name, outcome.passed, 0.0, 0.0, outcome.message)
            for check in spec.self_checks for outcome in [check.evaluate(evidence)]]


def unsandboxed_note(evidence):
    """Said in every check's message when the configuration turned the sandbox off."""
    return ["(Graded WITHOUT a sandbox: c.RunInIsolation.sandbox = 'none'.)"] if evidence.run.sandbox == "none" else []


def run_status(evidence):
    if evidence.run.timed_out:
        return Status.TIMEOUT
    if evidence.run.killed_reason or evidence.run.grader_failure:
        return Status.ERROR
    if evidence.finished or evidence.exception or evidence.missing_entry_point:
        return Status.GRADED
    return Status.ERROR  # the process died without a word: killed, or os._exit


def score(spec, evidence):
    checks = run_checks(spec, evidence)
    final = evidence.epochs[-1].accuracy if evidence.epochs else None
    return GradeResult(run_status(evidence), sum(c.points for c in checks), spec.max_score,
                       len(evidence.epochs) if evidence.epochs else None, final, checks, details(spec, evidence))


def details(spec, evidence):
    found = {"assignment": spec.assignment, "expects": expectations(spec),
             "figures": [shown for figure in spec.figures if (shown := figure.render(evidence))]}
    if evidence.epochs:
        found["training"] = {"accuracy": [epoch.accuracy for epoch in evidence.epochs],
                             "stopped_by_callback": evidence.stopped_by_callback,
                             "seconds_per_epoch": evidence.run.seconds_per_epoch}  # `calibrate` keeps it
    if crash := evidence.training_crash():
        found["crash"] = crash[0].upper() + crash[1:]
    return found


def expectations(spec):
    return {check.name: check.expects for check in spec.checks}


def failure_reason(record):
    """Why a result record (`to_record()`) is not a normal grading ('' when it is): a
    grading whose training broke off says why, though it was graded."""
    if record["status"] == Status.GRADED:
        return record.get("details", {}).get("crash", "")
    return record.get("details", {}).get("error") or next(
        (check["message"] for check in record["checks"] if not check["passed"]), record["status"])


def failed_result(spec, status, reason):
    """Every check at 0, each saying why nothing could be graded."""
    checks = [CheckResult(check.name, False, 0.0, float(check.points), f"Not graded: {reason}.")
              for check in spec.checks]
    return GradeResult(status, 0.0, spec.max_score, None, None, checks,
                       {"assignment": spec.assignment, "expects": expectations(spec), "error": reason})
