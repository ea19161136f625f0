"""Other programs' messages (TensorFlow, absl, Dask, nbgrader) go to a log file,
so a command's terminal shows only the autograder's own lines.

Inside `third_party_log`, file descriptor 2 is the log file: native code
(TensorFlow's C++ start-up lines), child processes (Dask's workers, the
trainer) and Python's `sys.stderr` write there. The autograder's own lines
(its loggers, the progress bar, a run's epochs) go to `terminal()`, the stderr
the command started with. The file is removed at the end when empty, or when
the caller sets `log.keep = False`.

Example:

    >>> import tempfile
    >>> from autograder.console import third_party_log
    >>> with third_party_log(tempfile.mkdtemp(), "grade") as log:
    ...     import tensorflow  # its start-up lines land in log.path
"""

import logging
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

LOGS_FOLDER = os.path.join(".autograder", "logs")  # relative to the course root
KEPT_LOGS = 50  # newest files kept in a logs folder: a course graded every few minutes must not fill its disk
OWN_LOGGERS = ("autograder", "traitlets")  # traitlets: the logger of the autograder's Configurable classes

_terminal = None  # the command's own stderr while a log is open


def terminal():
    """Where the autograder's own messages go: the terminal, also while a log is open."""
    return _terminal or sys.stderr


@dataclass
class Log:
    path: str
    keep: bool = True

    def has_content(self):
        return os.path.exists(self.path) and os.path.getsize(self.path) > 0


@contextmanager
def third_party_log(folder, command):
    """Yields a Log at FOLDER/COMMAND-TIMESTAMP-PID.log; see the module's docstring."""
    global _terminal
    os.makedirs(folder, exist_ok=True)
    prune(folder)
    log = Log(os.path.join(folder, f"{command}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"))
    sys.stderr.flush()
    saved_fd = os.dup(2)
    _terminal = os.fdopen(os.dup(2), "w", buffering=1, encoding=sys.stderr.encoding, errors="backslashreplace")
    with open(log.path, "ab") as handle:
        os.dup2(handle.fileno(), 2)
    logging.captureWarnings(True)  # Python warnings (TensorFlow's retracing ones among them) to the file
    handlers = own_lines_to(_terminal)
    try:
        yield log
    finally:
        sys.stderr.flush()
        os.dup2(saved_fd, 2)  # a traceback after this reaches the terminal
        os.close(saved_fd)
        for logger, handler in handlers:
            logger.removeHandler(handler)
        _terminal.close()
        _terminal = None
        if not (log.keep and log.has_content()):
            os.remove(log.path)


def prune(folder):
    """Removes all but the newest KEPT_LOGS - 1 logs of `folder`, making room for one more."""
    logs = sorted((entry for entry in os.scandir(folder) if entry.name.endswith(".log") and entry.is_file()),
                  key=lambda entry: entry.stat().st_mtime)
    for entry in logs[:max(0, len(logs) - KEPT_LOGS + 1)]:
        try:
            os.remove(entry.path)
        except FileNotFoundError:  # another command pruned it first
            pass


def own_lines_to(stream):
    """The autograder's loggers to `stream` too; everything to the file (the root logger,
    on stderr). Returns the handlers added, as (logger, handler)."""
    root = logging.getLogger()
    file_handler = logging.StreamHandler(sys.stderr)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    root.addHandler(file_handler)
    root.setLevel(logging.INFO)
    added = [(root, file_handler)]
    for name in OWN_LOGGERS:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger(name).addHandler(handler)
        added.append((logging.getLogger(name), handler))
    return added
