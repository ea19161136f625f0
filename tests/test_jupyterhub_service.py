"""The grading service in a real JupyterHub, on loopback.

The hub (a test authenticator, a local spawner, configurable-http-proxy) is
configured by the example `autograder/deploy/jupyterhub_config.py` and runs
`python -m autograder serve` as a managed service. Students work from their own
spawned servers, with those servers' environment and token: they fetch and
submit with nbgrader's own commands, the service grades (quick profile) and
releases feedback, each fetches only their own, and each asks the status page
and API, through the hub, about their own submissions only. A second run
kills the service mid-grading: the hub restarts it; the interrupted submission
and one handed in while the service was down are each graded exactly once,
and a submission over the daily limit waits, kept, saying so.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
import requests
from conftest import CORPUS, ROOT, SOLUTION, gradebook_rows, write_variant

from autograder.service.queue import SubmissionQueue
from autograder.service.status_client import fetch_status

VENV_BIN = os.path.dirname(sys.executable)
PROXY = shutil.which("configurable-http-proxy", path=VENV_BIN + os.pathsep + os.environ["PATH"])
ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
STATUS = "/services/autograder/api/status?assignment=mnist_conv"

# The hub's own settings for the test; the service's come from the example configuration.
HUB_CONFIG = """
c = get_config()
load_subconfig({example!r})
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
# The student's server, after writing its environment where the test reads it (as a terminal in it would).
c.Spawner.cmd = [{python!r}, "-c", "import json, os, sys; json.dump(dict(os.environ), open('server-env.json', 'w')); "
                 "os.execvp('jupyterhub-singleuser', ['jupyterhub-singleuser', *sys.argv[1:]])"]
c.Spawner.args = ["--allow-root"]
c.JupyterHub.services.append({{"name": "test-admin", "api_token": {admin_token!r}}})
c.JupyterHub.load_roles.append({{"name": "test-admin", "services": ["test-admin"],
                                "scopes": ["admin:users", "admin:servers", "read:services"]}})
"""

# What the course adds for the test: its own exchange, a quick look at it, two gradings at once, feedback on,
# one graded submission a day.
COURSE_CONFIG = """
c.Exchange.root = {exchange!r}
c.ExchangeCollect.check_owner = False  # every user is root here
c.GradingService.poll_interval = 1
c.GradingService.workers = 2
c.GradingPolicy.auto_feedback = {{"mnist_conv": True}}
c.GradingPolicy.daily_limit = {{"mnist_conv": 1}}
"""

# What each student's environment sets (a course image would): the course and exchange, and who they are.
STUDENT_CONFIG = """
import os
c = get_config()
c.CourseDirectory.course_id = "cnn-course"
c.Exchange.root = {exchange!r}
c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what, condition, timeout, hub=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{hub.log_tail()}" if hub else ""))


