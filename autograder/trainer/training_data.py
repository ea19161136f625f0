"""Which images given to `fit` are the grader's own training images.

The trainer asks this of every `fit`: the checks then require that training
used the grader's images with their labels (not the test set, not a few
images repeated). Students preprocess in many honest ways, so an image counts
as the grader's when it is one of them after undoing one of the pixel
transforms lessons use:

- one affine map for the whole array (`/ 255.0`, `/ 127.5 - 1`, standardising
  with the set's mean and deviation);
- one affine map per image (`tf.image.per_image_standardization`, each image's
  own min-max scaling), or one factor per image (its L2 normalisation,
  `normalize(x.reshape(-1, 784))`);
- L2 normalisation of each row or each column of the image, as
  `tf.keras.utils.normalize(x_train, axis=1)` does (a popular tutorial's line),
  with one factor for the image.

The image a map gives back must equal the grader's within PIXEL_TOLERANCE
grey levels, so no other change (a label painted faintly into a pixel)
passes. A map per image must bring every image to the same statistics (the
same min and max, or the same mean and deviation, or the same factor), as
those transforms do: its numbers come from the image, so none can carry a
label in an image's brightness.

What is trained on is then the grader's own image for every image found,
scaled by the whole array's map into the range the student's images span
(`graders_images`): a tolerance or a per-image statistic can carry nothing
(a label in a background a thousandth of a grey level off, read by a
`Rescaling` layer) into training.

Example:

    >>> import numpy as np
    >>> from autograder.trainer.training_data import training_images
    >>> x = np.zeros((2, 28, 28), np.uint8); x[0, 5, 5] = 255; x[1, 9, 9] = 200
    >>> training_images(x / 255.0, [3, 4], x, np.array([3, 4]))["found"]
    2
"""

import warnings
from contextlib import contextmanager

import numpy as np

PIXEL_TOLERANCE = 0.1  # grey levels between a given image, its scaling undone, and the grader's
SAME_STATISTICS = 1e-3  # relative difference within which per-image statistics count as the same
CHUNK = 4096  # images compared at once: bounds the memory of the float copies


def training_images(x, y, trusted_x, trusted_y):
    """{"images", "found", "distinct", "wrong_labels", "expected"}: how many of
    the images `x` are images of `trusted_x` (see the module's docstring), how
    many distinct ones, and how many of those found carry another label than
    theirs in `trusted_y`."""
    return graders_images(x, y, trusted_x, trusted_y)[0]


def graders_images(x, y, trusted_x, trusted_y):
    """(training_images' counts, the images to train on: `x` with each image found
    replaced by the grader's, mapped into x's range by the whole array's map)."""
    result = {"images": len(x), "found": 0, "distinct": 0, "wrong_labels": 0, "expected": len(trusted_x)}
    trusted = trusted_x.reshape(len(trusted_x), -1)
    if len(x) == 0 or np.asarray(x[0]).size != trusted.shape[1]:
        return result, x
    labels = np.argmax(y, axis=-1) if np.ndim(y) == 2 and np.shape(y)[1] > 1 else np.asarray(y).reshape(-1)
    index = TrustedIndex(trusted, trusted_y, trusted_x.shape[1:])
    given = np.asarray(x).reshape(len(x), -1)
    found = index.find(given)
    matched = found >= 0
    keys = index.keys[found[matched]]
    result["found"] = int(matched.sum())
    result["distinct"] = len(np.unique(keys))
    result["wrong_labels"] = int(sum(int(label) not in index.labels[key]
                                     for label, key in zip(labels[matched], keys)))
    return result, rebuilt(given, found, trusted).reshape(np.shape(x))


def rebuilt(given, found, trusted):
    """`given` (float32) with each image found replaced by its trusted one, scaled from 0..255
    into the range of `given` as a whole."""
    low, high = grey_levels(given)
    images = given.astype(np.float32)
    matched = found >= 0
    images[matched] = low + trusted[found[matched]].astype(np.float32) * np.float32((high - low) / 255.0)
    return images


