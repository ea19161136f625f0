"""Progress on the terminal (see `autograder.console`): a bar for batches (done, running, failed, time
left), drawn by `rich`, with notes printed above it. A running account of one
grading run is `autograder.isolation.follow.RunProgress`.

Example:

    >>> from autograder.classroom.progress import Progress
    >>> bar = Progress(3, "grading")  # drawn on the terminal (stderr)
    >>> bar.note("alice: epoch 1 done")
    >>> bar.advance(failed=False, running=2)
    >>> bar.close()
"""

from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

from autograder.console import terminal


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
