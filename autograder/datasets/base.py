"""What a grading data set provides, and how copies are verified.

Example:

    >>> import numpy as np
    >>> from autograder.datasets.base import content_checksum
    >>> content_checksum(np.zeros(2, dtype="uint8"))[:12]
    '96a296d224f2'
"""

import hashlib

import numpy as np
from traitlets.config import LoggingConfigurable

from autograder.errors import DataError


def content_checksum(*arrays):
    """sha256 over the arrays' bytes: the same for every faithful copy, whatever
    container (zip, gzip) it came in."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def check_arrays(arrays, shapes, checksum, source, advice):
    """Raises DataError unless `arrays` have `shapes` (uint8) and `checksum`."""
    for key, shape in shapes.items():
        if arrays[key].shape != shape or arrays[key].dtype != np.uint8:
            raise DataError(f"{source}: {key} is {arrays[key].shape} {arrays[key].dtype}, expected {shape} uint8. "
                            + advice)
    if content_checksum(*(arrays[key] for key in shapes)) != checksum:
        raise DataError(f"{source}: the arrays differ from the real data set's (checksum). {advice}")


class Dataset(LoggingConfigurable):
    """Base class of a grading data set."""

    def sandbox_files(self, folder, profile):
        """Writes what the notebook reads into `folder`; returns {environment variable: file name in it}."""
        raise NotImplementedError(f"{type(self).__name__} must implement sandbox_files(folder, profile)")

    def trusted_data(self, profile):
        """{name: array} the checks measure with, in the grader's process only."""
        raise NotImplementedError(f"{type(self).__name__} must implement trusted_data(profile)")
