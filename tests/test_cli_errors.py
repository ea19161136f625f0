"""Each command's errors say what is wrong, with the exit status its help documents.

None trains a model, and most stop before any notebook code runs. Each command runs
in this process, through `autograder.cli.main` (what `python -m autograder` runs),
from the course folder as a user runs it; only the one that starts a Dask cluster
runs as `python -m autograder`, a process of its own.
"""

import importlib
import inspect
import json
import logging
import os
import pkgutil
import re
import subprocess

import nbformat
import pytest
from conftest import ROOT, SOLUTION, copy_course, run_autograder, submit

from autograder.cli import main

CONV_BASICS = SOLUTION.replace("mnist_conv", "conv_basics")


@pytest.fixture
def cli(capfd, monkeypatch):
    """`python -m autograder ARGS` in this process, from `cwd`: a CompletedProcess.

    capfd, not capsys: inside a command, its own messages go to `console.terminal()`, a copy of
    file descriptor 2 taken as the command starts (fd 2 itself is the third-party log by then).
    """
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"))  # main sets it; undone
    level = logging.root.level  # a command's log sets the root logger's level and routes warnings to logging

    def run(*args, cwd=ROOT):
        monkeypatch.chdir(cwd)
        capfd.readouterr()  # what came before is not this command's
        try:
            status = main(list(args))
        except SystemExit as exit:  # argparse: --help-all and usage errors
            status = exit.code
        out, err = capfd.readouterr()
        return subprocess.CompletedProcess(["python", "-m", "autograder", *args], status, out, err)

    yield run
    logging.root.setLevel(level)
    logging.captureWarnings(False)


@pytest.fixture
def garbage(tmp_path):
    path = tmp_path / "garbage.ipynb"
    path.write_text('{"cells": [')
    return path


@pytest.mark.parametrize("command", ["grade", "check"])
def test_a_missing_file_is_named(command, cli):
    done = cli(command, "nope.ipynb")
    assert done.returncode == 2 and "no such file: nope.ipynb" in done.stderr, done.stderr
    assert "grading spec" not in done.stderr


@pytest.mark.parametrize("command", ["grade", "check"])
def test_a_file_that_is_not_a_notebook_is_named(command, cli):
    done = cli(command, "README.md")
    assert done.returncode == 2 and "README.md is not a notebook" in done.stderr, done.stderr


def test_grading_a_file_that_is_not_json_says_so(garbage, cli):
    done = cli("grade", str(garbage))
    assert done.returncode == 2 and "not a valid notebook" in done.stderr and "JSON" in done.stderr, done.stderr
    assert "grading spec" not in done.stderr


def test_checking_a_file_that_is_not_json_says_so(garbage, cli):
    done = cli("check", str(garbage))
    assert done.returncode == 2 and "not a valid notebook" in done.stdout, done.stdout + done.stderr


