"""Student code sees nothing secret: tests/adversarial/probe_host_secrets.ipynb
probes the host (files, environment, processes, privileged calls) and raises
what it found as its exception message, which the grader shows the student.

Secrets are planted around a copy of the course (a file in its parent folder,
one in the grader's home, the hub's API token in the grader's environment);
every probe must find nothing or be refused, and no secret may appear in the
JSON result, the feedback page or the gradebook. And a link the run leaves in
its output folder never sends the grader, reading it as root, elsewhere.
"""

import os
import re
import subprocess
import sys
import uuid

import pytest
from conftest import CORPUS, ROOT, copy_course, submit

from autograder.isolation.sandbox import Bubblewrap

PROBE = os.path.join(CORPUS, "probe_host_secrets.ipynb")
EXPECTED_PROBES = {
    "uid": "ok 65534",
    "etc": "ok ['group', 'ld.so.cache', 'localtime', 'passwd']",
    "etc_shadow": "ENOENT",
    "passwd_users": "ok ['student']",
    "jupyterhub_config": "ENOENT",
    "ssl_private": "ENOENT",
    "home": "ENOENT",
    "secret_files": "ok []",  # the planted files: not in the view at all
    "token_env": "ok None",
    "token_in_proc": "ok []",
    "proc_1_environ": "EACCES",  # the sandbox's own init, run by root
    "sys_class_net": "ENOENT",
    "mknod": "EPERM",
    "mount": "EPERM",
    "ptrace_pid_1": "EPERM",
    "setuid_0": "EINVAL",  # uid 0 does not exist in the sandbox's user namespace
    "unshare_user": "ENOSPC",  # bwrap --disable-userns: no user namespace may be made
    "unshare_mount": "EPERM",
}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox user needs a grader running as root")


@pytest.fixture
def planted(tmp_path):
    """A course copy at tmp_path/course with secrets around it: {name: secret}, and the grader's environment."""
    course = copy_course(tmp_path / "course")
    secrets = {name: f"SECRET-{name}-{uuid.uuid4().hex}" for name in ("course_parent", "grader_home", "token")}
    (tmp_path / "planted_secret.txt").write_text(secrets["course_parent"])
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "planted_secret").write_text(secrets["grader_home"])
    env = {**os.environ, "HOME": str(tmp_path / "home"), "JUPYTERHUB_API_TOKEN": secrets["token"],
           "PYTHONPATH": ROOT}  # this checkout's grader, whatever is installed, though run from the copy
    return course, secrets, env


def run(command, course, env):
    done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def probes(message):
    """{probe: outcome} from the 'PROBES name=outcome; ...' the notebook raised."""
    found = re.search(r"PROBES (.*?)(?:\.$|, so )", message)
    assert found, message
    return dict(item.split("=", 1) for item in found.group(1).split("; "))


def assert_no_secret(text, secrets):
    for name, secret in secrets.items():
        assert secret not in text, f"the {name} secret leaked"


@pytest.mark.sandbox
@pytest.mark.usefixtures("mnist_path")
@pytest.mark.nbgrader_cli
def test_every_probe_finds_nothing_or_is_refused_and_no_secret_leaks(planted):
    course, secrets, env = planted
    output = run([sys.executable, "-m", "autograder", "grade", PROBE, "--profile", "quick", "--json",
                  "--assignment", "mnist_conv"], course, env)
    assert probes(output) == EXPECTED_PROBES
    assert_no_secret(output, secrets)

    run(["nbgrader", "generate_assignment", "mnist_conv", "--force"], course, env)
    submit(course, "mallory", PROBE)
    run(["nbgrader", "autograde", "mnist_conv", "--create"], course, env)
    run(["nbgrader", "generate_feedback", "mnist_conv"], course, env)
    page = (course / "feedback" / "mallory" / "mnist_conv" / "mnist_conv.html").read_text()
    assert probes(page.replace("&#39;", "'")) == EXPECTED_PROBES  # what the student is shown
    assert_no_secret(page, secrets)
    assert_no_secret((course / "gradebook.db").read_bytes().decode("utf-8", "replace"), secrets)


def test_links_left_in_the_output_folder_are_removed_before_the_grader_reads_it(tmp_path):
    out = tmp_path / "out"
    (out / "calls").mkdir(parents=True)
    (out / "events.jsonl").write_text("{}\n")
    (out / "model.keras").symlink_to("/etc/shadow")
    (out / "calls" / "result.npz").symlink_to("/root")
    os.mkfifo(out / "pipe")
    Bubblewrap(65534, 65534).release(str(out))
    assert sorted(str(path.relative_to(out)) for path in out.rglob("*")) == ["calls", "events.jsonl"]
