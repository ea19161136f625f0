"""`python -m autograder grade-all ASSIGNMENT [--student ID] [--force] [--workers N] [--scheduler ADDRESS]`

Grades every new or changed submission in submitted/ into the gradebook, in
parallel on a Dask cluster (a local one unless --scheduler names one), with a
progress bar and a summary table, with the bookkeeping time per submission
(keeping the result, recording it, writing the autograded notebook).
--student grades that student's submission only; --force grades again even
what is up to date (one student's with --student, everyone's without).

Exit status: 0 when every submission is graded and recorded (0 points
included); 1 when a submission could not be graded (it is listed with why,
e.g. no data or no sandbox on the worker, and retried by the next run); 2 when
grade-all cannot start: an unknown assignment (the known ones are listed), a
student with no submission, a configuration file that is not there.
"""

import os

from autograder.assignments import known_assignments
from autograder.errors import NoSubmission, UnknownAssignment


def add_arguments(parser):
    parser.add_argument("assignment", help="assignment name, e.g. mnist_conv")
    parser.add_argument("--student", help="grade this student's submission only")
    parser.add_argument("--force", action="store_true",
                        help="grade again even when the recorded result is up to date")
    parser.add_argument("--workers", type=int, help="local gradings at once (default: one per GPU slot, else "
                        "one per two CPU cores)")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    parser.add_argument("--profile", help="data profile (default: c.Grader.profile)")


def run(args, config):
    if args.assignment not in known_assignments():
        raise UnknownAssignment(f"no assignment {args.assignment!r}; known: {', '.join(known_assignments())}")
    from autograder.classroom.grade_all import ClassGrader  # nbgrader's modules: imported for this command only

    grader = ClassGrader(config=config)
    if args.student:
        require_submission(grader, args.assignment, args.student)
    results = grader.grade_all(args.assignment, args.workers, args.scheduler, args.profile,
                               student=args.student, force=args.force)
    print(summary(results))
    if grader.bookkeeping:
        print(grader.bookkeeping_summary())
    return 1 if any("error" in result for result in results.values()) else 0


def require_submission(grader, assignment, student):
    """NoSubmission naming who did hand in, unless `student` did."""
    coursedir = grader.coursedir
    if os.path.isdir(coursedir.format_path(coursedir.submitted_directory, student, assignment)):
        return
    handed_in = sorted({job.student for job in grader.submissions(assignment, "")})
    raise NoSubmission(f"no submission of {assignment} by {student!r} in "
                       f"{coursedir.format_path(coursedir.submitted_directory, '*', assignment)}; "
                       + (f"submitted: {', '.join(handed_in)}" if handed_in else "nobody has submitted yet"))


def summary(results):
    if not results:
        return "Nothing to grade: every submission is graded and recorded (--force grades again)."
    lines = [f"{'student':<16} {'status':<8} {'score':>9} {'epochs':>6}  note"]
    for student, result in sorted(results.items()):
        if "error" in result:
            lines.append(f"{student:<16} {'failed':<8} {'-':>9} {'-':>6}  not graded: {result['error']}")
            continue
        failed = [check["name"] for check in result["checks"] if not check["passed"]]
        lines.append(f"{student:<16} {result['status']:<8} {result['score']:>4g}/{result['max_score']:<4g} "
                     f"{result['epochs_run'] if result['epochs_run'] is not None else '-':>6}  "
                     + (("lost: " + ", ".join(failed)) if failed else "full marks"))
    return "\n".join(lines)
