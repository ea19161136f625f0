"""The reference solution's figures on this machine, and the run limits derived from them.

`python -m autograder calibrate ASSIGNMENT` grades the reference solution and
keeps, per profile ('quick', 'full', and 'check' for the self-check), the
epochs it trained, its seconds per epoch, its total seconds and its peak
memory, in one JSON file under the course root (`c.Calibration.path`):

    {"mnist_conv": {"quick": {"epochs": 7, "seconds_per_epoch": 2.8, "total_seconds": 33.8,
                              "peak_memory": 766771200, "measured": "2026-..."}}}

A run's wall-time, memory and stall limits are multiples of these figures,
never below a floor (the traits below); an assignment or profile not
calibrated gets the documented fallbacks. `RunInIsolation.limits_for` is the one place that combines them
with the limits configured explicitly, which win.

Example:

    >>> import os, tempfile
    >>> from autograder.assignments import load_profile
    >>> from autograder.isolation.calibration import Calibration, Figures
    >>> course = tempfile.mkdtemp()  # the course root
    >>> calibration = Calibration(path=os.path.join(course, ".autograder", "calibration.json"))
    >>> calibration.write("mnist_conv", "quick", Figures(5, 2.0, 18.0, 2**30))
    >>> calibration.derived("mnist_conv", load_profile("mnist_conv", "quick"))["wall_seconds"]
    288
"""

import json
import math
import os
import time
from dataclasses import asdict, dataclass, fields

from traitlets import Dict, Float, Integer, Unicode
from traitlets.config import LoggingConfigurable

from autograder.errors import CalibrationError

# Without calibration, by profile; a configured dict overrides only the profiles it names.


@dataclass(frozen=True)
class Figures:
    """What grading the reference cost on one profile (a self-check trains nothing: 0 epochs)."""

    epochs: int
    seconds_per_epoch: float  # None when nothing was trained (the stall limit then falls back)
    total_seconds: float
    peak_memory: int  # bytes: resident memory of the run's largest process (getrusage's children's maxrss)
    measured: str = ""  # when (UTC), for the instructor

    @classmethod
    def from_json(cls, data, where):
        """Figures from the file's entry `data`, or CalibrationError naming `where`."""
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or not names - {"measured"} <= set(data):
            raise CalibrationError(f"{where}: expected an object with {', '.join(sorted(names))}")
        if isinstance(data["epochs"], bool) or not isinstance(data["epochs"], int) or data["epochs"] < 0:
            raise CalibrationError(f"{where}: epochs must be a whole number, not {data['epochs']!r}")
        for name in ("total_seconds", "peak_memory") + (("seconds_per_epoch",) if data["seconds_per_epoch"] else ()):
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise CalibrationError(f"{where}: {name} must be a positive number, not {value!r}")
        return cls(**{name: data[name] for name in names if name in data})


def course_root(config):
    """nbgrader's course root as configured (c.CourseDirectory.root), else the current folder, as nbgrader does."""
    return config.CourseDirectory.get("root") or os.getcwd()


