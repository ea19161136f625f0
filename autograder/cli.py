"""The `python -m autograder` command line: one sub-command per module in `apps/`.

Each app module has `add_arguments(parser)` and `run(args, config)` (returning
the exit status), and may set `THIRD_PARTY_LOG`: "course" (the default:
TensorFlow's, Dask's and nbgrader's messages go to
.autograder/logs/COMMAND-*.log under the course root, named at the end),
"temporary" (a file kept and named only when the command cannot run) or None
(all on the terminal, e.g. a service whose log is read elsewhere).

Errors that stop the grader itself (no data, no sandbox, unknown assignment)
end with exit status 2 and a message saying what to do; so do wrong arguments.

Example:

    $ python -m autograder --help-all     # every option, as nbgrader_config.py sets it
    $ python -m autograder grade-all mnist_conv --student alice --force
"""

import argparse
import logging
import os
import sys
import tempfile

from autograder.apps import calibrate, check, doctor, export, grade, grade_all, report, scores, serve
from autograder.console import LOGS_FOLDER, terminal, third_party_log
from autograder.errors import AutograderError
from autograder.settings import help_all, load_config

COMMANDS = {"grade": grade, "grade-all": grade_all, "scores": scores, "check": check, "report": report, "serve": serve,
            "export": export, "doctor": doctor, "calibrate": calibrate}


class HelpAll(argparse.Action):
    """--help-all: the commands, then every option of every autograder class."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show every autograder option (nbgrader_config.py) and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        parser.print_help()
        print("\n" + help_all())
        parser.exit()


def parser():
    root = argparse.ArgumentParser(prog="python -m autograder", description="The course's hidden autograder.")
    root.add_argument("--help-all", action=HelpAll)
    root.add_argument("--config", help="configuration file (default: ./nbgrader_config.py)")
    commands = root.add_subparsers(dest="command", required=True)
    for name, app in COMMANDS.items():
        app.add_arguments(commands.add_parser(name, help=app.__doc__.strip().splitlines()[0],
                                              description=app.__doc__,
                                              formatter_class=argparse.RawDescriptionHelpFormatter))
    return root


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's start-up chatter hides our messages
    args = parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except FileNotFoundError as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    app = COMMANDS[args.command]
    where = getattr(app, "THIRD_PARTY_LOG", "course")
    if where is None:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
        return run(app, args, config)
    # The course's folder, as nbgrader has it: c.CourseDirectory.root, else the current folder.
    root = config.CourseDirectory.get("root") or os.getcwd()
    folder = os.path.join(root, LOGS_FOLDER)
    if where == "temporary" or not writable(folder):  # a read-only course folder still grades
        folder = tempfile.gettempdir()
    with third_party_log(folder, args.command) as log:
        status = run(app, args, config)
        sys.stderr.flush()
        # A student's check that ran: nothing there is theirs to read.
        log.keep = where == "course" or status == 2
        if log.keep and log.has_content():
            print(f"Messages of TensorFlow, Dask and nbgrader: {log.path}", file=terminal())
    return status


def run(app, args, config):
    try:
        return app.run(args, config)
    except (AutograderError, FileNotFoundError) as error:
        print(f"autograder: {error}", file=terminal())
        return 2


def writable(folder):
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)
