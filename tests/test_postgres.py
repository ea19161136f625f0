"""The gradebook on PostgreSQL: a real server, started here on a temporary folder.

In-process recording (compared with the same recording on SQLite), `grade-all`
with two workers, and the grading service's recording and feedback step, each
with `c.CourseDirectory.db_url` naming the server. The submissions of the
grade-all run are ones that cannot be read, so nothing trains: what is tested
is the bookkeeping. Skipped when PostgreSQL's binaries or psycopg2 are absent.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest
from conftest import CHECK_NAMES, CORPUS, SOLUTION, submit
from test_nbgrader_autograde import (
    course_config,
    due_date,
    gradebook_state,
    hand_built_results,
    hand_in_batch,
    nbgrader,
    record_in_process,
)

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
SERVER_USER = "postgres"  # PostgreSQL refuses to run as root: as root, the server runs as this user

pytestmark = [pytest.mark.postgres, pytest.mark.nbgrader_cli]  # each test makes its course with nbgrader


def as_server_user(command):
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SERVER_USER, "--", *command]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """The URL of an empty database on a PostgreSQL server of our own (stopped and removed afterwards)."""
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed (pip install -e .[test])")
    if not BINARIES:
        pytest.skip("PostgreSQL's binaries are not installed (Debian: apt-get install postgresql)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            pytest.skip(f"running as root and there is no {SERVER_USER!r} user to run the server as")
    bin_dir = BINARIES[-1]
    folder = tempfile.mkdtemp(prefix="autograder-postgres-")
    if os.geteuid() == 0:
        shutil.chown(folder, SERVER_USER)
    data, port = os.path.join(folder, "data"), free_port()
    subprocess.run(as_server_user([os.path.join(bin_dir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                                   "--no-sync"]), check=True, capture_output=True)
    subprocess.run(as_server_user([os.path.join(bin_dir, "pg_ctl"), "-D", data, "-l", os.path.join(folder, "log"),
                                   "-o", f"-h 127.0.0.1 -p {port} -k {folder} -F", "-w", "start"]),
                   check=True, capture_output=True)
    try:
        subprocess.run(as_server_user([os.path.join(bin_dir, "createdb"), "-h", "127.0.0.1", "-p", str(port),
                                       "-U", "postgres", "gradebook"]), check=True, capture_output=True)
        # the driver named: SQLAlchemy 2.1 takes a bare postgresql:// to mean psycopg 3
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run(as_server_user([os.path.join(bin_dir, "pg_ctl"), "-D", data, "-m", "immediate", "-w",
                                       "stop"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def empty_postgres(postgres):
    """The server's database, emptied (each test makes its own course and gradebook)."""
    import psycopg2

    with psycopg2.connect(postgres.replace("+psycopg2", "")) as connection, connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    return postgres


def on_postgres(course, db_url):
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    return course


def test_recording_in_process_on_postgres_equals_sqlite(course, tmp_path, empty_postgres):
    sqlite = shutil.copytree(course, tmp_path / "sqlite")
    for folder, db_url in ((on_postgres(course, empty_postgres), empty_postgres),
                           (sqlite, f"sqlite:///{sqlite}/gradebook.db")):
        nbgrader(folder, "generate_assignment", "mnist_conv", "--force")
        hand_in_batch(folder)
        due_date(db_url)
        record_in_process(folder, course_config(folder), hand_built_results())
    got, expected = gradebook_state(empty_postgres, course), gradebook_state(f"sqlite:///{sqlite}/gradebook.db", sqlite)
    assert sorted(got) == sorted(hand_built_results()) and got == expected
    assert got["erin"]["penalty"] == 6  # nbgrader's late penalty, on PostgreSQL too


@pytest.mark.dask
def test_grade_all_with_two_workers_on_postgres(course, empty_postgres):
    from nbgrader.api import Gradebook

    on_postgres(course, empty_postgres)
    nbgrader(course, "generate_assignment", "mnist_conv", "--force")
    unreadable = {"carol": "malformed_json.ipynb", "grace": "non_utf8_bytes.ipynb", "heidi": "malformed_json.ipynb",
                  "ivan": "non_utf8_bytes.ipynb"}
    for student, name in unreadable.items():
        submit(course, student, os.path.join(CORPUS, name))
    for attempt in ("first", "second"):
        run = subprocess.run([sys.executable, "-m", "autograder", "grade-all", "mnist_conv", "--profile", "quick",
                              "--workers", "2"], cwd=course, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr[-3000:]
        if attempt == "first":
            assert "Bookkeeping" in run.stdout and all(student in run.stdout for student in unreadable)
        else:
            assert "Nothing to grade" in run.stdout
    with Gradebook(empty_postgres) as gradebook:
        submissions = gradebook.find_assignment("mnist_conv").submissions
        assert sorted(submission.student.id for submission in submissions) == sorted(unreadable)
        for submission in submissions:
            grades = {grade.name: grade for notebook in submission.notebooks for grade in notebook.grades}
            assert sorted(grades) == sorted(CHECK_NAMES)
            assert all(grade.auto_score == 0 and not grade.needs_manual_grade for grade in grades.values())


def test_the_service_records_and_releases_feedback_on_postgres(course, tmp_path, empty_postgres):
    """The service's step after a grading (record, feedback, release, queue row), on PostgreSQL; the
    whole service in a hub is tested on SQLite (test_jupyterhub_service.py)."""
    from nbgrader.api import Gradebook

    from autograder.service.grading_service import GradingService

    exchange = tmp_path / "exchange"
    exchange.mkdir()
    with open(on_postgres(course, empty_postgres) / "nbgrader_config.py", "a") as config:
        config.write(f"c.Exchange.root = {str(exchange)!r}\nc.GradingPolicy.auto_feedback = {{'mnist_conv': True}}\n")
    nbgrader(course, "generate_assignment", "mnist_conv", "--force")
    submit(course, "alice", SOLUTION)
    (course / "submitted" / "alice" / "mnist_conv" / "submission_secret.txt").write_text("secret")  # as collected
    service = GradingService(config=course_config(course))
    job = next(service.grader.submissions("mnist_conv", service.profile, "alice"))
    service.queue.add([("mnist_conv", "alice", job.timestamp)])
    row = service.queue.rows(state="queued")[0]
    service.grader.save_result("mnist_conv", job, hand_built_results()["alice"].to_record())
    with service.grader.recording():
        service.finish(row, job)
        service.finish(row, job)  # a service restarted after recording: nothing is recorded twice
    with Gradebook(empty_postgres) as gradebook:
        assert gradebook.find_submission("mnist_conv", "alice").score == 8
    assert service.queue.rows(student="alice")[0]["state"] == "graded"
    released = glob.glob(str(exchange / "cnn-course" / "feedback" / "*.html"))
    assert len(released) == 1 and "Autograder: 8 / 8" in open(released[0]).read()
    assert service.grader.bookkeeping_summary().startswith("Bookkeeping")
    assert len(service.grader.bookkeeping) == 1  # one submission, finished twice
