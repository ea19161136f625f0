"""The calibration file (read, write, missing, unusable) and the `calibrate` app's pieces.

Calibrating for real grades the reference on quick and its self-check (about
a minute on 2 loaded cores, over the 40 s a test may take here), so these test
its pieces: the measuring of one run, the configuration it grades under, what
it refuses; the corpus test runs on limits derived from a calibration file.
"""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from traitlets.config import Config

from autograder.apps import calibrate
from autograder.assignments import load_profile
from autograder.errors import CalibrationError
from autograder.isolation.calibration import Calibration, Figures

QUICK = Figures(epochs=5, seconds_per_epoch=2.0, total_seconds=18.0, peak_memory=2**30)
CHECK = Figures(epochs=0, seconds_per_epoch=None, total_seconds=6.0, peak_memory=2**29)


@pytest.fixture
def calibration(tmp_path):
    return Calibration(path=str(tmp_path / ".autograder" / "calibration.json"))


def test_figures_written_are_read_back_and_other_entries_kept(calibration):
    calibration.write("mnist_conv", "quick", QUICK)
    calibration.write("mnist_conv", "check", CHECK)
    calibration.write("conv_basics", "quick", QUICK)
    calibration.write("mnist_conv", "quick", Figures(6, 3.0, 20.0, 2**30))
    assert calibration.figures("mnist_conv", "quick") == Figures(6, 3.0, 20.0, 2**30)
    assert calibration.figures("mnist_conv", "check") == CHECK
    assert calibration.figures("conv_basics", "quick") == QUICK
    assert calibration.figures("mnist_conv", "full") is None
    assert not [name for name in os.listdir(os.path.dirname(calibration.file)) if name.endswith(".tmp")]


def test_the_file_lies_under_the_course_root(tmp_path):
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    calibration = Calibration(config=config)
    calibration.write("mnist_conv", "quick", QUICK)
    assert os.path.exists(tmp_path / ".autograder" / "calibration.json")


def test_missing_file_means_not_calibrated(calibration):
    assert calibration.read() == {} and calibration.figures("mnist_conv", "quick") is None
    assert calibration.derived("mnist_conv", load_profile("mnist_conv", "quick"))["reference_epoch_seconds"] is None


@pytest.mark.parametrize("content, says", [
    ("{not json", "cannot read the calibration file"),
    ("[1, 2]", "is not a calibration file"),
    ('{"mnist_conv": {"quick": {"epochs": 5}}}', "expected an object with"),
    ('{"mnist_conv": {"quick": {"epochs": 5, "seconds_per_epoch": -1, "total_seconds": 18, '
     '"peak_memory": 1}}}', "seconds_per_epoch must be a positive number"),
    ('{"mnist_conv": {"quick": {"epochs": "5", "seconds_per_epoch": 2, "total_seconds": 18, '
     '"peak_memory": 1}}}', "epochs must be a whole number"),
])
def test_unusable_file_is_a_clear_error_and_is_left_as_it_was(calibration, content, says, caplog):
    os.makedirs(os.path.dirname(calibration.file))
    with open(calibration.file, "w", encoding="utf-8") as handle:
        handle.write(content)
    with pytest.raises(CalibrationError, match=says) as raised:
        calibration.read()
    assert calibration.file in str(raised.value)
    with pytest.raises(CalibrationError):
        calibration.write("mnist_conv", "quick", QUICK)
    with open(calibration.file, encoding="utf-8") as handle:
        assert handle.read() == content
    # Grading goes on, on the fallbacks, and the log says why.
    assert calibration.derived("mnist_conv", load_profile("mnist_conv", "quick"))["wall_seconds"] == 600
    assert says in caplog.text


def test_limits_are_the_stated_multiples_never_below_the_floors(calibration):
    calibration.write("mnist_conv", "quick", QUICK)
    calibration.write("mnist_conv", "full", Figures(7, 20.0, 160.0, 3 * 2**30))
    calibration.write("mnist_conv", "check", CHECK)
    assert calibration.derived("mnist_conv", load_profile("mnist_conv", "quick")) == {
        "wall_seconds": 288, "memory": 4 * 2**30, "stall_seconds": 60,
        "reference_epoch_seconds": 2.0}
    assert calibration.derived("mnist_conv", load_profile("mnist_conv", "full")) == {
        "wall_seconds": 2520, "memory": 12 * 2**30, "stall_seconds": 600,
        "reference_epoch_seconds": 20.0}
    check = calibration.derived("mnist_conv", load_profile("mnist_conv", "check"))
    assert (check["wall_seconds"], check["memory"]) == (60, 2 * 2**30)