class TrustedIndex:
    """The grader's images, looked up by the pixels at each image's minimum (its
    background), which every transform above keeps at the minimum."""

    def __init__(self, trusted, trusted_y, shape):
        self.trusted, self.shape = trusted, shape
        ids = {}  # one key per distinct image (a set may hold duplicates): labels are checked per key
        self.keys = np.array([ids.setdefault(row.tobytes(), len(ids)) for row in trusted])
        self.labels = {}
        for key, label in zip(self.keys, trusted_y):
            self.labels.setdefault(int(key), set()).add(int(label))
        self.by_mask = {}
        for position, mask in enumerate(minimum_masks(trusted)):
            self.by_mask.setdefault(mask, []).append(position)

    def find(self, given):
        """For each given image, the position of the grader's image it is, or -1. The
        whole array's map first: the per-image statistics are computed only when it
        leaves images unmatched."""
        found = self._find(given, np.arange(len(given)), Maps.whole_array(given, self.shape))
        missing = np.flatnonzero(found < 0)
        if len(missing):
            found[missing] = self._find(given, missing, Maps.of(given, self.shape).part(missing))
        return found

    def _find(self, given, rows, maps):
        found = np.full(len(rows), -1)
        for start in range(0, len(rows), CHUNK):
            part = slice(start, start + CHUNK)
            found[part] = self._find_chunk(given[rows[part]].astype(np.float64), maps.part(part))
        return found

    def _find_chunk(self, chunk, maps):
        candidates = [self.by_mask.get(mask, []) for mask in minimum_masks(chunk)]
        found = np.full(len(chunk), -1)
        for depth in range(max(map(len, candidates), default=0)):  # one candidate, bar duplicates' masks
            rows = np.array([i for i, c in enumerate(candidates) if found[i] < 0 and len(c) > depth], dtype=int)
            if len(rows):
                positions = np.array([candidates[i][depth] for i in rows])
                same = maps.part(rows).undo_to(chunk[rows], self.trusted[positions].astype(np.float64))
                found[rows[same]] = positions[same]
        return found


class Maps:
    """Which maps may be undone for each given image: the whole array's range (one affine
    map), and the per-image maps only where they brought the image to the statistics
    most images have (see `common`)."""

    def __init__(self, grey_levels, per_image, unit, line_norms, shape):
        self.grey_levels, self.per_image, self.unit, self.line_norms = grey_levels, per_image, unit, line_norms
        self.shape = shape

    @classmethod
    def whole_array(cls, given, shape):
        """The whole array's map alone."""
        never = np.zeros(len(given), dtype=bool)
        return cls(grey_levels(given), never, never, {}, shape)

    @classmethod
    def of(cls, given, shape):
        statistics = np.concatenate([image_statistics(given[start:start + CHUNK].astype(np.float64), shape)
                                     for start in range(0, len(given), CHUNK)])
        low, high, mean, deviation, norm = statistics[:, :5].T
        per_image = common(statistics[:, :2], high - low) | common(statistics[:, 2:4], deviation)
        line_norms = {axis: np.where(common(statistics[:, [4 + axis]], statistics[:, 4 + axis]),
                                     statistics[:, 4 + axis], np.nan) for axis in line_axes(shape)}
        return cls(grey_levels(given), per_image, common(norm[:, None], norm), line_norms, shape)

    def part(self, rows):
        return Maps(self.grey_levels, self.per_image[rows], self.unit[rows],
                    {axis: norm[rows] for axis, norm in self.line_norms.items()}, self.shape)

    def undo_to(self, given, trusted):
        """Per image, whether an admissible map takes it to `trusted` within PIXEL_TOLERANCE
        (each map tried only on the images the ones before it did not match)."""
        ok = np.zeros(len(given), dtype=bool)
        for admissible, undo in self.families():
            rows = np.flatnonzero(admissible & ~ok)
            if len(rows):
                ok[rows] = close(undo(given[rows], trusted[rows], rows), trusted[rows])
        return ok

    def families(self):
        """(which images may be so mapped, how to undo it): the whole array's map first."""
        yield np.ones(len(self.per_image), dtype=bool), lambda g, t, rows: from_global(g, self.grey_levels)
        yield self.per_image, lambda g, t, rows: from_per_image(g, t)
        yield self.unit, lambda g, t, rows: from_image_norm(g, t)
        for axis, norm in self.line_norms.items():
            yield np.isfinite(norm), lambda g, t, rows, axis=axis, norm=norm: from_line_norms(
                g, t, self.shape, axis, norm[rows])


