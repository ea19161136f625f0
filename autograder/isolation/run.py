"""Stage 2: run the student's code in a separate, sandboxed process, and
train what it hands to `fit` in another, the grader's trainer.

The run gets the `sandboxed` package, a job description, the job folder the
pipeline filled (the data the notebook reads, the inputs of the grader's
calls) and a private output folder; it leaves an event log and the calls'
results there. For assignments that train, the trainer (`trainer_process`)
runs beside it, outside the sandbox, and keeps its own record and the trained
models in its own folder. Limits (`limits_for`: configured, else derived from
the calibration, see `calibration`): wall time, CPU time, memory and processes
(both processes together), time without an epoch ending during a fit, size of
files written, size of recorded output. Whatever happens inside, this stage
returns a `RunOutcome`; it raises only when the grader itself cannot start the
run.

Example:

    >>> from autograder.isolation.run import RunInIsolation
    >>> outcome = RunInIsolation().run(submission, spec, spec.profile("quick"), workdir, {"MNIST_PATH": "mnist.npz"},
    ...                                trusted={"x": x, "y": y})  # doctest: +SKIP
    >>> outcome.exit_code, outcome.timed_out  # doctest: +SKIP
    (0, False)
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from traitlets import Dict, Enum, Integer
from traitlets.config import LoggingConfigurable

from autograder.errors import GraderError
from autograder.isolation.calibration import Calibration
from autograder.isolation.follow import RunProgress
from autograder.isolation.limits import RunLimiter, RunLimits, Watchdog
from autograder.isolation.sandbox import Bubblewrap, Unsandboxed
from autograder.isolation.trainer_process import TrainerProcess
from autograder.sandboxed import protocol
from autograder.sandboxed.limits import MAX_EPOCHS, OUTPUT_CHARACTERS, TRANSFER_BYTES

LOG_TAIL_BYTES = 20_000
# What runs in the sandbox: the sandboxed package, copied whole into the job folder (it imports only itself).
SANDBOXED_PACKAGE = os.path.dirname(os.path.abspath(protocol.__file__))
SANDBOXED_NAME = "sandboxed"  # the package as the sandbox imports it: `python -m sandboxed`


@dataclass
class RunOutcome:
    out_dir: str
    exit_code: int
    timed_out: bool  # the grader stopped it: wall-time limit, or the watchdog
    stop_reason: str  # then why, as the end of 'grading stopped your code ...'
    log_tail: str
    sandbox: str
    killed_reason: str = None
    trainer_dir: str = None  # the trainer's folder (record, models), when the assignment trains
    grader_failure: str = ""  # why the grader's own side failed ('' when it did not)
    seconds_per_epoch: float = None  # the trainer's mean, when it trained


class RunInIsolation(LoggingConfigurable):
    """Runs a submission's code in a bubblewrap sandbox with limits."""

    sandbox = Enum(
        ["bwrap", "none"], "bwrap",
        help="How student code is isolated: 'bwrap' (bubblewrap: no network, read-only system, no view of the "
        "course) or 'none' (runs as the grader's user, seeing what it sees; only for trusted code).",
    ).tag(config=True)

    time_limit = Dict(
        {},
        help="Wall-clock seconds a run may take, by profile ('quick', 'full', 'check': a student's fast "
        "self-check); longer runs are stopped and graded as timed out. A profile not named here gets the limit "
        "derived from the calibration (c.Calibration.wall_multiple).",
    ).tag(config=True)

    cpu_time_limit = Dict(
        {},
        help="CPU seconds each process of a run may use (all its threads together), by profile; a profile not "
        "named here gets its wall-time limit times the CPU cores, which never binds before the wall-time limit "
        "(set it to bound a run's work whatever the machine's load).",
    ).tag(config=True)

    memory_limit = Integer(
        0, help="Bytes of memory a run may use (host memory; GPU memory is not counted); 0: derived from the "
        "calibration (c.Calibration.memory_multiple)."
    ).tag(config=True)

    process_limit = Integer(
        512, help="Processes and threads a run may have at once (TensorFlow alone starts dozens of threads)."
    ).tag(config=True)

    file_size_limit = Integer(
        512 * 2**20, help="Largest file (bytes) student code may write, the saved model included."
    ).tag(config=True)

    output_limit = Integer(
        OUTPUT_CHARACTERS, help="Characters of printed output recorded as evidence in each epoch (and outside "
        "training); the rest is dropped."
    ).tag(config=True)

    seed = Integer(0, help="Random seed set before student code runs and of the trainer's weights, so "
                   "re-grading is repeatable.").tag(config=True)

    sandbox_user = Integer(
        65534, help="User id student code runs as in the bwrap sandbox: one that owns nothing on the host "
        "(65534, nobody). Needs a grader running as root; otherwise the run keeps the grader's user."
    ).tag(config=True)

    sandbox_group = Integer(65534, help="Group id student code runs as in the bwrap sandbox (65534, nogroup).").tag(
        config=True)

    transfer_limit = Integer(
        TRANSFER_BYTES, help="Bytes of training arrays one fit call may hand to the grader's trainer (a dataset or a "
        "generator is read out to arrays first)."
    ).tag(config=True)

    max_epochs = Integer(
        MAX_EPOCHS, help="Epochs the trainer trains in one grading run, all fit calls together; a fit asking for more is "
        "refused with a message."
    ).tag(config=True)

    gpu_memory_limit = Integer(
        0, help="Bytes of GPU memory the grader's trainer may take in one run (0: no limit). Set it to the card's "
        "memory divided by the gradings run at once, so that one cannot starve the others; student code gets no GPU."
    ).tag(config=True)

    def run(self, submission, spec, profile, workdir, data_env, trusted=None, dry_run=False):
        """Runs `submission` with `workdir/job` as its job folder; `data_env` maps
        environment variables to files in that folder; the trainer gets `trusted`
        (the profile's x and y, to tell whether fit got them). A dry run trains
        nothing (see `runner.install_dry_fit`): the fast self-check."""
        job_dir, out_dir = self._prepare(submission, spec, workdir, dry_run)
        sandbox = Bubblewrap(self.sandbox_user, self.sandbox_group, self.log) if self.sandbox == "bwrap" \
            else Unsandboxed()
        command, env = self._command(job_dir, out_dir, data_env, sandbox)
        limits = self.limits_for(spec.assignment, profile)
        limiter = RunLimiter(limits, f"autograder-{os.getpid()}-{os.path.basename(workdir)}")
        if not limiter.uses_cgroups:
            self.log.warning("No cgroup could be made: memory and process limits fall back to rlimits")
        trainer = None
        try:
            if spec.uses_keras and not dry_run:
                trainer = TrainerProcess(os.path.join(workdir, "trainer"), trusted or {}, self._trainer_job(), limiter)
                env.update(trainer.runner_env)
            process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=limiter.enter,
                                       pass_fds=tuple(sandbox.fds) + (trainer.runner_fds if trainer else ()))
        except (OSError, subprocess.SubprocessError) as error:
            if trainer:
                trainer.close()
            limiter.close()
            sandbox.release(out_dir)
            raise GraderError(f"cannot start the grading run ({error})")
        if trainer:
            trainer.release_runner_fds()
        return self._wait(process, trainer, limiter, sandbox, out_dir, submission)

    def limits_for(self, assignment, profile):
        """All the limits of a run of `assignment` on `profile` (a spec's `Profile`; `SELF_CHECK`), as `RunLimits`:
        a limit configured here wins; otherwise it derives from the calibration (or its fallbacks)."""
        derived = Calibration(parent=self).derived(assignment, profile)
        wall = self.time_limit.get(profile.name, derived["wall_seconds"])
        return RunLimits(memory=self.memory_limit or derived["memory"], processes=self.process_limit,
                      cpu_seconds=self.cpu_time_limit.get(profile.name, wall * (os.cpu_count() or 1)),
                      file_size=self.file_size_limit, wall_seconds=wall, stall_seconds=derived["stall_seconds"],
                      reference_epoch_seconds=derived["reference_epoch_seconds"])

    def _wait(self, process, trainer, limiter, sandbox, out_dir, submission):
        tail = TailReader(process.stdout)
        progress = RunProgress(os.path.join(out_dir, protocol.EVENTS_FILE), os.path.basename(submission.name))
        progress.start()
        try:
            watchdog = Watchdog(limiter.limits.stall_seconds, limiter.limits.reference_epoch_seconds,
                                os.path.join(trainer.folder, protocol.TRAINING_FILE) if trainer else None)
            stop_reason, exit_code, cpu = wait_or_kill(process, limiter.limits.wall_seconds, watchdog.poll)
            watchdog.finish()
            tail.join()
            failure = trainer.close() if trainer else ""
            # The trainer shares the run's limits: one it hit (its CPU time) is the run's too.
            killed = limiter.verdict(exit_code, cpu) or (
                limiter.verdict(trainer.exit_code, trainer.cpu_seconds) if trainer and not trainer.killed else None)
            return RunOutcome(out_dir, exit_code, bool(stop_reason), stop_reason, tail.text(), self.sandbox, killed,
                              trainer.folder if trainer else None, failure, watchdog.seconds_per_epoch)
        finally:
            progress.stop()
            if trainer:
                trainer.close()  # already closed unless waiting failed
            limiter.close()
            sandbox.release(out_dir)

    def _trainer_job(self):
        return protocol.TrainerJob(seed=self.seed, transfer_limit=self.transfer_limit, max_epochs=self.max_epochs,
                                   gpu_memory_limit=self.gpu_memory_limit)

    def _prepare(self, submission, spec, workdir, dry_run):
        job_dir, out_dir = os.path.join(workdir, "job"), os.path.join(workdir, "out")
        os.makedirs(job_dir, exist_ok=True)
        os.makedirs(out_dir)
        shutil.copytree(SANDBOXED_PACKAGE, os.path.join(job_dir, SANDBOXED_NAME),
                        ignore=shutil.ignore_patterns("__pycache__"))
        job = protocol.Job(
            cells=submission.cells, entry_point=spec.entry_point, uses_keras=spec.uses_keras,
            calls=[{"id": call.id, "function": call.function, "args": list(call.args)} for call in spec.calls],
            seed=self.seed, output_limit=self.output_limit, trial=spec.trial, dry_run=dry_run,
            transfer_limit=self.transfer_limit)
        with open(os.path.join(job_dir, protocol.JOB_FILE), "w", encoding="utf-8") as handle:
            json.dump(job.to_json(), handle)
        return job_dir, out_dir

    def _command(self, job_dir, out_dir, data_env, sandbox):
        inside_job, inside_out, home = sandbox.inside(job_dir, out_dir)
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "PYTHONDONTWRITEBYTECODE": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "NBGRADER_EXECUTION": "autograde",
            **{name: os.path.join(inside_job, file) for name, file in data_env.items()},
        }
        env.update({key: os.environ[key] for key in ("KERAS_BACKEND",) if key in os.environ})
        env["CUDA_VISIBLE_DEVICES"] = ""  # the trainer trains; student code gets no GPU
        env["PYTHONPATH"] = inside_job  # the copied package: `python -m sandboxed`
        env["PYTHONSAFEPATH"] = "1"  # and not the working folder (the run's writable output) before it
        command = [sys.executable, "-m", SANDBOXED_NAME, os.path.join(inside_job, protocol.JOB_FILE), inside_out]
        return sandbox.wrap(job_dir, out_dir, command), env

