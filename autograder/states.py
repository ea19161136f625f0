"""The states a grading's result and a queued submission can be in, named once.

Plain strings on the wire and in files (JSON results, the service's SQLite
queue), so a class of constants rather than an Enum.

Example:

    >>> Status.GRADED, QueueState.QUEUED
    ('graded', 'queued')
"""


class Status:
    """A grading's result (`GradeResult.status`), and what the class views add for a student."""

    GRADED, ERROR, TIMEOUT = "graded", "error", "timeout"  # a grading ran: a result with points
    NOT_GRADED = "not graded"  # the grader itself could not grade: no points, retried later
    MISSING = "no submission"  # in the gradebook, nothing handed in


class QueueState:
    """A submission in the grading service's queue."""

    QUEUED, GRADED, FAILED, SUPERSEDED = "queued", "graded", "failed", "superseded"
