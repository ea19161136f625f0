"""conv_basics and fashion_cnn go through the course like mnist_conv: released,
autograded by nbgrader in the sandbox, feedback pages with their pictures, and
the instructor's report."""

import csv
import os
import subprocess
import sys

import pytest
from conftest import ROOT, function_cell, gradebook_rows, submit, write_variant
from test_nbgrader_autograde import assert_no_hidden_tests, nbgrader


def solution(assignment):
    return os.path.join(ROOT, "solutions", f"{assignment}.ipynb")


def feedback_page(course, student, assignment):
    return (course / "feedback" / student / assignment / f"{assignment}.html").read_text()


def report_rows(course, assignment):
    done = subprocess.run([sys.executable, "-m", "autograder", "report", assignment], cwd=course,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(course / ".autograder" / "reports" / assignment / "report.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.mark.sandbox
@pytest.mark.usefixtures("ascent_path")
@pytest.mark.nbgrader_cli
def test_conv_basics_autograded_with_feedback_and_report(course, tmp_path):
    nbgrader(course, "generate_assignment", "conv_basics", "--force")
    average = write_variant(tmp_path / "average.ipynb", ("blocks.max(axis=(1, 3))",
                            "blocks.mean(axis=(1, 3)).astype(image.dtype)"),
                            cell=function_cell("max_pool"), solution=solution("conv_basics"))
    submit(course, "alice", solution("conv_basics"), assignment="conv_basics")
    submit(course, "bob", average, assignment="conv_basics")
    nbgrader(course, "autograde", "conv_basics", "--create")
    nbgrader(course, "generate_feedback", "conv_basics")

    scores = {student: sum(score for score, _ in grades.values())
              for student, grades in gradebook_rows(course, "conv_basics").items()}
    assert scores == {"alice": 10, "bob": 8}
    page = feedback_page(course, "bob", "conv_basics")
    assert_no_hidden_tests(page)
    assert "Autograder: 8 / 10" in page and "average pooling instead of max pooling" in page
    assert page.count("data:image/png;base64,") == 1  # the student's functions on the ascent image
    rows = report_rows(course, "conv_basics")
    assert rows["alice"]["score"] == "10.0" and rows["bob"]["pooling_values"] == "0.0"


@pytest.mark.trains
@pytest.mark.nbgrader_cli
def test_fashion_cnn_autograded_with_the_activation_grid_in_feedback(course):
    nbgrader(course, "generate_assignment", "fashion_cnn", "--force")
    submit(course, "alice", solution("fashion_cnn"), assignment="fashion_cnn")
    nbgrader(course, "autograde", "fashion_cnn", "--create")
    nbgrader(course, "generate_feedback", "fashion_cnn")

    assert sum(score for score, _ in gradebook_rows(course, "fashion_cnn")["alice"].values()) == 8
    page = feedback_page(course, "alice", "fashion_cnn")
    assert_no_hidden_tests(page)
    assert "Autograder: 8 / 8" in page and "(None, 5, 5, 64)" in page and "(None, 1600)" in page
    assert page.count("data:image/png;base64,") == 2  # the training curve and the activation grid
    assert "The journey of test images" in page
    assert report_rows(course, "fashion_cnn")["alice"]["beats_dense_baseline"] == "2.0"
