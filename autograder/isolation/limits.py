"""Resource limits for one sandboxed run, and what it ran into.

Memory and the number of processes (threads included) are capped by a cgroup
of the run's own, made under the grader's cgroup (v1 or v2; the grader needs
write access to it, as root has). CPU time and file size are rlimits. Where no
cgroup can be made, the run falls back to rlimits for memory (RLIMIT_DATA) and
processes (RLIMIT_NPROC, which binds only non-root users) and says so in the
log.

Two limits are kept by the grader's own process, watching the run: its wall
time, and the `Watchdog`, which stops a run in which, during a fit, no epoch
has ended for too long (a student callback that never returns blocks the
trainer, which waits for its answer). What each limit is for a given
assignment and profile: `RunInIsolation.limits_for`.

Example:

    >>> from autograder.isolation.limits import RunLimiter, RunLimits
    >>> limiter = RunLimiter(RunLimits(memory=4 * 2**30, processes=256, cpu_seconds=600, file_size=2**29), "job-1")
    >>> # subprocess.Popen(..., preexec_fn=limiter.enter); then limiter.verdict(exit_code, cpu_seconds)
    >>> watchdog = Watchdog(stall_seconds=30, reference_epoch_seconds=2.0)
    >>> watchdog.observe([{"record": "fit", "fit": 0, "seconds": 1.0}], now=100.0) is None
    True
    >>> watchdog.observe([], now=131.0)
    'because no epoch ended for 30 s (the reference takes 2.0 s per epoch)'
"""

import os
import resource
import signal
import time
from dataclasses import dataclass

from autograder.isolation.follow import JsonlFollower
from autograder.sandboxed.protocol import Record

CGROUP_ROOT = "/sys/fs/cgroup"
WATCH_INTERVAL = 1.0  # seconds between two looks at the trainer's record


@dataclass(frozen=True)
class RunLimits:
    """A run's resources: the grader's alone (what crosses the boundary: `autograder.sandboxed.limits`)."""

    memory: int  # bytes
    processes: int  # processes and threads
    cpu_seconds: int  # each process of the run (an rlimit)
    file_size: int  # bytes, per file
    wall_seconds: float = None  # the whole run
    stall_seconds: float = None  # during a fit, without an epoch ending
    reference_epoch_seconds: float = None  # the calibrated reference's, which stall_seconds derives from


def own_cgroup(controller):
    """This process's cgroup path for `controller` ('' for cgroup v2)."""
    with open("/proc/self/cgroup", encoding="utf-8") as handle:
        for line in handle:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if controller in controllers.split(","):
                return path
    return None


def cgroup_dirs(name):
    """{controller: folder} for a new cgroup `name`, v1 if mounted so, else v2; {} if neither."""
    v1 = {c: os.path.join(CGROUP_ROOT, c) for c in ("memory", "pids")}
    if all(os.path.exists(os.path.join(d, "cgroup.procs")) for d in v1.values()):
        return {c: os.path.join(d, own_cgroup(c).lstrip("/"), name) for c, d in v1.items()}
    if os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers")):
        folder = os.path.join(CGROUP_ROOT, own_cgroup("").lstrip("/"), name)
        return {"memory": folder, "pids": folder}
    return {}


class RunLimiter:
    """Applies `Limits` to one run: call `enter` in the child, `verdict` and
    `close` in the parent."""

    def __init__(self, limits, name):
        self.limits = limits
        dirs = cgroup_dirs(name)
        remove_stale_cgroups({os.path.dirname(folder) for folder in dirs.values()})
        self.dirs = self._make_cgroups(dirs)

    def _make_cgroups(self, dirs):
        try:
            for folder in set(dirs.values()):
                os.makedirs(folder, exist_ok=True)
            if "memory.limit_in_bytes" in os.listdir(dirs["memory"]):  # v1
                write(dirs["memory"], "memory.limit_in_bytes", self.limits.memory)
            else:
                write(dirs["memory"], "memory.max", self.limits.memory)
            write(dirs["pids"], "pids.max", self.limits.processes)
            return dirs
        except (OSError, KeyError):
            for folder in set(dirs.values()):
                remove_dir(folder)
            return {}

    @property
    def uses_cgroups(self):
        return bool(self.dirs)

    def enter(self):
        """In the child, before exec: join the cgroups and set the rlimits."""
        for folder in set(self.dirs.values()):
            write(folder, "cgroup.procs", os.getpid())
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.limits.file_size,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (self.limits.cpu_seconds, self.limits.cpu_seconds + 5))
        if not self.dirs:
            resource.setrlimit(resource.RLIMIT_DATA, (self.limits.memory,) * 2)
            resource.setrlimit(resource.RLIMIT_NPROC, (self.limits.processes,) * 2)

    def verdict(self, exit_code, cpu_seconds):
        """What limit the run hit, as the end of 'your code was stopped because it ...', or None."""
        if self._counter("memory", ("memory.oom_control", "memory.events"), "oom_kill"):
            return f"used more than {self.limits.memory / 2**30:.1f} GiB of memory"
        if self._counter("pids", ("pids.events",), "max"):
            return f"tried to run more than {self.limits.processes} processes and threads"
        if exit_code in (-signal.SIGXCPU, 128 + signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGKILL) \
                and cpu_seconds >= self.limits.cpu_seconds:
            return f"used more than {self.limits.cpu_seconds} s of CPU time"
        return None

    def _counter(self, controller, files, key):
        for name in files:
            for line in (read(self.dirs.get(controller), name) or "").splitlines():
                field, _, value = line.partition(" ")
                if field == key and int(value or 0) > 0:
                    return True
        return False

    def close(self):
        """Kills anything left in the cgroups and removes them."""
        for folder in set(self.dirs.values()):
            kill_and_remove(folder)


