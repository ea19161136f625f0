"""nbgrader integration: grade a submission with the autograder during `nbgrader autograde`.

`GradeWithAutograder` takes the place of nbgrader's `Execute` preprocessor (see
`nbgrader_config.py`). Instead of running the notebook in a kernel with the
instructor's rights (where the student's own training cell and the hidden tests
would each train the model), it runs the grading pipeline once and writes each
check's verdict into the grade cell whose `grade_id` is the check's name:
a short printed line when it passed (nbgrader gives a cell without error its
points), an error with the reason when it did not. nbgrader's `SaveAutoGrades` then records every cell's score, so a
crash or a timeout is a 0 with its reason, never "needs autograding". The
autograder's report (see `feedback`) goes on top, for the feedback page.
`grade-all` and the grading service run the same preprocessors in their own
process (`recording`), with the result they computed set as `result`.

Example (nbgrader_config.py):

    c.Autograde.exporter_class = "autograder.gradebook.nbgrader_plugin.SubmissionExporter"
    c.Autograde.autograde_preprocessors = [
        "autograder.gradebook.nbgrader_plugin.GradeWithAutograder", ...]
"""

import os

import nbformat
from nbconvert.exporters import NotebookExporter
from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Instance

from autograder.errors import AutograderError, SubmissionError
from autograder.feedback.page import REPORT_MARK, points, report_cell, wrapped
from autograder.gradebook.results import ResultStore
from autograder.grading.load_notebook import read_notebook
from autograder.grading.pipeline import Grader
from autograder.grading.score import GradeResult


class GradeWithAutograder(NbGraderPreprocessor):
    """Grades the notebook through the autograder and fills in its grade cells."""

    result = Instance(GradeResult, allow_none=True,
                      help="The result to record instead of grading (set in-process by `recording`).")

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        name = f"{info.get('student', 'student')}/{info.get('notebook', 'notebook')}.ipynb"
        result = self.result or self._grade(nb, info, name)
        self.log.info("%s: %s, %g/%g", name, result.status, result.score, result.max_score)
        checks = {check.name: check for check in result.checks}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.metadata.get("nbgrader", {}).get("grade"):
                cell.outputs = verdict_outputs(checks.pop(grade_id, None), grade_id)
        nb.cells.extend(restored_grade_cell(check) for check in checks.values())
        nb.cells = [report_cell(result)] + [cell for cell in nb.cells if not cell.metadata.get(REPORT_MARK)]
        return nb, resources

    def _grade(self, nb, info, name):
        """Grades now, keeping the result beside grade-all's for `report` and `scores` (with no
        submission key, so grade-all will still grade it itself). When the grader itself fails
        (no data, no sandbox), the reason is kept and nbgrader fails this student: no points."""
        store = ResultStore(parent=self) if info.get("student") and info.get("assignment") else None
        try:
            result = Grader(parent=self).grade(nb, assignment=info.get("assignment"), name=name)
        except (AutograderError, FileNotFoundError) as error:
            if store:
                store.keep_failure(info["assignment"], info["student"], "", str(error))
            raise
        if store:
            store.keep(info["assignment"], info["student"], "", result.to_record())
        return result


def verdict_outputs(check, grade_id):
    """What nbgrader scores (`nbgrader.utils.determine_grade`): an error for 0
    points; printed text only for all of the cell's points (every check is all
    or nothing), so no `Out[ ]:` result shows. Either way the student reads one
    verdict, wrapped to the page."""
    if check is None:
        return [error_output(f"The autograder has no check named {grade_id!r}; ask your instructor.")]
    if not check.passed:
        return [error_output(check.message, f"✘ Not passed, {points(0, check.max_points)}")]
    verdict = wrapped(f"✔ Passed, {points(check.points, check.max_points)}: {check.message}")
    return [new_output("stream", name="stdout", text=verdict + "\n")]


def restored_grade_cell(check):
    """A grade cell the student deleted, put back so that its grade is recorded
    (nbgrader would otherwise leave it waiting for manual grading)."""
    marks = {"grade": True, "grade_id": check.name, "locked": True, "points": check.max_points,
             "schema_version": 3, "solution": False}
    cell = new_code_cell(f"# Check `{check.name}` (restored by the autograder: this cell had been deleted)",
                         metadata={"nbgrader": marks})
    cell.outputs = verdict_outputs(check, check.name)
    return cell


def error_output(message, verdict="✘ Not graded"):
    """An error nbgrader scores 0: `evalue` the reason, the traceback (what the page
    shows) the verdict and the reason, wrapped to the page."""
    return new_output("error", ename="CheckFailed", evalue=message, traceback=[wrapped(f"{verdict}: {message}")])


class SubmissionExporter(NotebookExporter):
    """nbgrader's exporter, but a submitted notebook that cannot be read (broken
    JSON, not UTF-8) becomes the released notebook marked with the reason, so
    autograde records 0 in every grade cell with that reason instead of
    skipping the submission. The submitted file itself is left as it is."""

    def from_filename(self, filename, resources=None, **kw):
        try:
            read_notebook(filename)
        except SubmissionError as error:
            return self.from_notebook_node(self._stand_in(resources, str(error)), resources, **kw)
        return super().from_filename(filename, resources, **kw)

    def _stand_in(self, resources, reason):
        info = resources["nbgrader"]
        return stand_in_notebook(self.parent.coursedir, info["assignment"], info["notebook"], reason)


def stand_in_notebook(coursedir, assignment, notebook, reason):
    """The released notebook, marked with why the submitted one could not be read."""
    release = coursedir.format_path(coursedir.release_directory, ".", assignment)
    stand_in = nbformat.read(os.path.join(release, f"{notebook}.ipynb"), as_version=4)
    stand_in.metadata.setdefault("autograder", {})["unreadable"] = reason
    return stand_in
