"""Following a JSON-lines file as it grows: the trainer's record (for the
watchdog) and the student's event log (for the running account on the
terminal). One follower for both: only regular files are read (a FIFO or a
link in the student's folder must not block or mislead), a line still being
written waits for the next look, and anything that is not a JSON object is
skipped.

Example:

    >>> import json, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "events.jsonl")
    >>> follower = JsonlFollower(path)
    >>> follower.new_records()
    []
    >>> with open(path, "w") as handle:
    ...     _ = handle.write(json.dumps({"event": "start"}) + "\\n" + '{"event": "epo')
    >>> follower.new_records()
    [{'event': 'start'}]
"""

import contextvars
import json
import threading
from contextlib import contextmanager

from autograder.console import terminal
from autograder.sandboxed.protocol import ACCURACY_KEYS, Event, ProtocolError, open_regular_file

READ_AT_ONCE = 1_000_000  # bytes one look reads: a flood is read over several looks, never all at once


class JsonlFollower:
    """The JSON objects a JSON-lines file gained since the last look; a missing
    or unreadable file: nothing yet."""

    def __init__(self, path):
        self.path, self._offset, self._partial = path, 0, b""

    def new_records(self):
        try:
            with open_regular_file(self.path) as handle:
                handle.seek(self._offset)
                chunk = handle.read(READ_AT_ONCE)
        except (OSError, ProtocolError):
            return []
        self._offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        return [record for line in lines if (record := parsed(line)) is not None]


def parsed(line):
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


# Where the lines of a RunProgress made in this context go: (label, write), see `reporting_as`.
_DESTINATION = contextvars.ContextVar("autograder_run_progress", default=None)


@contextmanager
def reporting_as(label, write=None):
    """Runs followed in this context are told as `label: ...` through `write(line)`
    (default: the terminal), e.g. a student's name, sent from a Dask worker to the client."""
    token = _DESTINATION.set((label, write))
    try:
        yield
    finally:
        _DESTINATION.reset(token)


class RunProgress(threading.Thread):
    """Follows a grading run's event log and says, as they happen, each epoch
    finished and each function call made, so a long training is not a silent
    wait. For display only: nothing is trusted here.

    Example:

        >>> import json, os, sys, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "events.jsonl")  # the run's, in its output folder
        >>> with open(path, "w") as handle:
        ...     _ = handle.write(json.dumps({"event": "epoch_end", "epoch": 0, "logs": {"accuracy": 0.9}}) + "\\n")
        >>> follower = RunProgress(path, "alice.ipynb", stream=sys.stdout)  # default: the terminal
        >>> follower.start()  # as the run starts; then, once it has ended:
        >>> follower.stop()
        alice.ipynb: epoch 1 done, accuracy 0.9000
    """

    def __init__(self, path, label, stream=None, every=1.0):
        super().__init__(daemon=True)
        chosen_label, write = _DESTINATION.get() or (None, None)
        stream = stream or terminal()
        self.label = chosen_label or label
        self.write = write or (lambda line: (stream.write(line + "\n"), stream.flush()))
        self._follower, self.every, self._done = JsonlFollower(path), every, threading.Event()

    def run(self):
        while not self._done.wait(self.every):
            self._read_new()

    def stop(self):
        self._done.set()
        self.join()
        self._read_new()

    def _read_new(self):
        for event in self._follower.new_records():
            if message := describe_event(event):
                self.write(f"{self.label}: {message}")


def describe_event(event):
    """One line on an event of the student's run worth telling, or None."""
    if event.get("event") == Event.EPOCH_END:
        logs = event.get("logs") or {}
        accuracy = next((logs[key] for key in ACCURACY_KEYS if key in logs), None)
        shown = f", accuracy {accuracy:.4f}" if isinstance(accuracy, (int, float)) else ""
        return f"epoch {int(event.get('epoch') or 0) + 1} done{shown}"
    if event.get("event") == Event.CALL:
        seconds = event.get("seconds")
        took = f" ({seconds:.2f} s)" if isinstance(seconds, (int, float)) else ""
        return f"called {event.get('id')}{took}" + (" - failed" if event.get("error") else "")
    return None
