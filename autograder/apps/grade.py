"""`python -m autograder grade NOTEBOOK.ipynb [--profile quick|full] [--json]`

Grades one notebook outside nbgrader. With --json, prints exactly one JSON
object on stdout (see `autograder.grading.score`).

Exit status: 0 whenever a result was produced, 0 points included (a notebook
of the assignment that cannot be read, or one of another assignment, is
graded 0 with the reason); 2 when there is nothing to grade (no such file, a
file that is not a notebook, an unreadable one of no known assignment) or the
grader itself cannot run (unknown assignment, no data, no sandbox).
"""

import json


def add_arguments(parser):
    parser.add_argument("notebook", help="the submitted notebook (.ipynb)")
    parser.add_argument("--profile", help="data profile (default: c.Grader.profile in nbgrader_config.py, else full)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--assignment", help="assignment name, when the notebook does not say")


def run(args, config):
    from autograder.grading.load_notebook import require_notebook_file
    from autograder.grading.pipeline import Grader

    require_notebook_file(args.notebook)
    result = Grader(config=config).grade(args.notebook, assignment=args.assignment, profile=args.profile)
    print(json.dumps(result.to_json(), allow_nan=False) if args.json else as_table(result))
    return 0


def as_table(result):
    reasons = {check.message for check in result.checks}
    if result.status == "error" and len(reasons) == 1:  # not graded: one reason, said once
        return f"{reasons.pop()} Score 0/{result.max_score:g}."
    lines = [f"{'check':<22} {'points':>9}  message"]
    for check in result.checks:
        mark = "PASS" if check.passed else "FAIL"
        lines.append(f"{check.name:<22} {check.points:>4g}/{check.max_points:<4g} {mark}: {check.message}")
    accuracy = "-" if result.final_accuracy is None else f"{result.final_accuracy:.4f}"
    lines.append(f"status {result.status}; score {result.score:g}/{result.max_score:g}; "
                 f"epochs run {result.epochs_run if result.epochs_run is not None else '-'}; final accuracy {accuracy}")
    return "\n".join(lines)
