"""The trusted side's reading of saved models: layers counted wherever they hide,
code in the file never run, and a file that is no file refused without a hang."""

import json
import os
import zipfile

import keras
import pytest

from autograder.evidence.inspect_model import inspect_model


def conv():
    return keras.layers.Conv2D(4, 3, activation="relu")


def head():
    return [keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]


def saved(model, tmp_path):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    path = str(tmp_path / "model.keras")
    model.save(path)
    return inspect_model(path, inputs_scaled=True)


@keras.saving.register_keras_serializable(package="student")
class Hidden(keras.layers.Layer):
    """A custom layer that owns a Conv2D the configuration does not show."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = keras.layers.Conv2D(4, 3)

    def call(self, x):
        return self.inner(x)


def test_counts_layers_and_loads_the_model(tmp_path):
    report = saved(keras.Sequential([keras.Input((28, 28, 1)), conv(), keras.layers.MaxPooling2D(2), *head()]), tmp_path)
    assert report.count("Conv2D") == 1 and report.count("MaxPooling2D") == 1
    assert report.load_error is None and report.keras_model is not None
    assert report.family_counts("Conv2D") == {"Conv2D": 1}


def test_counts_through_nested_models(tmp_path):
    inner = keras.Sequential([keras.Input((28, 28, 1)), conv(), keras.layers.MaxPooling2D(2)])
    inputs = keras.Input((28, 28, 1))
    outputs = keras.Sequential(head())(conv()(keras.layers.ZeroPadding2D(1)(inner(inputs))))
    report = saved(keras.Model(inputs, outputs), tmp_path)
    assert report.count("Conv2D") == 2 and report.count("MaxPooling2D") == 1


def test_a_custom_layer_is_unverifiable_and_the_model_is_not_loaded(tmp_path):
    report = saved(keras.Sequential([keras.Input((28, 28, 1)), conv(), Hidden(), *head()]), tmp_path)
    assert report.unverifiable == ["Hidden"]
    assert report.keras_model is None and "custom classes" in report.load_error


def test_lambda_layer_is_refused_not_executed(tmp_path):
    payload = keras.layers.Lambda(lambda x: x * 1.0)
    report = saved(keras.Sequential([keras.Input((28, 28, 1)), payload, conv(), *head()]), tmp_path)
    assert report.keras_model is None and "Lambda" in report.load_error


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04broken"])
def test_unreadable_file_is_a_report_not_a_crash(tmp_path, content):
    path = tmp_path / "model.keras"
    path.write_bytes(content)
    report = inspect_model(str(path), inputs_scaled=True)
    assert report.keras_model is None and "unreadable" in report.load_error


@pytest.mark.parametrize("make", [os.mkfifo, lambda path: os.symlink("/etc/hostname", path)])
def test_a_fifo_or_a_link_is_refused_at_once(tmp_path, make):
    path = str(tmp_path / "model.keras")
    make(path)
    report = inspect_model(path)
    assert "unreadable" in report.load_error and "regular file" in report.load_error


def test_a_config_nested_100000_deep_is_refused_not_a_crash(tmp_path):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "[" * 100_000 + "]" * 100_000)
    assert "unreadable" in inspect_model(str(path)).load_error


def test_a_wide_config_tree_is_walked_without_recursion(tmp_path):
    layer = {"class_name": "Dense", "config": {}, "module": "keras.layers"}
    tree = {"class_name": "Sequential", "config": {"layers": [layer] * 50_000}, "module": "keras"}
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(tree))
    assert inspect_model(str(path)).count("Dense") == 50_000
