"""The adversarial corpus: hostile or broken submissions, one notebook per case in
tests/adversarial/, with the expected outcome per check in expected.json
(and, for the cases of the verdict issue, what each does).

Each must get the right score and a clear message without crashing, hanging or
corrupting the grader; after all of them, a good submission grades normally.
Runs use a tighter configuration so that the infinite loops and the bombs cost
little time: limits derived from a calibration of the reference on quick
(18 s, 2 s per epoch: 60 s of wall time, 20 s without an epoch ending), and an
explicit 3 GiB of memory. A case's "max_seconds" bounds its whole grading; a
case "graded_in" another test (a grade cell deleted or edited, which only
nbgrader reads) is graded there, through nbgrader, not here; a "golden" case (its
verdict is what it tests, not the grader's containment of it) is replayed from its
saved grading in tests/test_goldens.py (see tests/goldens/README.md).
"""

import json
import os
import socket
import threading
import time

import pytest
from conftest import CHECK_NAMES, CORPUS, SOLUTION, failed_checks, run_autograder

from autograder.isolation.calibration import Calibration, Figures

EXPECTED = json.load(open(os.path.join(CORPUS, "expected.json"), encoding="utf-8"))
LOOPBACK_PORT = 47123  # a host service the sandbox must not reach (open_network_connection)


@pytest.fixture(scope="module")
def tight_config(tmp_path_factory):
    return write_tight_config(tmp_path_factory.mktemp("config"))


def write_tight_config(folder):
    """Writes the corpus's configuration (and its calibration) into `folder`; returns its path."""
    calibration = str(folder / "calibration.json")
    Calibration(path=calibration).write("mnist_conv", "quick", Figures(5, 2.0, 18.0, 2**30))
    path = folder / "nbgrader_config.py"
    path.write_text("c = get_config()\n"
                    f"c.Calibration.path = {calibration!r}\n"
                    # tighter than the course's: 3 x (8 s + 5 epochs of 2 s) = 54 s, the floor's 60 s of wall
                    # time, 10 x 2 s = 20 s without an epoch ending (the corpus is long; its slowest honest run
                    # takes ~27 s)
                    "c.Calibration.wall_multiple = 3.0\nc.Calibration.wall_epochs = 5\n"
                    "c.Calibration.stall_multiple = 10.0\nc.Calibration.stall_floor = 20\n"
                    "c.RunInIsolation.memory_limit = 3 * 2**30\n")
    return str(path)


@pytest.fixture(scope="module")
def host_service():
    """A service on the host's loopback for the hostile gradings to try (and fail) to reach; closed after them,
    so that the port is free again for another run."""
    server = socket.create_server(("127.0.0.1", LOOPBACK_PORT))
    threading.Thread(target=accept_until_closed, args=(server,), daemon=True).start()
    yield
    server.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept(): close() alone would not
    server.close()


def accept_until_closed(server):
    try:
        while True:
            server.accept()[0].close()
    except OSError:
        return


def grade(notebook, config):
    done = run_autograder("--config", config, "grade", notebook, "--profile", "quick", "--json",
                          "--assignment", "mnist_conv")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("case", sorted(case for case, expected in EXPECTED.items()
                                         if "graded_in" not in expected and not expected.get("golden")))
@pytest.mark.trains
@pytest.mark.usefixtures("mnist_path", "host_service")
def test_hostile_submission_gets_the_expected_outcome(case, tight_config):
    expected = EXPECTED[case]
    started = time.monotonic()
    result = grade(os.path.join(CORPUS, f"{case}.ipynb"), tight_config)
    assert time.monotonic() - started < expected.get("max_seconds", float("inf"))
    assert_expected_outcome(expected, result)


def assert_expected_outcome(expected, result):
    """`result` (grade --json) is what `expected` (a case of expected.json) says, check by check."""
    failed = failed_checks(result)
    summary = json.dumps(result["checks"], indent=1)
    if "status" in expected:
        assert result["status"] == expected["status"], summary
    assert set(expected.get("failed", [])) <= failed, summary
    assert not set(expected.get("passed", [])) & failed, summary
    messages = {check["name"]: check["message"] for check in result["checks"]}
    for name, text in expected.get("message", {}).items():
        assert text in messages[name], summary
    assert result["score"] == sum(c["points"] for c in result["checks"]) and result["max_score"] == 8.0


def test_every_case_has_its_notebook_and_expectation():
    notebooks = {name[:-6] for name in os.listdir(CORPUS) if name.endswith(".ipynb")}
    assert notebooks == set(EXPECTED) and len(notebooks) >= 34


@pytest.mark.trains
@pytest.mark.usefixtures("mnist_path")
def test_after_the_corpus_the_reference_grades_normally_with_the_exact_json_contract(tight_config):
    result = grade(SOLUTION, tight_config)
    assert result["status"] == "graded" and result["score"] == result["max_score"] == 8.0, result["checks"]
    assert [check["name"] for check in result["checks"]] == CHECK_NAMES and failed_checks(result) == set()
    assert 1 <= result["epochs_run"] <= 20 and result["final_accuracy"] >= 0.998
    assert set(result) == {"status", "score", "max_score", "epochs_run", "final_accuracy", "checks"}
    for check in result["checks"]:
        assert set(check) == {"name", "passed", "points", "max_points", "message"}
        assert isinstance(check["points"], float) and isinstance(check["max_points"], float) and check["message"]
    leftovers = [d for root in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup")
                 for d, _, _ in os.walk(root) if os.path.basename(d).startswith("autograder-")]
    assert leftovers == []
