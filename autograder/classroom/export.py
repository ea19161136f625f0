"""Grades out of nbgrader's gradebook, in the CSV layout a learning platform imports.

Read from the gradebook (never from the autograder's result files), so manual
grades and nbgrader's late penalties count: a student's grade is the
submission's score less its late penalty, never below 0, as `nbgrader export`
computes it. Every student in the gradebook has a row; one who handed nothing
in gets `c.GradeExporter.missing_grade` (0 by default).

The layouts, as each platform documents its grade import:

- `canvas`: Canvas's Gradebook import ("How do I import grades in the
  Gradebook?", Canvas Instructor Guide; the layout of Canvas's own Gradebook
  export, which its importer, `GradebookImporter` in instructure/canvas-lms,
  reads): the columns `Student` ("Last, First"), `ID`, `SIS User ID`,
  `SIS Login ID`, `Section`, then one column per assignment named
  `Assignment Name (Canvas assignment id)`, which Canvas matches to that
  assignment (a bare name makes Canvas offer to create a new assignment); a
  second row starting `Points Possible` gives the assignment's points. Canvas
  finds the student by `ID` (its own user id), then `SIS User ID`, then
  `SIS Login ID`, then the name: the nbgrader student id goes in the column
  `c.GradeExporter.canvas_id_column` names. A blank cell would clear a grade
  Canvas holds and leave the student ungraded, so a missing submission gets 0.
- `moodle`: Moodle's CSV grade import (docs.moodle.org, "Grade import"): an
  identifier column that the import maps ("Map from" / "Map to") to the user's
  username, ID number or email address (`c.GradeExporter.moodle_id_field`),
  then one column per grade item, which the import maps to the item. Moodle
  reads an empty cell (or "-") as "no grade", so a missing submission gets 0.
- `csv`: a plain CSV, one row per student: id, names, email, whether and when
  they submitted, lateness, raw score, late penalty, score, why the autograder
  could not grade them, and one column per check (grade cell), empty when
  there was no submission.

A student whose latest submission the grader itself could not grade (no data,
no sandbox: a "not graded" in the autograder's results) has no grade, not the
one the gradebook may hold from an earlier submission: a blank grade in every
layout (both platforms then leave the student ungraded), the reason in the
plain CSV, and a warning naming them. Text that a spreadsheet would read as a
formula (a name beginning with `=`, `+`, `-` or `@`) is written with a
leading `'`, as OWASP advises against CSV injection.

Example:

    >>> import os, tempfile
    >>> from nbgrader.api import Gradebook
    >>> from traitlets.config import Config
    >>> from autograder.classroom.export import GradeExporter
    >>> config = Config()
    >>> root = config.CourseDirectory.root = tempfile.mkdtemp()  # a course, its gradebook made by nbgrader
    >>> with Gradebook(f"sqlite:///{root}/gradebook.db") as gradebook:
    ...     _ = gradebook.add_assignment("mnist_conv")
    >>> path = GradeExporter(config=config).write("mnist_conv", "canvas", os.path.join(root, "grades.csv"))
    >>> open(path).readline()
    'Student,ID,SIS User ID,SIS Login ID,Section,mnist_conv\\n'
"""

import csv
import os
from dataclasses import dataclass, field

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from traitlets import Dict, Enum, Unicode
from traitlets.config import LoggingConfigurable

from autograder.errors import ExportError, UnknownAssignment
from autograder.gradebook.results import ResultStore
from autograder.states import Status

