"""Grading conv_basics with `python -m autograder grade`: the reference solution and a
slow but correct one get full marks; each wrong submission (the reference solution with
one classic mistake) loses exactly the checks that mistake breaks.

No training here: each grading takes seconds. The reference is graded here; the slow one
and the wrong submissions are golden tests, graded once for real (tests/goldens/record.py)
and replayed in tests/test_goldens.py against the table and assertions here.
"""

import os

import nbformat
import pytest
from conftest import ROOT, failed_checks, function_cell, grade_json

pytestmark = [pytest.mark.sandbox, pytest.mark.usefixtures("ascent_path")]  # no training: a sandboxed run

SOLUTION = os.path.join(ROOT, "solutions", "conv_basics.ipynb")
CHECK_NAMES = ["convolution_shape_dtype", "convolution_edges", "convolution_lines", "convolution_random_filter",
               "pooling_shape", "pooling_values", "inputs_unchanged"]
CONVOLUTION_VALUES = {"convolution_edges", "convolution_lines", "convolution_random_filter"}


SOLUTION_NOTEBOOK = nbformat.read(SOLUTION, as_version=4)
CONVOLVE_SOURCE = function_cell("convolve")(SOLUTION_NOTEBOOK).source
MAX_POOL_SOURCE = function_cell("max_pool")(SOLUTION_NOTEBOOK).source

# A student's pure-Python version, the lesson's loops with rows first: slow, and correct.
SLOW_CONVOLVE = '''def convolve(image, kernel):
    height, width = image.shape
    out = np.copy(image)
    for r in range(1, height - 1):
        for c in range(1, width - 1):
            total = 0.0
            for a in range(3):
                for b in range(3):
                    total += kernel[a][b] * float(image[r + a - 1, c + b - 1])
            out[r, c] = min(max(total, 0.0), 255.0)
    return out
'''
SLOW_MAX_POOL = '''def max_pool(image):
    out = np.zeros((image.shape[0] // 2, image.shape[1] // 2), dtype=image.dtype)
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = max(image[2 * r, 2 * c], image[2 * r, 2 * c + 1],
                            image[2 * r + 1, 2 * c], image[2 * r + 1, 2 * c + 1])
    return out
'''
CEIL_MAX_POOL = '''def max_pool(image):
    height, width = (image.shape[0] + 1) // 2, (image.shape[1] + 1) // 2
    padded = np.zeros((2 * height, 2 * width), dtype=image.dtype)
    padded[:image.shape[0], :image.shape[1]] = image
    return padded.reshape(height, 2, width, 2).max(axis=(1, 3))
'''

CONVOLVE, MAX_POOL = function_cell("convolve"), function_cell("max_pool")
WEIGHTED = "kernel[a, b] * image[a:a + height - 2, b:b + width - 2]"
CLIPPED = "np.clip(total, 0, 255).astype(image.dtype)"
COPY = "out = np.copy(image)"
MAXIMUM = "blocks.max(axis=(1, 3))"

# name: (cell, (old, new), checks that must fail, words the feedback must contain)
WRONG_SUBMISSIONS = {
    # The lesson's loop indexes i[x, y] with x as the column: the kernel is applied transposed.
    # EDGES is symmetric, so only the line filters and the random filter notice.
    "transposed_kernel": (CONVOLVE, (WEIGHTED, WEIGHTED.replace("kernel[a, b]", "kernel[b, a]")),
                          {"convolution_lines", "convolution_random_filter"}, "transposed"),
    "no_clipping": (CONVOLVE, (CLIPPED, "total.astype(image.dtype)"), CONVOLUTION_VALUES, "clip"),
    "border_zeroed": (CONVOLVE, (COPY, "out = np.zeros_like(image)"), CONVOLUTION_VALUES, "border"),
    "modifies_input_in_place": (CONVOLVE, (COPY, "out = image"), {"inputs_unchanged"}, "modified its input"),
    "pooling_keeps_odd_edge": (MAX_POOL, (MAX_POOL_SOURCE, CEIL_MAX_POOL), {"pooling_shape", "pooling_values"},
                               "returned shape (31, 24)"),  # random_image is 61 x 47
    "average_pooling": (MAX_POOL, (MAXIMUM, "blocks.mean(axis=(1, 3)).astype(image.dtype)"), {"pooling_values"},
                        "average pooling"),
}


def test_reference_solution_gets_full_marks():
    result = grade_json(SOLUTION)
    assert result["status"] == "graded"
    assert [check["name"] for check in result["checks"]] == CHECK_NAMES
    assert failed_checks(result) == set(), result["checks"]
    assert result["score"] == result["max_score"] == 10.0


def assert_slow_loops_get_full_marks(result):
    """The reference's convolve and max_pool written as pure Python loops (SLOW_CONVOLVE, SLOW_MAX_POOL)."""
    assert result["status"] == "graded"
    assert failed_checks(result) == set(), result["checks"]
    assert result["score"] == result["max_score"]


def assert_loses_exactly(result, expected_failures, hint):
    """A wrong submission (WRONG_SUBMISSIONS) loses exactly its checks, and the feedback names its mistake."""
    assert result["status"] == "graded"
    assert failed_checks(result) == expected_failures, result["checks"]
    lost = sum(check["max_points"] for check in result["checks"] if check["name"] in expected_failures)
    assert result["score"] == result["max_score"] - lost
    messages = " ".join(check["message"] for check in result["checks"] if check["name"] in expected_failures)
    assert hint in messages, result["checks"]
