"""Fashion-MNIST for grading, read from the four original `.gz` files.

Debian's `dataset-fashion-mnist` package installs them under
`/usr/share/datasets/fashion-mnist/`. The notebook gets `$FASHION_MNIST_PATH`,
an npz with the profile's training images and the first half of the test set
(`x_test`, `y_test`: for evaluating and for looking at activations). The
second half of the test set never enters the sandbox: the grader measures the
trained model's accuracy on it, so no submission can have trained on it. The
same arrays are also written as the four `.gz` files Keras downloads, which
`keras.datasets.fashion_mnist.load_data()` reads in the sandbox, offline.

Example:

    >>> from autograder.datasets.fashion_mnist import FashionMnistData
    >>> data = FashionMnistData()  # $AUTOGRADER_FASHION_MNIST, else /usr/share/datasets/fashion-mnist
    >>> data.trusted_data(type("P", (), {"train_images": 100})())["x_holdout"].shape
    (5000, 28, 28)
"""

import gzip
import os

import numpy as np
from traitlets import Unicode, default

from autograder.datasets.base import Dataset, check_arrays
from autograder.errors import DataError
from autograder.sandboxed.protocol import KERAS_DATASET_ENV_PREFIX

FILES = {  # array: (file, header bytes, shape)
    "x_train": ("train-images-idx3-ubyte.gz", 16, (60000, 28, 28)),
    "y_train": ("train-labels-idx1-ubyte.gz", 8, (60000,)),
    "x_test": ("t10k-images-idx3-ubyte.gz", 16, (10000, 28, 28)),
    "y_test": ("t10k-labels-idx1-ubyte.gz", 8, (10000,)),
}
HELD_OUT_FROM = 5000  # test images from here on are the grader's alone


class FashionMnistData(Dataset):
    """Fashion-MNIST from a folder of the original IDX `.gz` files."""

    ENV = "FASHION_MNIST_PATH"
    CHECKSUM = "ca3ab2a37f845e1b8ae23cab1b51749a3011ba3bf1d9016176d75cbaabac376f"

    folder = Unicode(
        help="Folder with Fashion-MNIST's four .gz files. Defaults to $AUTOGRADER_FASHION_MNIST, else "
        "/usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist package)."
    ).tag(config=True)

    _verified = None

    @default("folder")
    def _default_folder(self):
        return os.environ.get("AUTOGRADER_FASHION_MNIST") or "/usr/share/datasets/fashion-mnist"

    def arrays(self):
        """All four verified arrays, by name."""
        if self._verified is None:
            self._verified = self._read_and_verify()
        return self._verified

    def sandbox_files(self, folder, profile):
        data = self.arrays()
        arrays = {"x_train": data["x_train"][:profile.train_images], "y_train": data["y_train"][:profile.train_images],
                  "x_test": data["x_test"][:HELD_OUT_FROM], "y_test": data["y_test"][:HELD_OUT_FROM]}
        np.savez(os.path.join(folder, "fashion.npz"), **arrays)
        for key, array in arrays.items():
            write_idx(os.path.join(folder, FILES[key][0]), array)
        return {self.ENV: "fashion.npz", f"{KERAS_DATASET_ENV_PREFIX}FASHION_MNIST": "."}

    def trusted_data(self, profile):
        data = self.arrays()
        return {"x": data["x_train"][:profile.train_images], "y": data["y_train"][:profile.train_images],
                "x_test": data["x_test"][:HELD_OUT_FROM],
                "x_holdout": data["x_test"][HELD_OUT_FROM:], "y_holdout": data["y_test"][HELD_OUT_FROM:]}

    def _read_and_verify(self):
        arrays = {}
        for key, (name, header, shape) in FILES.items():
            path = os.path.join(self.folder, name)
            try:
                with gzip.open(path, "rb") as handle:
                    arrays[key] = np.frombuffer(handle.read(), np.uint8, offset=header).reshape(shape)
            except (OSError, ValueError, EOFError) as error:
                raise DataError(f"cannot read Fashion-MNIST's {path} ({error}). {self._how_to_install()}")
        check_arrays(arrays, {key: spec[2] for key, spec in FILES.items()}, self.CHECKSUM, self.folder,
                     self._how_to_install())
        return arrays

    def _how_to_install(self):
        return ("Install Debian's package (apt-get install dataset-fashion-mnist), or put the four original "
                ".gz files in a folder and point to it with `c.FashionMnistData.folder = '/path'` in "
                "nbgrader_config.py or the AUTOGRADER_FASHION_MNIST environment variable.")


def write_idx(path, array):
    """`array` (uint8) as an IDX file, gzipped as the originals are: its header (magic
    number, then each dimension, big-endian) and its bytes."""
    header = np.array([0x800 + array.ndim, *array.shape], dtype=">u4").tobytes()
    with gzip.open(path, "wb", compresslevel=1) as handle:  # level 1: written per grading, read once
        handle.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
