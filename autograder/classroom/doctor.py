"""Whether this machine can grade: each part a grading needs, tried for real, and how to fix what is missing.

Each check is a small function of the configuration that returns a `Check`:
whether the part works, what was found, and how to fix it ('' when nothing
needs doing). A check that passes with a fix is a warning: grading works,
though not as well as it could (on the CPU, say, with no GPU).

    sandbox        bubblewrap runs a Python inside the student's sandbox, which sees no GPU device
    cgroup limits  a run's own cgroup can be made and joined (else rlimits only: a warning)
    data           each data set is read and verified (MNIST, the ascent image, Fashion-MNIST)
    course         nbgrader's course: the source folder and the gradebook
    exchange       nbgrader's exchange (c.Exchange.root) exists and is writable
    GPU            one operation computed by the grader's trainer, in its environment and cgroup

Example:

    >>> from autograder.classroom.doctor import run_checks
    >>> for name, check in run_checks(config):  # doctest: +SKIP
    ...     print(name, check.ok, check.message)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import namedtuple

from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default.exchange import Exchange

from autograder.assignments import known_assignments, load_spec
from autograder.errors import DataError, SandboxUnavailable
from autograder.isolation.limits import RunLimiter
from autograder.isolation.run import RunInIsolation
from autograder.isolation.sandbox import Bubblewrap
from autograder.isolation.trainer_process import trainer_environment
from autograder.spec import Profile

Check = namedtuple("Check", "ok message fix")
SECONDS = 300  # for one probe: TensorFlow's start alone takes seconds, more on a loaded machine
NVIDIA_DRIVER = "/proc/driver/nvidia/version"  # the kernel module's, present wherever the driver is loaded
PROBE = [sys.executable, "-m", "autograder.trainer", "--probe"]  # + the memory limit in bytes; prints JSON
# Run in the sandbox: what a student's code would see of a GPU.
SANDBOX_PROBE = ("import json, os; print(json.dumps({'devices': sorted(n for n in os.listdir('/dev') "
                 "if n.startswith('nvidia')), 'cuda': os.environ.get('CUDA_VISIBLE_DEVICES')}))")


def run_checks(config):
    """[(name, Check)] of every part, in the order a grading needs them."""
    checks = [("sandbox", sandbox), ("cgroup limits", cgroup_limits)]
    checks += [(f"data: {cls.__name__} ({', '.join(names)})", data_check(cls)) for cls, names in datasets().items()]
    checks += [("course", course), ("exchange", exchange), ("GPU", gpu)]
    return [(name, guarded(check, config)) for name, check in checks]


def guarded(check, config):
    """The check's result; an error it did not foresee is its failure, not the end of the others."""
    try:
        return check(config)
    except Exception as error:  # whatever broke, the other parts are still worth checking
        return Check(False, f"the check itself failed ({type(error).__name__}: {error})", "")


def isolation(config):
    return RunInIsolation(config=config)


def limiter(config, name):
    """A RunLimiter with the limits of a grading on the configured profile."""
    runs = isolation(config)
    limits = runs.limits_for("doctor", Profile("doctor"))  # no such assignment or profile: the uncalibrated limits
    return RunLimiter(limits, f"autograder-{os.getpid()}-doctor-{name}")


def sandbox(config):
    runs = isolation(config)
    if runs.sandbox == "none":
        return Check(True, "no sandbox (c.RunInIsolation.sandbox = 'none'): student code runs as the grader",
                     "set c.RunInIsolation.sandbox = 'bwrap' unless every submission is trusted")
    wrapper = Bubblewrap(runs.sandbox_user, runs.sandbox_group)
    with tempfile.TemporaryDirectory(prefix="autograder-doctor-") as folder:
        job, out = os.path.join(folder, "job"), os.path.join(folder, "out")
        os.makedirs(job)
        os.makedirs(out)
        try:
            command = wrapper.wrap(job, out, [sys.executable, "-c", SANDBOX_PROBE])
        except SandboxUnavailable as error:
            return Check(False, "bubblewrap (bwrap) is not installed", str(error))
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS, pass_fds=wrapper.fds,
                                  env={"PATH": "/usr/bin:/bin", "CUDA_VISIBLE_DEVICES": ""})
        finally:
            wrapper.release(out)
    if done.returncode != 0:
        return Check(False, f"bubblewrap fails (exit status {done.returncode}): {last_line(done.stderr)}",
                     "bubblewrap needs root or unprivileged user namespaces: run the grader as root, or allow them "
                     "(sysctl kernel.unprivileged_userns_clone=1; kernel.apparmor_restrict_unprivileged_userns=0)")
    seen = json.loads(last_line(done.stdout))
    if seen["devices"]:
        return Check(False, f"the sandbox sees GPU devices ({', '.join(seen['devices'])})",
                     "student code must get no GPU: check that autograder/sandbox.py binds no /dev/nvidia*")
    return Check(True, f"bubblewrap runs student code as uid {wrapper.user}; it sees no GPU device", "")


