"""`python -m autograder calibrate ASSIGNMENT [--profile quick|full]`: measure the reference on this machine.

Grades the assignment's reference solution (solutions/ASSIGNMENT.ipynb under
the course root) on the profile, and its self-check where it has one, and
keeps what each cost (epochs, seconds per epoch, total seconds, peak memory)
in the calibration file (c.Calibration.path), whence the limits of every
later run derive (see `autograder.isolation.calibration`). The reference is graded
under the uncalibrated limits, so that an old calibration cannot stop the run
that replaces it. Run it again after changing the machine, the data or the
reference.

Exit status 0 when the figures were kept, 1 when the reference did not grade
with full marks (nothing is kept), 2 when the calibration cannot run (no
reference, a calibration file that cannot be read: it is left as it was).
"""

import copy
import os
import resource
import tempfile
import time

from autograder.errors import CalibrationError
from autograder.isolation.calibration import Calibration, Figures, course_root, utc_timestamp
from autograder.spec import SELF_CHECK
from autograder.states import Status


def add_arguments(parser):
    parser.add_argument("assignment", help="assignment name, e.g. mnist_conv")
    parser.add_argument("--profile", help="data profile (default: c.Grader.profile)")


def run(args, config):
    from autograder.assignments import load_spec
    from autograder.grading.pipeline import Grader

    calibration = Calibration(config=config)
    reference = os.path.join(course_root(config), "solutions", f"{args.assignment}.ipynb")
    try:
        calibration.read()  # unusable: say so now, not after the grading
    except CalibrationError as error:
        print(f"autograder: {error}")
        return 2
    if not os.path.exists(reference):
        print(f"autograder: no reference solution at {reference}")
        return 2
    with tempfile.TemporaryDirectory() as nowhere:
        grader = Grader(config=uncalibrated(config, nowhere))
        spec = load_spec(args.assignment)
        profile = spec.profile(args.profile or grader.profile)
        measured = {}
        if spec.self_checks:  # first: the peak memory only ever grows
            # on the course's profile, whatever --profile says: the data students' `check` reads
            measured[SELF_CHECK] = measure(lambda: grader.self_check(reference, assignment=args.assignment,
                                                                  profile=grader.profile))[1]
        result, figures = measure(lambda: grader.grade(reference, assignment=args.assignment, profile=profile.name))
    if result.status != Status.GRADED or result.score != result.max_score:
        lost = "; ".join(f"{c.name}: {c.message}" for c in result.checks if not c.passed)
        print(f"The reference did not grade with full marks ({result.status}; {lost}); nothing was kept.")
        return 1
    measured[profile] = figures
    for measured_profile, found in measured.items():
        calibration.write(args.assignment, measured_profile.name, found)
        print(describe(args.assignment, measured_profile.name, found, calibration.derived(args.assignment, measured_profile)))
    print(f"Kept in {calibration.file}.")
    return 0


def uncalibrated(config, nowhere):
    """`config` with the calibration file looked for where there is none (in the empty folder `nowhere`)."""
    measuring = copy.deepcopy(config)  # a Config's copy would share its sections with `config`
    measuring.Calibration.path = os.path.join(nowhere, "none.json")
    return measuring


def measure(grading):
    """(what `grading()` returned, Figures of its run): the run's processes are this one's children, so
    their largest resident memory is what getrusage says of children (a maximum: measure the smaller run first)."""
    started = time.monotonic()
    result = grading()
    seconds, children = time.monotonic() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    training = getattr(result, "details", {}).get("training", {})
    return result, Figures(
        epochs=len(training.get("accuracy", [])), seconds_per_epoch=training.get("seconds_per_epoch"),
        total_seconds=round(seconds, 2), peak_memory=children.ru_maxrss * 1024, measured=utc_timestamp())  # KiB on Linux


def describe(assignment, profile, figures, limits):
    per_epoch = f", {figures.seconds_per_epoch:.2f} s per epoch" if figures.seconds_per_epoch else ""
    stall = f", {limits['stall_seconds']} s without an epoch" if figures.epochs else ""
    return (f"{assignment} on {profile}: {figures.epochs} epochs{per_epoch}, {figures.total_seconds:.1f} s, "
            f"peak {figures.peak_memory / 2**30:.2f} GiB -> limits: {limits['wall_seconds']} s wall, "
            f"{limits['memory'] / 2**30:.1f} GiB{stall}")