FORMATS = ("canvas", "moodle", "csv")
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_ID_HEADERS = {"username": "Username", "idnumber": "ID number", "email": "Email address"}
PLAIN_COLUMNS = ["student_id", "last_name", "first_name", "email", "submitted", "timestamp", "duedate",
                 "seconds_late", "raw_score", "late_submission_penalty", "score", "max_score",
                 "needs_manual_grade", "not_graded"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class StudentGrade:
    """One student's grade on an assignment, as the gradebook holds it."""

    student: str
    first_name: str
    last_name: str
    email: str
    submitted: bool
    timestamp: object = None  # datetime, UTC (nbgrader stores naive UTC)
    duedate: object = None  # datetime, UTC, with the student's extension
    seconds_late: float = 0.0
    raw_score: float = 0.0
    penalty: float = 0.0
    max_score: float = 0.0
    needs_manual_grade: bool = False
    checks: dict = field(default_factory=dict)  # {grade cell: score}
    not_graded: str = ""  # why the grader could not grade the latest submission ('' when it did)

    @property
    def score(self):
        return max(0.0, self.raw_score - self.penalty)


def gradebook_exists(db_url):
    """False for a SQLite gradebook whose file is not there (opening it would create it)."""
    prefix = "sqlite:///"
    return not db_url.startswith(prefix) or os.path.exists(db_url[len(prefix):])


def class_grades(db_url, assignment, failures):
    """(grade cell names, [StudentGrade] for every student in the gradebook and of
    `failures` ({student: why the grader could not grade them}), by id).

    UnknownAssignment, naming the known ones, when the gradebook lacks `assignment`."""
    if not gradebook_exists(db_url):
        raise FileNotFoundError(f"no gradebook at {db_url}: run nbgrader generate_assignment and autograde first")
    with Gradebook(db_url) as gradebook:
        try:
            found = gradebook.find_assignment(assignment)
        except MissingEntry:
            known = ", ".join(sorted(item.name for item in gradebook.assignments)) or "none yet"
            raise UnknownAssignment(f"no assignment {assignment!r} in the gradebook; known: {known}") from None
        cells = [cell.name for notebook in found.notebooks for cell in notebook.grade_cells]
        grades = [student_grade(gradebook, found, student) for student in gradebook.students]
        # Handed in, not graded, so not in the gradebook yet (grade-all records only what it graded).
        grades += [StudentGrade(student, "", "", "", submitted=True, max_score=found.max_score)
                   for student in set(failures) - {grade.student for grade in grades}]
    for grade in grades:
        grade.not_graded = failures.get(grade.student, "")
    return cells, sorted(grades, key=lambda grade: grade.student)


def safe_cell(text):
    """`text` as a CSV cell no spreadsheet runs as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def student_grade(gradebook, assignment, student):
    grade = StudentGrade(student.id, student.first_name or "", student.last_name or "", student.email or "",
                         submitted=False, duedate=assignment.duedate, max_score=assignment.max_score)
    try:
        submission = gradebook.find_submission(assignment.name, student.id)
    except MissingEntry:
        return grade
    grade.submitted, grade.timestamp, grade.duedate = True, submission.timestamp, submission.duedate
    grade.seconds_late, grade.raw_score = submission.total_seconds_late, submission.score
    grade.penalty, grade.needs_manual_grade = submission.late_submission_penalty, submission.needs_manual_grade
    grade.checks = {item.name: item.score for notebook in submission.notebooks for item in notebook.grades}
    return grade


class GradeExporter(LoggingConfigurable):
    """Writes an assignment's grades from the gradebook as a CSV a learning platform imports."""

    canvas_id_column = Enum(
        ["SIS Login ID", "SIS User ID", "ID"], "SIS Login ID",
        help="The Canvas column that holds the nbgrader student id (a JupyterHub user name is usually the "
             "SIS login); Canvas finds the student by it. 'ID' only where nbgrader ids are Canvas user ids.",
    ).tag(config=True)

    canvas_assignment_ids = Dict(
        {}, help="Canvas's id of each assignment, from its Canvas URL (.../assignments/ID), e.g. "
                 "{'mnist_conv': 12345}: the grade column is then 'mnist_conv (12345)', which Canvas matches "
                 "to that assignment. Without one, Canvas offers to create an assignment of that name.",
    ).tag(config=True)

    section = Unicode("", help="What the Canvas 'Section' column holds (Canvas ignores it on import).").tag(
        config=True)

    moodle_id_field = Enum(
        list(MOODLE_ID_HEADERS), "username",
        help="How Moodle's import finds the student: 'username' or 'idnumber' (the nbgrader student id), or "
             "'email' (the gradebook's email). Map this column to that user field when importing.",
    ).tag(config=True)

    missing_grade = Unicode(
        "0", help="The grade of a student with no submission, in the canvas and moodle layouts: '0' (as "
                  "`nbgrader export` gives), or '' for no grade (both platforms then clear any grade they hold).",
    ).tag(config=True)

    def write(self, assignment, layout, output=None):
        """Writes `output` (default: ASSIGNMENT-LAYOUT.csv in the course root); returns its path."""
        if layout not in FORMATS:
            raise ExportError(f"unknown export format {layout!r}; choose one of {', '.join(FORMATS)}")
        coursedir = CourseDirectory(parent=self)
        cells, grades = class_grades(coursedir.db_url, assignment, self.failures(assignment, coursedir.root))
        table = getattr(self, f"{layout}_table")(assignment, cells, grades)
        output = output or os.path.join(coursedir.root, f"{assignment}-{layout}.csv")
        with open(output, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([[safe_cell(str(cell)) for cell in row] for row in table])
        self.warn(grades)
        return output

    def failures(self, assignment, root):
        """{student: reason} of the students whose latest submission the grader could not grade."""
        records = ResultStore(parent=self, root=root).records(assignment)
        return {student: record["details"]["error"] for student, record in records.items()
                if record["status"] == Status.NOT_GRADED}

    def warn(self, grades):
        manual = [grade.student for grade in grades if grade.needs_manual_grade]
        if manual:
            self.log.warning("Still to grade by hand in nbgrader (exported as they stand): %s", ", ".join(manual))
        failed = [grade.student for grade in grades if grade.not_graded]
        if failed:
            self.log.warning("Not graded: the grader could not grade their latest submission, exported without a "
                             "grade (see the plain CSV's not_graded column; grade them again with grade-all): %s",
                             ", ".join(failed))

    def grade_text(self, grade):
        if grade.not_graded:
            return ""
        return f"{grade.score:g}" if grade.submitted else self.missing_grade

    def canvas_table(self, assignment, cells, grades):
        canvas_id = self.canvas_assignment_ids.get(assignment)
        column = f"{assignment} ({canvas_id})" if canvas_id else assignment
        max_score = grades[0].max_score if grades else 0
        table = [CANVAS_COLUMNS + [column], ["Points Possible", "", "", "", ""] + [f"{max_score:g}"]]
        for grade in grades:
            ids = {name: grade.student if name == self.canvas_id_column else "" for name in CANVAS_COLUMNS[1:4]}
            name = ", ".join(part for part in (grade.last_name, grade.first_name) if part) or grade.student
            table.append([name, ids["ID"], ids["SIS User ID"], ids["SIS Login ID"], self.section,
                          self.grade_text(grade)])
        return table

    def moodle_table(self, assignment, cells, grades):
        if self.moodle_id_field == "email":
            lacking = [grade.student for grade in grades if not grade.email]
            if lacking:
                raise ExportError(f"no email in the gradebook for {', '.join(lacking)}: add them "
                                 "(nbgrader db student add --email) or export with moodle_id_field='username'")
        table = [["First name", "Last name", MOODLE_ID_HEADERS[self.moodle_id_field], assignment]]
        for grade in grades:
            identifier = grade.email if self.moodle_id_field == "email" else grade.student
            table.append([grade.first_name, grade.last_name, identifier, self.grade_text(grade)])
        return table

    def csv_table(self, assignment, cells, grades):
        table = [PLAIN_COLUMNS + cells]
        for grade in grades:
            if not grade.submitted:
                table.append([grade.student, grade.last_name, grade.first_name, grade.email, "no", "",
                              utc_text(grade.duedate), "", "", "", "0", f"{grade.max_score:g}", "", ""]
                             + [""] * len(cells))
                continue
            table.append(submitted_row(grade, cells))
        return table


def submitted_row(grade, cells):
    """The plain CSV's row of a student who handed in; no scores when not graded."""
    scores = ["", "", ""] if grade.not_graded else [f"{grade.raw_score:g}", f"{grade.penalty:g}", f"{grade.score:g}"]
    checks = [""] * len(cells) if grade.not_graded else \
        [f"{grade.checks[name]:g}" if grade.checks.get(name) is not None else "" for name in cells]
    return ([grade.student, grade.last_name, grade.first_name, grade.email, "yes", utc_text(grade.timestamp),
             utc_text(grade.duedate), f"{grade.seconds_late:g}", *scores, f"{grade.max_score:g}",
             "yes" if grade.needs_manual_grade else "no", grade.not_graded] + checks)


def utc_text(moment):
    """A gradebook time (naive, UTC) as text, e.g. '2026-11-27 10:00:00 UTC'; '' for none."""
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else ""
