"""The tree is the architecture: imports run one way (the contracts in
.importlinter), and the sandboxed side runs with nothing else of the grader."""

import os
import shutil
import subprocess
import sys

from conftest import ROOT

import autograder.sandboxed


def test_every_import_contract_is_kept():
    lint = shutil.which("lint-imports") or os.path.join(os.path.dirname(sys.executable), "lint-imports")
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:]


def test_the_sandboxed_package_imports_alone_as_the_sandbox_has_it(tmp_path):
    shutil.copytree(os.path.dirname(autograder.sandboxed.__file__), tmp_path / "sandboxed")
    probe = ("import sys, sandboxed.runner; "
             "print(sorted(name for name in sys.modules if name.split('.')[0] in ('autograder', 'traitlets')))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_no_module_imports_itself_round_a_cycle():
    import grimp  # import-linter's graph of the package's imports, those inside functions included

    graph = grimp.build_graph("autograder")
    cycles = sorted((importer, imported) for importer in graph.modules
                    for imported in graph.find_modules_directly_imported_by(importer)
                    if graph.chain_exists(importer=imported, imported=importer))
    assert not cycles, cycles


def test_the_sandboxed_run_finds_modules_in_its_package_and_python_only(tmp_path):
    """Started as `python -m sandboxed` with the job folder on its path and not the working folder, which
    in the sandbox is the run's writable output: nothing the student writes there shadows a module."""
    from autograder.isolation.run import RunInIsolation
    from autograder.isolation.sandbox import Unsandboxed

    command, env = RunInIsolation()._command(str(tmp_path / "job"), str(tmp_path / "out"), {}, Unsandboxed())
    assert command[1:3] == ["-m", "sandboxed"] and env["PYTHONPATH"] == str(tmp_path / "job")
    assert env["PYTHONSAFEPATH"] == "1"
