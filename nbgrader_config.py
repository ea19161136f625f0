"""Configuration of the course: nbgrader and the autograder read this file.

Every autograder option is listed here with its default or the course's
choice; `python -m autograder --help-all` lists them all with their help.
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
c.Autograde.exporter_class = "autograder.gradebook.nbgrader_plugin.SubmissionExporter"

# Grade through the autograder instead of running the notebook in a kernel:
# one training run, sandboxed, no 30 s cell timeout, a score for every check.
c.Autograde.autograde_preprocessors = [
    "autograder.gradebook.nbgrader_plugin.GradeWithAutograder",
    # nbgrader restores hidden tests into the autograded notebook, whence feedback is made: strip them.
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# The feedback page names each check in its table of contents (nbgrader says "Test cell").
c.GenerateFeedback.exporter_class = "autograder.feedback.FeedbackExporter"

# --- the autograder ------------------------------------------------------------
# 'full' is the exercise as written (all 60,000 images, as on the student's own machine: ~2.5 min
# on 2 CPU cores, see bench/results.md); 'quick' the first 3,000 images (~20 s) for CI and demos,
# and every page a quick run produces says so. Choose per run with AUTOGRADER_PROFILE.
c.Grader.profile = os.environ.get("AUTOGRADER_PROFILE", "")  # '': each assignment's exercise as written

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
# Limits fit the work: `python -m autograder calibrate ASSIGNMENT --profile quick|full` grades the
# reference on this machine and keeps its figures (c.Calibration.path); limits are multiples of them.
c.Calibration.path = ".autograder/calibration.json"  # relative to the course root
c.Calibration.wall_multiple = 6.0  # wall time: 6 x the reference's run stretched to wall_epochs epochs ...
c.Calibration.wall_epochs = 20  # ... (its fixed part + 20 of its epochs: quick ~5.8 + 20 x 1.6 s -> 227 s) ...
c.Calibration.wall_floor = 60  # ... but at least 60 s
c.Calibration.memory_multiple = 4.0  # memory: 4 x the reference's largest process (runner and trainer together) ...
c.Calibration.memory_floor = 2 * 2**30  # ... but at least 2 GiB
c.Calibration.stall_multiple = 30.0  # stopped when, in a fit, no epoch ends for 30 x the reference's epoch ...
c.Calibration.stall_floor = 30  # ... but at least 30 s (an endless loop in a callback)
# Not calibrated (assignment or profile): each profile's own limits, from its spec (quick 600 s and
# 90 s without an epoch, full 3,600 s and 900 s, the self-check 120 s); by profile name here to override.
c.Calibration.uncalibrated_time_limit = {}  # seconds of wall time
c.Calibration.uncalibrated_memory_limit = 6 * 2**30  # bytes of host memory (cgroup)
c.Calibration.uncalibrated_stall_limit = {}  # seconds without an epoch ending
# An explicit limit wins over the derived one ('check': the student's self-check):
# c.RunInIsolation.time_limit = {"quick": 120, "full": 900, "check": 60}  # seconds of wall time, by profile
# c.RunInIsolation.cpu_time_limit = {"quick": 600, "full": 3600}  # CPU seconds per process (default: wall x cores)
# c.RunInIsolation.memory_limit = 6 * 2**30  # bytes of host memory (cgroup); 0: derived
c.RunInIsolation.process_limit = 512  # processes and threads at once (cgroup)
c.RunInIsolation.file_size_limit = 512 * 2**20  # bytes, per file written
c.RunInIsolation.output_limit = 1_000_000  # characters of printed output kept as evidence
c.RunInIsolation.seed = 0  # student code's seed and the trainer's weights: re-grading is repeatable
c.RunInIsolation.transfer_limit = 2 * 2**30  # bytes of arrays one fit may hand to the grader's trainer
c.RunInIsolation.max_epochs = 200  # epochs the trainer trains in one run, all fit calls together
c.RunInIsolation.gpu_memory_limit = 0  # bytes of GPU memory one run's trainer may take (0: no limit); see README
c.RunInIsolation.sandbox_user = 65534  # uid student code runs as (needs a root grader); owns nothing on the host
c.RunInIsolation.sandbox_group = 65534  # its gid

# --- grading a class (python -m autograder grade-all) and its report ----------------
c.ClassGrader.jobs_per_gpu = 2  # gradings sharing one GPU at once (each takes GPU memory as it needs it)
c.ResultStore.folder = ".autograder/results"  # each student's latest result, relative to the course root
c.ReportWriter.reports_folder = ".autograder/reports"  # report.csv and report.html per assignment, same
# Set by grade-all for each student it records (the result it computed), never here:
# c.GradeWithAutograder.precomputed_result = ""

# --- the grading service (python -m autograder serve, a JupyterHub service) -----
# It finds submissions in nbgrader's exchange (c.Exchange.root), grades each as it arrives,
# records it and releases its feedback where the assignment allows. See README,
# "Grading by itself in JupyterHub".
c.GradingPolicy.auto_feedback = {"mnist_conv": True, "conv_basics": True, "fashion_cnn": True}  # feedback once graded
c.GradingPolicy.auto_feedback_default = False  # assignments not listed: the instructor releases feedback
c.GradingPolicy.daily_limit = {"mnist_conv": 3, "conv_basics": 5, "fashion_cnn": 3}  # graded submissions a student a UTC day
c.GradingPolicy.daily_limit_default = 0  # assignments not listed (0: no limit)
c.GradingService.poll_interval = 5  # seconds between two looks at the exchange
c.GradingService.max_attempts = 3  # gradings started before one the grader itself cannot finish is failed
c.GradingService.retry_delay = 60  # seconds before trying again after the grader failed, times the tries so far
c.GradingService.scheduler = ""  # a Dask scheduler, e.g. "tcp://dask-scheduler:8786"; empty: a local cluster
c.GradingService.workers = 0  # local cluster: gradings at once (0: one per GPU slot, else per two CPU cores)
c.SubmissionQueue.path = ".autograder/service/queue.sqlite"  # relative to the course root; keep it
c.StatusServer.refresh = 10  # seconds between two reloads of the students' status page

# --- grades for the LMS (python -m autograder export ASSIGNMENT --format canvas|moodle|csv) ---
c.GradeExporter.missing_grade = "0"  # a student with no submission ('' for no grade)
c.GradeExporter.canvas_id_column = "SIS Login ID"  # the Canvas column holding the nbgrader student id
c.GradeExporter.canvas_assignment_ids = {}  # e.g. {"mnist_conv": 12345}, from the Canvas assignment's URL
c.GradeExporter.section = ""  # what Canvas's Section column holds (ignored on import)
c.GradeExporter.moodle_id_field = "username"  # 'username', 'idnumber' (both: the nbgrader id) or 'email'
