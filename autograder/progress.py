"""A one-line progress bar on stderr: done, running, failed, time left.

Example:

    >>> from autograder.progress import Progress
    >>> bar = Progress(3, "grading")
    >>> bar.advance(failed=False, running=2)  # doctest: +SKIP
"""

import sys
import time


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
