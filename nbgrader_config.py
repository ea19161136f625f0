"""Configuration of the course: nbgrader and the autograder read this file.

Every autograder option is listed here with its default or the course's
choice; `python -m autograder --help` and each class's docstring say more.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))

# --- nbgrader ------------------------------------------------------------------
c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "cnn-course"
# Answer regions become this in the student's notebook. No `raise NotImplementedError()`:
# regions sit inside lists and calls (the model's layers, fit's arguments).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}

# A submission that cannot be read is graded 0 with the reason, not skipped.
c.Autograde.exporter_class = "autograder.nbgrader_plugin.SubmissionExporter"

# Grade through the autograder instead of running the notebook in a kernel:
# one training run, sandboxed, no 30 s cell timeout, a score for every check.
c.Autograde.autograde_preprocessors = [
    "autograder.nbgrader_plugin.GradeWithAutograder",
    # nbgrader restores hidden tests into the autograded notebook, whence feedback is made: strip them.
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# --- the autograder ------------------------------------------------------------
# 'full' is the exercise as written (60,000 images: ~3 min on 2 CPU cores, see bench/results.md);
# 'quick' the first 3,000 images (~20 s). Choose per run with AUTOGRADER_PROFILE.
c.Grader.profile = os.environ.get("AUTOGRADER_PROFILE", "quick")

# The MNIST copy grading uses (Keras npz layout), checked before use. Never downloaded
# unless allowed.
c.MnistData.path = os.environ.get("AUTOGRADER_MNIST") or os.path.expanduser("~/.keras/datasets/mnist.npz")
c.MnistData.allow_download = False
# conv_basics: SciPy's ascent.dat (checked against SciPy's sha256). Default: $AUTOGRADER_ASCENT,
# else SciPy's own cache ($XDG_CACHE_HOME or ~/.cache, then scipy-data/ascent.dat).
# c.AscentImage.path = "/path/to/ascent.dat"
# fashion_cnn: the four original .gz files. Default: $AUTOGRADER_FASHION_MNIST, else
# /usr/share/datasets/fashion-mnist (Debian: apt-get install dataset-fashion-mnist).
# c.FashionMnistData.folder = "/path/to/fashion-mnist"

# Isolation of student code: 'bwrap' (bubblewrap) or 'none' (trusted code only).
c.RunInIsolation.sandbox = "bwrap"
c.RunInIsolation.time_limit = {"quick": 900, "full": 5400}  # seconds of wall time, by profile
c.RunInIsolation.cpu_time_limit = {"quick": 1800, "full": 21600}  # CPU seconds, all threads, by profile
c.RunInIsolation.memory_limit = 6 * 2**30  # bytes of host memory (cgroup)
c.RunInIsolation.process_limit = 512  # processes and threads at once (cgroup)
c.RunInIsolation.file_size_limit = 512 * 2**20  # bytes, per file written
c.RunInIsolation.output_limit = 1_000_000  # characters of printed output kept as evidence
c.RunInIsolation.seed = 0