def cgroup_limits(config):
    runs = limiter(config, "cgroup")
    try:
        if not runs.uses_cgroups:
            return Check(True, "no cgroup can be made: a run's memory is capped by RLIMIT_DATA and its processes "
                         "only where the grader is not root (RLIMIT_NPROC)",
                         "run the grader as root, or in a cgroup its user may write to (systemd: Delegate=yes)")
        subprocess.run(["true"], preexec_fn=runs.enter, check=True, timeout=SECONDS)
        limits = runs.limits
        return Check(True, f"each run gets a cgroup of its own ({limits.memory / 2**30:.1f} GiB of memory, "
                     f"{limits.processes} processes)", "")
    except (OSError, subprocess.SubprocessError) as error:
        return Check(False, f"a process cannot join its run's cgroup ({error})",
                     "give the grader write access to its cgroup (run it as root), or to none at all (rlimits)")
    finally:
        runs.close()


def datasets():
    """{data set class: [assignments that grade with it]}."""
    found = {}
    for name in known_assignments():
        found.setdefault(load_spec(name).dataset, []).append(name)
    return found


def smallest(spec):
    """The profile that reads the fewest images (verifying reads the whole data set whatever the profile)."""
    return min(spec.profiles.values(), key=lambda profile: profile.train_images or float("inf"))


def data_check(cls):
    def check(config):
        dataset = cls(config=config)
        options = [f"c.{cls.__name__}.{name}" for name in dataset.traits(config=True)]
        try:
            # Verifying reads and hashes the whole data set, whatever the profile takes of it.
            dataset.trusted_data(smallest(load_spec(datasets()[cls][0])))
        except DataError as error:
            return Check(False, str(error), f"set {' or '.join(options)} in nbgrader_config.py")
        where = ", ".join(str(getattr(dataset, name)) for name in dataset.traits(config=True)
                          if isinstance(getattr(dataset, name), str))
        return Check(True, f"verified ({where})", "")
    return check


def course(config):
    folders = CourseDirectory(config=config)
    source = os.path.join(folders.root, folders.source_directory)
    if not os.path.isdir(source):
        return Check(False, f"no {folders.source_directory}/ folder in {folders.root}: no nbgrader course here",
                     "run the command in the course folder (beside nbgrader_config.py), or pass --config")
    assignments = sorted(os.listdir(source))
    message = f"{folders.root}: {len(assignments)} assignments in {folders.source_directory}/ " \
              f"({', '.join(assignments)})"
    if "root" not in config.CourseDirectory:  # what nbgrader_config.py sets: none was read
        return Check(True, f"{message}, taken as the course since no nbgrader_config.py was read",
                     "run the command in the course folder (beside nbgrader_config.py), or pass --config")
    database = folders.db_url.removeprefix("sqlite:///")
    if database != folders.db_url and not os.path.exists(database):
        return Check(True, f"{message}; no gradebook yet ({database})",
                     "nbgrader makes it: `nbgrader generate_assignment NAME` or `nbgrader db student add ID`")
    from nbgrader.api import Gradebook

    try:
        with Gradebook(folders.db_url) as gradebook:
            students = len(gradebook.students)
    except Exception as error:  # SQLAlchemy's errors: the database is unreachable or not a gradebook
        return Check(False, f"{message}; the gradebook {folders.db_url} cannot be opened ({error})",
                     "check c.CourseDirectory.db_url in nbgrader_config.py")
    return Check(True, f"{message}; gradebook with {students} students", "")


def exchange(config):
    root = Exchange(config=config).root
    if not os.path.isdir(root):
        return Check(True, f"no exchange at {root}: needed only where students submit through JupyterHub "
                     "(and by `python -m autograder serve`)",
                     f"mkdir -p {root} && chmod ugo+rw {root}, or set c.Exchange.root in nbgrader_config.py")
    if not os.access(root, os.W_OK | os.X_OK):
        return Check(False, f"the exchange {root} is not writable by the grader", f"chmod ugo+rw {root}")
    return Check(True, f"{root} exists and is writable", "")


def gpu(config):
    """One operation computed by `python -m autograder.trainer --probe`, started as a grading starts the
    trainer (its environment, a run's cgroup, the configured GPU memory limit): student code gets no GPU."""
    limit = isolation(config).gpu_memory_limit
    runs = limiter(config, "gpu")
    try:
        with tempfile.TemporaryDirectory(prefix="autograder-doctor-") as folder:
            done = subprocess.run(PROBE + [str(limit)], env=trainer_environment(), cwd=folder, capture_output=True,
                                  text=True, timeout=SECONDS, preexec_fn=runs.enter)
    finally:
        runs.close()
    if done.returncode != 0:
        return Check(False, f"the grader's trainer cannot compute (exit status {done.returncode}): "
                     f"{last_line(done.stderr)}", "reinstall: make install")
    found = json.loads(last_line(done.stdout))
    limited = f", at most {limit / 2**30:.1f} GiB of it per run" if limit else ""
    if found["device"]:
        return Check(True, f"the trainer computes on {found['device']} ({found['backend']}{limited})", "")
    if driver_present():
        return Check(False, f"an NVIDIA driver is here, but the trainer's {found['backend']} sees no GPU: "
                     "grading would run on the CPU",
                     "install TensorFlow with its CUDA libraries: make install "
                     "(or pip install 'tensorflow[and-cuda]==2.21.*')")
    return Check(True, "no GPU: grading runs on the CPU",
                 "on a machine with an NVIDIA GPU and its driver, `make install` adds TensorFlow's CUDA libraries")


def driver_present():
    """Whether an NVIDIA driver is loaded here (the Makefile asks the same)."""
    if os.path.exists(NVIDIA_DRIVER):
        return True
    try:
        return bool(shutil.which("nvidia-smi")) and subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def last_line(text):
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else "no message"
