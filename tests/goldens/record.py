"""Regenerates the golden gradings (tests/goldens/GROUP/CASE/, see README.md): grades each case
of cases.py for real, sandbox and training included, keeps what the run left for the evidence
stage, then replays the saved golden and requires the replay to give the live verdict; a live
grading that fails its test's assertions (a run stopped by a loaded machine's limits) is not saved.

    python tests/goldens/record.py                     # every case (make goldens), then prunes stale folders
    python tests/goldens/record.py honest              # the cases of one group
    python tests/goldens/record.py honest/padding_same # one case

Run as the tests run: as root (the bubblewrap sandbox), with $AUTOGRADER_MNIST and
$AUTOGRADER_ASCENT (else ../shared/data), on the quick profile. Exit status 1 when a case
could not be recorded faithfully (its previous golden is then left as it was).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
PROFILE = "quick"


def select(selectors, cases):
    if not selectors:
        return list(cases)
    chosen = [case for case in cases if case.id in selectors or case.group in selectors]
    unknown = set(selectors) - {case.id for case in chosen} - {case.group for case in chosen}
    if unknown:
        sys.exit(f"record.py: no such case or group: {', '.join(sorted(unknown))}")
    return chosen


def record(case, config, scratch):
    """Grades `case` and writes its golden; returns '' or why it could not be recorded (its golden then stays)."""
    staging = case.folder.with_name(case.folder.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        return record_into(case, config, scratch, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def record_into(case, config, scratch, staging):
    from goldens import golden
    from test_goldens import EXPECT

    from autograder.grading import pipeline
    from autograder.grading.pipeline import Grader

    kept, real = {}, pipeline.collect_evidence

    def keeping(run, submission, trusted):  # the run's folders are removed once evidence is collected
        kept.update(run=run, submission=submission, left_out=golden.keep(run, staging, case.models))
        return real(run, submission, trusted)

    notebook = case.notebook(scratch)
    pipeline.collect_evidence = keeping
    try:
        result = Grader(config=config).grade(str(notebook), assignment=case.assignment, profile=PROFILE)
    except ValueError as error:  # a file the evidence stage reads is not a regular file
        return str(error)
    finally:
        pipeline.collect_evidence = real
    if "run" not in kept:
        return f"nothing was run (status {result.status}: {result.checks[0].message})"
    try:  # a run stopped by a loaded machine's limits is no golden
        EXPECT[case.group](case.name, golden.as_json(result))
    except AssertionError as error:
        return f"the live grading fails its test's assertions (record it again on a quieter machine): {error}"
    golden.write(staging, assignment=result.details["assignment"], profile=result.details["profile"],
                 submission=kept["submission"], run=kept["run"], result=result, models=case.models,
                 left_out=kept["left_out"])
    live, replayed = golden.verdict(golden.as_json(result)), golden.verdict(golden.as_json(golden.replay(staging)))
    if live != replayed:
        return f"the replay differs from the live grading:\nlive:     {live}\nreplayed: {replayed}"
    shutil.rmtree(case.folder, ignore_errors=True)
    staging.rename(case.folder)
    return ""


def prune(cases):
    """Removes the golden folders of cases that no longer exist, and shared files no golden uses."""
    from goldens.golden import GOLDENS, SHARED, load

    wanted = {case.folder for case in cases}
    for group in {p for p in GOLDENS.iterdir() if p.is_dir() and p != SHARED and p.name != "__pycache__"}:
        for folder in group.iterdir():
            if folder.is_dir() and folder not in wanted:
                print(f"removing stale golden {group.name}/{folder.name}")
                shutil.rmtree(folder)
    used = {blob for case in cases for blob in load(case.folder)["shared"].values()}
    for blob in SHARED.glob("*") if SHARED.is_dir() else ():
        if blob.name not in used:
            print(f"removing unused shared/{blob.name}")
            blob.unlink()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", help="GROUP or GROUP/CASE (default: all, and stale goldens removed)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(TESTS))
    os.chdir(TESTS.parent)  # the course folder, as the old tests graded from it
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("AUTOGRADER_PROFILE", PROFILE)
    from conftest import ROOT, SHARED_ASCENT, SHARED_MNIST
    os.environ.setdefault("AUTOGRADER_MNIST", os.path.abspath(SHARED_MNIST))
    os.environ.setdefault("AUTOGRADER_ASCENT", os.path.abspath(SHARED_ASCENT))

    import test_adversarial
    from goldens.cases import CASES

    from autograder.settings import load_config

    chosen = select(args.cases, CASES)
    failures, started = [], time.monotonic()
    with tempfile.TemporaryDirectory(prefix="goldens-") as scratch:
        configs = {"course": load_config(os.path.join(ROOT, "nbgrader_config.py")),
                   "tight": load_config(test_adversarial.write_tight_config(Path(scratch)))}
        for number, case in enumerate(chosen, start=1):
            began = time.monotonic()
            folder = Path(scratch) / f"case-{number}"
            folder.mkdir()
            problem = record(case, configs[case.config], folder)
            print(f"[{number}/{len(chosen)}] {case.id}: {problem or 'recorded'} ({time.monotonic() - began:.0f} s)",
                  flush=True)
            if problem:
                failures.append(case.id)
    if not args.cases and not failures:
        prune(CASES)
    print(f"{len(chosen) - len(failures)} of {len(chosen)} goldens recorded in {time.monotonic() - started:.0f} s"
          + (f"; not recorded: {', '.join(failures)}" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
