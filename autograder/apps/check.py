"""`python -m autograder check NOTEBOOK.ipynb`: a student's self-check, in seconds.

Runs the notebook in the sandbox without training (`fit` trains nothing; the
callbacks meet a scripted series of epochs instead) and reports the
assignment's self-checks: the model's layers, the input given to `fit`, the
callback's logic, the functions' shapes. It awards no points and says nothing
of how the hidden grader tests. Where the course's grading service runs in
JupyterHub, it also shows where the student's submissions stand. The notebook
reads the data grading uses (c.Grader.profile, or --profile).

Exit status: 0 when every self-check passes; 1 when one fails; 2 when the
check itself cannot run: no such file, not a notebook, a notebook that cannot
be read or is another assignment's, no data, no sandbox.
"""

import json
import os

from autograder.errors import SubmissionError


def add_arguments(parser):
    parser.add_argument("notebook", help="your notebook (.ipynb); save it first")
    parser.add_argument("--assignment", help="assignment name, when the notebook does not say")
    parser.add_argument("--profile", help="the data the notebook reads (default: c.Grader.profile, as grading)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")


# A student's check: TensorFlow's start-up lines are not theirs to read (kept only when the check cannot run).
THIRD_PARTY_LOG = "temporary"


def run(args, config):
    from autograder.grading.load_notebook import require_notebook_file
    from autograder.grading.pipeline import Grader

    require_notebook_file(args.notebook)
    try:
        results = Grader(config=config).self_check(args.notebook, assignment=args.assignment, profile=args.profile)
    except SubmissionError as error:
        print(f"Cannot check {args.notebook}: {error}")
        return 2
    if args.json:
        print(json.dumps({"checks": [{"name": r.name, "passed": r.passed, "message": r.message} for r in results]}))
    else:
        print(as_text(os.path.basename(args.notebook), results))
        print_service_status(args.notebook)
    return 0 if all(result.passed for result in results) else 1


def as_text(name, results):
    lines = [f"Self-check of {name} (nothing was trained; this is not your grade):"]
    lines += [f"  {'✔' if r.passed else '✘'} {r.name}: {r.message}" for r in results]
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} of {len(results)} self-checks pass." +
                 (" Submit when you are ready: the grader runs your code again, on its own data." if passed == len(results)
                  else " Fix the ones marked ✘, save, and check again."))
    return "\n".join(lines)


def print_service_status(notebook):
    """Where the student's submissions stand, when the hub's grading service is reachable."""
    try:
        from autograder.service.status_client import fetch_status
    except ImportError:
        return
    assignment = os.path.splitext(os.path.basename(notebook))[0]
    lines = fetch_status(assignment)
    if lines:
        print("\nYour submissions:")
        print("\n".join(f"  {line}" for line in lines))
