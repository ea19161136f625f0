"""The student's run, inside the sandbox: executes a submission's cells and
calls the graded function, with `fit` replaced by the remote fit (the
grader's trainer trains) or, for a self-check, by the dry fit (nothing is
trained; only the callbacks' trial runs). Then the functions the spec calls
on the grader's inputs.

Usage (the isolation stage runs it; there is no reason to run it by hand):

    python -m sandboxed JOB.json OUT_DIR
"""

import json
import os
import sys

from . import protocol
from .calls import run_calls, serve_keras_datasets
from .cells import run_submission
from .events import EventLog, TaggedStream, TrainingState
from .protocol import Event
from .remote_fit import TrainerLink, install_compile_hook, install_remote_fit
from .trial import install_dry_fit


def main(job_path, out_dir):
    with open(job_path, encoding="utf-8") as handle:
        job = protocol.Job.from_json(json.load(handle))
    log = EventLog(os.path.join(out_dir, protocol.EVENTS_FILE), job.output_limit)
    state = TrainingState()
    sys.stdout = TaggedStream(sys.stdout, "stdout", log, state)
    sys.stderr = TaggedStream(sys.stderr, "stderr", log, state)
    if job.uses_keras:
        import keras

        keras.utils.set_random_seed(job.seed)
        serve_keras_datasets(os.environ)
        if job.dry_run:
            install_dry_fit(keras, log, state, out_dir, job.trial)
        else:
            write_fd, read_fd = (int(fd) for fd in os.environ.pop(protocol.TRAINER_FDS_ENV).split(","))
            install_compile_hook(keras)
            install_remote_fit(keras, log, state, TrainerLink(write_fd, read_fd, job.transfer_limit), job.trial)
    log.write(Event.START)
    namespace = run_submission(job, log)
    if namespace is not None and job.calls:
        run_calls(job, namespace, state, log, os.path.dirname(job_path), out_dir)
    log.write(Event.DONE)