class Calibration(LoggingConfigurable):
    """The calibration file, and how limits derive from it."""

    path = Unicode(
        ".autograder/calibration.json",
        help="File of the reference's figures written by `python -m autograder calibrate`, relative to the course "
        "root (c.CourseDirectory.root).",
    ).tag(config=True)

    wall_multiple = Float(6.0, help="Wall-time limit of a run: this many times the reference's run stretched to "
                          "wall_epochs epochs (its fixed part plus that many of its epochs), never below wall_floor: "
                          "room for a model slower per epoch than the reference, on a busier machine.").tag(config=True)
    wall_epochs = Integer(20, help="Epochs the wall-time limit makes room for: the exercise's epoch limit "
                          "(mnist_conv allows 20), so a student who trains them all is not cut off.").tag(config=True)
    wall_floor = Integer(60, help="Seconds: the smallest wall-time limit derived from the calibration.").tag(
        config=True)
    memory_multiple = Float(4.0, help="Memory limit of a run: this many times the reference's peak memory (its "
                            "largest process; the limit binds runner and trainer together), never below "
                            "memory_floor.").tag(config=True)
    memory_floor = Integer(2 * 2**30, help="Bytes: the smallest memory limit derived from the calibration.").tag(
        config=True)
    stall_multiple = Float(30.0, help="A run is stopped when, during a fit, no epoch has ended for this many times "
                           "the reference's seconds per epoch (never below stall_floor): a callback that never "
                           "returns holds the trainer; an honest epoch of batch size 1 is ~10 times the "
                           "reference's.").tag(config=True)
    stall_floor = Integer(30, help="Seconds: the shortest stall the watchdog stops a run for.").tag(config=True)

    uncalibrated_time_limit = Dict(
        {}, help="Wall-clock seconds by profile name for an assignment not calibrated on this machine; a profile "
        "not named here gets its spec's `uncalibrated_seconds`.",
    ).tag(config=True)
    uncalibrated_memory_limit = Integer(
        6 * 2**30, help="Bytes of memory for an assignment not calibrated on this machine.").tag(config=True)
    uncalibrated_stall_limit = Dict(
        {}, help="Seconds without an epoch ending, during a fit, before the watchdog stops a run of an assignment not "
        "calibrated on this machine, by profile name; a profile not named here gets its spec's "
        "`uncalibrated_stall_seconds`.",
    ).tag(config=True)

    @property
    def file(self):
        return os.path.join(course_root(self.config), self.path)

    def read(self):
        """{assignment: {profile: Figures}}; {} when there is no file. CalibrationError when it is unusable."""
        try:
            with open(self.file, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CalibrationError(f"cannot read the calibration file {self.file} ({error}); remove it and run "
                                   "`python -m autograder calibrate ASSIGNMENT` again") from None
        if not isinstance(data, dict) or not all(isinstance(entry, dict) for entry in data.values()):
            raise CalibrationError(f"{self.file} is not a calibration file (expected {{assignment: {{profile: "
                                   "figures}}}}); remove it and run `python -m autograder calibrate ASSIGNMENT` again")
        return {assignment: {profile: Figures.from_json(figures, f"{self.file}: {assignment}, {profile}")
                             for profile, figures in profiles.items()} for assignment, profiles in data.items()}

    def figures(self, assignment, profile):
        """The Figures of `assignment` on `profile`, or None when not calibrated."""
        return self.read().get(assignment, {}).get(profile)

    def write(self, assignment, profile, figures):
        """Keeps `figures`, replacing that assignment and profile's; other entries are kept. A file that cannot
        be read raises CalibrationError and is left as it was."""
        data = {name: {key: asdict(value) for key, value in profiles.items()} for name, profiles in self.read().items()}
        data.setdefault(assignment, {})[profile] = asdict(figures)
        os.makedirs(os.path.dirname(os.path.abspath(self.file)), exist_ok=True)
        partial = f"{self.file}.{os.getpid()}.tmp"
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.replace(partial, self.file)  # a grading reading meanwhile sees the old file or the new, never half

    def derived(self, assignment, profile):
        """The default limits of a run of `assignment` on `profile` (a spec's `Profile`; `SELF_CHECK`):
        {"wall_seconds", "memory", "stall_seconds", "reference_epoch_seconds"}. From the
        calibration; the fallbacks when there is none, or when the file is unusable (said in the log)."""
        try:
            figures = self.figures(assignment, profile.name)
        except CalibrationError as error:
            self.log.warning("Limits fall back to the uncalibrated ones: %s", error)
            figures = None
        stall = self.uncalibrated_stall_limit.get(profile.name, profile.uncalibrated_stall_seconds)
        if figures is None:
            wall = self.uncalibrated_time_limit.get(profile.name, profile.uncalibrated_seconds)
            return {"wall_seconds": wall, "memory": self.uncalibrated_memory_limit, "stall_seconds": stall,
                    "reference_epoch_seconds": None}
        epoch = figures.seconds_per_epoch
        return {"wall_seconds": max(self.wall_floor, round(self.wall_multiple * self.allowed_seconds(figures))),
                "memory": max(self.memory_floor, round(self.memory_multiple * figures.peak_memory)),
                "stall_seconds": max(self.stall_floor, round(self.stall_multiple * epoch)) if epoch else stall,
                "reference_epoch_seconds": epoch}

    def allowed_seconds(self, figures):
        """The reference's run stretched to `wall_epochs` epochs: its fixed part (start-up, data,
        checks) plus that many of its epochs; its total when it has no epochs (a self-check)."""
        if not figures.seconds_per_epoch:
            return figures.total_seconds
        fixed = max(0.0, figures.total_seconds - figures.epochs * figures.seconds_per_epoch)
        return fixed + max(self.wall_epochs, figures.epochs) * figures.seconds_per_epoch



def utc_timestamp():
    """Now, as the text a calibration file keeps: 2026-12-03T10:00:00Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