class Hub:
    def __init__(self, course, folder):
        self.course, self.folder = course, folder
        self.exchange, self.homes = folder / "exchange", folder / "home"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "hub.log"
        self.servers = {}  # student: their server's environment

    def start(self):
        self.exchange.mkdir()
        with open(self.course / "nbgrader_config.py", "a") as config:
            config.write(COURSE_CONFIG.format(exchange=str(self.exchange)))
        (self.folder / "jupyterhub_config.py").write_text(HUB_CONFIG.format(
            example=os.path.join(ROOT, "autograder", "deploy", "jupyterhub_config.py"), port=self.port,
            hub_port=free_port(), proxy_api_port=free_port(), proxy=PROXY, homes=str(self.homes),
            python=sys.executable, admin_token=ADMIN_TOKEN))
        env = {**os.environ, "PATH": VENV_BIN + os.pathsep + os.environ["PATH"], "AUTOGRADER_COURSE": str(self.course),
               "AUTOGRADER_SERVICE_PORT": str(free_port()), "AUTOGRADER_PROFILE": "quick"}
        with open(self.log, "w") as log:
            self.process = subprocess.Popen([os.path.join(VENV_BIN, "jupyterhub"), "-f", "jupyterhub_config.py"],
                                            cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT)
        # while the hub starts: the assignment into the gradebook, then out to the exchange
        for command in (["generate_assignment", "mnist_conv", "--force"], ["release_assignment", "mnist_conv"]):
            subprocess.run([sys.executable, "-m", "nbgrader", *command], cwd=self.course, env=env, check=True,
                           capture_output=True)
        wait_for("the hub", lambda: self.process.poll() is None and self.api("GET", "/"), 90, self)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)  # the hub stops its service, the servers and the proxy
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self):
        return self.log.read_text()[-6000:]

    def api(self, method, path):
        """The hub's REST API, as the test's admin service; None while the hub is not up."""
        try:
            return requests.request(method, f"{self.url}/hub/api{path}", timeout=30,
                                    headers={"Authorization": f"token {ADMIN_TOKEN}"})
        except requests.ConnectionError:
            return None

    def spawn(self, *students):
        """The students' own servers, started by the hub together; their environments in self.servers."""
        with ThreadPoolExecutor(len(students)) as pool:
            list(pool.map(self.spawn_one, students))

    def spawn_one(self, student):
        home = self.homes / student
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(STUDENT_CONFIG.format(exchange=str(self.exchange)))
        assert self.api("POST", f"/users/{student}").status_code == 201
        assert self.api("POST", f"/users/{student}/server").status_code in (201, 202)
        wait_for(f"{student}'s server", lambda: self.api("GET", f"/users/{student}").json()["servers"].get("", {})
                 .get("ready"), 120, self)
        self.servers[student] = json.loads((home / "server-env.json").read_text())

    def as_student(self, student, *command):
        """A command in the student's server environment, from their home folder."""
        return subprocess.run(command, cwd=self.homes / student, env=self.servers[student], capture_output=True,
                              text=True, timeout=120)

    def hand_in(self, student, notebook):
        """nbgrader fetch_assignment (once), the student's notebook in place, nbgrader submit."""
        if not (self.homes / student / "mnist_conv").exists():
            fetched = self.as_student(student, "nbgrader", "fetch_assignment", "mnist_conv")
            assert fetched.returncode == 0, fetched.stderr
        shutil.copy(notebook, self.homes / student / "mnist_conv" / "mnist_conv.ipynb")
        submitted = self.as_student(student, "nbgrader", "submit", "mnist_conv")
        assert submitted.returncode == 0, submitted.stderr

    def status(self, student):
        """The status API through the hub's proxy, with the student's server token; None while it is down."""
        answer = requests.get(self.url + STATUS, timeout=30,
                              headers={"Authorization": f"token {self.servers[student]['JUPYTERHUB_API_TOKEN']}"})
        return answer.json() if answer.ok else None

    def states(self, student):
        status = self.status(student)
        return [entry["state"] for entry in status["submissions"]] if status else None

    def page(self, student):
        """The status page as the student's browser gets it: hub login, then OAuth to the service."""
        browser = requests.Session()
        browser.get(f"{self.url}/hub/login")
        browser.post(f"{self.url}/hub/login", data={"username": student, "password": "any",
                                                     "_xsrf": browser.cookies.get("_xsrf")}, allow_redirects=False)
        page = browser.get(f"{self.url}/services/autograder/", timeout=30)
        assert page.ok and page.url.endswith("/services/autograder/"), (page.status_code, page.url)
        return page.text

    def service_pid(self):
        return self.api("GET", "/services/autograder").json()["pid"]

    def fetched_feedback(self, student):
        fetched = self.as_student(student, "nbgrader", "fetch_feedback", "mnist_conv")
        assert fetched.returncode == 0, fetched.stderr
        return [path.read_text() for path in sorted((self.homes / student / "mnist_conv" / "feedback").rglob("*.html"))]


@pytest.fixture
def hub(course, tmp_path):
    if PROXY is None:
        pytest.skip("configurable-http-proxy is not installed: run `make install`")
    hub = Hub(course, tmp_path)
    hub.start()
    yield hub
    hub.stop()


def alive(process):
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def names(processes):
    found = set()
    for process in processes:
        try:
            found.add(process.name())
        except psutil.NoSuchProcess:  # ended meanwhile
            pass
    return found


def graded(hub, *students):
    """Everyone's submissions all done (graded or failed), as the status API says."""
    return all((hub.states(student) or ["-"])[-1] in ("graded", "failed") for student in students)


