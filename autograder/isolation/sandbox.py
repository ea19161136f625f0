"""The bubblewrap sandbox that isolates a student's run, and who runs in it.

The student's process runs as an unprivileged user of its own (65534 by
default: it owns nothing on the host), with every capability dropped,
`no_new_privs`, no way to make user namespaces, and its own network (a dead
loopback), PID, IPC, UTS and mount namespaces. Its file system is built from
nothing; it sees, read-only unless said:

  * the shared libraries (/usr/lib, /usr/lib64 and the /lib links of a merged /usr);
  * the Python installation and the virtual environment the grader runs in;
  * /etc with four entries only: ld.so.cache (finding libraries), localtime,
    and a passwd and group that name the sandbox user alone;
  * /sys/devices/system/cpu (TensorFlow counts the CPUs there);
  * the bwrap program (the inner sandbox is started with it);
  * the job folder at JOB_DIR (the runner, the job, the profile's data), the
    output folder at OUT_DIR (writable: owned by the sandbox user, mode 0700),
    an empty /tmp, a fresh /proc (its own processes only) and a minimal /dev.

The view is built by an outer bwrap the grader runs as root (the sandbox user
could not reach an interpreter under /root, nor the grader's 0700 job folder);
the user switch and the inner, unprivileged bwrap happen inside it.

Example:

    >>> import os, tempfile
    >>> from autograder.isolation.sandbox import Bubblewrap
    >>> job, out = (os.path.join(tempfile.mkdtemp(), name) for name in ("job", "out"))
    >>> for folder in (job, out):  # the grader's job folder and the run's output folder
    ...     os.makedirs(folder)
    >>> sandbox = Bubblewrap(65534, 65534)
    >>> command = sandbox.wrap(job, out, ["python", "-c", "pass"])
    >>> os.path.basename(command[0])
    'bwrap'
    >>> # subprocess.Popen(command, pass_fds=sandbox.fds), and once it has ended:
    >>> sandbox.release(out)
"""

import logging
import os
import shutil
import stat
import sys
from abc import ABC, abstractmethod

from autograder.errors import SandboxUnavailable

JOB_DIR = "/tmp/job"
OUT_DIR = "/tmp/out"
HOME = "/tmp"
LIBRARY_DIRS = ("/usr/lib", "/usr/lib64", "/usr/lib32")
MERGED_USR_LINKS = ("/lib", "/lib64", "/lib32")
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime")
SYS_DIRS = ("/sys/devices/system/cpu",)
USER_NAME = "student"
# Run by the grader's Python as root inside the outer sandbox: become the sandbox user for good, then exec.
BECOME_USER = ("import os, sys; user, group = int(sys.argv[1]), int(sys.argv[2]); os.setgroups([]); "
               "os.setgid(group); os.setuid(user); os.execv(sys.argv[3], sys.argv[3:])")


def python_dirs():
    """The folders a Python run needs: the interpreter's installation and the
    virtual environment, whose executables are links into it."""
    return sorted({os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), os.path.abspath(sys.prefix)})


def find_bwrap():
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so student code cannot be isolated. Install it "
            "(Debian/Ubuntu: apt-get install bubblewrap), or set c.RunInIsolation.sandbox = 'none' in "
            "nbgrader_config.py to run submissions unisolated (only for code you trust)."
        )
    return bwrap


class Sandbox(ABC):
    """How a run is isolated: what the run sees as its folders, the command that
    runs it, and what is freed and cleaned once it is over."""

    fds = ()  # file descriptors the run inherits

    @abstractmethod
    def inside(self, job_dir, out_dir):
        """(job folder, output folder, HOME) as the run sees them."""

    @abstractmethod
    def wrap(self, job_dir, out_dir, command):
        """The command line that runs `command` isolated."""

    def release(self, out_dir):
        """After the run: frees what `wrap` took."""


class Unsandboxed(Sandbox):
    """No isolation (c.RunInIsolation.sandbox = 'none'): the command runs as
    it is, as the grader's user, seeing what the grader sees."""

    def inside(self, job_dir, out_dir):
        return job_dir, out_dir, out_dir

    def wrap(self, job_dir, out_dir, command):
        return list(command)


