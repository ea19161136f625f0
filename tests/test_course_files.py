"""The committed course files agree with each other: release with source,
solutions with release, grade cells with the grading spec."""

import os
import subprocess

import nbformat

from autograder.spec import load_spec
from conftest import ROOT, SOLUTION

ASSIGNMENT = "mnist_conv"


def read(*parts):
    return nbformat.read(os.path.join(*parts), as_version=4)


def nbgrader_marks(cell):
    return cell.metadata.get("nbgrader", {})


def test_release_is_what_generate_assignment_makes_from_source(course):
    done = subprocess.run(["nbgrader", "generate_assignment", ASSIGNMENT, "--force"], cwd=course,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    fresh = read(course, "release", ASSIGNMENT, f"{ASSIGNMENT}.ipynb")
    committed = read(ROOT, "release", ASSIGNMENT, f"{ASSIGNMENT}.ipynb")
    assert [c.source for c in fresh.cells] == [c.source for c in committed.cells], \
        "release/ is out of date: run `nbgrader generate_assignment mnist_conv --force` and commit it"
    assert [nbgrader_marks(c) for c in fresh.cells] == [nbgrader_marks(c) for c in committed.cells]


def test_release_hides_solutions_and_tests():
    text = open(os.path.join(ROOT, "release", ASSIGNMENT, f"{ASSIGNMENT}.ipynb"), encoding="utf-8").read()
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Conv2D(64"):
        assert marker not in text
    assert text.count("# YOUR CODE HERE") == 4


def test_solution_is_the_release_with_answers_filled_in():
    release, solution = read(ROOT, "release", ASSIGNMENT, f"{ASSIGNMENT}.ipynb"), read(SOLUTION)
    assert len(release.cells) == len(solution.cells)
    for released, answered in zip(release.cells, solution.cells):
        assert nbgrader_marks(released) == nbgrader_marks(answered)
        if not nbgrader_marks(released).get("solution"):
            assert released.source == answered.source


def test_grade_cells_are_the_specs_checks_with_the_same_points():
    source = read(ROOT, "source", ASSIGNMENT, f"{ASSIGNMENT}.ipynb")
    cells = [(nbgrader_marks(c)["grade_id"], nbgrader_marks(c)["points"]) for c in source.cells
             if nbgrader_marks(c).get("grade")]
    assert cells == [(check.name, check.points) for check in load_spec(ASSIGNMENT).checks]


def test_validate_succeeds_in_seconds_without_training():
    """nbgrader's Validate button runs every cell; the training cell must skip itself there
    (no data download, no minutes of training under the 30 s cell timeout)."""
    done = subprocess.run(["nbgrader", "validate", SOLUTION], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MNIST_PATH": "/nonexistent/mnist.npz"})
    assert done.returncode == 0 and "Success" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
