"""`grade-all --student ID [--force]`: what a run plans to grade, on a hand-built
submitted/ folder (nothing is graded here)."""

import pytest
from conftest import SOLUTION, copy_course, submit

from autograder.classroom.grade_all import ClassGrader
from autograder.settings import load_config

STAMP = "2026-11-27 10:00:00.000000 UTC"


@pytest.fixture
def grader(tmp_path, monkeypatch):
    """A course where alice, bob and carol handed in; alice's and bob's results are recorded, carol's is new."""
    course = copy_course(tmp_path / "course")
    monkeypatch.chdir(course)
    for student in ("alice", "bob", "carol"):
        submit(course, student, SOLUTION, stamp=STAMP)
    grader = ClassGrader(config=load_config(str(course / "nbgrader_config.py")))
    for job in grader.submissions("mnist_conv", "quick"):
        if job.student != "carol":
            grader.save_result("mnist_conv", job, {"status": "graded"})
            recorded = course / "autograded" / job.student / "mnist_conv"
            recorded.mkdir(parents=True)
            (recorded / "timestamp.txt").write_text(STAMP)
    return grader


def students(jobs):
    return sorted(job.student for job in jobs)


def test_a_run_grades_only_what_is_new(grader):
    to_grade, to_record = grader.plan("mnist_conv", "quick")
    assert students(to_grade) == ["carol"] and to_record == []


def test_student_grades_that_student_only_and_only_if_out_of_date(grader):
    assert students(grader.plan("mnist_conv", "quick", student="carol")[0]) == ["carol"]
    assert grader.plan("mnist_conv", "quick", student="alice") == ([], [])


def test_force_grades_again_one_student_or_everyone(grader):
    assert students(grader.plan("mnist_conv", "quick", student="alice", force=True)[0]) == ["alice"]
    assert students(grader.plan("mnist_conv", "quick", force=True)[0]) == ["alice", "bob", "carol"]


def test_a_student_name_is_not_a_pattern(grader):
    assert grader.plan("mnist_conv", "quick", student="*", force=True) == ([], [])
