"""Benchmark: a class graded by `grade-all` on `quick`, good, failing and hostile submissions mixed.

N submissions (30 by default) are handed in to a fresh copy of the course and
graded from an empty gradebook with a local Dask cluster: copies of the
reference solution, the honest variants (tests/honest) and hostile ones
(tests/adversarial), taken in turn so that a small N still mixes them. It
prints submissions a minute, the bookkeeping seconds per submission (as
grade-all's summary states them: wall, inflated by the gradings running beside
it, and the CPU time of the recording thread) and the ratio of the whole run to the sum of
bare training times (one bare run of the reference, as bench/grading_cost.py
measures it, counted once per submission: hostile code is never run outside
the sandbox), and writes them into their section of bench/results.md.

    python bench/class_throughput.py --students 30 --workers 2
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.grading_cost import bare_run  # noqa: E402
from bench.machine import describe_machine  # noqa: E402

SOLUTION = os.path.join(ROOT, "solutions", "mnist_conv.ipynb")
HONEST = sorted(glob.glob(os.path.join(ROOT, "tests", "honest", "*.ipynb")))
# Hostile submissions that end by themselves; the infinite loop and the bombs run until a limit
# stops them, so their cost is that limit's, not the grader's.
HOSTILE = [os.path.join(ROOT, "tests", "adversarial", f"{name}.ipynb") for name in (
    "malformed_json", "os_exit", "monkeypatch_keras_fit", "non_utf8_bytes", "hand_made_history",
    "probe_host_secrets", "message_without_training", "kill_parent_and_everything", "deleted_grade_cell",
    "sys_exit", "edited_grade_cell")]
SECTION = ("<!-- class_throughput: written by bench/class_throughput.py -->",
           "<!-- /class_throughput -->")
BOOKKEEPING = re.compile(r"Bookkeeping .*?: ([0-9.]+) s per submission on average \(([0-9.]+) s of CPU\)")


def class_mix(students):
    """`students` notebooks: the reference, an honest variant and a hostile one in turn."""
    kinds = [[SOLUTION] * students, HONEST, HOSTILE]
    mix = []
    while len(mix) < students:
        for kind in kinds:
            if kind and len(mix) < students:
                mix.append(kind[len(mix) // 3 % len(kind)])
    return mix


def make_course(folder, notebooks):
    for item in ("nbgrader_config.py", "source", "release"):
        source = os.path.join(ROOT, item)
        (shutil.copytree if os.path.isdir(source) else shutil.copy)(source, os.path.join(folder, item))
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "mnist_conv", "--force"], cwd=folder,
                   check=True, capture_output=True)
    for index, notebook in enumerate(notebooks):
        submitted = os.path.join(folder, "submitted", f"student{index:03d}", "mnist_conv")
        os.makedirs(submitted)
        shutil.copy(notebook, os.path.join(submitted, "mnist_conv.ipynb"))
        with open(os.path.join(submitted, "timestamp.txt"), "w") as handle:
            handle.write("2026-11-27 10:00:00.000000 UTC")


def grade_class(notebooks, workers):
    """(wall seconds, bookkeeping (wall, CPU) seconds per submission, grade-all's summary)."""
    with tempfile.TemporaryDirectory(prefix="class-") as folder:
        make_course(folder, notebooks)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "autograder", "grade-all", "mnist_conv", "--profile", "quick",
                               "--workers", str(workers)], cwd=folder, capture_output=True, text=True,
                              env={**os.environ, "AUTOGRADER_PROFILE": "quick"})
        wall = time.perf_counter() - started
    found = BOOKKEEPING.search(done.stdout)
    if done.returncode != 0 or not found:
        raise SystemExit(f"grade-all failed (exit status {done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}")
    return wall, (float(found.group(1)), float(found.group(2))), done.stdout


def write_section(path, text):
    """Replaces this benchmark's section of `path` (or appends it)."""
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    block = f"{SECTION[0]}\n{text}\n{SECTION[1]}\n"
    if SECTION[0] in old and SECTION[1] in old:
        head, rest = old.split(SECTION[0], 1)
        new = head + block + rest.split(SECTION[1], 1)[1].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(new)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", default=os.path.join(ROOT, "bench", "results.md"))
    args = parser.parse_args()
    notebooks = class_mix(args.students)
    bare = bare_run("quick")["wall_s"]
    wall, bookkeeping, summary = grade_class(notebooks, args.workers)
    kinds = {"reference": notebooks.count(SOLUTION), "honest": sum(n in HONEST for n in notebooks),
             "hostile": sum(n in HOSTILE for n in notebooks)}
    text = (f"## Class throughput (`python bench/class_throughput.py --students {args.students} --workers "
            f"{args.workers}`)\n\nMachine: {describe_machine()}. Measured {time.strftime('%Y-%m-%d %H:%M')}: "
            f"{args.students} submissions on `quick` ({kinds['reference']} reference, {kinds['honest']} honest "
            f"variants, {kinds['hostile']} hostile), graded by `grade-all` from an empty gradebook on a local "
            f"Dask cluster of {args.workers} workers (its start included). Bare training = one bare run of the "
            "reference (bench/grading_cost.py), once per submission.\n\n"
            "| submissions | wall s | submissions/min | bookkeeping s/submission (wall) | (CPU) | bare s (one) "
            "| wall / sum of bare |\n"
            "|---:|---:|---:|---:|---:|---:|---:|\n"
            f"| {args.students} | {wall:.1f} | {60 * args.students / wall:.2f} | {bookkeeping[0]:.3f} | "
            f"{bookkeeping[1]:.3f} | {bare:.1f} | "
            f"{wall / (bare * args.students):.2f} |\n")
    print(summary)
    print(text)
    write_section(args.output, text)


if __name__ == "__main__":
    sys.exit(main())
