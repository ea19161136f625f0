"""The committed course files agree with each other, for every assignment with a grading
spec: release with source, solutions with release, grade cells with the grading spec."""

import os
import re
import shutil
import subprocess

import nbformat
import numpy as np
import pytest
from conftest import ROOT

from autograder.assignments import known_assignments, load_spec

ASSIGNMENTS = known_assignments()


def read(*parts):
    return nbformat.read(os.path.join(*parts), as_version=4)


def source_path(assignment):
    return os.path.join(ROOT, "source", assignment, f"{assignment}.ipynb")


def release_path(assignment):
    return os.path.join(ROOT, "release", assignment, f"{assignment}.ipynb")


def solution_path(assignment):
    return os.path.join(ROOT, "solutions", f"{assignment}.ipynb")


def nbgrader_marks(cell):
    return cell.metadata.get("nbgrader", {})


def solution_lines(notebook):
    """The lines between `### BEGIN SOLUTION` and `### END SOLUTION`, stripped."""
    lines = []
    for cell in notebook.cells:
        lines += [line.strip() for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
                  for line in region.splitlines() if line.strip()]
    return lines


def test_every_assignment_has_its_notebooks():
    for assignment in ASSIGNMENTS:
        for path in (source_path(assignment), release_path(assignment), solution_path(assignment)):
            assert os.path.exists(path), f"{assignment} has a grading spec but no {os.path.relpath(path, ROOT)}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.nbgrader_cli
def test_release_is_what_generate_assignment_makes_from_source(course, assignment):
    done = subprocess.run(["nbgrader", "generate_assignment", assignment, "--force"], cwd=course,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    fresh = read(course, "release", assignment, f"{assignment}.ipynb")
    committed = read(release_path(assignment))
    assert [c.source for c in fresh.cells] == [c.source for c in committed.cells], \
        f"release/ is out of date: run `nbgrader generate_assignment {assignment} --force` and commit it"
    assert [nbgrader_marks(c) for c in fresh.cells] == [nbgrader_marks(c) for c in committed.cells]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_hides_solutions_and_tests(assignment):
    text = open(release_path(assignment), encoding="utf-8").read()
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):
        assert marker not in text
    source = read(source_path(assignment))
    regions = sum(cell.source.count("### BEGIN SOLUTION") for cell in source.cells)
    assert regions and text.count("# YOUR CODE HERE") == regions
    released_code = "\n".join(cell.source for cell in read(release_path(assignment)).cells if cell.cell_type == "code")
    leaked = [line for line in solution_lines(source) if len(line) > 12 and line in released_code]
    assert not leaked, f"answer lines left in the released code: {leaked}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_is_the_release_with_answers_filled_in(assignment):
    release, solution = read(release_path(assignment)), read(solution_path(assignment))
    assert solution.metadata["autograder"]["assignment"] == assignment
    assert len(release.cells) == len(solution.cells)
    for released, answered in zip(release.cells, solution.cells):
        assert nbgrader_marks(released) == nbgrader_marks(answered)
        if not nbgrader_marks(released).get("solution"):
            assert released.source == answered.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_cells_are_the_specs_checks_with_the_same_points(assignment):
    source = read(source_path(assignment))
    cells = [(nbgrader_marks(c)["grade_id"], nbgrader_marks(c)["points"]) for c in source.cells
             if nbgrader_marks(c).get("grade")]
    assert cells == [(check.name, check.points) for check in load_spec(assignment).checks]


# The student's own cells skip themselves: in Validate (training, pictures), or in any
# nbgrader execution (the self-check).
GUARDS = ('if os.environ.get("NBGRADER_EXECUTION") != "validate":', 'if os.environ.get("NBGRADER_EXECUTION") is None:')


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_students_own_cells_skip_themselves_in_validate(assignment):
    """The cells a student runs for their own look (training, pictures, self-check) are
    unmarked, so the grader never runs them; nbgrader's Validate runs them unless they skip
    themselves, and it reports "Success" even when they fail: so the guard is checked here,
    line by line (imports may come first)."""
    own = [cell for cell in read(source_path(assignment)).cells if cell.cell_type == "code" and not nbgrader_marks(cell)]
    assert own, f"{assignment} has no cell for the student's own run"
    for cell in own:
        code = [line for line in cell.source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        while code and code[0].startswith("import "):
            code = code[1:]
        assert code and code[0] in GUARDS and all(line.startswith("    ") for line in code[1:]), cell.source


def validation_environment(assignment, folder):
    """What the notebook's provided cell reads, with nothing to download and nothing to train on."""
    if assignment == "mnist_conv":
        return {"MNIST_PATH": "/nonexistent/mnist.npz"}  # loaded only by the training cell
    if assignment == "conv_basics":  # scipy.datasets.ascent() reads SciPy's pooch cache
        os.makedirs(os.path.join(folder, "scipy-data"))
        shutil.copy(os.environ["AUTOGRADER_ASCENT"], os.path.join(folder, "scipy-data", "ascent.dat"))
        return {"XDG_CACHE_HOME": str(folder)}
    if assignment == "fashion_cnn":  # 10 blank images and 5 labels: training on them would fail
        path = os.path.join(folder, "fashion.npz")
        images, labels = np.zeros((10, 28, 28), np.uint8), np.arange(5, dtype=np.uint8)
        np.savez(path, x_train=images, y_train=labels, x_test=images, y_test=labels)
        return {"FASHION_MNIST_PATH": path}
    pytest.fail(f"say how to validate {assignment} without its data set")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.usefixtures("ascent_path")
@pytest.mark.nbgrader_cli
def test_validate_succeeds_in_seconds_without_training(assignment, tmp_path):
    """nbgrader's Validate button runs every cell; the student's own cell (training,
    pictures) must skip itself there (no data download, no minutes under the 30 s cell timeout)."""
    env = validation_environment(assignment, tmp_path)
    done = subprocess.run(["nbgrader", "validate", solution_path(assignment)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **env})
    assert done.returncode == 0 and "Success" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
