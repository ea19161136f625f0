"""The grading service: each new submission in nbgrader's exchange graded as it arrives.

Every `poll_interval` seconds it lists the exchange's submissions of each
released assignment the autograder has a spec for (nbgrader's own `list
--inbound`) and queues the new ones (`SubmissionQueue`). It starts each
student's latest queued submission when the `GradingPolicy` allows: collects it
(nbgrader's own `collect --update`, for that student), grades it with
`grade-all`'s machinery (a Dask task on the configured cluster, or a local
one, in the worker's sandbox, on its GPU if it has one), keeps the result,
records it in the gradebook in this process as `nbgrader autograde` would
(`recording.GradebookRecorder`), and, where the assignment allows, generates
and releases the feedback (nbgrader's own `GenerateFeedback` converter and
`ReleaseFeedback` exchange, in this process). The time each submission's
bookkeeping takes is logged, and its average when the service stops.

Exactly once: a row becomes `graded` only after the gradebook has the grade.
A service that dies before finds the row `grading` on restart and starts it
again: a result already saved is recorded without grading again, a grade
already recorded is not recorded twice, and releasing feedback again rewrites
the same file. A student's next submission waits until the current one is
done, so a grade is never recorded against the wrong notebook.

Example:

    >>> import threading
    >>> from autograder.service.grading_service import GradingService
    >>> GradingService(config=config).run(threading.Event())  # doctest: +SKIP
"""

import logging
from datetime import timedelta

from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeError, ExchangeFactory
from nbgrader.utils import parse_utc
from traitlets import Float, Integer, Unicode
from traitlets.config import LoggingConfigurable

from autograder.assignments import known_assignments
from autograder.classroom.grade_all import ClassGrader
from autograder.grading.pipeline import Grader
from autograder.grading.score import failure_reason
from autograder.service.policy import GradingPolicy
from autograder.service.queue import SubmissionQueue, utc_now
from autograder.states import QueueState, Status

# nbgrader's `list` logs every submission it finds; the service looks every few seconds.
QUIET = logging.getLogger("autograder.exchange")
QUIET.setLevel(logging.WARNING)


