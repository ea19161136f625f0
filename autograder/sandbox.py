"""The bubblewrap command line that isolates a student's run.

Inside, the process sees the system's programs and the Python installation,
read-only; a read-only job folder (the runner, the job, the profile's data); a
writable output folder; an empty /tmp; and nothing else: no course folder, no
gradebook, no home directories, no network (only a dead loopback), no other
processes.

Example:

    >>> from autograder.sandbox import bwrap_command
    >>> bwrap_command("/tmp/j/job", "/tmp/j/out", ["python", "-c", "pass"])[:2]  # doctest: +SKIP
    ['/usr/bin/bwrap', '--unshare-all']
"""

import glob
import os
import shutil
import sys

JOB_DIR = "/tmp/job"
OUT_DIR = "/tmp/out"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt")


class SandboxUnavailable(Exception):
    """bubblewrap is not installed; the message says what to do."""


def python_dirs():
    """The folders a Python run needs: the interpreter's installation and the
    virtual environment, whose executables are links into it."""
    dirs = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), os.path.abspath(sys.prefix)}
    return sorted(d for d in dirs if not any(d.startswith(system + "/") for system in SYSTEM_DIRS))


def gpu_devices():
    return sorted(glob.glob("/dev/nvidia*") + glob.glob("/dev/dri/*"))


def bwrap_command(job_dir, out_dir, command):
    """`command` wrapped in bubblewrap; its job and output folders appear at
    JOB_DIR (read-only) and OUT_DIR (writable)."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so student code cannot be isolated. Install it "
            "(Debian/Ubuntu: apt-get install bubblewrap), or set c.RunInIsolation.sandbox = 'none' in "
            "nbgrader_config.py to run submissions unisolated (only for code you trust)."
        )
    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/tmp"]
    for path in SYSTEM_DIRS + tuple(python_dirs()) + ("/sys",):
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    for device in gpu_devices():
        args += ["--dev-bind", device, device]
    args += ["--ro-bind", job_dir, JOB_DIR, "--bind", out_dir, OUT_DIR, "--chdir", OUT_DIR]
    return args + list(command)
