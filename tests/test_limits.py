"""Resource limits: which a run gets (configured, calibrated or the fallbacks; the
self-check's too, under the course configuration), the watchdog's decision on
hand-built records with a fake clock, and the cgroups of a grader that died
mid-run, which the next run removes."""

import json
import os
import signal
import subprocess

import pytest

from autograder.assignments import load_profile
from autograder.isolation.calibration import Calibration, Figures
from autograder.isolation.follow import JsonlFollower
from autograder.isolation.limits import RunLimiter, RunLimits, Watchdog, cgroup_dirs
from autograder.isolation.run import RunInIsolation, wait_or_kill
from autograder.settings import load_config


def test_cgroups_of_a_dead_grader_are_removed_by_the_next_run():
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = cgroup_dirs(f"autograder-{dead.pid}-crashed")
    try:
        for folder in set(stale.values()):
            os.makedirs(folder)
    except OSError:
        pytest.skip("no writable cgroup here: limits fall back to rlimits")
    limiter = RunLimiter(RunLimits(2**30, 64, 60, 2**20), f"autograder-{os.getpid()}-test")
    try:
        assert limiter.uses_cgroups
        assert not any(os.path.exists(folder) for folder in stale.values())
    finally:
        limiter.close()
    assert not any(os.path.exists(folder) for folder in limiter.dirs.values())


# --- which limits a run gets: RunInIsolation.limits_for, the one place -----------------------------------------

QUICK = Figures(epochs=5, seconds_per_epoch=2.0, total_seconds=18.0, peak_memory=2**30)


def course_config(root):
    """The course's nbgrader_config.py, its course root moved to `root` (where a calibration may be written)."""
    config = load_config(os.path.join(os.path.dirname(os.path.dirname(__file__)), "nbgrader_config.py"))
    config.CourseDirectory.root = str(root)
    return config


def test_uncalibrated_runs_get_the_documented_fallbacks(tmp_path):
    limits = RunInIsolation(config=course_config(tmp_path)).limits_for("mnist_conv", load_profile("mnist_conv", "quick"))
    assert (limits.wall_seconds, limits.stall_seconds, limits.memory) == (600, 90, 6 * 2**30)
    assert limits.cpu_seconds == 600 * os.cpu_count() and limits.reference_epoch_seconds is None


def test_the_self_check_gets_its_own_limit_under_the_course_configuration(tmp_path):
    runner = RunInIsolation(config=course_config(tmp_path))
    assert runner.limits_for("mnist_conv", load_profile("mnist_conv", "check")).wall_seconds == 120
    Calibration(config=runner.config).write("mnist_conv", "check", Figures(0, None, 6.0, 2**29))
    assert runner.limits_for("mnist_conv", load_profile("mnist_conv", "check")).wall_seconds == 60  # the floor; 6 x 6 s is less


def test_calibrated_limits_derive_from_the_reference(tmp_path):
    config = course_config(tmp_path)
    Calibration(config=config).write("mnist_conv", "quick", QUICK)
    limits = RunInIsolation(config=config).limits_for("mnist_conv", load_profile("mnist_conv", "quick"))
    assert limits == RunLimits(memory=4 * 2**30, processes=512, cpu_seconds=288 * os.cpu_count(), file_size=512 * 2**20,
                            wall_seconds=288, stall_seconds=60, reference_epoch_seconds=2.0)
    # Another assignment, another profile: not calibrated.
    assert RunInIsolation(config=config).limits_for("conv_basics", load_profile("conv_basics", "quick")).wall_seconds == 600
    assert RunInIsolation(config=config).limits_for("mnist_conv", load_profile("mnist_conv", "full")).wall_seconds == 3600


def test_an_explicitly_configured_limit_wins(tmp_path):
    config = course_config(tmp_path)
    Calibration(config=config).write("mnist_conv", "quick", QUICK)
    config.RunInIsolation.time_limit = {"quick": 45}
    config.RunInIsolation.cpu_time_limit = {"full": 999}
    config.RunInIsolation.memory_limit = 5 * 2**30
    runner = RunInIsolation(config=config)
    quick, full = runner.limits_for("mnist_conv", load_profile("mnist_conv", "quick")), runner.limits_for("mnist_conv", load_profile("mnist_conv", "full"))
    assert (quick.wall_seconds, quick.cpu_seconds, quick.memory) == (45, 45 * os.cpu_count(), 5 * 2**30)
    assert (full.wall_seconds, full.cpu_seconds) == (3600, 999)
    assert runner.limits_for("mnist_conv", load_profile("mnist_conv", "check")).wall_seconds == 120  # not another profile's