class GradingService(LoggingConfigurable):
    """Watches the exchange, grades, records, releases feedback; resumable."""

    poll_interval = Float(
        5.0, help="Seconds between two looks at the exchange for new submissions."
    ).tag(config=True)

    max_attempts = Integer(
        3, help="Gradings started for one submission before it is marked failed. A grading ends without a "
        "grade when the grader itself fails (not the submission: that is graded 0 with the reason) or when the "
        "service dies during it.",
    ).tag(config=True)

    retry_delay = Float(
        60.0, help="Seconds before a grading the grader itself failed is tried again, times the tries so far."
    ).tag(config=True)

    workers = Integer(
        0, help="Gradings at once on the local Dask cluster made when no scheduler is set (0: one per GPU slot, "
        "else one per two CPU cores).",
    ).tag(config=True)

    scheduler = Unicode(
        "", help="Address of the Dask scheduler to grade on, e.g. tcp://dask-scheduler:8786 (workers started as "
        "in the README's grade-all section); empty: a local cluster on this machine.",
    ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.grader = ClassGrader(parent=self)
        self.queue = SubmissionQueue(root=self.grader.coursedir.root, parent=self)
        self.policy = GradingPolicy(parent=self)
        self.exchange = ExchangeFactory(parent=self)
        self.authenticator = Authenticator(parent=self)
        self.profile = Grader(parent=self).profile
        self.in_flight = {}  # Dask future -> (queue row, Job)

    def run(self, stopping):
        """Grades until `stopping` (a threading.Event) is set."""
        from autograder.classroom.cluster import open_client

        for row in self.queue.rows(state="grading"):  # the service died during these: each counts as a try
            self.queue.update(row["id"], state=QueueState.QUEUED, note="its grading was interrupted")
        with self.grader.recording(), \
                open_client(self.workers or None, self.scheduler or None, self.grader.jobs_per_gpu) as (client, resources):
            self.log.info("Grading service ready: %s profile, looking at the exchange every %gs",
                          self.profile, self.poll_interval)
            while not stopping.is_set():
                self.discover()
                self.start_ready(client, resources)
                self.finish_done(stopping)
            for row, _ in self.in_flight.values():  # stopped, not failed: these do not count as tries
                self.queue.update(row["id"], state=QueueState.QUEUED, attempts=row["attempts"])
        if self.grader.bookkeeping:
            self.log.info("%s", self.grader.bookkeeping_summary())

    def discover(self):
        """Queues the submissions the exchange has and the queue has not."""
        try:
            released = {entry["assignment_id"] for entry in self.exchange_list("", inbound=False)}
            found = [(assignment, submission["student_id"], submission["timestamp"])
                     for assignment in released & set(known_assignments())
                     for student in self.exchange_list(assignment, inbound=True)
                     for submission in student["submissions"]]
        except ExchangeError as error:  # e.g. no exchange yet: the instructor may still make it
            self.log.error("Cannot read the exchange: %s", error)
            return
        for assignment, student, timestamp in self.queue.add(found):
            self.log.info("Queued %s/%s submitted %s", student, assignment, timestamp)
        self.queue.supersede_older()

    def exchange_list(self, assignment, inbound):
        """nbgrader's `list` (`--inbound`: submissions, by student) as data."""
        lister = self.exchange.List(coursedir=self.coursedir(assignment), authenticator=self.authenticator,
                                    inbound=inbound, log=QUIET)
        return lister.start()

    def coursedir(self, assignment, student="*"):
        return CourseDirectory(parent=self, assignment_id=assignment, student_id=student)

    def start_ready(self, client, resources):
        """Starts queued submissions: one at a time per student and assignment, within the daily limit."""
        busy = {(row["assignment"], row["student"]) for row, _ in self.in_flight.values()}
        now = utc_now().isoformat()
        for row in self.queue.rows(state=QueueState.QUEUED):
            if (row["assignment"], row["student"]) in busy or (row["retry_at"] or now) > now or self.over_limit(row):
                continue
            busy.add((row["assignment"], row["student"]))
            if row["attempts"] >= self.max_attempts:
                self.log.error("Giving up on %s/%s after %d tries", row["student"], row["assignment"],
                               row["attempts"])
                self.queue.update(row["id"], state=QueueState.FAILED, note=f"not graded after {row['attempts']} tries "
                                  f"({row['note']}); ask your instructor")
                continue
            self.queue.update(row["id"], state="grading", attempts=row["attempts"] + 1, note="")
            # whatever goes wrong with one submission, the service goes on: it is tried again
            try:
                self.start(row, client, resources)
            except Exception as error:
                self.retry_later(row, error)

    def over_limit(self, row):
        limit = self.policy.limit(row["assignment"])
        if not limit or self.queue.graded_on(today(), row["student"], row["assignment"]) < limit:
            return False
        note = f"over the limit of {limit} graded submissions a day: it will be graded after 00:00 UTC"
        if row["note"] != note:
            self.queue.update(row["id"], note=note)
        return True

    def start(self, row, client, resources):
        assignment = row["assignment"]
        job = self.collect(assignment, row["student"])
        if job.timestamp != row["timestamp"]:
            if parse_utc(job.timestamp) < parse_utc(row["timestamp"]):
                raise RuntimeError("nbgrader collect did not find this submission in the exchange")
            # a later one was collected: the next look at the exchange queues it
            self.queue.update(row["id"], state="superseded")
        elif self.grader.cached_result(assignment, job) is None:
            self.log.info("Grading %s/%s submitted %s", row["student"], assignment, row["timestamp"])
            self.in_flight[self.grader.submit(client, resources, assignment, self.profile, job)] = (row, job)
        else:  # graded before the service stopped: recorded now, not trained again
            self.finish(row, job)

    def collect(self, assignment, student):
        """nbgrader's `collect --update` for one student; the Job now in submitted/."""
        self.exchange.Collect(coursedir=self.coursedir(assignment, student), authenticator=self.authenticator,
                              update=True).start()
        jobs = list(self.grader.submissions(assignment, self.profile, student))
        if not jobs:
            raise RuntimeError(f"nbgrader collect left no notebook in submitted/{student}/{assignment}")
        return jobs[0]

    def finish_done(self, stopping):
        """Waits up to `poll_interval` for gradings to end; saves and records those that did."""
        from dask.distributed import wait

        if not self.in_flight:
            stopping.wait(self.poll_interval)
            return
        try:
            wait(list(self.in_flight), timeout=self.poll_interval, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return
        for future in [future for future in self.in_flight if future.done()]:
            row, job = self.in_flight.pop(future)
            try:
                result = future.result()  # raises the task's error: the grader itself failed
            except Exception as error:
                self.grader.save_failure(row["assignment"], job, error)
                self.retry_later(row, error)
            else:
                try:
                    self.grader.save_result(row["assignment"], job, result)
                    self.finish(row, job)
                except Exception as error:
                    self.retry_later(row, error)
            future.release()  # a retry submits the same task key anew

    def finish(self, row, job):
        """Records the saved result (once), releases feedback where allowed, marks the row done."""
        assignment, student = row["assignment"], row["student"]
        if not self.grader.recorded(assignment, job):
            failure = self.grader.record(assignment, job)
            if failure:  # tried again later, up to max_attempts, like a grading that failed
                raise RuntimeError(failure["error"])
        feedback = self.policy.releases_feedback(assignment)
        if feedback:
            self.grader.generate_feedback(assignment, job)
            with self.grader.timed(job):
                self.exchange.ReleaseFeedback(coursedir=self.coursedir(assignment, student),
                                              authenticator=self.authenticator).start()
        result = self.grader.cached_result(assignment, job)
        graded = result["status"] == Status.GRADED
        self.queue.update(row["id"], state=QueueState.GRADED if graded else QueueState.FAILED, note=failure_reason(result),
                          score=result["score"], max_score=result["max_score"], graded_day=today(),
                          feedback=int(feedback))
        self.log.info("Graded %s/%s: %s, %g/%g%s (bookkeeping %.2f s)", student, assignment, result["status"],
                      result["score"], result["max_score"], ", feedback released" if feedback else "",
                      self.grader.bookkeeping.get(job.notebook, (0.0, 0.0))[0])

    def retry_later(self, row, error):
        message = " ".join(str(error).split())[:300] or type(error).__name__
        self.log.error("Grading %s/%s failed (try %d of %d): %s", row["student"], row["assignment"],
                       row["attempts"] + 1, self.max_attempts, message)
        retry_at = utc_now() + timedelta(seconds=self.retry_delay * (row["attempts"] + 1))
        self.queue.update(row["id"], state=QueueState.QUEUED, note=f"the grader failed: {message}",
                          retry_at=retry_at.isoformat())


def today():
    return utc_now().date().isoformat()
