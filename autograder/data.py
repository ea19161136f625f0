"""Training data for grading, read from a local copy and verified before use.

Grading never touches the network unless an instructor allows it: the data set
is read from a path set in `nbgrader_config.py` or an environment variable, and
its arrays are checked (shapes, dtypes, a checksum of the contents) so that a
truncated or wrong file is a clear error instead of a wrong grade.

Example:

    >>> from autograder.data import MnistData
    >>> x, y = MnistData(path="../shared/data/mnist.npz").training_set(images=100)
    >>> x.shape, y.shape
    ((100, 28, 28), (100,))
"""

import hashlib
import os

import numpy as np
from traitlets import Bool, Unicode, default
from traitlets.config import LoggingConfigurable


class DataError(Exception):
    """The grading data are missing or not what they should be."""


def content_checksum(*arrays):
    """sha256 over the arrays' bytes: the same for every faithful copy, whatever
    zip container it came in."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


class MnistData(LoggingConfigurable):
    """MNIST in the Keras npz layout (`x_train` (60000, 28, 28) uint8, `y_train`
    (60000,) uint8, ...), loaded with numpy rather than Keras' hash-checked
    loader, so any faithful copy works offline."""

    TRAIN_SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,)}
    TRAIN_CHECKSUM = "edc0d1098aa497be14ace79ddd5171e5a3dcf9c4d196c015389203eb3ba1f59b"

    path = Unicode(
        help="Path of the MNIST npz file (Keras layout). Defaults to $AUTOGRADER_MNIST, "
        "else ~/.keras/datasets/mnist.npz."
    ).tag(config=True)

    allow_download = Bool(
        False,
        help="When no local copy exists, let Keras download MNIST into ~/.keras/datasets. "
        "Off by default: grading machines are often offline.",
    ).tag(config=True)

    _verified = None  # (x_train, y_train) once checked: reading and hashing costs a second

    @default("path")
    def _default_path(self):
        return os.environ.get("AUTOGRADER_MNIST") or os.path.expanduser("~/.keras/datasets/mnist.npz")

    def training_set(self, images=None):
        """The verified training arrays, the first `images` of them (all if None)."""
        x, y = self._load_verified()
        return x[:images], y[:images]

    def write_training_subset(self, destination, images=None):
        """Writes the first `images` training examples as an npz for the sandbox."""
        x, y = self.training_set(images)
        np.savez(destination, x_train=x, y_train=y)
        return destination

    def _load_verified(self):
        if self._verified is None:
            self._verified = self._read_and_verify()
        return self._verified

    def _read_and_verify(self):
        if not os.path.exists(self.path):
            self._download_or_fail()
        try:
            with np.load(self.path) as data:
                arrays = {key: data[key] for key in self.TRAIN_SHAPES}
        except (OSError, ValueError, KeyError) as error:
            raise DataError(f"{self.path} is not a readable MNIST npz file ({error}). {self._how_to_install()}")
        for key, shape in self.TRAIN_SHAPES.items():
            if arrays[key].shape != shape or arrays[key].dtype != np.uint8:
                raise DataError(
                    f"{self.path}: {key} is {arrays[key].shape} {arrays[key].dtype}, expected {shape} uint8. "
                    + self._how_to_install()
                )
        if content_checksum(arrays["x_train"], arrays["y_train"]) != self.TRAIN_CHECKSUM:
            raise DataError(f"{self.path}: the training images differ from MNIST's (checksum). {self._how_to_install()}")
        return arrays["x_train"], arrays["y_train"]

    def _download_or_fail(self):
        if not self.allow_download:
            raise DataError(f"No MNIST file at {self.path}. {self._how_to_install()}")
        import keras

        self.log.info("Downloading MNIST with Keras into ~/.keras/datasets")
        keras.datasets.mnist.load_data()
        self.path = os.path.expanduser("~/.keras/datasets/mnist.npz")

    def _how_to_install(self):
        return (
            "Put a copy of mnist.npz (Keras layout) on this machine and point to it with "
            "`c.MnistData.path = '/path/to/mnist.npz'` in nbgrader_config.py or the AUTOGRADER_MNIST "
            "environment variable; online, set `c.MnistData.allow_download = True` to let Keras fetch it."
        )
