"""Benchmark: a class of N `quick` submissions graded by `grade-all` with 1 and
with 2 local Dask workers, on this machine, in one run.

Each setting grades a fresh copy of the course (N copies of the reference
solution handed in by N students) from nothing to a full gradebook. It prints
the wall time, the throughput (submissions a minute) and the 2-worker/1-worker
throughput ratio, and writes them to bench/class_throughput.md.

    python bench/class_throughput.py --students 6
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from autograder.grade_all import with_python_on_path  # noqa: E402
from bench.machine import describe_machine  # noqa: E402

SOLUTION = os.path.join(ROOT, "solutions", "mnist_conv.ipynb")


def make_course(folder, students):
    for item in ("nbgrader_config.py", "source", "release"):
        source = os.path.join(ROOT, item)
        (shutil.copytree if os.path.isdir(source) else shutil.copy)(source, os.path.join(folder, item))
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "mnist_conv", "--force"], cwd=folder,
                   check=True, capture_output=True, env=with_python_on_path())
    for index in range(students):
        submitted = os.path.join(folder, "submitted", f"student{index:03d}", "mnist_conv")
        os.makedirs(submitted)
        shutil.copy(SOLUTION, submitted)
        with open(os.path.join(submitted, "timestamp.txt"), "w") as handle:
            handle.write("2026-11-27 10:00:00.000000 UTC")


def grade_class(students, workers):
    with tempfile.TemporaryDirectory(prefix="class-") as folder:
        make_course(folder, students)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "autograder", "grade-all", "mnist_conv", "--profile", "quick",
                               "--workers", str(workers)], cwd=folder, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0 or done.stdout.count("full marks") != students:
            raise SystemExit(f"grade-all with {workers} workers failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--output", default=os.path.join(ROOT, "bench", "class_throughput.md"))
    args = parser.parse_args()
    walls = {workers: grade_class(args.students, workers) for workers in (1, 2)}
    rows = [f"| {workers} | {wall:.1f} | {args.students / wall * 60:.2f} |" for workers, wall in walls.items()]
    report = (f"# Class throughput of `grade-all` (quick profile)\n\nMachine: {describe_machine()}.\n"
              f"Measured {time.strftime('%Y-%m-%d')} with `python bench/class_throughput.py --students "
              f"{args.students}`: {args.students} submissions of the reference solution, graded from an empty "
              "gradebook with a local Dask cluster, both settings in the same invocation. Wall time includes "
              "starting the cluster and recording every grade in the gradebook.\n\n"
              "| workers | wall s | submissions/min |\n|---:|---:|---:|\n" + "\n".join(rows) +
              f"\n\nThroughput ratio, 2 workers / 1 worker: {walls[1] / walls[2]:.2f}.\n")
    print(report)
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(report)


if __name__ == "__main__":
    main()
