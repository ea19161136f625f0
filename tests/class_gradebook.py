"""A small graded class, built by hand for the report and export tests (no training).

The gradebook is made through nbgrader's API: mnist_conv due 2026-11-27 12:00
UTC, one notebook with a grade cell per check, and five students:

- alice: on time, full marks;
- bob: 2 h 30 min late, full marks, nbgrader's late penalty 1;
- carol: on time, her training crashed after the model was built (2 points), and a
  teaching assistant gave 1 point by hand for `reaches_target`;
- dave: on time, timed out (0);
- erin: in the gradebook, handed nothing in.

The grader's kept results (for the report) are hand-made records in the layout
`GradeResult.to_record()` gives, all on the `quick` profile unless asked.
"""

import datetime

from nbgrader.api import Gradebook
from traitlets.config import Config

from autograder.assignments import load_spec
from autograder.gradebook.results import ResultStore
from autograder.grading.score import CheckResult, GradeResult, failed_result

ASSIGNMENT = "mnist_conv"
DUE = datetime.datetime(2026, 11, 27, 12, 0, 0)
STAMPS = {"alice": DUE - datetime.timedelta(hours=1), "bob": DUE + datetime.timedelta(hours=2, minutes=30),
          "carol": DUE - datetime.timedelta(minutes=5), "dave": DUE - datetime.timedelta(minutes=1)}
NAMES = {"alice": ("Alice", "Adams"), "bob": ("Bob", "Brown"), "carol": ("Carol", "Clark"),
         "dave": ("Dave", "Davis"), "erin": ("Erin", "Evans")}
CRASH = "Training broke off in epoch 2: ValueError: shapes (32, 10) and (32, 1) are incompatible"
TIMEOUT = "the run took longer than the time limit (900 s)"
BOB_PENALTY = 1.0
CAROL_MANUAL = {"reaches_target": 1.0}


def course_config(root):
    config = Config()
    config.CourseDirectory.root = str(root)
    return config


def points(passed):
    spec = load_spec(ASSIGNMENT)
    return {check.name: float(check.points) if check.name in passed else 0.0 for check in spec.checks}


AUTO_SCORES = {"alice": points({check.name for check in load_spec(ASSIGNMENT).checks}),
               "bob": points({check.name for check in load_spec(ASSIGNMENT).checks}),
               "carol": points({"single_conv2d", "single_maxpooling2d"}),
               "dave": points(set())}


def build_class(root, profile="quick"):
    """The class above in the course folder `root`: gradebook, submitted/, results, alice's feedback page."""
    spec = load_spec(ASSIGNMENT)
    with Gradebook(f"sqlite:///{root}/gradebook.db") as gradebook:
        gradebook.add_assignment(ASSIGNMENT, duedate=DUE)
        gradebook.add_notebook(ASSIGNMENT, ASSIGNMENT)
        for check in spec.checks:
            gradebook.add_grade_cell(check.name, ASSIGNMENT, ASSIGNMENT, max_score=check.points, cell_type="code")
        for student, (first, last) in NAMES.items():
            gradebook.add_student(student, first_name=first, last_name=last, email=f"{student}@example.edu")
        for student, stamp in STAMPS.items():
            gradebook.add_submission(ASSIGNMENT, student, timestamp=stamp)
            for name, score in AUTO_SCORES[student].items():
                grade = gradebook.find_grade(name, ASSIGNMENT, ASSIGNMENT, student)
                grade.auto_score, grade.needs_manual_grade = score, False
                if student == "carol" and name in CAROL_MANUAL:
                    grade.manual_score = CAROL_MANUAL[name]
        gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "bob").late_submission_penalty = BOB_PENALTY
        gradebook.db.commit()
    for student, stamp in STAMPS.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text("{}")
        (folder / "timestamp.txt").write_text(f"{stamp} UTC")
    records = {student: record(spec, student, profile) for student in STAMPS}
    keeper = ResultStore(config=course_config(root))
    for student, kept in records.items():
        keeper.keep(ASSIGNMENT, student, "", kept)
    feedback = root / "feedback" / "alice" / ASSIGNMENT
    feedback.mkdir(parents=True)
    (feedback / f"{ASSIGNMENT}.html").write_text("<p>alice's feedback</p>")
    return records


def record(spec, student, profile):
    """The result the grader would have kept for `student`."""
    if student == "dave":
        kept = failed_result(spec, "timeout", TIMEOUT).to_record()
    else:
        scores = AUTO_SCORES[student]
        checks = [CheckResult(name, score > 0, score, float(check.points), "verdict")
                  for check in spec.checks for name, score in [(check.name, scores[check.name])]]
        accuracy = [0.97, 0.991, 0.998] if student != "carol" else [0.95]
        details = {"assignment": ASSIGNMENT, "training": {"accuracy": accuracy, "stopped_by_callback": True}}
        if student == "carol":
            details["crash"] = CRASH
        kept = GradeResult("graded", sum(scores.values()), spec.max_score, len(accuracy), accuracy[-1], checks,
                           details).to_record()
    kept["details"].update(profile=profile, grading_seconds=12.5)
    return kept
