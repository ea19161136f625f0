"""Grade a whole class on a Dask cluster, resumably, with one gradebook writer.

Each submission in `submitted/` becomes one Dask task that grades the
notebook's bytes on a worker (in that worker's sandbox, on its GPU when the
task asks for one). Results come back to this process, which alone writes:
first the result into the `ResultStore`, then into the gradebook, in this
process, as `nbgrader autograde` would (`recording.GradebookRecorder`, one
transaction per student). A re-run grades only submissions whose file or
timestamp changed, and records results that were computed but not recorded.
A submission the grader itself could not grade (no data, no sandbox) gets no
points: its reason is kept and it is graded again by the next run. A worker
that dies mid-task has its task retried on another (Dask's `allowed-failures`).

Example:

    >>> from autograder.grade_all import ClassGrader
    >>> summary = ClassGrader(config=config).grade_all("mnist_conv", workers=2)  # doctest: +SKIP
"""

import glob
import hashlib
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass

from nbgrader.coursedir import CourseDirectory
from traitlets import Integer
from traitlets.config import LoggingConfigurable

from .pipeline import Grader
from .progress import Progress
from .results import ResultStore
from .score import GradeResult


@dataclass
class Job:
    student: str
    notebook: str  # path of the submitted notebook
    timestamp: str
    key: str  # what was submitted: sha256 of the file and its timestamp, with the profile

    @property
    def name(self):
        return os.path.basename(self.notebook)


def grade_bytes(content, name, assignment, profile, config):
    """The Dask task: grades a notebook's bytes on a worker; returns the result's record (JSON).

    The notebook travels as bytes, so workers need no view of the course folder.
    """
    with tempfile.TemporaryDirectory(prefix="autograder-task-") as folder:
        path = os.path.join(folder, name)
        with open(path, "wb") as handle:
            handle.write(content)
        return Grader(config=config).grade(path, assignment=assignment, profile=profile).to_record()


class ClassGrader(LoggingConfigurable):
    """Plans, runs and records the grading of every submission of an assignment."""

    jobs_per_gpu = Integer(
        2, help="Gradings that share one GPU at once (each takes GPU memory as it needs it)."
    ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.coursedir = CourseDirectory(parent=self)
        self.store = ResultStore(parent=self, root=self.coursedir.root)
        self.recorder = None  # a GradebookRecorder while `recording()`
        self.bookkeeping = {}  # submitted notebook -> (wall, CPU) seconds spent keeping and recording its result

    def plan(self, assignment, profile):
        """(jobs to grade, jobs graded but not yet recorded); the rest is up to date."""
        to_grade, to_record = [], []
        for job in self.submissions(assignment, profile):
            cached = self.cached_result(assignment, job)
            if cached is None:
                to_grade.append(job)
            elif not self.recorded(assignment, job):
                to_record.append(job)
        return to_grade, to_record

    def submissions(self, assignment, profile, student="*"):
        pattern = self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment)
        for folder in sorted(glob.glob(pattern)):
            student = os.path.basename(os.path.dirname(folder))
            stamp = read_text(os.path.join(folder, "timestamp.txt"))
            for notebook in sorted(glob.glob(os.path.join(folder, "*.ipynb"))):
                with open(notebook, "rb") as handle:
                    digest = hashlib.sha256(handle.read() + stamp.encode() + profile.encode()).hexdigest()
                yield Job(student, notebook, stamp, digest)

    def cached_result(self, assignment, job):
        return self.store.result(assignment, job.student, job.key)

    def recorded(self, assignment, job):
        stamp = self.coursedir.format_path(self.coursedir.autograded_directory, job.student, assignment)
        return read_text(os.path.join(stamp, "timestamp.txt")) == job.timestamp and bool(job.timestamp)

    def save_result(self, assignment, job, result):
        with self.timed(job):
            self.store.keep(assignment, job.student, job.key, result)

    def save_failure(self, assignment, job, error):
        """The grader could not grade `job`: its reason is kept, no points are recorded."""
        reason = " ".join(str(error).split()) or type(error).__name__
        self.store.keep_failure(assignment, job.student, job.key, reason)
        return reason

    @contextmanager
    def recording(self):
        """One gradebook session (one writer) for the results recorded meanwhile."""
        from .recording import GradebookRecorder  # it imports nbgrader's converters: only when recording

        try:
            with GradebookRecorder(parent=self) as self.recorder:
                yield self.recorder
        finally:
            self.recorder = None

    def record(self, assignment, job):
        """Into the gradebook, in this process, with the saved result (no second training)."""
        with self.timed(job):
            result = GradeResult.from_json(self.cached_result(assignment, job))
            self.recorder.record(assignment, job.student, result)

    @contextmanager
    def timed(self, job):
        """Adds the block's wall and CPU time (this thread's: the other gradings' are not counted)
        to the submission's bookkeeping."""
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            spent = self.bookkeeping.get(job.notebook, (0.0, 0.0))
            self.bookkeeping[job.notebook] = (spent[0] + time.perf_counter() - wall,
                                              spent[1] + time.thread_time() - cpu)

    def bookkeeping_summary(self):
        """One line: the bookkeeping time per submission of this run (call it when there was some)."""
        walls, cpus = zip(*self.bookkeeping.values())
        return (f"Bookkeeping (result kept and recorded, feedback where released): {sum(walls) / len(walls):.3f} s per "
                f"submission on average ({sum(cpus) / len(cpus):.3f} s of CPU), {max(walls):.3f} s at most, over "
                f"{len(walls)}")

    def submit(self, client, task_resources, assignment, profile, job):
        """The Dask future of grading `job` on the cluster."""
        with open(job.notebook, "rb") as handle:
            content = handle.read()
        return client.submit(grade_bytes, content, job.name, assignment, profile, self.config,
                             key=f"grade-{assignment}-{job.student}-{job.key[:12]}",
                             resources=task_resources, pure=False)

    def grade_all(self, assignment, workers=None, scheduler=None, profile=None):
        """Grades what is new or changed; returns {student: result JSON} of this run."""
        from .cluster import open_client

        profile = profile or Grader(parent=self).profile
        to_grade, to_record = self.plan(assignment, profile)
        results = {}
        if not (to_grade or to_record):
            return results
        with self.recording():
            for job in to_record:
                self.record(assignment, job)
                results[job.student] = self.cached_result(assignment, job)
            if to_grade:
                with open_client(workers, scheduler, self.jobs_per_gpu) as (client, task_resources):
                    self._run(client, task_resources, assignment, profile, to_grade, results)
        return results

    def _run(self, client, task_resources, assignment, profile, jobs, results):
        from dask.distributed import as_completed

        futures = {self.submit(client, task_resources, assignment, profile, job): job for job in jobs}
        progress = Progress(len(jobs), "grading")
        for future in as_completed(futures):
            job = futures[future]
            if future.status == "error":
                progress.advance(failed=True, running=running_count(futures))
                results[job.student] = {"status": "error", "error": self.save_failure(assignment, job,
                                                                                      future.exception())}
                continue
            result = future.result()
            self.save_result(assignment, job, result)
            self.record(assignment, job)
            results[job.student] = result
            progress.advance(failed=False, running=running_count(futures))
        progress.close()


def running_count(futures):
    return sum(1 for future in futures if future.status == "pending")


def read_text(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""
