"""Progress while one notebook is graded: each epoch and call is reported as it happens."""

import io
import json
import time

from autograder.progress import RunProgress


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
