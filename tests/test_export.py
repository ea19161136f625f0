"""`python -m autograder export`: the gradebook in each platform's grade-import CSV layout.

On a hand-built class (see class_gradebook): late with a penalty, crashed with a
grade changed by hand, timed out, and missing; no grading runs.
"""

import csv
import shutil
import subprocess
import sys

import pytest
from class_gradebook import ASSIGNMENT, build_class, course_config
from conftest import CHECK_NAMES
from nbgrader.api import Gradebook

from autograder.classroom.export import GradeExporter
from autograder.errors import ExportError
from autograder.gradebook.results import ResultStore

STAMPS = {"alice": "2026-11-27 11:00:00 UTC", "bob": "2026-11-27 14:30:00 UTC", "carol": "2026-11-27 11:55:00 UTC",
          "dave": "2026-11-27 11:59:00 UTC"}
DUE = "2026-11-27 12:00:00 UTC"


@pytest.fixture(scope="module")
def class_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("template")
    build_class(root)
    return root


@pytest.fixture
def graded_class(class_template, tmp_path):
    """A fresh copy of the class for each test (building it takes seconds, copying it no time)."""
    return shutil.copytree(class_template, tmp_path / "course")


def exported(root, layout, **options):
    exporter = GradeExporter(config=course_config(root))
    for name, value in options.items():
        setattr(exporter, name, value)
    path = exporter.write(ASSIGNMENT, layout, str(root / f"{layout}.csv"))
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_canvas_layout_late_penalty_manual_grade_and_a_missing_student(graded_class):
    assert exported(graded_class, "canvas", canvas_assignment_ids={ASSIGNMENT: 4711}) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "mnist_conv (4711)"],
        ["Points Possible", "", "", "", "", "8"],
        ["Adams, Alice", "", "", "alice", "", "8"],
        ["Brown, Bob", "", "", "bob", "", "7"],  # 8 less nbgrader's late penalty of 1
        ["Clark, Carol", "", "", "carol", "", "3"],  # 2 from the autograder, 1 given by hand
        ["Davis, Dave", "", "", "dave", "", "0"],  # timed out
        ["Evans, Erin", "", "", "erin", "", "0"],  # handed nothing in
    ]


def test_canvas_student_id_column_and_a_bare_assignment_name(graded_class):
    table = exported(graded_class, "canvas", canvas_id_column="SIS User ID", missing_grade="")
    assert table[0][-1] == "mnist_conv"
    assert table[2] == ["Adams, Alice", "", "alice", "", "", "8"]
    assert table[-1] == ["Evans, Erin", "", "erin", "", "", ""]


def test_moodle_layout_by_username_and_by_email(graded_class):
    assert exported(graded_class, "moodle") == [
        ["First name", "Last name", "Username", "mnist_conv"],
        ["Alice", "Adams", "alice", "8"],
        ["Bob", "Brown", "bob", "7"],
        ["Carol", "Clark", "carol", "3"],
        ["Dave", "Davis", "dave", "0"],
        ["Erin", "Evans", "erin", "0"],
    ]
    by_email = exported(graded_class, "moodle", moodle_id_field="email")
    assert by_email[0][2] == "Email address" and by_email[1][2] == "alice@example.edu"


def test_plain_csv_has_a_column_per_check_and_keeps_the_missing_student(graded_class):
    table = exported(graded_class, "csv")
    assert table[0] == ["student_id", "last_name", "first_name", "email", "submitted", "timestamp", "duedate",
                        "seconds_late", "raw_score", "late_submission_penalty", "score", "max_score",
                        "needs_manual_grade", "not_graded", *CHECK_NAMES]
    assert table[1:] == [
        ["alice", "Adams", "Alice", "alice@example.edu", "yes", STAMPS["alice"], DUE, "0", "8", "0", "8", "8", "no", "",
         "1", "1", "2", "1", "2", "1"],
        ["bob", "Brown", "Bob", "bob@example.edu", "yes", STAMPS["bob"], DUE, "9000", "8", "1", "7", "8", "no", "",
         "1", "1", "2", "1", "2", "1"],
        ["carol", "Clark", "Carol", "carol@example.edu", "yes", STAMPS["carol"], DUE, "0", "3", "0", "3", "8", "no", "",
         "1", "1", "1", "0", "0", "0"],
        ["dave", "Davis", "Dave", "dave@example.edu", "yes", STAMPS["dave"], DUE, "0", "0", "0", "0", "8", "no", "",
         "0", "0", "0", "0", "0", "0"],
        ["erin", "Evans", "Erin", "erin@example.edu", "no", "", DUE, "", "", "", "0", "8", "", "",
         "", "", "", "", "", ""],
    ]


