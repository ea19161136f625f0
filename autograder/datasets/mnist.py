"""MNIST for grading, read from a local copy and verified before use.

The notebook gets the profile's training images as `$MNIST_PATH` (an npz in
the Keras layout: `x_train`, `y_train`, and the 10,000 test images `x_test`,
`y_test`, which no check uses); `keras.datasets.mnist.load_data()` in the
sandbox reads that same file. The trusted side measures the trained model again
on the same training images.

Example:

    >>> from autograder.datasets.mnist import MnistData
    >>> x, y = MnistData(path="../shared/data/mnist.npz").training_set(images=100)
    >>> x.shape, y.shape
    ((100, 28, 28), (100,))
"""

import os

import numpy as np
from traitlets import Bool, Unicode, default

from autograder.datasets.base import Dataset, check_arrays
from autograder.errors import DataError
from autograder.sandboxed.protocol import KERAS_DATASET_ENV_PREFIX


class MnistData(Dataset):
    """MNIST in the Keras npz layout (`x_train` (60000, 28, 28) uint8, `y_train`
    (60000,) uint8, ...), loaded with numpy rather than Keras' hash-checked
    loader, so any faithful copy works offline."""

    ENV = "MNIST_PATH"
    TRAIN_SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,)}
    TRAIN_CHECKSUM = "edc0d1098aa497be14ace79ddd5171e5a3dcf9c4d196c015389203eb3ba1f59b"
    TEST_SHAPES = {"x_test": (10000, 28, 28), "y_test": (10000,)}
    TEST_CHECKSUM = "c3f9adf9c66efb572b1f9326c3a511b45910c7173b97be66ceceeeeaef6b802b"

    path = Unicode(
        help="Path of the MNIST npz file (Keras layout). Defaults to $AUTOGRADER_MNIST, else $MNIST_PATH "
        "(where students' notebooks find it), else ~/.keras/datasets/mnist.npz."
    ).tag(config=True)

    allow_download = Bool(
        False,
        help="When no local copy exists, let Keras download MNIST into ~/.keras/datasets. "
        "Off by default: grading machines are often offline.",
    ).tag(config=True)

    _verified = None  # {name: array} once checked: reading and hashing costs a second

    @default("path")
    def _default_path(self):
        return (os.environ.get("AUTOGRADER_MNIST") or os.environ.get(self.ENV)
                or os.path.expanduser("~/.keras/datasets/mnist.npz"))

    def training_set(self, images=None):
        """The verified training arrays, the first `images` of them (all if None)."""
        arrays = self._load_verified()
        return arrays["x_train"][:images], arrays["y_train"][:images]

    def sandbox_files(self, folder, profile):
        x, y = self.training_set(profile.train_images)
        test = self._load_verified()
        np.savez(os.path.join(folder, "mnist.npz"), x_train=x, y_train=y, x_test=test["x_test"], y_test=test["y_test"])
        return {self.ENV: "mnist.npz", f"{KERAS_DATASET_ENV_PREFIX}MNIST": "."}  # the name Keras downloads

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
            with np.load(self.path) as data:  # the training arrays checked first: they are the ones graded on
                return {**self._verified_part(data, self.TRAIN_SHAPES, self.TRAIN_CHECKSUM),
                        **self._verified_part(data, self.TEST_SHAPES, self.TEST_CHECKSUM)}
        except (OSError, ValueError, KeyError) as error:
            raise DataError(f"{self.path} is not a readable MNIST npz file ({error}). {self._how_to_install()}")

    def _verified_part(self, data, shapes, checksum):
        part = {key: data[key] for key in shapes}
        check_arrays(part, shapes, checksum, self.path, self._how_to_install())
        return part

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
