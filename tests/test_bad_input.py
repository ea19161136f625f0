"""Broken submissions get a result that says what is wrong; a broken grader set-up
stops with exit status 2 and says what to do. None of these trains a model."""

import json

import nbformat
import numpy as np
import pytest
from conftest import SOLUTION, run_autograder


def grade(notebook, env=None):
    return run_autograder("grade", str(notebook), "--profile", "quick", "--json", "--assignment", "mnist_conv", env=env)


@pytest.mark.parametrize("content, reason", [
    (b'{"cells": [', "not a valid notebook"),
    (b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "x": "\xff\xfe"}', "not UTF-8"),
])
def test_unreadable_notebook_is_graded_zero_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "mnist_conv.ipynb"
    path.write_bytes(content)
    done = grade(path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "error" and result["score"] == 0.0 and result["max_score"] == 8.0
    assert len(result["checks"]) == 6 and all(reason in check["message"] for check in result["checks"])


def test_notebook_without_answer_cells_says_so(tmp_path):
    notebook = nbformat.read(SOLUTION, as_version=4)
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
    nbformat.write(notebook, tmp_path / "stripped.ipynb")
    result = json.loads(grade(tmp_path / "stripped.ipynb").stdout)
    assert result["status"] == "error" and "no answer cells" in result["checks"][0]["message"]


def test_missing_data_stops_the_grader_with_advice(tmp_path):
    done = grade(SOLUTION, env={"AUTOGRADER_MNIST": str(tmp_path / "absent.npz")})
    assert done.returncode == 2 and done.stdout == ""
    assert "No MNIST file" in done.stderr and "c.MnistData.path" in done.stderr


def test_wrong_data_is_refused(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.zeros((60000, 28, 28), np.uint8), y_train=np.zeros(60000, np.uint8))
    done = grade(SOLUTION, env={"AUTOGRADER_MNIST": str(path)})
    assert done.returncode == 2 and "checksum" in done.stderr


@pytest.mark.usefixtures("mnist_path")
def test_no_sandbox_tool_means_no_grading(tmp_path):
    done = grade(SOLUTION, env={"PATH": str(tmp_path)})
    assert done.returncode == 2 and "bubblewrap" in done.stderr and "sandbox = 'none'" in done.stderr


def test_an_unknown_profile_names_the_assignments_own():
    done = run_autograder("grade", SOLUTION, "--profile", "huge")
    assert done.returncode == 2 and "mnist_conv has no profile 'huge'; choose one of ['full', 'quick']" in done.stderr


@pytest.mark.sandbox
@pytest.mark.usefixtures("mnist_path")
def test_time_limit_gives_zero_with_the_reason(tmp_path):
    config = tmp_path / "tight_config.py"
    config.write_text("c = get_config()\nc.RunInIsolation.time_limit = {'quick': 3, 'full': 3}\n")
    done = run_autograder("--config", str(config), "grade", SOLUTION, "--profile", "quick", "--json")
    result = json.loads(done.stdout)
    assert done.returncode == 0 and result["status"] == "timeout" and result["score"] == 0.0
    assert all("time limit" in check["message"] for check in result["checks"])