def test_an_unknown_epoch_time_leaves_the_stall_limit_to_its_fallback(calibration):
    calibration.write("mnist_conv", "quick", Figures(5, None, 18.0, 2**30))
    assert calibration.derived("mnist_conv", load_profile("mnist_conv", "quick"))["stall_seconds"] == 90
    assert calibration.derived("mnist_conv", load_profile("mnist_conv", "quick"))["wall_seconds"] == 108


def test_uncalibrated_fallbacks_and_a_partial_configured_dict(calibration):
    calibration.uncalibrated_time_limit = {"quick": 300}
    assert calibration.derived("mnist_conv", load_profile("mnist_conv", "quick"))["wall_seconds"] == 300
    assert calibration.derived("mnist_conv", load_profile("mnist_conv", "check"))["wall_seconds"] == 120  # not the largest value
    assert calibration.derived("mnist_conv", load_profile("mnist_conv", "full"))["stall_seconds"] == 900


def test_measure_takes_the_time_and_the_memory_of_the_runs_processes():
    hold = [sys.executable, "-c", "import time\nblock = bytearray(300 * 2**20)\ntime.sleep(0.5)"]
    done, figures = calibrate.measure(lambda: subprocess.run(hold, check=True))
    assert done.returncode == 0 and figures.total_seconds >= 0.5
    assert figures.peak_memory > 300 * 2**20 and figures.epochs == 0 and figures.seconds_per_epoch is None


def test_measure_reads_epochs_and_seconds_per_epoch_from_the_result():
    result = SimpleNamespace(details={"training": {"accuracy": [0.9, 0.99], "seconds_per_epoch": 2.5}})
    assert calibrate.measure(lambda: result)[1].epochs == 2
    assert calibrate.measure(lambda: result)[1].seconds_per_epoch == 2.5


def test_the_reference_is_graded_without_the_old_calibration(calibration, tmp_path):
    calibration.write("mnist_conv", "quick", QUICK)
    config = Config()
    config.Calibration.path = calibration.file
    measuring = Calibration(config=calibrate.uncalibrated(config, str(tmp_path / "empty")))
    assert measuring.derived("mnist_conv", load_profile("mnist_conv", "quick"))["wall_seconds"] == 600
    assert Calibration(config=config).derived("mnist_conv", load_profile("mnist_conv", "quick"))["wall_seconds"] == 288  # left as it was


def test_calibrate_refuses_an_unusable_file_or_no_reference_before_grading(tmp_path, capsys):
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    args = SimpleNamespace(assignment="mnist_conv", profile="quick")
    assert calibrate.run(args, config) == 2
    assert "no reference solution at" in capsys.readouterr().out
    os.makedirs(tmp_path / "solutions")
    (tmp_path / "solutions" / "mnist_conv.ipynb").write_text(json.dumps({"cells": []}))
    os.makedirs(tmp_path / ".autograder")
    (tmp_path / ".autograder" / "calibration.json").write_text("{broken")
    assert calibrate.run(args, config) == 2
    assert "cannot read the calibration file" in capsys.readouterr().out
    assert (tmp_path / ".autograder" / "calibration.json").read_text() == "{broken"


def test_an_honest_slow_run_measured_here_fits_the_limits_derived_from_the_reference(calibration):
    """The reference on quick, idle (7 epochs of 1.6 s, 17 s in all), against an honest notebook
    graded 8/8 with batch_size=1 and a validation split: 11 epochs of 17 s, 201 s in all,
    measured on the same 2 cores while they were shared (README, Limits)."""
    calibration.write("mnist_conv", "quick", Figures(7, 1.6, 17.0, 2**30))
    limits = calibration.derived("mnist_conv", load_profile("mnist_conv", "quick"))
    assert limits["wall_seconds"] > 201 and limits["stall_seconds"] > 17
