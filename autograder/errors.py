"""Every error the grader raises on purpose, under one base class.

An `AutograderError` carries a message written for the person who reads it
(an instructor, a student at the command line): the commands print it and
exit with status 2, and `nbgrader autograde` records the reason. Two kinds:

- the grader cannot do what was asked (no data, no sandbox, an unknown
  assignment or student, a calibration or gradebook it cannot use): never the
  student's fault, never points;
- the submission cannot be used as handed in (`SubmissionError`, `Refused`):
  the pipeline turns these into a result with the reason, never a crash.

The sandboxed side (`autograder.sandboxed`) imports nothing of the grader, so
its own `ProtocolError` and `GraderTrainsModel` stand apart.
"""


class AutograderError(Exception):
    """Something the grader reports in words rather than a traceback."""


class GraderError(AutograderError):
    """The grader itself could not run (not the student's fault)."""


class DataError(AutograderError):
    """The grading data are missing or not what they should be."""


class SandboxUnavailable(AutograderError):
    """bubblewrap is not installed; the message says what to do."""


class CalibrationError(AutograderError):
    """The calibration file exists but cannot be used (not JSON, wrong layout)."""


class UnknownAssignment(AutograderError):
    """No grading spec has this assignment's name."""


class NoSubmission(AutograderError):
    """The student asked for has handed nothing in for the assignment."""


class NotANotebook(AutograderError):
    """A path given on the command line is no notebook at all: nothing there to grade."""


class ExportError(AutograderError):
    """The gradebook cannot be written in the layout asked for (the message says why)."""


class SubmissionError(AutograderError):
    """The submission cannot be graded as handed in; the message says why."""


class FolderNotReplaced(AutograderError):
    """The grades are committed, but the autograded folder could not be moved in (its old one stays)."""


class Refused(AutograderError):
    """This fit cannot be trained from data alone; the message says what to write instead."""
