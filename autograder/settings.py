"""Configuration: the course's `nbgrader_config.py`, read the way nbgrader reads it.

Every option of the grader is a traitlets trait (`c.RunInIsolation.time_limit`,
`c.MnistData.path`, `c.Grader.profile`, ...), so one file configures nbgrader and
the autograder alike.

`CONFIGURABLES` lists every class that has options, for `python -m autograder
--help-all`; a test checks that none is missing and that nbgrader_config.py
lists each option.

Example:

    >>> from autograder.settings import load_config
    >>> config = load_config("nbgrader_config.py")  # in the course folder
    >>> config.RunInIsolation.sandbox
    'bwrap'
"""

import importlib
import os
import re

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

# Every autograder class with options ("module.Class" under autograder), in the order --help-all shows them.
CONFIGURABLES = [
    "grading.pipeline.Grader",
    "isolation.run.RunInIsolation",
    "datasets.mnist.MnistData",
    "datasets.ascent.AscentImage",
    "datasets.fashion_mnist.FashionMnistData",
    "classroom.grade_all.ClassGrader",
    "gradebook.results.ResultStore",
    "classroom.report.ReportWriter",
    "classroom.export.GradeExporter",
    "isolation.calibration.Calibration",
    "gradebook.nbgrader_plugin.GradeWithAutograder",
    "service.policy.GradingPolicy",
    "service.grading_service.GradingService",
    "service.queue.SubmissionQueue",
    "service.status_server.StatusServer",
]


def configurable_classes():
    """The classes of CONFIGURABLES, imported (some import nbgrader or JupyterHub: only when asked)."""
    classes = []
    for entry in CONFIGURABLES:
        module, name = entry.rsplit(".", 1)
        classes.append(getattr(importlib.import_module(f"{__package__}.{module}"), name))
    return classes


def help_all():
    """Every option of every class in CONFIGURABLES, with its help and default, written
    the way nbgrader_config.py sets it (traitlets writes `--Class.option=`)."""
    text = "\n".join(cls.class_get_help() for cls in configurable_classes())
    return ("Options, set in nbgrader_config.py as `c.Class.option = value`:\n\n"
            + re.sub(r"^--(\w+\.\w+)=", r"c.\1 = ", text, flags=re.M))


def find_config(path=None):
    """`path`, else $AUTOGRADER_CONFIG, else ./nbgrader_config.py; None if absent."""
    path = path or os.environ.get("AUTOGRADER_CONFIG") or "nbgrader_config.py"
    return path if os.path.exists(path) else None


def load_config(path=None):
    found = find_config(path)
    if path and not found:
        raise FileNotFoundError(f"no configuration file at {path}")
    if not found:
        return Config()
    directory, filename = os.path.split(os.path.abspath(found))
    return PyFileConfigLoader(filename, path=directory).load_config()
