"""Progress on the terminal (see `third_party_log`): a bar for batches (done, running, failed, time left), drawn
by `rich`, with notes printed above it, and a running account of one grading
run (`RunProgress`).

Example:

    >>> from autograder.progress import Progress
    >>> bar = Progress(3, "grading")  # doctest: +SKIP
    >>> bar.note("alice: epoch 1 done")  # doctest: +SKIP
    >>> bar.advance(failed=False, running=2)  # doctest: +SKIP
    >>> bar.close()  # doctest: +SKIP
"""

import contextvars
import json
import threading
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress as RichProgress, TextColumn, TimeRemainingColumn

from .protocol import ProtocolError, open_regular_file
from .third_party_log import terminal


class Progress:
    """A batch's bar. `running` is what is really running (the caller asks its
    scheduler), not what is merely waiting; `note` prints a line above the bar."""

    def __init__(self, total, label, stream=None):
        self.done = self.failed = self.running = 0
        self._bar = RichProgress(
            TextColumn("{task.description}"), BarColumn(),
            TextColumn("{task.completed}/{task.total} done, {task.fields[running]} running, "
                       "{task.fields[failed]} failed"),
            TimeRemainingColumn(), console=Console(file=stream or terminal()), refresh_per_second=2)
        self._task = self._bar.add_task(label, total=total, running=0, failed=0)
        self._bar.start()

    def advance(self, failed, running=None):
        self.done += 1
        self.failed += int(failed)
        self.update(running)

    def update(self, running=None):
        self.running = self.running if running is None else running
        self._bar.update(self._task, completed=self.done, running=self.running, failed=self.failed)

    def note(self, line):
        self._bar.console.print(line, markup=False, highlight=False)

    def close(self):
        self._bar.stop()


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
    """Follows a grading run's event log (see `runner`) and says, as they happen,
    each epoch finished and each function call made, so a long training is not a
    silent wait. For display only: nothing is trusted here.

    Example:

        >>> follower = RunProgress("/tmp/out/events.jsonl", "alice.ipynb")  # doctest: +SKIP
        >>> follower.start(); ...; follower.stop()  # doctest: +SKIP
    """

    def __init__(self, path, label, stream=None, every=1.0):
        super().__init__(daemon=True)
        chosen_label, write = _DESTINATION.get() or (None, None)
        stream = stream or terminal()
        self.label = chosen_label or label
        self.write = write or (lambda line: (stream.write(line + "\n"), stream.flush()))
        self.path, self.every = path, every
        self._offset, self._done = 0, threading.Event()

    def run(self):
        while not self._done.wait(self.every):
            self._read_new()

    def stop(self):
        self._done.set()
        self.join()
        self._read_new()

    def _read_new(self):
        try:  # the student's folder: a FIFO or a link there must not block or mislead
            with open_regular_file(self.path) as handle:
                handle.seek(self._offset)
                data = handle.read(1_000_000)
        except (OSError, ProtocolError):
            return
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.decode("utf-8", errors="replace").splitlines():
            if message := describe_event(line):
                self.write(f"{self.label}: {message}")


def describe_event(line):
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    if event.get("event") == "epoch_end":
        logs = event.get("logs") or {}
        accuracy = logs.get("accuracy", logs.get("acc"))
        shown = f", accuracy {accuracy:.4f}" if isinstance(accuracy, (int, float)) else ""
        return f"epoch {int(event.get('epoch') or 0) + 1} done{shown}"
    if event.get("event") == "call":
        seconds = event.get("seconds")
        took = f" ({seconds:.2f} s)" if isinstance(seconds, (int, float)) else ""
        return f"called {event.get('id')}{took}" + (" - failed" if event.get("error") else "")
    return None
