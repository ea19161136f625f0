"""Progress: each epoch and call of a run reported as it happens, under the student's
name; a batch's bar that counts what really runs."""

import io
import json
import time

from autograder.classroom.grade_all import running_count
from autograder.classroom.progress import Progress
from autograder.isolation.follow import RunProgress, reporting_as


def test_epochs_and_calls_are_reported_as_the_run_writes_them(tmp_path):
    events, shown = tmp_path / "events.jsonl", io.StringIO()
    follower = RunProgress(str(events), "alice.ipynb", stream=shown, every=0.05)
    follower.start()
    with open(events, "w") as log:
        log.write(json.dumps({"event": "epoch_end", "epoch": 0, "logs": {"accuracy": 0.9}}) + "\n")
        log.flush()
        deadline = time.time() + 10
        while "epoch 1 done" not in shown.getvalue() and time.time() < deadline:
            time.sleep(0.05)
        assert "alice.ipynb: epoch 1 done, accuracy 0.9000" in shown.getvalue()  # seen before the run ends
        log.write("not json\n" + json.dumps({"event": "call", "id": "convolve_edges", "seconds": 1.5}) + "\n")
        log.write(json.dumps({"event": "epoch_end", "epoch": 1, "logs": {"acc": "forged"}}))  # no newline yet
    follower.stop()
    assert "called convolve_edges (1.50 s)" in shown.getvalue()
    assert "epoch 2" not in shown.getvalue()  # an unfinished line is not read


def test_a_run_followed_for_a_student_is_told_under_their_name(tmp_path):
    events, lines = tmp_path / "events.jsonl", []
    events.write_text(json.dumps({"event": "epoch_end", "epoch": 2, "logs": {"accuracy": 0.99}}) + "\n")
    with reporting_as("alice", lines.append):
        follower = RunProgress(str(events), "mnist_conv.ipynb", every=0.05)
    follower.start()
    follower.stop()
    assert lines == ["alice: epoch 3 done, accuracy 0.9900"]


def test_the_bar_says_what_is_done_running_and_failed_with_notes_above_it():
    shown = io.StringIO()
    bar = Progress(3, "grading", stream=shown)
    bar.update(running=2)
    bar.note("alice: epoch 1 done")
    bar.advance(failed=False, running=1)
    bar.advance(failed=True, running=1)
    bar.close()
    text = shown.getvalue()
    assert text.index("alice: epoch 1 done") < text.index("2/3 done, 1 running, 1 failed")
    assert "\r" not in text  # not a terminal: no redrawn lines in a log


class Future:
    def __init__(self, key):
        self.key = key


class Client:
    """What running_count asks of a Dask client: tasks each worker holds, and its threads."""

    def processing(self):
        return {"tcp://w1": ["grade-a", "grade-b"], "tcp://w2": ["grade-c"], "tcp://w3": ["other-task"]}

    def nthreads(self):
        return {"tcp://w1": 1, "tcp://w2": 1, "tcp://w3": 1}


def test_running_counts_what_workers_run_not_what_waits():
    futures = [Future(key) for key in ("grade-a", "grade-b", "grade-c", "grade-d")]
    # w1 holds two of ours but runs one at a time; grade-d waits on the scheduler; other-task is not ours.
    assert running_count(Client(), futures) == 2