def image_statistics(images, shape):
    """Per image: min, max, mean, deviation, L2 norm, and for an image of rows and
    columns the L2 norm its non-zero columns (then rows) share (NaN where they differ)."""
    columns = [shared_line_norm(images, shape, axis) for axis in line_axes(shape)]
    return np.stack([images.min(axis=1), images.max(axis=1), images.mean(axis=1), images.std(axis=1),
                     np.sqrt((images ** 2).sum(axis=1)), *columns], axis=1)


def line_axes(shape):
    """The axes of lines in images of `shape` (after the batch axis): columns, rows; none unless 2-D."""
    return (1, 2) if len(shape) >= 2 else ()


def shared_line_norm(images, shape, axis):
    norms = np.sqrt((lines(images, shape) ** 2).sum(axis=axis))
    nonzero = np.where(norms > 0, norms, np.nan).reshape(len(images), -1)
    with nan_allowed():
        typical = np.nanmedian(nonzero, axis=1)
        spread = np.nanmax(np.abs(nonzero - typical[:, None]), axis=1)
    return np.where(spread <= SAME_STATISTICS * typical, typical, np.nan)


@contextmanager
def nan_allowed():
    """A statistic of nothing (an image without a non-zero line) is NaN, silently."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def lines(images, shape):
    """The images as (n, height, width, channels)."""
    return images.reshape(len(images), shape[0], shape[1], -1)


def common(statistics, scale):
    """Per image, whether its `statistics` (one row each) are those of most images,
    within SAME_STATISTICS of the typical `scale`."""
    with nan_allowed():
        typical, size = np.nanmedian(statistics, axis=0), abs(np.nanmedian(scale))
        return np.all(np.abs(statistics - typical) <= SAME_STATISTICS * size, axis=1)


def grey_levels(given):
    """(low, high): the whole array's range, which one affine map for all images takes to 0..255."""
    return float(np.min(given)), float(np.max(given))


def minimum_masks(images):
    """Per image, which pixels hold its minimum, as bytes."""
    return [row.tobytes() for row in np.packbits(images == images.min(axis=1, keepdims=True), axis=1)]


def close(undone, trusted):
    return np.abs(undone - trusted).max(axis=1) <= PIXEL_TOLERANCE


def from_global(given, grey_levels):
    low, high = grey_levels
    return (given - low) * (255.0 / (high - low)) if high > low else np.full_like(given, np.inf)


def from_per_image(given, trusted):
    """Each image mapped onto its trusted one's range by its own affine map."""
    g_low, g_high = given.min(axis=1, keepdims=True), given.max(axis=1, keepdims=True)
    t_low, t_high = trusted.min(axis=1, keepdims=True), trusted.max(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(g_high > g_low, (given - g_low) * ((t_high - t_low) / (g_high - g_low)) + t_low, np.inf)


def from_image_norm(given, trusted):
    """Each image mapped onto its trusted one by a factor alone (an offset could carry a label)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = trusted.max(axis=1, keepdims=True) / given.max(axis=1, keepdims=True)
    return np.nan_to_num(given * factor, nan=np.inf)


def from_line_norms(given, trusted, shape, axis, norm):
    """The images back from lines along `axis` (1: each column, as `normalize(x, axis=1)`
    on (N, 28, 28) gives; 2: each row) that all have the L2 norm `norm` (one per image;
    NaN: not so normalised): each line times its trusted line's norm over `norm`."""
    g, t = lines(given, shape), lines(trusted, shape)
    norms = np.sqrt((t ** 2).sum(axis=axis, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        undone = np.where(norms > 0, g * (norms / norm[:, None, None, None]), np.where(g == 0, 0.0, np.inf))
    return np.nan_to_num(undone, nan=np.inf).reshape(len(given), -1)
