"""`python -m autograder doctor`: each check passes where its part works and fails, with a fix, where it does not."""

import gzip
import json
import re
import sys
from argparse import Namespace

import pytest
from conftest import ROOT, run_autograder
from nbgrader.api import Gradebook
from traitlets.config import Config

from autograder.apps import doctor as doctor_app
from autograder.classroom import doctor
from autograder.datasets.mnist import MnistData
from autograder.isolation import limits


def config(**sections):
    """A Config from {"Section": {"trait": value}}."""
    made = Config()
    for section, values in sections.items():
        for name, value in values.items():
            setattr(made[section], name, value)
    return made


def fake_probe(monkeypatch, code):
    """The GPU probe replaced by a Python one-liner (the real one is run by the CLI test)."""
    monkeypatch.setattr(doctor, "PROBE", [sys.executable, "-c", code])


@pytest.mark.sandbox
def test_sandbox_runs_and_shows_no_gpu_device():
    check = doctor.sandbox(Config())
    assert check.ok and not check.fix, check
    assert "sees no GPU device" in check.message


def test_sandbox_fails_without_bwrap(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap there
    check = doctor.sandbox(Config())
    assert not check.ok
    assert "apt-get install bubblewrap" in check.fix


def test_no_sandbox_is_a_warning():
    check = doctor.sandbox(config(RunInIsolation={"sandbox": "none"}))
    assert check.ok and "sandbox = 'bwrap'" in check.fix


def test_cgroup_limits_are_joined_or_a_warning_says_rlimits(monkeypatch):
    check = doctor.cgroup_limits(Config())
    assert check.ok, check
    monkeypatch.setattr(limits, "cgroup_dirs", lambda name: {})
    check = doctor.cgroup_limits(Config())
    assert check.ok and "RLIMIT_DATA" in check.message and check.fix


@pytest.mark.usefixtures("mnist_path", "ascent_path")
def test_each_data_set_is_verified():
    for cls in doctor.datasets():
        check = doctor.data_check(cls)(Config())
        assert check.ok and not check.fix, (cls, check)


def test_missing_or_wrong_data_fails_with_the_option_to_set(tmp_path):
    check = doctor.data_check(MnistData)(config(MnistData={"path": str(tmp_path / "missing.npz")}))
    assert not check.ok and "No MNIST file" in check.message and "c.MnistData.path" in check.fix
    fashion = next(cls for cls in doctor.datasets() if cls.__name__ == "FashionMnistData")
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        with gzip.open(tmp_path / name, "wb") as handle:
            handle.write(b"\0" * 100)
    check = doctor.data_check(fashion)(config(FashionMnistData={"folder": str(tmp_path)}))
    assert not check.ok and "c.FashionMnistData.folder" in check.fix


def test_course_needs_a_source_folder_and_a_readable_gradebook(tmp_path, monkeypatch):
    course = config(CourseDirectory={"root": str(tmp_path)})
    check = doctor.course(course)
    assert not check.ok and "no source/ folder" in check.message and "--config" in check.fix
    (tmp_path / "source" / "mnist_conv").mkdir(parents=True)
    check = doctor.course(course)
    assert check.ok and "no gradebook yet" in check.message and "nbgrader" in check.fix
    with Gradebook(f"sqlite:///{tmp_path}/gradebook.db") as gradebook:
        gradebook.add_student("ada")
    check = doctor.course(course)
    assert check.ok and not check.fix and "mnist_conv" in check.message and "1 students" in check.message
    (tmp_path / "gradebook.db").write_bytes(b"not a database" * 100)
    check = doctor.course(course)
    assert not check.ok and "cannot be opened" in check.message and "db_url" in check.fix
    monkeypatch.chdir(tmp_path)  # the same folder, but no configuration read: nbgrader takes the current folder
    check = doctor.course(Config())
    assert check.ok and "no nbgrader_config.py was read" in check.message and "--config" in check.fix


def test_exchange_missing_is_a_warning_present_passes(tmp_path):
    root = tmp_path / "exchange"
    check = doctor.exchange(config(Exchange={"root": str(root)}))
    assert check.ok and f"mkdir -p {root}" in check.fix
    root.mkdir()
    check = doctor.exchange(config(Exchange={"root": str(root)}))
    assert check.ok and not check.fix


def test_gpu_probe_runs_in_the_trainers_environment_and_cgroup(monkeypatch):
    # Started as a grading starts the trainer: its environment (TF_FORCE_GPU_ALLOW_GROWTH) and a run's cgroup.
    fake_probe(monkeypatch, "import json, os, sys; "
               "assert os.environ['TF_FORCE_GPU_ALLOW_GROWTH'] == 'true'; "
               "assert sys.argv[1] == str(2**30); "
               "cgroups = open('/proc/self/cgroup').read(); "
               "print(json.dumps({'backend': 'jax', 'device': 'NVIDIA H100 80GB HBM3' if 'doctor-gpu' in cgroups "
               "else None, 'result': 1.0}))")
    monkeypatch.setattr(doctor, "driver_present", lambda: False)
    probe = doctor.limiter(Config(), "cgroup-test")
    probe.close()
    if not probe.uses_cgroups:
        pytest.skip("no writable cgroup here")
    check = doctor.gpu(config(RunInIsolation={"gpu_memory_limit": 2**30}))
    assert check.ok and not check.fix, check
    assert check.message == "the trainer computes on NVIDIA H100 80GB HBM3 (jax, at most 1.0 GiB of it per run)"


def test_gpu_absent_is_a_warning_unless_a_driver_is_there(monkeypatch):
    fake_probe(monkeypatch, "print('{\"backend\": \"tensorflow\", \"device\": null, \"result\": 1.0}')")
    monkeypatch.setattr(doctor, "driver_present", lambda: False)
    check = doctor.gpu(Config())
    assert check.ok and check.message == "no GPU: grading runs on the CPU"
    monkeypatch.setattr(doctor, "driver_present", lambda: True)  # a card the CPU build of TensorFlow cannot use
    check = doctor.gpu(Config())
    assert not check.ok and "tensorflow[and-cuda]" in check.fix


def test_gpu_probe_that_cannot_compute_fails(monkeypatch):
    fake_probe(monkeypatch, "import sys; sys.exit('ModuleNotFoundError: No module named keras')")
    check = doctor.gpu(Config())
    assert not check.ok and "No module named keras" in check.message and "make install" in check.fix


def test_a_check_that_breaks_is_its_own_failure_only():
    def broken(config):
        raise KeyError("surprise")
    check = doctor.guarded(broken, Config())
    assert not check.ok and "KeyError" in check.message


@pytest.mark.sandbox
@pytest.mark.usefixtures("mnist_path", "ascent_path")
def test_doctor_passes_here_and_names_the_gpu_or_its_absence():
    """On a machine without a GPU, the warning that grading runs on the CPU; with one (and TensorFlow's
    CUDA libraries, as `make install` puts them there), the device the trainer computed on."""
    done = run_autograder("doctor", cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "✔ sandbox" in done.stdout and "✔ data: MnistData" in done.stdout
    assert re.search(r"^  (! GPU: no GPU: grading runs on the CPU|✔ GPU: the trainer computes on \S.* \(\w+)",
                     done.stdout, re.M), done.stdout


def test_exit_status_and_json_follow_the_failures(monkeypatch, capsys):
    found = [("sandbox", doctor.Check(True, "fine", "")), ("GPU", doctor.Check(True, "no GPU: grading runs on the CPU",
                                                                                "make install"))]
    monkeypatch.setattr(doctor, "run_checks", lambda config: found)  # the app imports it when it runs
    assert doctor_app.run(Namespace(json=True), Config()) == 0
    assert json.loads(capsys.readouterr().out)["checks"][1] == {"name": "GPU", "ok": True, "message": found[1][1].message,
                                                                "fix": "make install"}
    found.append(("exchange", doctor.Check(False, "not writable", "chmod ugo+rw /x")))
    assert doctor_app.run(Namespace(json=False), Config()) == 1
    assert "Cannot grade until these are fixed: exchange." in capsys.readouterr().out