def test_a_submission_the_grader_could_not_grade_has_no_grade_in_any_layout(graded_class, caplog):
    """Alice's resubmission failed for lack of data: the 8 the gradebook holds from before is not hers
    any more. Frank handed in, the grader failed, and the gradebook never heard of him."""
    store = ResultStore(root=str(graded_class))
    store.keep_failure(ASSIGNMENT, "alice", "k1", "No MNIST file at /data/mnist.npz")
    store.keep_failure(ASSIGNMENT, "frank", "k2", "bubblewrap cannot start")
    assert exported(graded_class, "canvas")[2:] == [
        ["Adams, Alice", "", "", "alice", "", ""], ["Brown, Bob", "", "", "bob", "", "7"],
        ["Clark, Carol", "", "", "carol", "", "3"], ["Davis, Dave", "", "", "dave", "", "0"],
        ["Evans, Erin", "", "", "erin", "", "0"], ["frank", "", "", "frank", "", ""]]
    assert [row[-1] for row in exported(graded_class, "moodle")[1:]] == ["", "7", "3", "0", "0", ""]
    plain = {row[0]: row for row in exported(graded_class, "csv")[1:]}
    assert plain["alice"][4] == "yes" and plain["alice"][8:14] == [
        "", "", "", "8", "no", "the grader failed: No MNIST file at /data/mnist.npz"]
    assert plain["alice"][14:] == [""] * len(CHECK_NAMES) and plain["bob"][13] == ""
    assert plain["frank"][4] == "yes" and plain["frank"][11:14] == ["8", "no", "the grader failed: bubblewrap cannot start"]
    assert "Not graded" in caplog.text and "alice, frank" in caplog.text


def test_text_a_spreadsheet_would_run_is_written_inert(graded_class):
    with Gradebook(f"sqlite:///{graded_class}/gradebook.db") as gradebook:
        gradebook.update_or_create_student("erin", first_name='=HYPERLINK("http://x.example","y")',
                                           last_name="@SUM(1)")
    assert exported(graded_class, "moodle")[-1] == ["\'=HYPERLINK(\"http://x.example\",\"y\")", "\'@SUM(1)", "erin", "0"]
    assert exported(graded_class, "canvas")[-1][0] == "\'@SUM(1), =HYPERLINK(\"http://x.example\",\"y\")"


def test_export_from_the_command_line_and_its_errors(graded_class):
    (graded_class / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.root = "
                                                     f"{str(graded_class)!r}\n")

    def export(*args):
        return subprocess.run([sys.executable, "-m", "autograder", "export", *args], cwd=graded_class,
                              capture_output=True, text=True, timeout=300)

    done = export(ASSIGNMENT, "--format", "canvas")
    assert done.returncode == 0, done.stderr[-3000:]
    written = graded_class / "mnist_conv-canvas.csv"
    assert str(written) in done.stdout and written.read_text().startswith("Student,ID,SIS User ID")

    unknown = export("nosuch", "--format", "csv", "--output", str(graded_class / "x.csv"))
    assert unknown.returncode == 2 and "'nosuch'" in unknown.stderr and "known: mnist_conv" in unknown.stderr
    assert not (graded_class / "x.csv").exists()


def test_no_gradebook_is_an_error_and_looking_does_not_create_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="no gradebook at sqlite:///"):
        GradeExporter(config=course_config(tmp_path)).write(ASSIGNMENT, "csv")
    assert list(tmp_path.iterdir()) == []


def test_a_moodle_export_by_email_names_the_students_without_one_and_writes_nothing(graded_class):
    with Gradebook(f"sqlite:///{graded_class}/gradebook.db") as gradebook:
        gradebook.update_or_create_student("erin", email=None)
    with pytest.raises(ExportError, match="no email in the gradebook for erin"):
        exported(graded_class, "moodle", moodle_id_field="email")
    assert not (graded_class / "moodle.csv").exists()
