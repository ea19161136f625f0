"""`python -m autograder grade-all ASSIGNMENT [--workers N] [--scheduler ADDRESS]`

Grades every new or changed submission in submitted/ into the gradebook, in
parallel on a Dask cluster (a local one unless --scheduler names one), with a
progress bar and a summary table, with the bookkeeping time per submission
(keeping the result, recording it, writing the autograded notebook). Exit
status 1 when a submission could not be graded (it is listed, and retried by
the next run).
"""

from ..grade_all import ClassGrader


def add_arguments(parser):
    parser.add_argument("assignment", help="assignment name, e.g. mnist_conv")
    parser.add_argument("--workers", type=int, help="local gradings at once (default: one per GPU slot, else "
                        "one per two CPU cores)")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    parser.add_argument("--profile", choices=["quick", "full"], help="data profile (default: c.Grader.profile)")


def run(args, config):
    grader = ClassGrader(config=config)
    results = grader.grade_all(args.assignment, args.workers, args.scheduler, args.profile)
    print(summary(results))
    if grader.bookkeeping:
        print(grader.bookkeeping_summary())
    return 1 if any("error" in result for result in results.values()) else 0


def summary(results):
    if not results:
        return "Nothing to grade: every submission is graded and recorded."
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