class Bubblewrap(Sandbox):
    """One run in bubblewrap as `user`:`group`. Where the grader is not root
    it cannot switch users: the run keeps the grader's user (a warning says so)."""

    def __init__(self, user, group, log=logging.getLogger(__name__)):
        self.root = os.geteuid() == 0
        self.user, self.group = (user, group) if self.root else (os.getuid(), os.getgid())
        if not self.root:
            log.warning("The grader is not root, so student code runs as the grader's own user (uid %d), "
                        "not as uid %d: it can reach whatever that user can reach inside the sandbox's view",
                        self.user, user)
        self.fds = []

    def inside(self, job_dir, out_dir):
        return JOB_DIR, OUT_DIR, HOME

    def wrap(self, job_dir, out_dir, command):
        """`command` in two nested bubblewraps. The outer one, run by the grader
        (as root, so it can open any source), builds the minimal view; inside it
        the grader's Python becomes the sandbox user, and an inner, unprivileged
        bubblewrap drops every capability, sets no_new_privs and forbids new user
        namespaces before the student's code starts."""
        bwrap = find_bwrap()
        if self.root:
            os.chown(out_dir, self.user, self.group)
        os.chmod(out_dir, 0o700)
        become_user = [sys.executable, "-c", BECOME_USER, str(self.user), str(self.group)] if self.root else []
        # A PID namespace and session of its own, the student's process its PID 1: it can signal or trace no
        # other process (bwrap's monitor runs as the same user: killed or stopped, it would end the run).
        # --dev-bind: a plain --bind would mark every mount nodev, leaving /dev/urandom unusable.
        inner = [bwrap, "--unshare-user", "--disable-userns", "--unshare-pid", "--as-pid-1", "--new-session",
                 "--uid", str(self.user), "--gid", str(self.group), "--cap-drop", "ALL", "--die-with-parent",
                 "--dev-bind", "/", "/", "--chdir", OUT_DIR, "--"]
        return self._view(bwrap, job_dir, out_dir) + ["--"] + become_user + inner + list(command)

    def _view(self, bwrap, job_dir, out_dir):
        """The outer bubblewrap: new namespaces and the file system the run sees."""
        namespaces = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if not self.root:  # an unprivileged bwrap mounts in a user namespace of its own
            namespaces.append("--unshare-user")
        args = [bwrap, *namespaces, "--hostname", "sandbox", "--die-with-parent", "--new-session",
                "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
        for path in LIBRARY_DIRS + SYS_DIRS + tuple(python_dirs()) + (bwrap,):
            args += bind("--ro-bind", path, path)
        for path in MERGED_USR_LINKS:  # /lib -> usr/lib where /usr is merged, else a library folder
            args += ["--symlink", os.readlink(path), path] if os.path.islink(path) else bind("--ro-bind", path, path)
        for path in ETC_FILES:
            args += bind("--ro-bind", os.path.realpath(path), path)
        args += self._data(f"{USER_NAME}:x:{self.user}:{self.group}:{USER_NAME}:{HOME}:/nonexistent\n",
                           "/etc/passwd")
        args += self._data(f"{USER_NAME}:x:{self.group}:\n", "/etc/group")
        return args + bind("--ro-bind", job_dir, JOB_DIR) + bind("--bind", out_dir, OUT_DIR)

    def _data(self, text, destination):
        """A read-only file at `destination` holding `text`."""
        fd = os.memfd_create(os.path.basename(destination))
        os.write(fd, text.encode())
        os.lseek(fd, 0, os.SEEK_SET)
        self.fds.append(fd)
        return ["--perms", "0644", "--ro-bind-data", str(fd), destination]

    def release(self, out_dir):
        """Closes the files bwrap was given, and removes what the run left in
        `out_dir` that is not a plain file or folder: the grader reads that
        folder as root, and a link could point it at any file of the host."""
        for fd in self.fds:
            os.close(fd)
        self.fds = []
        for folder, dirs, files in os.walk(out_dir):
            for name in dirs + files:
                path = os.path.join(folder, name)
                mode = os.lstat(path).st_mode
                if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                    os.unlink(path)


def bind(option, source, destination):
    """`option source destination`, its parent folders made 0755 (bwrap would
    make them 0700, closed to the sandbox user); nothing for a source the host lacks."""
    if not os.path.exists(source):
        return []
    return ["--perms", "0755", "--dir", os.path.dirname(destination), option, source, destination]
