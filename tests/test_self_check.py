"""`python -m autograder check`: a student's fast self-check, without training."""

import json

import nbformat
import pytest
from conftest import SOLUTION, answer_cell, callback_body, run_autograder, write_variant

pytestmark = [pytest.mark.sandbox, pytest.mark.usefixtures("mnist_path")]  # the notebook runs, nothing trains


def self_check(notebook):
    done = run_autograder("check", str(notebook), "--json")
    assert done.returncode in (0, 1), done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert (done.returncode == 0) == all(check["passed"] for check in result["checks"])
    return {check["name"]: check for check in result["checks"]}


def test_the_reference_solution_passes_every_self_check_and_learns_nothing_of_the_grading():
    done = run_autograder("check", SOLUTION)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "5 of 5 self-checks pass" in done.stdout and "this is not your grade" in done.stdout
    for hidden in ("reaches_target", "stops_at_target", "quick", "3,000", "profile"):
        assert hidden not in done.stdout + done.stderr
    for noise in ("absl", "oneDNN", "cuda", "tensorflow"):  # TensorFlow's start-up lines are not the student's
        assert noise not in done.stderr, done.stderr


def test_code_written_for_the_60000_images_a_student_has_passes_on_the_course_profile(tmp_path):
    """The lesson's own preprocessing hard-codes the training set's size: the check reads
    the configured profile's data (full, all 60,000 images), as grading does."""
    notebook = write_variant(tmp_path / "mnist_conv.ipynb",
                             ("x_train.reshape(-1, 28, 28, 1)", "x_train.reshape(60000, 28, 28, 1)"))
    done = run_autograder("check", str(notebook), "--json", env={"AUTOGRADER_PROFILE": "full"})
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert all(check["passed"] for check in json.loads(done.stdout)["checks"])
    # --profile wins over the configuration: on the 3,000 quick images the same code cannot reshape.
    done = run_autograder("check", str(notebook), "--json", "--profile", "quick", env={"AUTOGRADER_PROFILE": "full"})
    assert done.returncode == 1 and "cannot reshape array of size 2352000" in done.stdout, done.stdout


@pytest.mark.parametrize("name, replacement, failing, says", [
    ("legacy_acc_key", ('logs.get("accuracy", logs.get("acc"))', 'logs.get("acc")'), {"callback_stops", "callback_prints"},
     "It stops correctly when the logs say 'acc'"),
    # The message belongs to the first epoch that reaches the target: a wrong stop moves it too.
    ("stop_outside_if", None, {"callback_stops", "callback_prints"}, "stopped training at epoch 1"),
    ("threshold_too_high", ("accuracy >= TARGET_ACCURACY", "accuracy > 0.999"), {"callback_stops", "callback_prints"},
     "let epoch 5 (accuracy 0.9986) pass"),
    ("no_reshape", ("x_train.reshape(-1, 28, 28, 1) / 255.0", "x_train / 255.0"), {"input_shape"},
     "reshape them to (28, 28, 1)"),
    ("two_convolutions", ('tf.keras.layers.MaxPooling2D(2, 2),',
                          'tf.keras.layers.MaxPooling2D(2, 2),\n        tf.keras.layers.Conv2D(8, (3, 3)),'),
     {"single_conv2d"}, "has 2 Conv2D"),
])
def test_a_mistake_is_named_in_seconds(tmp_path, name, replacement, failing, says):
    if replacement is None:  # stop_training set whatever the accuracy
        solution = answer_cell(nbformat.read(SOLUTION, as_version=4)).source
        replacement = callback_body(solution, '        print("\\n" + STOP_MESSAGE)\n        self.model.stop_training = True')
    checks = self_check(write_variant(tmp_path / f"{name}.ipynb", replacement))
    assert {n for n, check in checks.items() if not check["passed"]} == failing, checks
    assert says in " ".join(check["message"] for check in checks.values())
