"""Starts the grader's trainer (`python -m autograder.trainer`) beside a sandboxed run, joined to
it by two pipes, and stops it when the run is over.

The trainer runs as the grader, outside the sandbox (it alone may see a GPU),
within the run's cgroup limits; it executes no student code. Its folder (job,
trusted data, record, trained models, log) is the grader's alone.

Example:

    >>> from autograder.isolation.trainer_process import TrainerProcess
    >>> trainer = TrainerProcess("/tmp/work/trainer", {"x": x, "y": y}, TrainerJob(seed=0), limiter)  # doctest: +SKIP
    >>> subprocess.Popen(runner, pass_fds=trainer.runner_fds, env={**env, **trainer.runner_env})  # doctest: +SKIP
    >>> trainer.close()  # doctest: +SKIP
"""

import json
import os
import signal
import subprocess
import sys

import numpy as np

from autograder.sandboxed import protocol

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOG_FILE = "trainer.log"
LOG_TAIL_BYTES = 4000


def trainer_environment():
    """The trainer's environment (`doctor` probes the GPU in the same)."""
    return {**os.environ, "PYTHONPATH": PACKAGE_PARENT, "TF_CPP_MIN_LOG_LEVEL": "2",
            # Several gradings share one GPU: take memory as needed, not all of it up front.
            "TF_FORCE_GPU_ALLOW_GROWTH": "true", "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}


class TrainerProcess:
    """The trainer's process and the runner's ends of the pipes to it."""

    def __init__(self, folder, trusted, job, limiter):
        self.folder, self.killed, self.exit_code, self.cpu_seconds = folder, False, None, 0.0
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, protocol.TRAINER_JOB_FILE), "w", encoding="utf-8") as handle:
            json.dump(job.to_json(), handle)
        np.savez(os.path.join(folder, protocol.TRUSTED_DATA_FILE),
                 **{key: trusted[key] for key in ("x", "y") if key in trusted})
        to_trainer, from_trainer = os.pipe(), os.pipe()
        env = trainer_environment()
        with open(os.path.join(folder, LOG_FILE), "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "autograder.trainer", folder], stdin=to_trainer[0], stdout=from_trainer[1],
                stderr=log, cwd=folder, env=env, start_new_session=True, preexec_fn=limiter.enter)
        os.close(to_trainer[0])
        os.close(from_trainer[1])
        self.runner_fds = (to_trainer[1], from_trainer[0])

    @property
    def runner_env(self):
        return {protocol.TRAINER_FDS_ENV: ",".join(str(fd) for fd in self.runner_fds)}

    def release_runner_fds(self):
        """Closes the grader's copies of the runner's ends, once the runner has them."""
        for fd in self.runner_fds:
            os.close(fd)
        self.runner_fds = ()

    def close(self):
        """Stops the trainer (it has nothing left to do once the run has ended).
        Returns why it failed on its own, '' if it did not; again when called again."""
        if self.runner_fds:
            self.release_runner_fds()
        if self.exit_code is None:
            self._reap()
        if self.exit_code == 0 or self.killed:
            return ""
        return f"the grader's trainer failed (exit status {self.exit_code}): {self.log_tail()}"

    def _reap(self):
        """Waits for the trainer (killing it if it still runs), keeping its exit status and CPU seconds."""
        pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
        if not pid:
            os.killpg(self.process.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(self.process.pid, 0)
            self.killed = True
        self.exit_code = self.process.returncode = os.waitstatus_to_exitcode(status)
        self.cpu_seconds = usage.ru_utime + usage.ru_stime

    def log_tail(self):
        """The last line the trainer wrote on stderr (a traceback's ends with the error)."""
        with open(os.path.join(self.folder, LOG_FILE), "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - LOG_TAIL_BYTES))
            lines = handle.read().decode("utf-8", errors="replace").strip().splitlines()
        return lines[-1] if lines else "no message"
