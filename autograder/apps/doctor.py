"""`python -m autograder doctor`: checks that this machine can grade, and says how to fix what is missing.

Tries each part a grading needs, for real: the bubblewrap sandbox (student
code runs, and sees no GPU), the cgroup limits, each data set (MNIST, the
ascent image, Fashion-MNIST), nbgrader's course (source folder, gradebook)
and exchange, and one GPU operation computed by the grader's trainer in the
environment and cgroup it trains in (its device's name, or "no GPU: grading
runs on the CPU"). See `autograder/doctor.py`.

Exit status 0 when every part a grading needs passes (warnings, such as no
GPU or no exchange yet, do not fail it), 1 otherwise.
"""

import json


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")


def run(args, config):
    from autograder.classroom.doctor import run_checks

    results = run_checks(config)
    if args.json:
        print(json.dumps({"checks": [{"name": name, **check._asdict()} for name, check in results]}))
    else:
        print(as_text(results))
    return 0 if all(check.ok for _, check in results) else 1


def as_text(results):
    lines = ["Can this machine grade?"]
    for name, check in results:
        mark = "✘" if not check.ok else "!" if check.fix else "✔"
        lines.append(f"  {mark} {name}: {check.message}")
        if check.fix:
            lines.append(f"      fix: {check.fix}")
    failed = [name for name, check in results if not check.ok]
    warned = sum(1 for _, check in results if check.ok and check.fix)
    lines.append(f"Cannot grade until these are fixed: {', '.join(failed)}." if failed else
                 "Every part a grading needs works" + (f" ({warned} warnings, marked !)." if warned else "."))
    return "\n".join(lines)
