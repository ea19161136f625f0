"""The trusted side's look at a saved `.keras` model: its layers and their shapes.

Layers are counted from the file's configuration (nested models included), by
family: a convolution is any Keras convolution (1-D, 2-D, 3-D, depthwise,
separable, transposed), a pooling any Keras pooling. No code from the file is
run for that. The model is then loaded with Keras' safe mode, so a `Lambda`
layer or an unknown custom class is refused with a message, never executed.
The file is read only if it is a regular file within a size limit.

Example:

    >>> import os, tempfile, keras
    >>> from autograder.evidence.inspect_model import inspect_model
    >>> path = os.path.join(tempfile.mkdtemp(), "model-0.keras")  # as a run saves the student's model
    >>> keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
    ...                   keras.layers.Dense(10)]).save(path)
    >>> report = inspect_model(path, inputs_scaled=True)
    >>> report.count("Conv2D"), report.family_counts("Conv2D")
    (1, {'Conv2D': 1})
"""

import io
import os
import zipfile
from collections import Counter
from dataclasses import dataclass, field

from autograder.sandboxed.protocol import ProtocolError, loads, read_regular_file
from autograder.trainer.config_tree import config_nodes, foreign_classes

MAX_MODEL_BYTES = 512 * 2**20
# Layer families: "exactly one Conv2D" means one convolution of any kind, and that one a Conv2D.
FAMILIES = {
    "convolution": ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
                    "SeparableConv2D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "ConvLSTM1D",
                    "ConvLSTM2D", "ConvLSTM3D"),
    "pooling": ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
                "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
                "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D"),
}


@dataclass
class ModelReport:
    layer_counts: Counter = field(default_factory=Counter)
    custom_classes: list = field(default_factory=list)
    load_error: str = None
    layers: list = field(default_factory=list)  # {"name", "class", "output_shape", "params", "activation"}, top level
    keras_model: object = None  # the model as loaded in safe mode, for checks that compute with it
    inputs_scaled: bool = False  # whether the student fed pixels in [0, 1]: feed it the same way

    @property
    def unverifiable(self):
        """Layers whose insides the grader cannot see: Lambdas and custom classes."""
        return (["Lambda"] if self.layer_counts["Lambda"] else []) + self.custom_classes

    def count(self, layer):
        """Layers of class `layer` in the configuration, nested models included."""
        return self.layer_counts[layer]

    def family(self, layer):
        """(family name, member classes) of `layer`'s family, or (layer, (layer,)) if it has none."""
        return next(((name, members) for name, members in FAMILIES.items() if layer in members), (layer, (layer,)))

    def family_counts(self, layer):
        """{class: count} of the layers of `layer`'s family in the model."""
        return {kind: self.layer_counts[kind] for kind in self.family(layer)[1] if self.layer_counts[kind]}


def inspect_model(path, inputs_scaled=False):
    """Reports on the model saved at `path`, fed pixels in [0, 1] when `inputs_scaled`."""
    report = ModelReport(inputs_scaled=inputs_scaled)
    try:
        with zipfile.ZipFile(io.BytesIO(read_regular_file(path, MAX_MODEL_BYTES))) as archive:
            config = loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, ProtocolError) as error:
        report.load_error = f"the saved model file is unreadable ({error})"
        return report
    # The compile config (losses, metrics) is not the architecture, and is never loaded.
    for node in config_nodes({key: value for key, value in config.items() if key != "compile_config"}):
        report.layer_counts[node["class_name"]] += 1
    report.custom_classes = foreign_classes(config)
    if report.custom_classes:
        report.load_error = ("it uses custom classes the grader cannot verify (" + ", ".join(report.custom_classes)
                             + "); build the model from built-in Keras layers")
        return report
    load_trusted(path, report)
    return report


def import_keras():
    # Gradings share GPUs: this process takes GPU memory as it needs it, not all up front.
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    import keras

    return keras


def load_trusted(path, report):
    keras = import_keras()
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
