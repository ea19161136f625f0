"""Benchmark: what grading the reference solution costs, against a bare run of
the same training code, and what the sandbox adds.

For each profile it measures, in this one run on this machine:
  * bare:        the solution's cells and one train_mnist_conv() call in a plain
                 Python process (no grader, no sandbox, no evidence, no re-measuring);
  * graded:      `python -m autograder grade --json` on the same notebook;
  * unsandboxed: the same, with c.RunInIsolation.sandbox = 'none' (with --unsandboxed).
It prints wall time, epochs, seconds per epoch, peak memory (largest process)
and the wall-time ratios graded/bare and graded/unsandboxed, and writes them
to bench/results.md.

    python bench/grading_cost.py --profiles quick full --unsandboxed quick --repeat 3
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from autograder.assignments import load_spec  # noqa: E402
from autograder.datasets.mnist import MnistData  # noqa: E402
from bench.machine import describe_machine  # noqa: E402

SOLUTION = os.path.join(ROOT, "solutions", "mnist_conv.ipynb")


def measured(command, env):
    """(wall seconds, peak RSS MiB of its largest process, stdout) of `command`,
    run under a fresh `--peak-of` parent so no earlier run's peak leaks in."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--peak-of", *command], env=env, capture_output=True,
                          text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command} failed:\n{done.stderr[-3000:]}")
    return wall, int(done.stderr.strip().splitlines()[-1]) / 1024, done.stdout


def peak_of(command):
    """Runs `command`; prints the largest RSS (KiB) among its processes last on stderr."""
    status = subprocess.run(command).returncode
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
    return status


def bare_run(profile):
    spec = load_spec("mnist_conv")
    with tempfile.TemporaryDirectory() as workdir:
        data_env = MnistData().sandbox_files(workdir, spec.profile(profile))
        env = {**os.environ, **{name: os.path.join(workdir, file) for name, file in data_env.items()},
               "TF_CPP_MIN_LOG_LEVEL": "3"}
        wall, peak, out = measured([sys.executable, __file__, "--bare-child"], env)
    return {"wall_s": wall, "peak_mib": peak, "epochs": json.loads(out.splitlines()[-1])["epochs"]}


def bare_child():
    """The solution's code, as a student would run it, one training run."""
    import keras

    from autograder.grading.load_notebook import load_submission

    keras.utils.set_random_seed(0)  # the seed the grader sets (c.RunInIsolation.seed), for the same epochs
    namespace = {"__name__": "__main__"}
    for source in load_submission(SOLUTION).cells:
        exec(source, namespace)
    epochs, _ = namespace["train_mnist_conv"]()
    print(json.dumps({"epochs": len(epochs)}))


def graded_run(profile, config=None):
    command = [sys.executable, "-m", "autograder", *(["--config", config] if config else []),
               "grade", SOLUTION, "--profile", profile, "--json"]
    wall, peak, out = measured(command, os.environ)
    result = json.loads(out)
    return {"wall_s": wall, "peak_mib": peak, "epochs": result["epochs_run"],
            "score": f"{result['score']:g}/{result['max_score']:g}"}


def unsandboxed_run(profile):
    with tempfile.TemporaryDirectory() as workdir:
        config = os.path.join(workdir, "unsandboxed_config.py")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write("c = get_config()\nc.RunInIsolation.sandbox = 'none'\n")
        return graded_run(profile, config)


def table(rows):
    lines = ["| profile | run | wall s (median) | every run, s | epochs | s/epoch | peak MiB | score | graded/bare | "
             "graded/unsandboxed |", "|---|---|---:|---|---:|---:|---:|---|---:|---:|"]
    for profile, runs in rows:
        for name, run in runs.items():
            ratios = [f"{runs['graded']['wall_s'] / runs[other]['wall_s']:.2f}" if name == "graded" and other in runs
                      else "" for other in ("bare", "unsandboxed")]
            walls = ", ".join(f"{wall:.1f}" for wall in run["walls"])
            lines.append(f"| {profile} | {name} | {run['wall_s']:.1f} | {walls} | {run['epochs']} | "
                         f"{run['wall_s'] / run['epochs']:.1f} | {run['peak_mib']:.0f} | {run.get('score', '')} | "
                         + " | ".join(ratios) + " |")
    return "\n".join(lines)


def measure_profile(profile, unsandboxed, repeat):
    """Each kind of run `repeat` times, interleaved (bare, graded, ..., bare, graded, ...) so that a
    drift in the machine's speed falls on every kind alike; each kind's median run."""
    kinds = {"bare": bare_run, "graded": graded_run, **({"unsandboxed": unsandboxed_run} if unsandboxed else {})}
    samples = {name: [] for name in kinds}
    for _ in range(repeat):
        for name, run in kinds.items():
            samples[name].append(run(profile))
    return profile, {name: median_run(runs) for name, runs in samples.items()}


def median_run(runs):
    chosen = dict(sorted(runs, key=lambda run: run["wall_s"])[len(runs) // 2])
    chosen["walls"] = [run["wall_s"] for run in runs]
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", nargs="+", default=["quick"], choices=["quick", "full"])
    parser.add_argument("--unsandboxed", nargs="*", default=[], choices=["quick", "full"],
                        help="profiles to also grade without the sandbox, for its overhead")
    parser.add_argument("--bare-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--peak-of", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each kind, interleaved; the median counts")
    parser.add_argument("--output", default=os.path.join(ROOT, "bench", "results.md"))
    args = parser.parse_args()
    if args.bare_child:
        return bare_child()
    if args.peak_of:
        return peak_of(args.peak_of)
    rows = [measure_profile(profile, profile in args.unsandboxed, args.repeat) for profile in args.profiles]
    report = (f"# Grading cost of the mnist_conv reference solution\n\nMachine: {describe_machine()}.\n"
              f"Measured {time.strftime('%Y-%m-%d')} with `python bench/grading_cost.py --profiles "
              f"{' '.join(args.profiles)} --unsandboxed {' '.join(args.unsandboxed)} --repeat {args.repeat}`; each "
              "row is the median of its runs, all rows in the same invocation, runs interleaved.\n"
              "s/epoch divides the whole wall time (start-up included) by the epochs run. Peak MiB is the "
              "largest single process (the grader's trusted side or the sandboxed run).\n\n" + table(rows) + "\n")
    print(report)
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(report)


if __name__ == "__main__":
    sys.exit(main())
