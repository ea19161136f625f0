"""The results the grader keeps, one JSON file per student and assignment.

`grade-all`, the grading service and `nbgrader autograde` keep here what each
grading produced; recording, feedback and the report read it back. A file
holds the latest outcome for the student: either a result record
(`GradeResult.to_record()`) or the reason the grader itself could not grade
(no data, no sandbox), with the key of the submission it is about (a sha256
of the notebook, its timestamp and the profile; '' when unknown). Files are
replaced atomically: a crash leaves the old one or the new one, never half.

Example:

    >>> import tempfile
    >>> from autograder.gradebook.results import ResultStore
    >>> store = ResultStore(root=tempfile.mkdtemp())  # the course root
    >>> store.keep_failure("mnist_conv", "alice", "3f2a...", "No MNIST file at ...")
    >>> store.records("mnist_conv")["alice"]["status"]
    'not graded'
"""

import glob
import json
import os

from nbgrader.coursedir import CourseDirectory
from traitlets import Unicode
from traitlets.config import LoggingConfigurable

from autograder.states import Status

# The status of a submission the grader itself could not grade: it has no points, not 0.


class ResultStore(LoggingConfigurable):
    """Keeps and reads results under the course root."""

    folder = Unicode(
        ".autograder/results", help="Where results are kept (relative to the course root), one JSON file per "
        "student and assignment."
    ).tag(config=True)

    root = Unicode(help="The course root (default: c.CourseDirectory.root).")

    def _root_default(self):
        return CourseDirectory(parent=self).root

    def path(self, assignment, student):
        return os.path.join(self.root, self.folder, assignment, f"{student}.json")

    def keep(self, assignment, student, key, record):
        """Keeps a result record for the submission `key`."""
        self._write(assignment, student, {"key": key, "result": record})

    def keep_failure(self, assignment, student, key, reason):
        """Keeps why the grader could not grade the submission `key` (no points are recorded for it)."""
        self._write(assignment, student, {"key": key, "failure": reason})

    def result(self, assignment, student, key=None):
        """The result record kept for the submission `key` (any submission when None), else None."""
        entry = self._read(self.path(assignment, student))
        if entry is None or "result" not in entry or (key is not None and entry.get("key") != key):
            return None
        return entry["result"]

    def failure(self, assignment, student):
        """Why the grader could not grade the student's latest submission, or None."""
        entry = self._read(self.path(assignment, student))
        return entry.get("failure") if entry else None

    def records(self, assignment):
        """{student: result record} of every student with something kept; a grader failure
        is a record with status Status.NOT_GRADED, no points and the reason (see `failure_record`)."""
        kept = {}
        for path in sorted(glob.glob(self.path(assignment, "*"))):
            entry = self._read(path)
            if entry is None:
                continue  # being replaced right now (see _write), or not ours
            student = os.path.splitext(os.path.basename(path))[0]
            kept[student] = entry["result"] if "result" in entry else failure_record(entry.get("failure", ""))
        return kept

    def _write(self, assignment, student, entry):
        path = self.path(assignment, student)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(entry, handle)
        os.replace(path + ".tmp", path)

    @staticmethod
    def _read(path):
        try:
            with open(path, encoding="utf-8") as handle:
                entry = json.load(handle)
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) and ("result" in entry or "failure" in entry) else None


def failure_record(reason):
    """A result record for a submission the grader could not grade: no score, the reason."""
    return {"status": Status.NOT_GRADED, "score": None, "max_score": None, "epochs_run": None, "final_accuracy": None,
            "checks": [], "details": {"error": f"the grader failed: {reason}"}}
