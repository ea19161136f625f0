"""Results into nbgrader's gradebook, and feedback pages, in the grader's own process.

`GradebookRecorder` does for one student what `nbgrader autograde --force`
does with a result already computed, without starting nbgrader: it creates or
updates the student and the submission (with its timestamp), runs the
course's own sanitize and autograde preprocessors (`c.Autograde.*`, so
`GradeWithAutograder` writes the verdicts and nbgrader's `SaveAutoGrades` and
`AssignLatePenalties` record each grade cell's score and the late penalty) on
the submitted notebook, and writes the autograded folder from which feedback
is made. One gradebook session serves a whole run (one writer), and each
student's changes are one transaction: a failure midway records nothing.
The autograded folder is built aside within that transaction (a full disk
rolls the grades back too) and moved in once they are committed.

Example:

    >>> from autograder.gradebook.recording import GradebookRecorder
    >>> with GradebookRecorder(config=config) as recorder:  # doctest: +SKIP
    ...     recorder.record("mnist_conv", "alice", result)
    ...     recorder.generate_feedback("mnist_conv", "alice")
"""

import os
import shutil
from contextlib import contextmanager

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import latesubmissions, overwritecells, overwritekernelspec, saveautogrades
from nbgrader.utils import find_all_files, rmtree
from traitlets.config import LoggingConfigurable
from traitlets.utils.importstring import import_item

from autograder.errors import FolderNotReplaced, SubmissionError
from autograder.gradebook.nbgrader_plugin import GradeWithAutograder, stand_in_notebook
from autograder.grading.load_notebook import read_notebook

# nbgrader's preprocessors that open the gradebook themselves (`Gradebook(db_url)`).
GRADEBOOK_USERS = (latesubmissions, overwritecells, overwritekernelspec, saveautogrades)


