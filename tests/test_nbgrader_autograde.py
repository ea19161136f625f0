"""`nbgrader autograde` on a course folder: grades land in the gradebook, one per check."""

import os
import shutil
import subprocess

import nbformat
from nbgrader.api import Gradebook

from conftest import SOLUTION, write_variant


def nbgrader(course, *args):
    done = subprocess.run(["nbgrader", *args], cwd=course, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done


def submit(course, student, notebook):
    folder = course / "submitted" / student / "mnist_conv"
    folder.mkdir(parents=True)
    shutil.copy(notebook, folder / "mnist_conv.ipynb")
    (folder / "timestamp.txt").write_text("2026-11-27 10:00:00.000000 UTC")


def cell_scores(course, student):
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gradebook:
        submission = gradebook.find_submission_notebook("mnist_conv", "mnist_conv", student)
        return {grade.name: (grade.score, grade.needs_manual_grade) for grade in submission.grades}


def test_autograde_scores_every_check_and_trains_once(course, tmp_path):
    nbgrader(course, "generate_assignment", "mnist_conv", "--force")
    submit(course, "alice", SOLUTION)
    crash = ("x_train, y_train = load_training_data()", 'raise ValueError("no data for you")')
    submit(course, "bob", write_variant(tmp_path / "crash.ipynb", crash))
    done = nbgrader(course, "autograde", "mnist_conv", "--create")

    assert cell_scores(course, "alice") == {
        "single_conv2d": (1, False), "single_maxpooling2d": (1, False), "reaches_target": (2, False),
        "within_epoch_limit": (1, False), "stops_at_target": (2, False), "prints_stop_message": (1, False),
    }
    bob = cell_scores(course, "bob")
    assert len(bob) == 6 and all(score == 0 and not manual for score, manual in bob.values())

    autograded = nbformat.read(os.path.join(course, "autograded", "bob", "mnist_conv", "mnist_conv.ipynb"), 4)
    reasons = [out.evalue for cell in autograded.cells for out in cell.get("outputs", []) if out.output_type == "error"]
    assert len(reasons) == 6 and all("ValueError" in reason and "no data for you" in reason for reason in reasons)
    assert "BEGIN HIDDEN TESTS" not in open(os.path.join(course, "autograded", "alice", "mnist_conv",
                                                          "mnist_conv.ipynb")).read()
    assert "CellTimeoutError" not in done.stdout + done.stderr


def test_scores_command_prints_the_gradebook(course):
    nbgrader(course, "generate_assignment", "mnist_conv", "--force")
    done = subprocess.run(["python", "-m", "autograder", "scores", "mnist_conv"], cwd=course,
                          capture_output=True, text=True)
    assert done.returncode == 0 and "no submissions graded yet" in done.stdout
