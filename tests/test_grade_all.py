"""`python -m autograder grade-all`: a class graded in parallel on Dask, on loopback.

A real scheduler and two worker processes are started here; one worker is
killed while it grades; a second run grades nothing new; the batch mixes good,
failing and hostile submissions, and every one ends in the gradebook exactly once.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import CHECK_NAMES, CORPUS, SOLUTION, gradebook_rows, submit, write_variant


def start_cluster(folder, tmp_path, worker_options):
    """A scheduler and one single-threaded worker per entry of `worker_options`, on 127.0.0.1."""
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not scheduler_file.exists() and time.time() < deadline:
        time.sleep(0.2)
    address = json.loads(scheduler_file.read_text())["address"]
    workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                 "--no-nanny", "--no-dashboard", "--memory-limit", "0", "--name", f"w{i}", *options],
                                cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for i, options in enumerate(worker_options)]
    return address, workers, [scheduler] + workers


@pytest.fixture
def dask_cluster(tmp_path, course):
    address, workers, processes = start_cluster(course, tmp_path, [[], []])
    yield address, workers
    for process in processes:
        process.kill()
        process.wait()


def wait_for_a_busy_worker(address, workers, timeout=120):
    """The worker process that is grading something right now."""
    from dask.distributed import Client

    with Client(address, timeout=30) as client:
        deadline = time.time() + timeout
        while time.time() < deadline:
            busy = [name for name, tasks in client.processing().items() if tasks]
            info = client.scheduler_info()["workers"]
            if busy and len(info) == 2:
                name = info[busy[0]]["name"]
                return workers[int(str(name)[1:])]
            time.sleep(0.5)
    raise AssertionError("no worker started grading")


def grade_all(course, *args):
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade-all", "mnist_conv", "--profile", "quick",
                             *args], cwd=course, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.dask
@pytest.mark.trains
@pytest.mark.usefixtures("mnist_path")
@pytest.mark.nbgrader_cli
def test_a_class_on_a_cluster_with_a_worker_killed_mid_batch(course, dask_cluster, tmp_path):
    address, workers = dask_cluster
    subprocess.run(["nbgrader", "generate_assignment", "mnist_conv", "--force"], cwd=course, check=True,
                   capture_output=True)
    crash = ("x_train, y_train = load_training_data()", 'raise ValueError("no data for you")')
    batch = {"alice": SOLUTION, "bob": write_variant(tmp_path / "crash.ipynb", crash),
             "carol": os.path.join(CORPUS, "malformed_json.ipynb"), "dave": os.path.join(CORPUS, "os_exit.ipynb"),
             "erin": os.path.join(CORPUS, "message_without_training.ipynb"), "frank": SOLUTION}
    for student, notebook in batch.items():
        submit(course, student, notebook)

    run = grade_all(course, "--scheduler", address)
    wait_for_a_busy_worker(address, workers).send_signal(signal.SIGKILL)
    out, err = run.communicate(timeout=1200)
    assert run.returncode == 0, out + err[-3000:]

    rows = gradebook_rows(course)
    assert set(rows) == set(batch)
    for student, grades in rows.items():
        assert set(grades) == set(CHECK_NAMES) and not any(manual or score is None for score, manual in grades.values())
    for student in ("alice", "frank"):
        assert sum(score for score, _ in rows[student].values()) == 8, rows[student]
    for student in ("bob", "carol", "dave", "erin"):
        assert sum(score for score, _ in rows[student].values()) == 0, rows[student]
    assert "alice" in out and "full marks" in out

    again = grade_all(course, "--scheduler", address)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0 and "Nothing to grade" in out
    assert gradebook_rows(course) == rows
    check_report(course)

    submit(course, "bob", SOLUTION, stamp="2026-11-28 09:00:00.000000 UTC")  # bob hands in again
    third = grade_all(course, "--scheduler", address)
    out, err = third.communicate(timeout=600)
    assert third.returncode == 0 and "bob" in out and "alice" not in out
    assert sum(score for score, _ in gradebook_rows(course)["bob"].values()) == 8


def report(course):
    done = subprocess.run([sys.executable, "-m", "autograder", "report", "mnist_conv"], cwd=course,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    folder = course / ".autograder" / "reports" / "mnist_conv"
    with open(folder / "report.csv", newline="") as handle:
        rows = {entry["student"]: entry for entry in csv.DictReader(handle)}
    return rows, (folder / "report.html").read_text(), done.stderr


def check_report(course):
    """The instructor's report on the batch above: every student, why some failed, four plots."""
    rows, page, progress = report(course)
    assert sorted(rows) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    for student in ("alice", "frank"):
        assert rows[student]["score"] == "8.0" and rows[student]["status"] == "graded"
        assert 1 <= int(rows[student]["epochs_to_target"]) <= 20 and float(rows[student]["grading_seconds"]) > 1
        assert rows[student]["stops_at_target"] == "2.0"
    assert rows["carol"]["status"] == "error" and "not a valid notebook" in rows["carol"]["reason"]
    assert rows["dave"]["status"] == "error" and rows["dave"]["reason"]
    assert rows["bob"]["score"] == "0.0" and rows["bob"]["reason"] == ""  # graded: 0 points is not a failure
    assert page.count("data:image/png;base64,") == 4
    failed = page.split("Submissions that failed to grade")[1].split("All submissions")[0]
    assert "carol" in failed and "dave" in failed and "alice" not in failed
    assert "6/6 done" in progress