def wait_or_kill(process, limit, watch):
    """Waits until the run ends, killing its process group after `limit` seconds or
    when `watch(now)` says why (the trainer is stopped with the run, see `TrainerProcess.close`).

    Returns (why it was stopped, as the end of 'grading stopped your code ...', or '';
    exit code; CPU seconds of the run and all it reaped): os.wait4 reports the CPU
    of this run alone, even with other gradings running in this process.
    """
    deadline, stop_reason = time.monotonic() + limit, ""
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        now = time.monotonic()
        stop_reason = f"after {limit:.0f} s, its time limit" if now > deadline else watch(now) or ""
        if stop_reason:
            os.killpg(process.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.1)
    process.returncode = os.waitstatus_to_exitcode(status)
    return stop_reason, process.returncode, usage.ru_utime + usage.ru_stime


class TailReader(threading.Thread):
    """Drains a pipe so the child never blocks on it, keeping only the last bytes."""

    def __init__(self, pipe):
        super().__init__(daemon=True)
        self._pipe, self._tail = pipe, b""
        self.start()

    def run(self):
        for chunk in iter(lambda: self._pipe.read(65536), b""):
            self._tail = (self._tail + chunk)[-LOG_TAIL_BYTES:]

    def text(self):
        return self._tail.decode("utf-8", errors="replace")