@pytest.mark.hub
@pytest.mark.trains
@pytest.mark.usefixtures("mnist_path")
@pytest.mark.nbgrader_cli
def test_two_students_graded_with_feedback_each_sees_only_their_own(hub, tmp_path, monkeypatch):
    hub.spawn("alice", "bob")
    bob_notebook = write_variant(tmp_path / "threshold.ipynb", ("accuracy >= TARGET_ACCURACY", "accuracy >= 0.99"))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(hub.hand_in, ["alice", "bob"], [SOLUTION, bob_notebook]))

    wait_for("both gradings", lambda: graded(hub, "alice", "bob"), 400, hub)

    alice, bob = hub.status("alice"), hub.status("bob")
    assert alice["user"] == "alice" and bob["user"] == "bob"
    assert [(entry["state"], entry["score"]) for entry in alice["submissions"]] == [("graded", 8)]
    assert [(entry["state"], entry["score"]) for entry in bob["submissions"]] == [("graded", 2)]
    for student, other in (("alice", "bob"), ("bob", "alice")):
        for name in ("JUPYTERHUB_API_URL", "JUPYTERHUB_API_TOKEN"):  # as in the student's server
            monkeypatch.setenv(name, hub.servers[student][name])
        lines = fetch_status("mnist_conv")
        assert len(lines) == 1 and "graded" in lines[0] and "fetch_feedback" in lines[0], lines
        page = hub.page(student)
        assert student in page and other not in page and "graded" in page
    checked = hub.as_student("alice", sys.executable, "-m", "autograder", "check", "mnist_conv/mnist_conv.ipynb")
    assert "5 of 5 self-checks pass" in checked.stdout, checked.stdout + checked.stderr[-2000:]
    assert "Your submissions:" in checked.stdout and "graded, 8/8" in checked.stdout  # the status, in check's output

    rows = gradebook_rows(hub.course)  # fails if anyone is recorded twice
    assert {student: sum(score for score, _ in grades.values()) for student, grades in rows.items()} == \
        {"alice": 8, "bob": 2}
    assert len(list((hub.exchange / "cnn-course" / "feedback").glob("*.html"))) == 2
    alice_feedback, bob_feedback = hub.fetched_feedback("alice"), hub.fetched_feedback("bob")
    assert len(alice_feedback) == 1 and len(bob_feedback) == 1  # each finds their own, and only that
    assert "✘ Not passed" not in alice_feedback[0] and "✘ Not passed" in bob_feedback[0]


@pytest.mark.hub
@pytest.mark.trains
@pytest.mark.usefixtures("mnist_path")
@pytest.mark.nbgrader_cli
def test_service_killed_mid_grading_is_restarted_and_loses_nothing(hub):
    hub.spawn("carol", "dave")
    hub.hand_in("carol", SOLUTION)
    service = psutil.Process(hub.service_pid())
    wait_for("carol's training in the sandbox", lambda: "bwrap" in names(service.children(recursive=True)), 180, hub)
    assert hub.states("carol") == ["grading"]
    grading = service.children(recursive=True)
    service.send_signal(signal.SIGSTOP)  # down from here: it looks at nothing any more
    hub.hand_in("dave", os.path.join(CORPUS, "malformed_json.ipynb"))
    assert [row["student"] for row in SubmissionQueue(root=str(hub.course)).rows()] == ["carol"]
    service.send_signal(signal.SIGKILL)
    wait_for("the grading processes to die with the service", lambda: not any(map(alive, grading)), 30)
    wait_for("the hub to restart the service", lambda: hub.status("carol"), 60, hub)
    assert hub.service_pid() != service.pid
    wait_for("both gradings", lambda: graded(hub, "carol", "dave"), 300, hub)

    rows = {row["student"]: row for row in SubmissionQueue(root=str(hub.course)).rows()}
    assert (rows["carol"]["state"], rows["carol"]["score"], rows["carol"]["attempts"]) == ("graded", 8, 2)
    assert (rows["dave"]["state"], rows["dave"]["score"], rows["dave"]["attempts"]) == ("failed", 0, 1)
    assert {student: sum(score for score, _ in grades.values()) for student, grades in
            gradebook_rows(hub.course).items()} == {"carol": 8, "dave": 0}
    dave = hub.status("dave")["submissions"]
    assert "not a valid notebook" in dave[0]["reason"] and "failed, 0/8" in dave[0]["line"]
    assert "not a valid notebook" in hub.fetched_feedback("dave")[0]  # a broken submission's feedback says why

    hub.hand_in("carol", SOLUTION)  # over the limit of one graded submission a day: kept, and says so
    wait_for("the limit", lambda: "over the limit" in (hub.status("carol")["submissions"][-1]["reason"]), 30, hub)
    assert hub.states("carol") == ["graded", "queued"]


def test_queue_keeps_the_latest_submission_and_shows_scores_only_with_feedback(tmp_path):
    from autograder.service.status_server import public

    queue = SubmissionQueue(root=str(tmp_path))
    stamps = ["2026-11-27 10:00:00.000000 UTC", "2026-11-27 11:00:00.000000 UTC"]
    assert queue.add([("mnist_conv", "alice", stamp) for stamp in stamps]) == \
        [("mnist_conv", "alice", stamp) for stamp in stamps]
    assert queue.add([("mnist_conv", "alice", stamps[1])]) == []  # seen already: queued once
    queue.supersede_older()
    first, latest = queue.rows(student="alice")
    assert (first["state"], latest["state"]) == ("superseded", "queued")

    queue.update(latest["id"], state="graded", score=8.0, max_score=8.0, graded_day="2026-11-27", feedback=0)
    assert queue.graded_on("2026-11-27", "alice", "mnist_conv") == 1
    withheld = public(queue.rows(student="alice")[1])
    assert withheld["score"] is None and "instructor will release" in withheld["line"]
    queue.update(latest["id"], feedback=1)
    assert "graded, 8/8; feedback ready" in public(queue.rows(student="alice")[1])["line"]
    assert queue.rows(student="bob") == []
