"""Shared fixtures: the course's paths, the MNIST copy, and grading as a user does it."""

import functools
import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
import nbgrader.api as nbgrader_api
import pytest
from nbgrader.api import Gradebook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOLUTION = os.path.join(ROOT, "solutions", "mnist_conv.ipynb")
SHARED_MNIST = os.path.join(ROOT, "..", "shared", "data", "mnist.npz")
SHARED_ASCENT = os.path.join(ROOT, "..", "shared", "data", "ascent.dat")
CORPUS = os.path.join(ROOT, "tests", "adversarial")
ARTIFACTS = os.path.join(ROOT, "test-artifacts")  # screenshots and logs a run leaves for people to look at
CHROMIUM = "/usr/bin/chromium"  # Debian's; the browser tests never download one
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CHECK_NAMES = ["single_conv2d", "single_maxpooling2d", "reaches_target", "within_epoch_limit", "stops_at_target",
               "prints_stop_message"]


@pytest.fixture(scope="session", autouse=True)
def quick_profile():
    """The course grades on `full` (the exercise as written); the suite on `quick`, unless asked."""
    os.environ.setdefault("AUTOGRADER_PROFILE", "quick")


@pytest.fixture(scope="session", autouse=True)
def alembic_head_asked_once():
    """nbgrader runs `alembic heads`, a process of seconds, for every gradebook it creates; the answer is
    the installed nbgrader's, so this process asks once (nbgrader's commands, run as processes, still ask)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nbgrader_api, "get_alembic_version", functools.cache(nbgrader_api.get_alembic_version))
        yield


# The data fixtures: only tests that read a data set ask for them (a fixture argument, or a module's
# `pytestmark = pytest.mark.usefixtures("mnist_path")`); without the data, those tests fail saying what to
# set and every other test still runs.
@pytest.fixture(scope="session")
def mnist_path():
    """Points the grader at the MNIST copy: $AUTOGRADER_MNIST, else ../shared/data."""
    path = os.environ.get("AUTOGRADER_MNIST") or os.path.abspath(SHARED_MNIST)
    if not os.path.exists(path):
        pytest.fail(f"No MNIST copy at {path}: set AUTOGRADER_MNIST to a mnist.npz (Keras layout).", pytrace=False)
    os.environ["AUTOGRADER_MNIST"] = path
    return path


@pytest.fixture(scope="session")
def ascent_path():
    """Points the grader at SciPy's ascent.dat: $AUTOGRADER_ASCENT, else ../shared/data, else SciPy's cache."""
    candidates = [os.environ.get("AUTOGRADER_ASCENT"), os.path.abspath(SHARED_ASCENT),
                  os.path.expanduser("~/.cache/scipy-data/ascent.dat")]
    path = next((path for path in candidates if path and os.path.exists(path)), None)
    if path is None:
        pytest.fail("No copy of SciPy's ascent.dat: set AUTOGRADER_ASCENT to one.", pytrace=False)
    os.environ["AUTOGRADER_ASCENT"] = path
    return path


def run_autograder(*args, cwd=ROOT, env=None):
    """`python -m autograder ARGS` as a user runs it, from the course folder."""
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=1800)


def grade_json(notebook, *extra):
    """The JSON result of grading `notebook` on the quick profile."""
    done = run_autograder("grade", str(notebook), "--profile", "quick", "--json", *extra)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def failed_checks(result):
    return {check["name"] for check in result["checks"] if not check["passed"]}


def answer_cell(notebook):
    return next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("solution"))


def function_cell(name):
    """Selects the answer cell that defines `name`."""
    def select(notebook):
        return next(cell for cell in notebook.cells
                    if cell.metadata.get("nbgrader", {}).get("solution") and f"def {name}(" in cell.source)
    return select


def write_variant(path, *replacements, cell=answer_cell, solution=SOLUTION):
    """The reference `solution` (mnist_conv's unless given) with `(old, new)` replaced
    in one cell, written to `path`.

    Every `old` must occur: a variant that silently equals the solution would
    make its test meaningless.
    """
    notebook = nbformat.read(solution, as_version=4)
    target = cell(notebook)
    for old, new in replacements:
        assert old in target.source, f"variant text not found in the solution: {old!r}"
        target.source = target.source.replace(old, new)
    nbformat.write(notebook, str(path))
    return path


def callback_body(notebook_source, new_body):
    """The solution's callback body (between `logs = logs or {}` and the next def) replaced."""
    match = re.search(r"(        logs = logs or \{\}\n)(.*?)(\n\n\ndef )", notebook_source, re.S)
    assert match, "callback body not found in the solution"
    return (match.group(2), new_body)


def submit(course, student, notebook, stamp="2026-11-27 10:00:00.000000 UTC", assignment="mnist_conv"):
    """Hands `notebook` in for `student`, as nbgrader's collect leaves it in submitted/."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(notebook, folder / f"{assignment}.ipynb")
    (folder / "timestamp.txt").write_text(stamp)


def gradebook_rows(course, assignment="mnist_conv"):
    """{student: {check: (score, needs manual grading)}}, failing if anyone is recorded twice."""
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gradebook:
        rows = {}
        for submission in gradebook.find_assignment(assignment).submissions:
            for notebook in submission.notebooks:
                assert submission.student.id not in rows, "recorded twice"
                rows[submission.student.id] = {g.name: (g.score, g.needs_manual_grade) for g in notebook.grades}
        return rows


def copy_course(folder):
    """The course's config, source and release copied into `folder` (made if missing)."""
    folder.mkdir(exist_ok=True)
    for item in ("nbgrader_config.py", "source", "release"):
        src = os.path.join(ROOT, item)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, folder / item)
    return folder


@pytest.fixture
def course(tmp_path):
    """A fresh course folder (config, source, release) to run nbgrader in."""
    return copy_course(tmp_path)