def test_the_report_lists_a_submission_nobody_graded(course):
    submit(course, "grace", SOLUTION)
    rows, page, _ = report(course)
    assert rows["grace"]["status"] == "not graded" and "grade-all" in rows["grace"]["reason"]
    assert "Nothing to plot yet" in page


@pytest.mark.dask
@pytest.mark.trains
@pytest.mark.usefixtures("mnist_path")
@pytest.mark.nbgrader_cli
def test_local_cluster_is_the_default(course):
    subprocess.run(["nbgrader", "generate_assignment", "mnist_conv", "--force"], cwd=course, check=True,
                   capture_output=True)
    submit(course, "alice", SOLUTION)
    run = grade_all(course, "--workers", "1")
    out, err = run.communicate(timeout=900)
    assert run.returncode == 0, err[-3000:]
    assert "1/1 done, 0 running" in err and "full marks" in out
    # Quiet terminal: epochs named by student, third-party logging (Dask, TensorFlow) in the file named at the end.
    assert "alice: epoch 1 done" in err and "distributed" not in err and "oneDNN" not in err, err
    log = err.split("Messages of TensorFlow, Dask and nbgrader: ")[1].strip()
    assert "/.autograder/logs/grade-all-" in log and "distributed.scheduler" in open(log).read()
    assert sum(score for score, _ in gradebook_rows(course)["alice"].values()) == 8


@pytest.mark.dask
def test_gpu_tasks_go_only_to_workers_that_advertise_a_gpu(tmp_path):
    from dask.distributed import Client

    from autograder.classroom.cluster import open_client

    address, workers, processes = start_cluster(tmp_path, tmp_path, [[], ["--resources", "GPU=1"]])
    try:
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        with open_client(None, address, jobs_per_gpu=2) as (client, resources):
            assert resources == {"GPU": 1}
            # os.getpid runs on the worker: its process id says where each task went
            pids = client.gather([client.submit(os.getpid, resources=resources, pure=False) for _ in range(6)])
        assert set(pids) == {workers[1].pid}
    finally:
        for process in processes:
            process.kill()
            process.wait()


