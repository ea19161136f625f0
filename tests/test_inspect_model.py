"""The trusted side's reading of saved models: layers counted wherever they hide,
code in the file never run."""

import keras
import numpy as np
import pytest

from autograder.inspect_model import inspect_model

X = np.random.default_rng(0).integers(0, 256, (64, 28, 28), dtype=np.uint8)
Y = np.arange(64) % 10


def conv():
    return keras.layers.Conv2D(4, 3, activation="relu")


def head():
    return [keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]


def saved(model, tmp_path):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    path = str(tmp_path / "model.keras")
    model.save(path)
    return inspect_model(path, X, Y, inputs_scaled=True)


@keras.saving.register_keras_serializable(package="student")
class Hidden(keras.layers.Layer):
    """A custom layer that owns a Conv2D the configuration does not show."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = keras.layers.Conv2D(4, 3)

    def call(self, x):
        return self.inner(x)


def test_counts_layers_and_measures_accuracy(tmp_path):
    report = saved(keras.Sequential([keras.Input((28, 28, 1)), conv(), keras.layers.MaxPooling2D(2), *head()]), tmp_path)
    assert report.count("Conv2D") == 1 and report.count("MaxPooling2D") == 1
    assert report.load_error is None and 0.0 <= report.remeasured_accuracy <= 1.0


def test_counts_through_nested_models(tmp_path):
    inner = keras.Sequential([keras.Input((28, 28, 1)), conv(), keras.layers.MaxPooling2D(2)])
    inputs = keras.Input((28, 28, 1))
    outputs = keras.Sequential(head())(conv()(keras.layers.ZeroPadding2D(1)(inner(inputs))))
    report = saved(keras.Model(inputs, outputs), tmp_path)
    assert report.count("Conv2D") == 2 and report.count("MaxPooling2D") == 1


def test_conv_inside_a_custom_layer_is_counted_and_the_model_is_not_loaded(tmp_path):
    report = saved(keras.Sequential([keras.Input((28, 28, 1)), conv(), Hidden(), *head()]), tmp_path)
    assert report.count("Conv2D") == 2
    assert report.remeasured_accuracy is None and "custom classes" in report.load_error


def test_lambda_layer_is_refused_not_executed(tmp_path):
    payload = keras.layers.Lambda(lambda x: x * 1.0)
    report = saved(keras.Sequential([keras.Input((28, 28, 1)), payload, conv(), *head()]), tmp_path)
    assert report.remeasured_accuracy is None and "Lambda" in report.load_error


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04broken"])
def test_unreadable_file_is_a_report_not_a_crash(tmp_path, content):
    path = tmp_path / "model.keras"
    path.write_bytes(content)
    report = inspect_model(str(path), X, Y, inputs_scaled=True)
    assert report.remeasured_accuracy is None and "unreadable" in report.load_error
