"""The grading pipeline, one stage per module:

    load_notebook -> isolation.run -> evidence.collect -> the spec's checks -> score

`Grader` wires the stages together and carries their configuration (from
`nbgrader_config.py`). The command line and the nbgrader preprocessor both
call `Grader.grade`.

Example:

    >>> from autograder.grading.pipeline import Grader
    >>> result = Grader().grade("solutions/mnist_conv.ipynb", profile="quick")  # doctest: +SKIP
    >>> result.status, result.score, result.max_score  # doctest: +SKIP
    ('graded', 8.0, 8.0)
"""

import os
import tempfile
import threading
import time

import numpy as np
from traitlets import Unicode
from traitlets.config import LoggingConfigurable

from autograder.assignments import known_assignments, load_spec
from autograder.datasets.base import Dataset
from autograder.errors import GraderError, NotANotebook, SubmissionError, UnknownAssignment
from autograder.evidence.collect import collect_evidence
from autograder.evidence.inspect_model import import_keras
from autograder.grading.load_notebook import load_submission
from autograder.grading.score import failed_result, score, self_check_results
from autograder.isolation.run import RunInIsolation
from autograder.sandboxed import protocol
from autograder.spec import SELF_CHECK, GradingSpec, Profile
from autograder.states import Status


class Grader(LoggingConfigurable):
    """Grades one notebook: the whole pipeline, configured."""

    profile = Unicode(
        "",
        help="Data profile used when none is asked for, by name (see each assignment's spec: 'full' is the "
        "exercise as written, 'quick' a small fixed subset for CI and CPU demos); empty: each assignment's "
        "profile that is the exercise as written.",
    ).tag(config=True)

    def grade(self, source, assignment=None, profile=None, name=None):
        """A GradeResult for `source` (a path or an nbformat notebook).

        Raises GraderError, DataError or UnknownAssignment only when the grader
        itself cannot run, NotANotebook for an unreadable file of no known
        assignment; anything wrong with the submission is in the result.
        """
        try:
            submission = load_submission(source, name=name)
        except SubmissionError as error:
            assignment = assignment or stem(source, name)
            if assignment not in known_assignments():  # neither the file nor its name says which: say what it is
                raise NotANotebook(f"{name or source}: {error}") from None
            return failed_result(load_spec(assignment), Status.ERROR, str(error))
        spec = load_spec(assignment or submission.assignment)
        if mismatch := submission.mismatch(spec.assignment):  # not run: it would fail every check for that reason
            return failed_result(spec, Status.ERROR, mismatch)
        chosen = spec.profile(profile or self.profile)
        started = time.monotonic()
        result = score(spec, self._evidence(submission, spec, chosen))
        result.details.update(profile=chosen.name, grading_seconds=round(time.monotonic() - started, 2))
        return result

    def self_check(self, source, assignment=None, profile=None):
        """The spec's self-checks on a dry run (nothing trained): [CheckResult]
        without points. Raises SubmissionError for a notebook that cannot be read.

        The notebook reads the configured profile's data, as grading does: code
        written for the data on the student's machine (60,000 images) passes."""
        submission = load_submission(source)
        spec = load_spec(assignment or submission.assignment)
        if mismatch := submission.mismatch(spec.assignment):
            raise SubmissionError(mismatch)
        if not spec.self_checks:
            raise UnknownAssignment(f"{spec.assignment} has no self-checks")
        evidence = self._evidence(submission, spec, spec.profile(profile or self.profile), dry_run=True)
        return self_check_results(spec, evidence)

    def _evidence(self, submission, spec, profile, dry_run=False):
        with tempfile.TemporaryDirectory(prefix="autograder-") as workdir:
            trusted, data_env = self._prepare_job(spec, profile, os.path.join(workdir, "job"))
            if dry_run and spec.uses_keras:  # a student waits: import Keras (to inspect the model) as the run runs
                threading.Thread(target=import_keras, daemon=True).start()
            if not dry_run:  # a self-check says nothing of how grading is done
                self.log.info("Grading %s (%s profile, %s)", submission.name, profile.name, profile.description)
            run = RunInIsolation(parent=self).run(submission, spec, SELF_CHECK if dry_run else profile, workdir,
                                                  data_env, trusted=trusted, dry_run=dry_run)
            evidence = collect_evidence(run, submission, trusted)
            if not (evidence.started or evidence.fits or run.timed_out or run.exit_code == 0):
                raise GraderError(f"the grading run did not start (exit status {run.exit_code}):\n{run.log_tail}")
            return evidence

    def _prepare_job(self, spec, profile, job_dir):
        """Fills the job folder: the data the notebook reads, the inputs of the
        grader's calls. Returns (trusted data, data environment)."""
        os.makedirs(job_dir)
        dataset = spec.dataset(parent=self)
        data_env = dataset.sandbox_files(job_dir, profile)
        trusted = trusted_data(spec, profile, dataset)
        if spec.calls:
            np.savez(os.path.join(job_dir, protocol.INPUTS_FILE), **trusted["inputs"])
        return trusted, data_env


def trusted_data(spec: GradingSpec, profile: Profile, dataset: Dataset) -> dict:
    """The grader's own data for a run of `spec` on `profile`, as evidence and checks get it: `dataset`'s
    trusted arrays and, when the spec calls the student's functions, their inputs under "inputs".
    The golden tests' replay (tests/goldens) grades a saved run with it."""
    trusted = dataset.trusted_data(profile)
    if spec.calls:
        trusted["inputs"] = spec.call_inputs(trusted)
    return trusted


def stem(source, name):
    """The assignment a notebook's file name suggests, when its metadata is unreadable."""
    path = name or (source if isinstance(source, (str, os.PathLike)) else "")
    if not path:
        raise UnknownAssignment("cannot tell which assignment this notebook is; pass --assignment")
    return os.path.splitext(os.path.basename(path))[0]
