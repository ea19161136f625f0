"""Grading fashion_cnn with `python -m autograder grade`: a wrong submission loses exactly
the checks its mistake breaks. (The reference solution's full marks are checked through
nbgrader, in test_new_assignments_in_nbgrader.py.)

Each grading trains a CNN (about a minute on 2 CPU cores), so the wrong submissions are
few and each says a lot: a network missing its second convolution and pooling, and a
`layer_activations` that forgets to scale the images it is given (a golden test: its
grading is replayed, see tests/goldens/README.md). Mistakes that only
`layer_activations` makes are also caught by the self-check (`python -m autograder
check`), which trains nothing: there they cost seconds each.
"""

import json
import os

import pytest
from conftest import ROOT, failed_checks, function_cell, grade_json, run_autograder, write_variant

SOLUTION = os.path.join(ROOT, "solutions", "fashion_cnn.ipynb")
CHECK_NAMES = ["conv_output_shapes", "flatten_width", "dense_classifier", "beats_dense_baseline", "activations_match"]

SECOND_CONV_AND_POOL = ('        tf.keras.layers.Conv2D(64, (3, 3), activation="relu"),\n'
                        '        tf.keras.layers.MaxPooling2D(2, 2),\n')
PREPARED = "prepared = np.asarray(images).reshape(-1, 28, 28, 1) / 255.0"


@pytest.mark.trains
def test_network_without_its_second_convolution_and_pooling(tmp_path):
    """One Conv2D and one MaxPooling2D: the shapes are wrong from the third layer on, Flatten is
    13 * 13 * 64 wide, and layer_activations' first four layers are no longer the conv and pooling
    layers. The dense classifier is still right, and the network still beats the dense one.
    The data are loaded again as the lesson does, with Keras' own loader: offline in the sandbox,
    it gets the grader's copy."""
    lesson_loading = ("    training_images = x_train.reshape(",
                      "    (x_train, y_train), _ = tf.keras.datasets.fashion_mnist.load_data()\n"
                      "    training_images = x_train.reshape(")
    notebook = write_variant(tmp_path / "one_conv.ipynb", (SECOND_CONV_AND_POOL * 2, SECOND_CONV_AND_POOL),
                             lesson_loading, cell=function_cell("train_fashion_cnn"), solution=SOLUTION)
    result = grade_json(notebook)
    assert result["status"] == "graded" and [check["name"] for check in result["checks"]] == CHECK_NAMES
    assert failed_checks(result) == {"conv_output_shapes", "flatten_width", "activations_match"}, result["checks"]
    assert result["score"] == 3.0
    flatten = next(check for check in result["checks"] if check["name"] == "flatten_width")
    assert "10816" in flatten["message"], flatten


def assert_activations_of_unscaled_images_lose_only_their_check(result):
    """The model is trained on scaled images, but layer_activations feeds raw 0-255 pixels (PREPARED
    without its scaling): the shapes are right, the values are not. A golden test: graded once for real
    (tests/goldens/record.py), replayed in tests/test_goldens.py."""
    assert result["status"] == "graded"
    assert failed_checks(result) == {"activations_match"}, result["checks"]
    assert result["score"] == 6.0
    message = next(check["message"] for check in result["checks"] if check["name"] == "activations_match")
    assert "preprocessing" in message, message


@pytest.mark.parametrize("name, old, new, says", [
    pytest.param(name, old, new, says, id=name) for name, old, new, says in [
        ("wrong_filter", "[..., int(filter_index)]", "[..., 0]", "values differ"),
        ("layers_after_the_first", "model.layers[:4]", "model.layers[1:5]", "Layer 1: shape"),
        ("all_channels_kept", "[..., int(filter_index)]", "", "Layer 1: shape"),
    ]
])
@pytest.mark.sandbox
def test_self_check_catches_layer_activations_mistakes_without_training(tmp_path, name, old, new, says):
    notebook = write_variant(tmp_path / f"{name}.ipynb", (old, new), cell=function_cell("layer_activations"),
                             solution=SOLUTION)
    done = run_autograder("check", str(notebook), "--json")
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    checks = {check["name"]: check for check in json.loads(done.stdout)["checks"]}
    assert {n for n, check in checks.items() if not check["passed"]} == {"activations_match"}, checks
    assert says in checks["activations_match"]["message"], checks["activations_match"]
