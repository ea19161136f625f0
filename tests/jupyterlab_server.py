"""A JupyterLab server of its own for end-to-end tests: loopback, a free port, token auth.

The server runs in a process group of its own, with its Jupyter config, data,
runtime and settings folders under the test's tmp folder, so nothing of the
machine's Jupyter setup (workspaces, user settings, open tabs) leaks in and
nothing is left behind. `stop()` ends that process group and nothing else.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port():
    """A TCP port free on the loopback interface now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def isolated_jupyter_env(base, extra=None):
    """os.environ with Jupyter's per-user folders under `base` and this venv's bin/ first on PATH."""
    folders = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data", "JUPYTER_RUNTIME_DIR": "runtime",
               "IPYTHONDIR": "ipython"}
    env = dict(os.environ)
    for variable, name in folders.items():
        env[variable] = os.path.join(base, name)
        os.makedirs(env[variable], exist_ok=True)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.pop("JUPYTERLAB_SETTINGS_DIR", None)
    env.pop("JUPYTERLAB_WORKSPACES_DIR", None)
    env.update(extra or {})
    # No pop-up asking whether to fetch Jupyter news over the network (there is none here).
    settings = os.path.join(env["JUPYTER_CONFIG_DIR"], "lab", "user-settings", "@jupyterlab", "apputils-extension")
    os.makedirs(settings, exist_ok=True)
    with open(os.path.join(settings, "notification.jupyterlab-settings"), "w") as file:
        json.dump({"fetchNews": "false", "checkForUpdates": False}, file)
    return env


class JupyterLabServer:
    """`jupyter lab` serving `root_dir`, started from `cwd` (where nbgrader looks for nbgrader_config.py)."""

    def __init__(self, root_dir, cwd, env, log_path):
        self.root_dir, self.cwd, self.env, self.log_path = str(root_dir), str(cwd), env, str(log_path)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self._log = None

    def start(self, timeout=120):
        self._log = open(self.log_path, "w")
        command = [
            os.path.join(os.path.dirname(sys.executable), "jupyter"), "lab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root_dir}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            # A notebook opens without a kernel: the student only edits, saves and validates
            # (nbgrader's Validate runs its own kernel).
            "--LabApp.notebook_starts_kernel=False",
        ]
        if os.geteuid() == 0:  # CI containers run as root
            command.append("--allow-root")
        self.process = subprocess.Popen(command, cwd=self.cwd, env=self.env, stdout=self._log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=5) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{self.log_tail()}")

    def lab_url(self, path="lab"):
        return f"{self.url}/{path}?token={self.token}"

    def log_tail(self, chars=6000):
        if self._log:
            self._log.flush()
        try:
            with open(self.log_path, errors="replace") as file:
                return file.read()[-chars:]
        except OSError:
            return ""

    def stop(self, grace=20):
        """SIGTERM to the server's process group (it shuts its kernels down), SIGKILL if it lingers."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            except ProcessLookupError:
                pass
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
