"""Grading mnist_conv with `python -m autograder grade`, as tests, CI and instructors run it.

Each wrong submission is the reference solution with one mistake; it must lose
exactly the checks that mistake breaks, and no others. Each known pitfall gets its
targeted hint. Both are golden tests: graded once for real (tests/goldens/record.py),
replayed in tests/test_goldens.py against the tables and assertions here.
"""

import nbformat
import pytest
from conftest import SOLUTION, answer_cell, callback_body, failed_checks

pytestmark = [pytest.mark.trains, pytest.mark.usefixtures("mnist_path")]

SOLUTION_SOURCE = answer_cell(nbformat.read(SOLUTION, as_version=4)).source

CONDITION = "accuracy >= TARGET_ACCURACY"
PRINT = '            print("\\n" + STOP_MESSAGE)\n'
STOPS_ONE_EPOCH_LATE = '''        accuracy = logs.get("accuracy")
        if getattr(self, "reached", False):
            print(STOP_MESSAGE)
            self.model.stop_training = True
        elif accuracy >= TARGET_ACCURACY:
            self.reached = True'''

# Layer counts are tested on hand-built evidence (test_checks.py) and end to end in the adversarial corpus,
# as is printing the message and returning numbers without training (message_without_training).
WRONG_SUBMISSIONS = {
    # The message belongs to the first epoch that reaches the target: a late stop loses both.
    "stops_one_epoch_late": ([callback_body(SOLUTION_SOURCE, STOPS_ONE_EPOCH_LATE)],
                             {"stops_at_target", "prints_stop_message"}),
    "no_stop_message": ([(PRINT, "")], {"prints_stop_message"}),
    # Stopping short of the target earns nothing for being short.
    "threshold_0_99": ([(CONDITION, "accuracy >= 0.99")],
                       {"reaches_target", "within_epoch_limit", "stops_at_target", "prints_stop_message"}),
}


# The reference's full marks and the exact JSON contract: test_adversarial.py, after the corpus.


def call_cell(notebook):
    return next(cell for cell in notebook.cells if "epochs, accuracy = train_mnist_conv()" in cell.source)


# Grading trains once: the grader calls train_mnist_conv() itself, never the student's call cell,
# which each wrong submission turns into a trap that would change its verdict.
TRAP = ("epochs, accuracy = train_mnist_conv()", 'raise RuntimeError("the grader ran the call cell")')


def assert_loses_exactly(result, expected_failures):
    """A wrong submission (WRONG_SUBMISSIONS) loses exactly its checks; its call cell, a trap, was not run."""
    assert result["status"] == "graded"
    assert failed_checks(result) == expected_failures, result["checks"]
    lost = sum(check["max_points"] for check in result["checks"] if check["name"] in expected_failures)
    assert result["score"] == result["max_score"] - lost


# stop_training outside the `if` is graded in tests/test_nbgrader_autograde.py (bob), hint placement included.
# mistake: (replacement, check, hint, lost); `lost`: the checks the mistake must lose exactly, where the test pins them.
PITFALLS = {
    # Keras 2's key: never stops (the callback that never stops, as students write it).
    "legacy_acc_key": (('logs.get("accuracy", logs.get("acc"))', 'logs.get("acc")'), "stops_at_target",
                       "logs.get('acc') returns None", {"stops_at_target", "prints_stop_message"}),
    # Keras 3 adds the missing channel axis itself: the model still trains, the feedback still says it.
    "input_not_reshaped": (("x_train = x_train.reshape(-1, 28, 28, 1) / 255.0", "x_train = x_train / 255.0"),
                           "reaches_target", "reshape with x_train.reshape(-1, 28, 28, 1)", None),
    "pixels_not_scaled": (("x_train = x_train.reshape(-1, 28, 28, 1) / 255.0",
                           "x_train = x_train.reshape(-1, 28, 28, 1)"), "reaches_target", "scale them to [0, 1]", None),
}


def assert_targeted_feedback(result, check, hint, lost):
    """A known pitfall (PITFALLS) gets its hint under `check`, and loses exactly `lost` where given."""
    message = next(c["message"] for c in result["checks"] if c["name"] == check)
    assert hint in message, result["checks"]
    assert lost is None or failed_checks(result) == lost, result["checks"]


# Each wrong submission and each pitfall is graded once for real by tests/goldens/record.py (the submission is
# made as tests/goldens/cases.py says) and replayed in tests/test_goldens.py with the assertions above.
