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

    >>> from autograder.classroom.grade_all import ClassGrader
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

from autograder.classroom.progress import Progress
from autograder.gradebook.results import ResultStore
from autograder.grading.pipeline import Grader
from autograder.grading.score import GradeResult
from autograder.isolation.follow import reporting_as


@dataclass
class Job:
    student: str
    notebook: str  # path of the submitted notebook
    timestamp: str
    key: str  # what was submitted: sha256 of the file and its timestamp, with the profile

    @property
    def name(self):
        return os.path.basename(self.notebook)


# Dask event topic of the progress lines (epochs, calls) a worker sends to the client that shows the bar.
PROGRESS_TOPIC = "autograder-progress"


def grade_bytes(content, name, assignment, profile, config, student=None):
    """The Dask task: grades a notebook's bytes on a worker; returns the result's record (JSON).

    The notebook travels as bytes, so workers need no view of the course folder.
    Its progress lines name `student` and go to the client (see `progress_to_client`).
    """
    with tempfile.TemporaryDirectory(prefix="autograder-task-") as folder, \
            reporting_as(student or name, progress_to_client()):
        path = os.path.join(folder, name)
        with open(path, "wb") as handle:
            handle.write(content)
        return Grader(config=config).grade(path, assignment=assignment, profile=profile).to_record()


def progress_to_client():
    """On a Dask worker, what sends a progress line to the client showing the bar (see
    `ClassGrader._run`); elsewhere (the task called in-process) None: the terminal."""
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:  # not on a worker
        return None
    return lambda line: worker.log_event(PROGRESS_TOPIC, line)


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

    def plan(self, assignment, profile, student=None, force=False):
        """(jobs to grade, jobs graded but not yet recorded); the rest is up to date.
        `student`: that student's submission only; `force`: grade again even what is up to date."""
        to_grade, to_record = [], []
        for job in self.submissions(assignment, profile, glob.escape(student) if student else "*"):
            cached = None if force else self.cached_result(assignment, job)
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
        from autograder.gradebook.recording import (
            GradebookRecorder,  # it imports nbgrader's converters: only when recording
        )

        try:
            with GradebookRecorder(parent=self) as self.recorder:
                yield self.recorder
        finally:
            self.recorder = None

    def record(self, assignment, job):
        """Into the gradebook, in this process, with the saved result (no second training).
        Returns None, or the error entry of a submission nbgrader would not record: its student's
        changes are rolled back, its result stays kept for the next run, the others are recorded."""
        from autograder.gradebook.recording import not_recorded  # loaded already: self.recorder is one

        with self.timed(job):
            result = GradeResult.from_json(self.cached_result(assignment, job))
            try:
                self.recorder.record(assignment, job.student, result)
            except Exception as error:  # nbgrader's preprocessors raise all kinds on a notebook they refuse
                reason = f"graded ({result.score:g}/{result.max_score:g}) {not_recorded(error)}"
                self.log.error("%s: %s", job.student, reason)
                return {"status": "error", "error": reason}
        return None

    def generate_feedback(self, assignment, job):
        """The student's feedback page, from the autograded notebook `record` wrote, in this process."""
        with self.timed(job):
            self.recorder.generate_feedback(assignment, job.student)

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
        return client.submit(grade_bytes, content, job.name, assignment, profile, self.config, job.student,
                             key=f"grade-{assignment}-{job.student}-{job.key[:12]}",
                             resources=task_resources, pure=False)

    def grade_all(self, assignment, workers=None, scheduler=None, profile=None, student=None, force=False):
        """Grades what is new or changed (of `student` only, if given; everything, with `force`);
        returns {student: result JSON} of this run."""
        from autograder.classroom.cluster import open_client

        profile = profile or Grader(parent=self).profile
        to_grade, to_record = self.plan(assignment, profile, student, force)
        results = {}
        if not (to_grade or to_record):
            return results
        with self.recording():
            for job in to_record:
                results[job.student] = self.record(assignment, job) or self.cached_result(assignment, job)
            if to_grade:
                with open_client(workers, scheduler, self.jobs_per_gpu) as (client, task_resources):
                    self._run(client, task_resources, assignment, profile, to_grade, results)
        return results

    def _run(self, client, task_resources, assignment, profile, jobs, results):
        from dask.distributed import wait

        progress = Progress(len(jobs), "grading")
        client.subscribe_topic(PROGRESS_TOPIC, lambda event: progress.note(event[1]))
        futures = {self.submit(client, task_resources, assignment, profile, job): job for job in jobs}
        remaining = set(futures)
        try:
            while remaining:
                try:  # wakes every second to show what is running now
                    finished = wait(remaining, timeout=1, return_when="FIRST_COMPLETED").done
                except TimeoutError:
                    finished = set()
                remaining -= finished
                for future in finished:
                    job, failed = futures[future], future.status == "error"
                    if failed:
                        results[job.student] = {"status": "error",
                                                "error": self.save_failure(assignment, job, future.exception())}
                    else:
                        result = future.result()
                        self.save_result(assignment, job, result)
                        results[job.student] = self.record(assignment, job) or result
                        failed = "error" in results[job.student]
                    progress.advance(failed=failed)
                progress.update(running=running_count(client, remaining))
        finally:
            client.unsubscribe_topic(PROGRESS_TOPIC)
            progress.close()


def running_count(client, futures):
    """Of `futures`, how many a worker runs now. The scheduler's `processing` also holds
    tasks queued on a worker behind the one it runs, so each worker counts at most its threads."""
    keys = {str(future.key) for future in futures}
    threads = client.nthreads()
    return sum(min(threads.get(worker, 1), sum(str(key) in keys for key in tasks))
               for worker, tasks in client.processing().items())


def read_text(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""
