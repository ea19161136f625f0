"""MNIST for grading, read from a local copy and verified before use.

The notebook gets the profile's training images as `$MNIST_PATH` (an npz with
`x_train`, `y_train`); the trusted side measures the trained model again on the
same images.

Example:

    >>> from autograder.datasets.mnist import MnistData
    >>> x, y = MnistData(path="../shared/data/mnist.npz").training_set(images=100)
    >>> x.shape, y.shape
    ((100, 28, 28), (100,))
"""

import os

import numpy as np
from traitlets import Bool, Unicode, default

from .base import Dataset, DataError, check_arrays


class MnistData(Dataset):
    """MNIST in the Keras npz layout (`x_train` (60000, 28, 28) uint8, `y_train`
    (60000,) uint8, ...), loaded with numpy rather than Keras' hash-checked
    loader, so any faithful copy works offline."""

    ENV = "MNIST_PATH"
    TRAIN_SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,)}
    TRAIN_CHECKSUM = "edc0d1098aa497be14ace79ddd5171e5a3dcf9c4d196c015389203eb3ba1f59b"

    path = Unicode(
        help="Path of the MNIST npz file (Keras layout). Defaults to $AUTOGRADER_MNIST, else $MNIST_PATH "
        "(where students' notebooks find it), else ~/.keras/datasets/mnist.npz."
    ).tag(config=True)

    allow_download = Bool(
        False,
        help="When no local copy exists, let Keras download MNIST into ~/.keras/datasets. "
        "Off by default: grading machines are often offline.",
    ).tag(config=True)

    _verified = None  # (x_train, y_train) once checked: reading and hashing costs a second

    @default("path")
    def _default_path(self):
        return (os.environ.get("AUTOGRADER_MNIST") or os.environ.get(self.ENV)
                or os.path.expanduser("~/.keras/datasets/mnist.npz"))

    def training_set(self, images=None):
        """The verified training arrays, the first `images` of them (all if None)."""
        x, y = self._load_verified()
        return x[:images], y[:images]

    def sandbox_files(self, folder, profile):
        x, y = self.training_set(profile.train_images)
        np.savez(os.path.join(folder, "train.npz"), x_train=x, y_train=y)
        return {self.ENV: "train.npz"}

    def trusted_data(self, profile):
        x, y = self.training_set(profile.train_images)
        return {"x": x, "y": y}

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
        check_arrays(arrays, self.TRAIN_SHAPES, self.TRAIN_CHECKSUM, self.path, self._how_to_install())
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