def kill_and_remove(folder):
    for pid in (read(folder, "cgroup.procs") or "").split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    remove_dir(folder)


def remove_stale_cgroups(parents):
    """Removes the cgroups of graders that died without cleaning up (named
    autograder-PID-...; the PID is no longer running)."""
    for parent in parents:
        for name in os.listdir(parent) if os.path.isdir(parent) else []:
            pid = name.split("-")[1] if name.startswith("autograder-") else ""
            if pid.isdigit() and not process_exists(int(pid)):
                kill_and_remove(os.path.join(parent, name))


def process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write(folder, name, value):
    with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
        handle.write(str(value))


def read(folder, name):
    try:
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            return handle.read()
    except (OSError, TypeError):
        return None


def remove_dir(folder):
    """rmdir a cgroup, waiting a moment for its killed processes to be gone."""
    for _ in range(50):
        try:
            os.rmdir(folder)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)


class Watchdog:
    """Decides, from the trainer's records as they come, when a run has stalled:
    a fit is under way (until its on_train_end callbacks return) and no epoch has
    ended (nor the fit) for `stall_seconds`.
    Outside fits (before the first, between two, after the last) only the wall
    limit binds. Also keeps the trainer's seconds per epoch. `record`: the
    trainer's record file, which `poll` reads (it is the grader's own: no
    student code writes it); None when the run trains nothing."""

    def __init__(self, stall_seconds, reference_epoch_seconds=None, record=None):
        self.stall_seconds, self.reference_epoch_seconds = stall_seconds, reference_epoch_seconds
        self.open_fits, self.progress_at, self.epoch_seconds = set(), None, []
        self._last_end = None  # the trainer's clock at the fit's start or its last epoch's end
        self._tail, self._looked = JsonlFollower(record) if record else None, float("-inf")

    def poll(self, now):
        """`observe` on what the record gained since the last look, at most once a WATCH_INTERVAL."""
        if self._tail is None or now - self._looked < WATCH_INTERVAL:
            return None
        self._looked = now
        return self.observe(self._tail.new_records(), now)

    def finish(self):
        """Reads the rest of the record once the run is over (the last epochs' seconds)."""
        if self._tail is not None:
            self.observe(self._tail.new_records(), time.monotonic())

    def observe(self, records, now):
        """Takes the records written since the last call; `now` is the grader's clock. Returns why the run
        must be stopped (the end of 'grading stopped your code ...'), or None."""
        for record in records:
            kind, fit, seconds = record.get("record"), record.get("fit"), record.get("seconds")
            self.progress_at = now
            if kind == Record.FIT:
                self.open_fits.add(fit)
                self._last_end = seconds
            elif kind == Record.EPOCH:
                if isinstance(seconds, (int, float)) and isinstance(self._last_end, (int, float)):
                    self.epoch_seconds.append(seconds - self._last_end)
                self._last_end = seconds
            elif kind in (Record.TRAIN_END, Record.REFUSED):
                self.open_fits.discard(fit)
        if self.open_fits and now - self.progress_at >= self.stall_seconds:
            return f"because {self.reason()}"
        return None

    def reason(self):
        reference = f"the reference takes {self.reference_epoch_seconds:.1f} s per epoch" \
            if self.reference_epoch_seconds else "no reference calibrated on this machine"
        return f"no epoch ended for {self.stall_seconds:.0f} s ({reference})"

    @property
    def seconds_per_epoch(self):
        """The mean over the epochs trained (the first includes tracing the model), or None."""
        return sum(self.epoch_seconds) / len(self.epoch_seconds) if self.epoch_seconds else None
