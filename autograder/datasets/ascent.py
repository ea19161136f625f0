"""SciPy's 512x512 "ascent" image, from a local copy of `ascent.dat`.

In the sandbox, `scipy.datasets.ascent()` loads offline: the file is placed in a
pooch cache (`$XDG_CACHE_HOME/scipy-data/ascent.dat`), where SciPy finds it
because its hash matches SciPy's registry.

Example:

    >>> from autograder.datasets.ascent import AscentImage
    >>> AscentImage(path="../shared/data/ascent.dat").image().shape
    (512, 512)
"""

import hashlib
import os
import pickle
import shutil

import numpy as np
from traitlets import Unicode, default

from autograder.datasets.base import Dataset
from autograder.errors import DataError

SHA256 = "03ce124c1afc880f87b55f6b061110e2e1e939679184f5614e38dacc6c1957e2"  # SciPy's registry


class AscentImage(Dataset):
    """The ascent image, verified by the file's sha256 (SciPy's own)."""

    path = Unicode(
        help="Path of ascent.dat. Defaults to $AUTOGRADER_ASCENT, else SciPy's cache "
        "($XDG_CACHE_HOME/scipy-data/ascent.dat, ~/.cache/scipy-data/ascent.dat without XDG_CACHE_HOME)."
    ).tag(config=True)

    @default("path")
    def _default_path(self):
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        return os.environ.get("AUTOGRADER_ASCENT") or os.path.join(cache, "scipy-data", "ascent.dat")

    def image(self):
        """The image as SciPy returns it: (512, 512) uint8."""
        self._verify()
        # The file is SciPy's pickle of the array; its hash was checked above, so loading it is safe.
        with open(self.path, "rb") as handle:
            return np.asarray(pickle.load(handle), dtype=np.uint8)

    def sandbox_files(self, folder, profile):
        self._verify()
        os.makedirs(os.path.join(folder, "cache", "scipy-data"))
        shutil.copy(self.path, os.path.join(folder, "cache", "scipy-data", "ascent.dat"))
        return {"XDG_CACHE_HOME": "cache"}

    def trusted_data(self, profile):
        return {"ascent": self.image()}

    def _verify(self):
        try:
            with open(self.path, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
        except OSError as error:
            raise DataError(f"cannot read the ascent image at {self.path} ({error.strerror}). {self._advice()}")
        if digest != SHA256:
            raise DataError(f"{self.path} is not SciPy's ascent.dat (sha256 {digest[:12]}...). {self._advice()}")

    def _advice(self):
        return ("Copy SciPy's ascent.dat there, or point to it with `c.AscentImage.path = '/path/ascent.dat'` "
                "in nbgrader_config.py or the AUTOGRADER_ASCENT environment variable.")