# --- the watchdog: a run in which no epoch ends (a callback that never returns) -----------------------------------

def fit(index, seconds):
    return {"record": "fit", "fit": index, "seconds": seconds}


def epoch(index, number, seconds):
    return {"record": "epoch", "fit": index, "epoch": number, "seconds": seconds}


def test_watchdog_stops_a_fit_in_which_no_epoch_ends():
    watchdog = Watchdog(stall_seconds=30, reference_epoch_seconds=2.0)
    assert watchdog.observe([fit(0, 5.0)], now=100.0) is None
    assert watchdog.observe([epoch(0, 0, 9.0)], now=104.0) is None
    assert watchdog.observe([epoch(0, 1, 11.0)], now=106.0) is None
    assert watchdog.observe([], now=135.9) is None
    assert watchdog.observe([], now=136.0) == \
        "because no epoch ended for 30 s (the reference takes 2.0 s per epoch)"
    assert watchdog.seconds_per_epoch == 3.0  # (4 + 2) / 2, on the trainer's clock


def test_watchdog_leaves_the_time_outside_fits_to_the_wall_limit():
    watchdog = Watchdog(stall_seconds=30)
    assert watchdog.observe([], now=1000.0) is None  # a loop before the first fit: the wall limit's
    watchdog.observe([fit(0, 1.0), epoch(0, 0, 3.0), {"record": "fit_end", "fit": 0, "seconds": 3.5}], now=1001.0)
    assert watchdog.observe([], now=1030.0) is None
    assert watchdog.observe([], now=1031.0)  # the weights are back, but on_train_end has not returned
    watchdog.observe([{"record": "train_end", "fit": 0, "seconds": 3.6}], now=1031.0)
    assert watchdog.observe([], now=5000.0) is None  # after the fit: saving, evaluating, ...
    watchdog.observe([{"record": "refused", "fit": 1, "seconds": 4.0}], now=5001.0)
    assert watchdog.observe([], now=9000.0) is None
    watchdog.observe([fit(2, 5.0)], now=9001.0)
    assert watchdog.observe([], now=9031.0) == \
        "because no epoch ended for 30 s (no reference calibrated on this machine)"


def test_watchdog_reads_the_trainers_record_once_a_second_and_the_rest_at_the_end(tmp_path):
    path = tmp_path / "training.jsonl"
    watchdog = Watchdog(stall_seconds=30, record=str(path))
    assert watchdog.poll(now=10.0) is None  # no record yet
    path.write_text(json.dumps(fit(0, 1.0)) + "\n" + json.dumps(epoch(0, 0, 3.0)) + "\n")
    assert watchdog.poll(now=10.5) is None and watchdog.open_fits == set()  # looked less than a second ago
    assert watchdog.poll(now=11.0) is None and watchdog.open_fits == {0}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(epoch(0, 1, 4.0)) + "\n")
    watchdog.finish()
    assert watchdog.epoch_seconds == [2.0, 1.0]
    assert Watchdog(stall_seconds=30).poll(now=1e9) is None  # a run that trains nothing


def test_record_tail_reads_whole_new_lines_only(tmp_path):
    path = tmp_path / "training.jsonl"
    tail = JsonlFollower(str(path))
    assert tail.new_records() == []  # not written yet
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"record": "fit", "fit": 0}\nnot json\n{"record": "ep')
    assert tail.new_records() == [{"record": "fit", "fit": 0}]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('och", "fit": 0}\n')
    assert tail.new_records() == [{"record": "epoch", "fit": 0}]
    assert tail.new_records() == []


def test_wait_or_kill_stops_the_run_when_the_watch_says_why():
    process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    reason, code, _ = wait_or_kill(process, 60, lambda now: "because it stalled")
    assert (reason, code) == ("because it stalled", -signal.SIGKILL)
    process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    reason, code, _ = wait_or_kill(process, 1, lambda now: None)
    assert (reason, code) == ("after 1 s, its time limit", -signal.SIGKILL)
    process = subprocess.Popen(["true"], start_new_session=True)
    assert wait_or_kill(process, 60, lambda now: None)[:2] == ("", 0)