class GradebookRecorder(LoggingConfigurable):
    """Records results as `nbgrader autograde` would; use it as a context manager (one gradebook session)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.coursedir = CourseDirectory(parent=self)
        # nbgrader's converter, for its configuration: the preprocessors, what not to overwrite, permissions
        self.autograde = Autograde(coursedir=self.coursedir, parent=self)
        self.steps = [step(parent=self) for step in map(resolve, self.autograde.sanitize_preprocessors
                                                         + self.autograde.autograde_preprocessors)]
        graders = [step for step in self.steps if isinstance(step, GradeWithAutograder)]
        if not graders:
            raise ValueError("c.Autograde.autograde_preprocessors has no GradeWithAutograder: results cannot be "
                             "recorded (see nbgrader_config.py)")
        self.grader = graders[0]
        self.gradebook = None
        self.feedback = GenerateFeedback(coursedir=CourseDirectory(parent=self), parent=self, force=True)
        self.feedback_started = False

    def __enter__(self):
        self.gradebook = Gradebook(self.coursedir.db_url, self.coursedir.course_id)
        return self

    def __exit__(self, *exc):
        self.gradebook.close()

    def record(self, assignment, student, result):
        """Records `result` (a GradeResult) for the student's submission in submitted/ and writes
        autograded/STUDENT/ASSIGNMENT/; MissingEntry when the assignment is not in the gradebook."""
        source = self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment)
        timestamp = self.coursedir.get_existing_timestamp(source)
        with one_transaction(self.gradebook) as gradebook, lent_to_preprocessors(gradebook):
            gradebook.update_or_create_student(student)
            try:
                notebooks = [notebook.name for notebook in gradebook.find_assignment(assignment).notebooks]
            except MissingEntry:
                raise MissingEntry(f"no assignment {assignment!r} in the gradebook: run nbgrader "
                                   "generate_assignment first") from None
            extra = {"timestamp": timestamp} if timestamp else {}
            gradebook.update_or_create_submission(assignment, student, **extra)
            autograded = {}
            for name in notebooks:
                path = os.path.join(source, f"{name}.ipynb")
                if os.path.exists(path):
                    autograded[name] = self._autograde(path, assignment, student, name, result)
                else:  # as nbgrader: a notebook not handed in scores 0
                    for grade in gradebook.find_submission_notebook(name, assignment, student).grades:
                        grade.auto_score, grade.needs_manual_grade = 0, False
            partial = self._build(assignment, student, source, autograded)
        self._replace(assignment, student, partial)

    def _autograde(self, path, assignment, student, name, result):
        try:
            notebook = read_notebook(path)
        except SubmissionError as error:
            notebook = stand_in_notebook(self.coursedir, assignment, name, str(error))
        resources = {"unique_key": name, "output_files_dir": f"{name}_files",
                     "nbgrader": {"student": student, "assignment": assignment, "notebook": name,
                                  "db_url": self.coursedir.db_url}}
        self.grader.result = result
        try:
            for step in self.steps:
                notebook, resources = step(notebook, resources)  # a step's own `enabled` decides, as in nbgrader
        finally:
            self.grader.result = None
        return notebook

    def _build(self, assignment, student, source, autograded):
        """The autograded folder as nbgrader leaves it, built aside (a failure removes it); its path."""
        partial = self._dest(assignment, student) + ".partial"
        if os.path.exists(partial):
            rmtree(partial)
        try:
            self._fill(assignment, source, autograded, partial)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        return partial

    def _dest(self, assignment, student):
        return self.coursedir.format_path(self.coursedir.autograded_directory, student, assignment)

    def _fill(self, assignment, source, autograded, partial):
        os.makedirs(partial)
        master = self.coursedir.format_path(self.coursedir.source_directory, ".", assignment)
        excluded = {os.path.join(master, name) for name in self.autograde.exclude_overwriting.get(assignment, [])}
        ignore = self.coursedir.ignore + ["*.ipynb"]
        for folder, files in ((source, find_all_files(source, ignore)),
                              (master, set(find_all_files(master, ignore)) - excluded)):
            for filename in files:
                target = os.path.join(partial, os.path.relpath(filename, folder))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy(filename, target)
        for name, notebook in autograded.items():
            nbformat.write(notebook, os.path.join(partial, f"{name}.ipynb"))

    def _replace(self, assignment, student, partial):
        """The folder built aside moved in whole, once the grades are committed."""
        dest = self._dest(assignment, student)
        try:
            if os.path.exists(dest):
                rmtree(dest)
            os.rename(partial, dest)
            self.autograde.set_permissions(assignment, student)
        except OSError as error:
            raise FolderNotReplaced(f"{dest} could not be replaced ({error})") from error

    def generate_feedback(self, assignment, student):
        """nbgrader's `generate_feedback --force` for one student, in this process. One converter
        serves every student: its HTML exporter, made by the first, keeps its compiled templates."""
        self.feedback.coursedir.assignment_id, self.feedback.coursedir.student_id = assignment, student
        if not self.feedback_started:
            self.feedback.start()
            self.feedback_started = True
            return
        self.feedback.init_notebooks()  # what start() does, less making the writer and exporter anew
        self.feedback.convert_notebooks()


def not_recorded(error):
    """What a failed `record` left undone, said as it is (for its student's error line)."""
    text = f"{type(error).__name__}: {' '.join(str(error).split())}"
    if isinstance(error, FolderNotReplaced):
        return f"and recorded in the gradebook, but not its autograded folder (feedback is made from it): {text}"
    return f"but not recorded in the gradebook (its changes rolled back): {text}"


@contextmanager
def lent_to_preprocessors(gradebook):
    """Meanwhile, nbgrader's preprocessors that open `Gradebook(db_url)` get `gradebook` instead."""
    opened = {module: module.Gradebook for module in GRADEBOOK_USERS}
    for module in GRADEBOOK_USERS:
        module.Gradebook = SharedGradebook(gradebook)
    try:
        yield
    finally:
        for module, original in opened.items():
            module.Gradebook = original


class SharedGradebook:
    """A gradebook as nbgrader's preprocessors open it: `Gradebook(db_url)` gives this same
    session, and leaving their `with` block leaves it open."""

    def __init__(self, gradebook):
        self._gradebook = gradebook

    def __call__(self, *args, **kwargs):
        return self

    def __enter__(self):
        return self._gradebook

    def __exit__(self, *exc):
        return False

    def __getattr__(self, name):
        return getattr(self._gradebook, name)


@contextmanager
def one_transaction(gradebook):
    """nbgrader's Gradebook commits after each change; here its commits only flush, and
    the student's changes are committed once at the end, or rolled back together."""
    session = gradebook.db
    session.commit = session.flush
    try:
        yield gradebook
    except BaseException:
        del session.commit
        session.rollback()
        raise
    del session.commit
    session.commit()


def resolve(step):
    """A preprocessor class from nbgrader's list, where it may be named by a string."""
    return import_item(step) if isinstance(step, str) else step
