"""The trusted side's look at a saved `.keras` model: its layers and its accuracy.

Layers are counted from the file's configuration (nested models included) and
its weights (a convolution kernel is a 4-D array wherever it hides); no code
from the file is run for that. Accuracy is measured again by loading the model
with Keras' safe mode, so a `Lambda` layer or an unknown custom class is refused
with a message instead of being executed.

Example:

    >>> from autograder.inspect_model import inspect_model
    >>> report = inspect_model("model.keras", x_train, y_train, inputs_scaled=True)  # doctest: +SKIP
    >>> report.count("Conv2D"), report.remeasured_accuracy  # doctest: +SKIP
    (1, 0.9991)
"""

import json
import os
import zipfile
from collections import Counter
from dataclasses import dataclass, field

# Layers whose weights betray them even when the configuration hides them.
KERNEL_RANKS = {"Conv2D": 4}


@dataclass
class ModelReport:
    layer_counts: Counter = field(default_factory=Counter)
    weight_ranks: Counter = field(default_factory=Counter)
    custom_classes: list = field(default_factory=list)
    load_error: str = None
    remeasured_accuracy: float = None
    optimizer_steps: int = None  # batches the optimizer applied: betrays epochs the records omit
    layers: list = field(default_factory=list)  # {"name", "class", "output_shape", "params", "activation"}, top level
    keras_model: object = None  # the model as loaded in safe mode, for checks that compute with it
    inputs_scaled: bool = False  # whether the student fed pixels in [0, 1]: feed it the same way

    @property
    def unverifiable(self):
        """Layers whose insides the grader cannot see: Lambdas and custom classes."""
        return (["Lambda"] if self.layer_counts["Lambda"] else []) + self.custom_classes

    def count(self, layer):
        """Layers of class `layer` in the configuration, or its kernels in the
        weights when those are more (a layer hidden inside a custom one)."""
        hidden = self.weight_ranks[KERNEL_RANKS[layer]] if layer in KERNEL_RANKS else 0
        return max(self.layer_counts[layer], hidden)


def inspect_model(path, x, y, inputs_scaled):
    """Reports on the model saved at `path`; measures its accuracy on (x, y)
    (when given), given as stored (uint8 pixels), scaled to [0, 1] when `inputs_scaled`."""
    report = ModelReport(inputs_scaled=inputs_scaled)
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
            # The compile config (losses, metrics) is not the architecture, and is never loaded.
            walk_config({key: value for key, value in config.items() if key != "compile_config"}, report)
            if "model.weights.h5" in archive.namelist():
                read_weights(archive, report)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        report.load_error = f"the saved model file is unreadable ({error})"
        return report
    if report.custom_classes:
        report.load_error = ("it uses custom classes the grader cannot verify (" + ", ".join(report.custom_classes)
                             + "); build the model from built-in Keras layers")
        return report
    load_trusted(path, report)
    if report.keras_model is not None and x is not None:
        measure_accuracy(x, y, report)
    return report


def walk_config(node, report):
    """Counts every layer class in a Keras config tree, nested models included."""
    if isinstance(node, dict):
        if "class_name" in node and "config" in node:
            report.layer_counts[node["class_name"]] += 1
            module = str(node.get("module") or "keras")
            if not module.startswith("keras") and node["class_name"] not in report.custom_classes:
                report.custom_classes.append(node["class_name"])
        for value in node.values():
            walk_config(value, report)
    elif isinstance(node, list):
        for value in node:
            walk_config(value, report)


def read_weights(archive, report):
    import h5py

    def visit(_, item):
        if isinstance(item, h5py.Dataset):
            report.weight_ranks[item.ndim] += 1

    with archive.open("model.weights.h5") as handle, h5py.File(handle, "r") as weights:
        if "layers" in weights:  # not "optimizer": its slots mirror every kernel
            weights["layers"].visititems(visit)
        iterations = weights.get("optimizer/vars/0")  # Keras' optimizers keep `iterations` first
        if isinstance(iterations, h5py.Dataset) and iterations.ndim == 0:
            report.optimizer_steps = int(iterations[()])


def load_trusted(path, report):
    # Gradings share GPUs: this process takes GPU memory as it needs it, not all up front.
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    import keras

    try:
        report.keras_model = keras.saving.load_model(path, compile=False, safe_mode=True)
        report.layers = [describe_layer(layer) for layer in report.keras_model.layers]
    except Exception as error:  # whatever the file holds, the verdict is "could not be loaded"
        report.keras_model = None
        report.load_error = describe_error(error)


def describe_layer(layer):
    try:
        shape = [None if size is None else int(size) for size in layer.output.shape]
        params = int(layer.count_params())
    except (AttributeError, ValueError, TypeError):  # a layer never called has no output yet
        shape, params = [], 0
    activation = layer.get_config().get("activation")
    return {"name": layer.name, "class": type(layer).__name__, "output_shape": shape, "params": params,
            "activation": activation if isinstance(activation, str) else None}


def model_inputs(report, images):
    """`images` (uint8 pixels) shaped and scaled the way the student fed the model."""
    batch = images.reshape((-1,) + tuple(report.keras_model.input_shape[1:])).astype("float32")
    return batch / 255.0 if report.inputs_scaled else batch


def accuracy_on(report, x, y):
    """The loaded model's accuracy on (x, y), pixels as stored (uint8)."""
    import numpy as np

    scores = report.keras_model.predict(model_inputs(report, x), batch_size=1024, verbose=0)
    return float(np.mean(np.argmax(scores, axis=-1) == y))


def measure_accuracy(x, y, report):
    try:
        report.remeasured_accuracy = accuracy_on(report, x, y)
    except Exception as error:
        report.load_error = describe_error(error)


def feature_maps(report, images, kinds, count):
    """The outputs of the model's first `count` layers of classes `kinds` on
    `images` (uint8, fed as the student fed training images): [array]."""
    import keras

    layers = [layer for layer in report.keras_model.layers if type(layer).__name__ in kinds][:count]
    probe = keras.Model(inputs=report.keras_model.inputs, outputs=[layer.output for layer in layers])
    outputs = probe([model_inputs(report, images)], training=False)  # a list, as the model's inputs are
    return [keras.ops.convert_to_numpy(out) for out in outputs]


def describe_error(error):
    first_line = str(error).splitlines()[0][:300] if str(error) else ""
    return f"{type(error).__name__}: {first_line}"
