"""Benchmark: the student's self-check (`python -m autograder check`) against a
full grading (`python -m autograder grade --profile quick`) of the same reference
solution, for each assignment, in one run on this machine.

The self-check is meant to answer "in seconds"; this prints the wall time of
each command (each a fresh process, as a student or the grader runs it) and
their ratio, and writes them to bench/self_check.md.

    python bench/self_check.py [--repeat 2]
"""

import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from autograder.assignments import known_assignments  # noqa: E402
from bench.machine import describe_machine  # noqa: E402


def wall_time(*arguments):
    """Seconds `python -m autograder ARGUMENTS` takes; the best of the runs asked for."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "autograder", *arguments], cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{arguments} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def measure(assignment, repeat):
    notebook = os.path.join(ROOT, "solutions", f"{assignment}.ipynb")
    check = min(wall_time("check", notebook) for _ in range(repeat))
    grade = min(wall_time("grade", notebook, "--profile", "quick", "--json") for _ in range(repeat))
    return {"assignment": assignment, "check_s": check, "grade_s": grade}


def write_table(rows, path, repeat):
    lines = ["# Self-check against grading (quick profile)", "",
             f"Machine: {describe_machine()}.",
             f"Measured {time.strftime('%Y-%m-%d')} with `python bench/self_check.py --repeat {repeat}`: the reference "
             "solution of each assignment, each command a fresh process (Python and TensorFlow start-up included), "
             f"best of {repeat}, all in the same invocation.", "",
             "| assignment | `check` s | `grade --profile quick` s | check / grade |", "|---|---:|---:|---:|"]
    lines += [f"| {r['assignment']} | {r['check_s']:.1f} | {r['grade_s']:.1f} | {r['check_s'] / r['grade_s']:.2f} |"
              for r in rows]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each command; the best counts")
    parser.add_argument("--output", default=os.path.join(ROOT, "bench", "self_check.md"))
    args = parser.parse_args()
    rows = []
    for assignment in known_assignments():
        rows.append(measure(assignment, args.repeat))
        row = rows[-1]
        print(f"{assignment}: check {row['check_s']:.1f} s, grade {row['grade_s']:.1f} s, "
              f"ratio {row['check_s'] / row['grade_s']:.2f}", flush=True)
    write_table(rows, args.output, args.repeat)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
