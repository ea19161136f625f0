"""Benchmark: how long a student waits for `python -m autograder check` (target: under
10 s on 2 idle cores), in total and per phase.

Each run is a fresh process, as a student runs it. Half the runs time the whole
command from outside; the other half run it with timers around each phase
(Python start-up and imports, the job's data, the sandboxed run, the evidence
with the model's inspection, the checks). Prints the medians and writes them
as a section of bench/results.md, with the load average seen, since a shared
machine slows every figure.

    python bench/check_time.py [--repeat 5] [--profile full] [--notebook solutions/mnist_conv.ipynb]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## `check` wait (`python bench/check_time.py`)"
PHASES = ["start-up and imports", "job data", "sandboxed run", "evidence (model inspected)", "checks", "rest"]


def run_check(notebook, profile, phases_file=None):
    """Seconds of one `check` run; with `phases_file`, run with phase timers (see `timed_child`)."""
    command = ([sys.executable, __file__, "--child", phases_file, notebook] if phases_file
               else [sys.executable, "-m", "autograder", "check", notebook])
    env = {**os.environ, "AUTOGRADER_PROFILE": profile, "PYTHONPATH": ROOT}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"check failed (exit {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    if any(word in done.stderr for word in ("absl", "oneDNN", "cuda")):
        raise SystemExit(f"check printed start-up noise:\n{done.stderr[-2000:]}")
    return took


def timed_child(phases_file, notebook):
    """In the child: `check` with each phase timed; the phases go to `phases_file` (JSON)."""
    started = time.perf_counter()
    spent = {}
    import autograder.cli as cli
    from autograder.grading import pipeline

    spent["start-up and imports"] = time.perf_counter() - started

    def timed(owner, name, phase):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            begun = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[phase] = spent.get(phase, 0.0) + time.perf_counter() - begun
        setattr(owner, name, wrapper)

    timed(pipeline.Grader, "_prepare_job", "job data")
    timed(pipeline.RunInIsolation, "run", "sandboxed run")
    timed(pipeline, "collect_evidence", "evidence (model inspected)")
    timed(pipeline, "self_check_results", "checks")
    status = cli.main(["check", notebook])
    total = time.perf_counter() - started
    spent["rest"] = total - sum(spent.values())
    with open(phases_file, "w", encoding="utf-8") as handle:
        json.dump(spent, handle)
    sys.exit(status)


def load_average():
    return os.getloadavg()[0]


def write_section(path, text):
    """Replaces this benchmark's section of `path` (or appends it)."""
    with open(path, encoding="utf-8") as handle:
        content = handle.read()
    if SECTION in content:
        before, after = content.split(SECTION, 1)
        rest = after.split("\n## ", 1)
        content = before + text + ("\n## " + rest[1] if len(rest) > 1 else "")
    else:
        content = content.rstrip("\n") + "\n\n" + text
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each kind (whole, with phase timers)")
    parser.add_argument("--profile", default="full", help="the data profile the check reads (the course's: full)")
    parser.add_argument("--notebook", default=os.path.join("solutions", "mnist_conv.ipynb"))
    parser.add_argument("--output", default=os.path.join(ROOT, "bench", "results.md"))
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    from bench.machine import describe_machine

    loads, totals, phases = [load_average()], [], []
    with tempfile.TemporaryDirectory() as folder:
        for index in range(args.repeat):  # interleaved: a change of load touches both kinds alike
            totals.append(run_check(args.notebook, args.profile))
            phases_file = os.path.join(folder, f"phases-{index}.json")
            run_check(args.notebook, args.profile, phases_file)
            with open(phases_file, encoding="utf-8") as handle:
                phases.append(json.load(handle))
            loads.append(load_average())
            print(f"run {index + 1}: {totals[-1]:.1f} s; "
                  + ", ".join(f"{name} {phases[-1].get(name, 0):.1f}" for name in PHASES), flush=True)
    median = statistics.median(totals)
    lines = [SECTION, "",
             f"Machine: {describe_machine()}. Load average (1 min) during the runs: "
             f"{min(loads):.1f} to {max(loads):.1f}" + (" - the machine was shared with other work, so these are "
                                                          "slower than on 2 idle cores." if max(loads) > 0.5 else "."),
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `python -m autograder check "
             f"{args.notebook}` on the {args.profile} profile, {args.repeat} runs, each a fresh process.", "",
             f"Whole command: median {median:.1f} s (runs: {', '.join(f'{t:.1f}' for t in totals)}); "
             f"target under 10 s on 2 idle cores.", "",
             "| phase (median of the timed runs) | s |", "|---|---:|"]
    lines += [f"| {name} | {statistics.median(run.get(name, 0.0) for run in phases):.1f} |" for name in PHASES]
    lines += ["", "Keras is imported in the grading process while the sandboxed run runs (on the other core), "
              "so the evidence phase finds it imported.", ""]
    write_section(args.output, "\n".join(lines))
    print(f"median {median:.1f} s; wrote {args.output}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        timed_child(sys.argv[2], sys.argv[3])
    else:
        main()