@pytest.mark.dask
@pytest.mark.nbgrader_cli
def test_a_grader_failure_records_no_points_and_says_why(course, tmp_path):
    """No MNIST copy: nothing can be graded. The student is "not graded", with the reason, in
    grade-all's summary, in `scores` and in the report; the gradebook holds no points for them."""
    subprocess.run(["nbgrader", "generate_assignment", "mnist_conv", "--force"], cwd=course, check=True,
                   capture_output=True)
    submit(course, "alice", SOLUTION)
    missing = {"AUTOGRADER_MNIST": str(tmp_path / "no-mnist.npz")}
    run = subprocess.run([sys.executable, "-m", "autograder", "grade-all", "mnist_conv", "--profile", "quick",
                          "--workers", "1"], cwd=course, capture_output=True, text=True, timeout=600,
                         env={**os.environ, **missing})
    assert run.returncode == 1, run.stdout + run.stderr[-3000:]
    assert "not graded" in run.stdout and "no-mnist.npz" in run.stdout
    assert "alice" not in gradebook_rows(course)

    scores = subprocess.run([sys.executable, "-m", "autograder", "scores", "mnist_conv"], cwd=course,
                            capture_output=True, text=True, timeout=300)
    line = next(line for line in scores.stdout.splitlines() if line.startswith("alice"))
    assert "not graded" in line and "no-mnist.npz" in line and "/8" not in line
    rows, _, _ = report(course)
    assert rows["alice"]["status"] == "not graded" and "no-mnist.npz" in rows["alice"]["reason"]
    assert rows["alice"]["score"] == ""


def test_the_result_store_keeps_each_students_latest_outcome(tmp_path):
    from autograder.gradebook.results import ResultStore
    from autograder.states import Status

    store = ResultStore(root=str(tmp_path))
    record = {"status": "graded", "score": 8.0, "max_score": 8.0, "checks": []}
    store.keep("mnist_conv", "alice", "key-1", record)
    assert store.result("mnist_conv", "alice", "key-1") == record == store.result("mnist_conv", "alice")
    assert store.result("mnist_conv", "alice", "key-2") is None  # another submission: grade it
    store.keep_failure("mnist_conv", "alice", "key-2", "No MNIST file at /x.npz")
    assert store.result("mnist_conv", "alice") is None and store.failure("mnist_conv", "alice") == "No MNIST file at /x.npz"
    folder = tmp_path / ".autograder" / "results" / "mnist_conv"
    (folder / "bob.json").write_text('{"key": "k", "res')  # half written by hand, or not ours
    kept = store.records("mnist_conv")
    assert list(kept) == ["alice"] and kept["alice"]["status"] == Status.NOT_GRADED and kept["alice"]["score"] is None
    assert "No MNIST file" in kept["alice"]["details"]["error"]
    assert sorted(os.listdir(folder)) == ["alice.json", "bob.json"]  # replaced atomically: no .tmp left


def test_a_submission_nbgrader_will_not_record_is_reported_and_kept_for_the_next_run(tmp_path):
    """A notebook that makes one of nbgrader's preprocessors raise costs that student's
    recording only (rolled back, reported, retried next run), never the class's."""
    from autograder.classroom.grade_all import ClassGrader, Job
    from autograder.grading.score import CheckResult, GradeResult

    class Refusing:
        def record(self, assignment, student, result):
            raise ValueError("cell metadata is invalid")

    grader = ClassGrader(config=course_config_at(tmp_path))
    job = Job("mallory", str(tmp_path / "mnist_conv.ipynb"), "2026-11-28 10:00:00 UTC", "key-1")
    result = GradeResult("graded", 1, 1, None, None, [CheckResult("single_conv2d", True, 1, 1, "one Conv2D")])
    grader.save_result("mnist_conv", job, result.to_record())
    grader.recorder = Refusing()
    entry = grader.record("mnist_conv", job)
    assert entry["status"] == "error"
    assert entry["error"] == ("graded (1/1) but not recorded in the gradebook (its changes rolled back): "
                              "ValueError: cell metadata is invalid")
    assert grader.cached_result("mnist_conv", job) == result.to_record()  # kept: the next run records it


def course_config_at(root):
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(root)
    return config
