"""Grading spec of `conv_basics`: a 3x3 convolution and a 2x2 max pooling by hand.

The grader calls the student's `convolve(image, kernel)` and `max_pool(image)`
on the ascent image and on random images of its own (odd sizes included), with
the lesson's filters and a random one, and compares with the vectorised
references below. Rules (stated in the notebook):

- `convolve` returns a new array of the image's shape and dtype; the one-pixel
  border keeps the image's values; inside, out[r, c] = clip(sum of
  kernel[a][b] * image[r + a - 1, c + b - 1], 0, 255), cast back to the dtype.
- `max_pool` returns a new (h // 2, w // 2) array of the image's dtype: each
  value is the maximum of a 2x2 block; an odd last row or column is dropped.

Profiles change nothing here (no training); both are accepted.
"""

import numpy as np

from autograder.checks.arrays import InputsUnchanged, ShapeAndDtype, ValuesMatch
from autograder.datasets.ascent import AscentImage
from autograder.figures.call_images import CallImages
from autograder.spec import Call, GradingSpec, Profile

FILTERS = {
    "edges": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "horizontal_lines": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "vertical_lines": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
}


def call_inputs(trusted):
    """The grader's inputs: the same every run, so grades are repeatable."""
    random = np.random.RandomState(2026)
    return {"ascent": trusted["ascent"], **{name: np.array(kernel) for name, kernel in FILTERS.items()},
            "random_kernel": np.round(random.uniform(-1.5, 1.5, (3, 3)), 2),
            "random_image": random.randint(0, 256, (61, 47)).astype(np.uint8),
            "odd_image": random.randint(0, 256, (33, 17)).astype(np.uint8)}


def weighted_sum(image, kernel):
    """sum of kernel[a][b] * image[r + a - 1, c + b - 1] for every inner pixel (r, c)."""
    kernel = np.asarray(kernel, dtype=np.float64)
    height, width = image.shape
    total = np.zeros((height - 2, width - 2))
    for a in range(3):
        for b in range(3):
            total += kernel[a, b] * image[a:a + height - 2, b:b + width - 2]
    return total


def convolve(image, kernel):
    out = image.copy()
    out[1:-1, 1:-1] = np.clip(weighted_sum(image, kernel), 0, 255).astype(image.dtype)
    return out


def convolve_transposed(image, kernel):
    return convolve(image, np.asarray(kernel).T)


def convolve_unclipped(image, kernel):
    out = image.copy()
    out[1:-1, 1:-1] = weighted_sum(image, kernel).astype(np.int64).astype(image.dtype)  # wraps around
    return out


def convolve_zero_border(image, kernel):
    out = convolve(image, kernel)
    out[0, :] = out[-1, :] = out[:, 0] = out[:, -1] = 0
    return out


def max_pool(image):
    height, width = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    return image[:height, :width].reshape(height // 2, 2, width // 2, 2).max(axis=(1, 3))


def average_pool(image):
    height, width = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    blocks = image[:height, :width].reshape(height // 2, 2, width // 2, 2)
    return blocks.mean(axis=(1, 3)).astype(image.dtype)


def convolution(name, image, kernel):
    return Call(f"convolve_{kernel}_{name}", "convolve", (image, kernel))


EDGES = (convolution("ascent", "ascent", "edges"), convolution("random", "random_image", "edges"))
LINES = tuple(convolution(name, image, kernel) for kernel in ("horizontal_lines", "vertical_lines")
              for name, image in (("ascent", "ascent"), ("random", "random_image")))
RANDOM_FILTER = (convolution("ascent", "ascent", "random_kernel"),
                 convolution("random", "random_image", "random_kernel"))
CONVOLUTIONS = EDGES + LINES + RANDOM_FILTER
POOLINGS = tuple(Call(f"max_pool_{image}", "max_pool", (image,)) for image in ("ascent", "random_image", "odd_image"))
CONVOLUTION_MISTAKES = {
    "applying the kernel transposed (the lesson's loop indexes i[x, y] with x as the column)": convolve_transposed,
    "skipping the clip to 0-255 (values wrap around in uint8)": convolve_unclipped,
    "setting the border to 0 instead of keeping the image's pixels": convolve_zero_border,
}

CONVOLUTION_SHAPE = ShapeAndDtype("convolution_shape_dtype", points=1, calls=CONVOLUTIONS, reference=convolve,
                                  expects="convolve returns an array of the image's shape and dtype")
POOLING_SHAPE = ShapeAndDtype("pooling_shape", points=1, calls=POOLINGS, reference=max_pool,
                              expects="max_pool halves each side (512 -> 256; an odd last row or column is dropped)")
INPUTS_UNCHANGED = InputsUnchanged("inputs_unchanged", points=1, calls=CONVOLUTIONS + POOLINGS,
                                   expects="neither function modifies the image it is given")

SPEC = GradingSpec(
    assignment="conv_basics",
    dataset=AscentImage,
    uses_keras=False,
    calls=CONVOLUTIONS + POOLINGS,
    call_inputs=call_inputs,
    checks=(
        CONVOLUTION_SHAPE,
        ValuesMatch("convolution_edges", points=2, calls=EDGES, reference=convolve, alternatives=CONVOLUTION_MISTAKES,
                    expects="the edge filter gives the reference's pixels on the ascent image and a random one"),
        ValuesMatch("convolution_lines", points=2, calls=LINES, reference=convolve, alternatives=CONVOLUTION_MISTAKES,
                    expects="both line filters give the reference's pixels, margin kept, clipped to 0-255"),
        ValuesMatch("convolution_random_filter", points=1, calls=RANDOM_FILTER, reference=convolve,
                    alternatives=CONVOLUTION_MISTAKES,
                    expects="a random filter with fractional weights gives the reference's pixels (within 1)"),
        POOLING_SHAPE,
        ValuesMatch("pooling_values", points=2, calls=POOLINGS, reference=max_pool,
                    alternatives={"average pooling instead of max pooling": average_pool},
                    expects="each pooled pixel is the maximum of its 2x2 block"),
        INPUTS_UNCHANGED,
    ),
    profiles={
        "quick": Profile("quick", description="the ascent image and random images (no training)",
                         uncalibrated_seconds=600),
        "full": Profile("full", description="the ascent image and random images (no training)", as_written=True),
    },
    figures=(CallImages("Your functions on the ascent image", calls=EDGES[:1] + LINES[::2] + POOLINGS[:1]),),
    # The self-check says whether shapes, dtypes and inputs are right, not whether the pixels are.
    self_checks=(CONVOLUTION_SHAPE, POOLING_SHAPE, INPUTS_UNCHANGED),
)
