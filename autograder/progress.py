"""Progress on stderr: a one-line bar for batches (done, running, failed, time
left) and a running account of one grading run (`RunProgress`).

Example:

    >>> from autograder.progress import Progress
    >>> bar = Progress(3, "grading")
    >>> bar.advance(failed=False, running=2)  # doctest: +SKIP
"""

import json
import sys
import threading
import time

from .protocol import ProtocolError, open_regular_file


class Progress:
    def __init__(self, total, label, stream=None):
        self.total, self.label, self.stream = total, label, stream or sys.stderr
        self.done = self.failed = 0
        self.started = time.monotonic()
        self.show(running=0)

    def advance(self, failed, running):
        self.done += 1
        self.failed += int(failed)
        self.show(running)

    def show(self, running):
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done) if self.done else None
        width = 24
        filled = width * self.done // max(self.total, 1)
        eta = "--" if left is None else f"{left / 60:.0f}m{left % 60:02.0f}s"
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} done, "
                          f"{running} running, {self.failed} failed, {eta} left ")
        self.stream.flush()

    def close(self):
        self.stream.write("\n")
        self.stream.flush()


class RunProgress(threading.Thread):
    """Follows a grading run's event log (see `runner`) and says on stderr, as
    they happen, each epoch finished and each function call made, so a long
    training is not a silent wait. For display only: nothing is trusted here.

    Example:

        >>> follower = RunProgress("/tmp/out/events.jsonl", "alice.ipynb")  # doctest: +SKIP
        >>> follower.start(); ...; follower.stop()  # doctest: +SKIP
    """

    def __init__(self, path, label, stream=None, every=1.0):
        super().__init__(daemon=True)
        self.path, self.label, self.stream, self.every = path, label, stream or sys.stderr, every
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
        complete = complete.decode("utf-8", errors="replace")
        for line in complete.splitlines():
            if message := describe_event(line):
                self.stream.write(f"{self.label}: {message}\n")
        self.stream.flush()


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
