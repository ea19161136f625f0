"""Checks on what a student's function returned when the grader called it on
its own inputs (see `spec.Call`): shapes, dtypes and values against a
reference computed here, and whether the inputs were left alone.

A reference is a plain function of the same arguments, run on the trusted
side. `alternatives` name known wrong answers: when the student's result
matches one, the feedback says which mistake it was.

Example:

    >>> import numpy as np
    >>> from autograder.checks.arrays import ValuesMatch
    >>> from autograder.spec import Call
    >>> check = ValuesMatch("doubles", points=1, calls=(Call("twice", "double", ("x",)),),
    ...                     reference=lambda x: 2 * x, expects="double(x) is 2 * x")
    >>> check.expects
    'double(x) is 2 * x'
"""

import time
from dataclasses import dataclass, field

import numpy as np

from autograder.checks.base import Check, Outcome

FAST_ENOUGH_S = 0.25  # below this a call is not worth speeding up


def call_arguments(evidence, call):
    """The grader's inputs of a call; the trained model ("$model") stands as None."""
    return [None if name == "$model" else evidence.trusted["inputs"][name] for name in call.args]


def describe_call(call):
    return f"{call.function}({', '.join(call.args)})"


def returned(evidence, call):
    """(the student's result, or None, and why it is missing)."""
    record = evidence.calls.get(call.id)
    if record is None:
        return None, f"{describe_call(call)} was never called{evidence.reason_suffix()}"
    if record.error:
        return None, f"{describe_call(call)} failed: {record.error}"
    return record.value, ""


@dataclass(frozen=True)
class ShapeAndDtype(Check):
    """Each call returns an array of the reference's shape and dtype."""

    calls: tuple = ()
    reference: object = None

    def evaluate(self, evidence):
        for call in self.calls:
            value, missing = returned(evidence, call)
            if value is None:
                return Outcome(False, "", missing + ".")
            expected = self.reference(*call_arguments(evidence, call))
            if value.shape != expected.shape or value.dtype != expected.dtype:
                return Outcome(False, "", f"{describe_call(call)} returned shape {value.shape} and dtype "
                               f"{value.dtype}; expected shape {expected.shape} and dtype {expected.dtype}.")
        return Outcome(True, f"All {len(self.calls)} results have the expected shape and dtype.", "")


@dataclass(frozen=True)
class ValuesMatch(Check):
    """Each call's result equals the reference's, within `tolerance`; the message
    compares the student's time with the reference's on the slowest call."""

    calls: tuple = ()
    reference: object = None
    tolerance: float = 1.0  # one grey level: rounding instead of truncating is fine
    alternatives: dict = field(default_factory=dict)  # mistake described -> function computing it

    def evaluate(self, evidence):
        for call in self.calls:
            value, missing = returned(evidence, call)
            if value is None:
                return Outcome(False, "", missing + ".")
            arguments = call_arguments(evidence, call)
            if problem := self._difference(value, self.reference(*arguments)):
                return Outcome(False, "", f"{describe_call(call)}: {problem}.{self._diagnosis(value, arguments)}")
        return Outcome(True, f"All {len(self.calls)} results match the reference. {self._timing(evidence)}", "")

    def _difference(self, value, expected):
        if value.shape != expected.shape:
            return f"returned shape {value.shape}, expected {expected.shape}"
        if not np.issubdtype(value.dtype, np.number):
            return f"returned {value.dtype} values, not numbers"
        gap = np.abs(value.astype(np.float64) - expected.astype(np.float64))
        wrong = int(np.count_nonzero(gap > self.tolerance))
        if wrong:
            where = tuple(int(i) for i in np.unravel_index(np.argmax(gap), gap.shape))
            return (f"{wrong} of {gap.size} values differ from the reference (largest difference "
                    f"{gap.max():g}, at {where}: yours {value[where]!r}, expected {expected[where]!r})")
        return ""

    def _diagnosis(self, value, arguments):
        for mistake, compute in self.alternatives.items():
            if not self._difference(value, compute(*arguments)):
                return f" Your result is what {mistake} gives."
        return ""

    def _timing(self, evidence):
        """The student's slowest call against the vectorised reference on the same input."""
        timed = [(evidence.calls[call.id].seconds or 0.0, call) for call in self.calls]
        seconds, call = max(timed, key=lambda pair: pair[0])
        started = time.perf_counter()
        self.reference(*call_arguments(evidence, call))
        reference = max(time.perf_counter() - started, 1e-6)
        took = f"Your {describe_call(call)} took {seconds:.3f} s, a vectorised reference {reference:.4f} s"
        # The two timings come from different processes, one cold: only a large gap means a loop.
        if seconds < max(FAST_ENOUGH_S, 20 * reference):
            return f"{took}: vectorised speed."
        return f"{took} ({seconds / reference:,.0f} times slower: accepted; numpy slicing would make it fast)."


@dataclass(frozen=True)
class InputsUnchanged(Check):
    """None of the calls modified the arrays it was given."""

    calls: tuple = ()

    def evaluate(self, evidence):
        for call in self.calls:
            value, missing = returned(evidence, call)
            if value is None:
                return Outcome(False, "", missing + ".")
            if evidence.calls[call.id].input_modified:
                return Outcome(False, "", f"{describe_call(call)} modified its input: work on a copy "
                               "(np.copy or a new array) and return that.")
        return Outcome(True, f"None of the {len(self.calls)} calls modified its input.", "")
