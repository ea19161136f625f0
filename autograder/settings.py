"""Configuration: the course's `nbgrader_config.py`, read the way nbgrader reads it.

Every option of the grader is a traitlets trait (`c.RunInIsolation.time_limit`,
`c.MnistData.path`, `c.Grader.profile`, ...), so one file configures nbgrader and
the autograder alike.

Example:

    >>> from autograder.settings import load_config
    >>> config = load_config("nbgrader_config.py")
    >>> config.Grader.profile  # doctest: +SKIP
    'quick'
"""

import os

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader


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
