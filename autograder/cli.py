"""The `python -m autograder` command line: one sub-command per module in `apps/`.

Errors that stop the grader itself (no data, no sandbox, unknown assignment)
end with exit status 2 and a message saying what to do.
"""

import argparse
import logging
import os
import sys

from .apps import calibrate, check, doctor, export, grade, grade_all, report, scores, serve
from .datasets.base import DataError
from .run_in_isolation import GraderError
from .sandbox import SandboxUnavailable
from .settings import load_config
from .spec import UnknownAssignment

COMMANDS = {"grade": grade, "grade-all": grade_all, "scores": scores, "check": check, "report": report, "serve": serve,
            "export": export, "doctor": doctor, "calibrate": calibrate}
GRADER_ERRORS = (DataError, GraderError, SandboxUnavailable, UnknownAssignment, FileNotFoundError)


def parser():
    root = argparse.ArgumentParser(prog="python -m autograder", description="The course's hidden autograder.")
    root.add_argument("--config", help="configuration file (default: ./nbgrader_config.py)")
    commands = root.add_subparsers(dest="command", required=True)
    for name, app in COMMANDS.items():
        app.add_arguments(commands.add_parser(name, help=app.__doc__.strip().splitlines()[0],
                                              description=app.__doc__))
    return root


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's start-up chatter hides our messages
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        return COMMANDS[args.command].run(args, load_config(args.config))
    except GRADER_ERRORS as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