def test_another_assignments_notebook_is_named_once_and_graded_zero(cli):
    done = cli("grade", CONV_BASICS, "--assignment", "mnist_conv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("'conv_basics'") == 1 and "Score 0/8" in done.stdout, done.stdout
    result = json.loads(cli("grade", CONV_BASICS, "--assignment", "mnist_conv", "--json").stdout)
    assert result["status"] == "error" and result["score"] == 0
    assert all("not of 'mnist_conv'" in check["message"] for check in result["checks"])


def test_a_notebook_whose_metadata_names_another_assignment_is_named(tmp_path, cli):
    notebook = nbformat.read(SOLUTION, as_version=4)
    notebook.metadata["autograder"]["assignment"] = "fashion_cnn"
    nbformat.write(notebook, tmp_path / "mnist_conv.ipynb")
    done = cli("check", str(tmp_path / "mnist_conv.ipynb"), "--assignment", "mnist_conv")
    assert done.returncode == 2 and "assignment 'fashion_cnn', not of 'mnist_conv'" in done.stdout, done.stdout


def test_an_unknown_assignment_lists_the_known_ones(tmp_path, cli):
    course = copy_course(tmp_path / "course")
    done = cli("grade-all", "nosuch", cwd=course)
    assert done.returncode == 2 and "nosuch" in done.stderr and "mnist_conv" in done.stderr, done.stderr
    done = cli("grade", SOLUTION, "--assignment", "nosuch")
    assert done.returncode == 2 and "known: conv_basics, fashion_cnn, mnist_conv" in done.stderr


def test_grade_all_with_nothing_new_exits_0_and_a_student_without_submission_exits_2(tmp_path, cli):
    course = copy_course(tmp_path / "course")
    done = cli("grade-all", "mnist_conv", cwd=course)
    assert done.returncode == 0 and "Nothing to grade" in done.stdout, done.stderr
    submit(course, "alice", SOLUTION)
    done = cli("grade-all", "mnist_conv", "--student", "bob", cwd=course)
    assert done.returncode == 2 and "'bob'" in done.stderr and "submitted: alice" in done.stderr, done.stderr
    assert not (course / ".autograder" / "results").exists()  # nothing graded, nothing lost


@pytest.mark.dask  # grade-all's local Dask cluster: a process of its own
def test_grade_all_exits_1_listing_a_submission_a_worker_could_not_grade(tmp_path):
    course = copy_course(tmp_path / "course")
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"c.MnistData.path = {str(tmp_path / 'absent.npz')!r}\n")  # the workers find no data
    submit(course, "alice", SOLUTION)
    done = run_autograder("grade-all", "mnist_conv", "--workers", "1", cwd=course)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "alice" in done.stdout and "not graded: No MNIST file" in done.stdout, done.stdout
    again = run_autograder("grade-all", "mnist_conv", "--workers", "1", cwd=course)  # retried, not taken as graded
    assert again.returncode == 1 and "not graded: No MNIST file" in again.stdout, again.stdout


def test_scores_of_an_assignment_not_in_the_gradebook_exits_2(tmp_path, cli):
    course = copy_course(tmp_path / "course")
    done = cli("scores", "mnist_conv", cwd=course)
    assert done.returncode == 2 and "generate_assignment" in done.stdout, done.stdout + done.stderr


def test_each_command_documents_its_exit_status():
    from autograder.cli import COMMANDS

    for name, app in COMMANDS.items():
        assert re.search(r"[Ee]xit status", app.__doc__), f"{name}'s help does not give its exit status"


def test_help_all_lists_every_option_of_every_registered_class(cli):
    from autograder.settings import configurable_classes

    done = cli("--help-all")
    assert done.returncode == 0, done.stderr
    for cls in configurable_classes():
        for trait in cls.class_own_traits(config=True):
            assert f"c.{cls.__name__}.{trait} = " in done.stdout, f"{cls.__name__}.{trait} missing from --help-all"


# Modules not imported as part of the package: the sandbox's script (imported by file name
# there), the entry point and a JupyterHub configuration file.
NOT_PACKAGE_MODULES = ("autograder.deploy.",)  # configuration files, run by JupyterHub


def configurables_defined_in_the_package():
    from traitlets.config import Configurable

    import autograder.settings

    found = set()
    package = os.path.dirname(autograder.settings.__file__)  # this checkout's package only, not an installed copy
    for module in pkgutil.walk_packages([package], "autograder."):
        if module.name.startswith(NOT_PACKAGE_MODULES) or module.name.endswith(".__main__"):  # they run on import
            continue
        for _, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if (issubclass(cls, Configurable) and cls.__module__ == module.name
                    and own_options(cls)):
                found.add(cls)
    return found


def own_options(cls):
    """The config traits `cls` or an autograder base class defines (not nbgrader's or traitlets')."""
    return [name for name in cls.class_traits(config=True)
            if next(base for base in cls.__mro__ if name in vars(base)).__module__.startswith("autograder.")]


def test_every_configurable_class_is_registered_and_each_option_is_in_nbgrader_config():
    from autograder.settings import configurable_classes

    registered = configurable_classes()
    missing = configurables_defined_in_the_package() - set(registered)
    assert not missing, f"add these to autograder.settings.CONFIGURABLES: {sorted(c.__name__ for c in missing)}"
    with open(f"{ROOT}/nbgrader_config.py", encoding="utf-8") as handle:
        config = handle.read()
    absent = [f"c.{cls.__name__}.{name}" for cls in registered for name in own_options(cls)
              if not re.search(rf"c\.{cls.__name__}\.{name}\b", config)]
    assert not absent, f"list these in nbgrader_config.py, with a comment: {absent}"
