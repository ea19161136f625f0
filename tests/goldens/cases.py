"""The golden cases: each a submission graded once for real by record.py, then replayed by
tests/test_goldens.py. A case says how its notebook is made and graded; its expectation stays
with the test it came from (the tables of test_mnist_conv_grading.py, test_conv_basics.py,
test_fashion_cnn.py; tests/adversarial/expected.json; full marks for the honest corpus).
"""

import os
from collections.abc import Callable
from dataclasses import dataclass

import test_adversarial
import test_conv_basics
import test_fashion_cnn
import test_honest
import test_mnist_conv_grading
from conftest import CORPUS, function_cell, write_variant
from goldens.golden import GOLDENS


@dataclass(frozen=True)
class Case:
    group: str  # the test it replaces, and its folder under tests/goldens
    name: str
    notebook: Callable  # (a folder to write in: pathlib.Path) -> the path of the notebook to grade
    assignment: str = None  # --assignment, where the old test gave it
    config: str = "course"  # "course": the course's nbgrader_config.py; "tight": test_adversarial's
    models: str = "configuration"  # how the trained models are kept (see golden.MODEL_FORMS)

    @property
    def id(self):
        return f"{self.group}/{self.name}"

    @property
    def folder(self):
        return GOLDENS / self.group / self.name


def adversarial(name):
    return Case("adversarial", name, lambda folder: os.path.join(CORPUS, f"{name}.ipynb"), "mnist_conv", "tight")


def honest(name):
    return Case("honest", name, lambda folder: os.path.join(test_honest.HONEST, f"{name}.ipynb"), "mnist_conv")


def wrong_mnist_conv(name):
    """The reference with one mistake, its call cell made a trap (the grader never runs it)."""
    def notebook(folder):
        replacements, _ = test_mnist_conv_grading.WRONG_SUBMISSIONS[name]
        variant = write_variant(folder / f"{name}.ipynb", *replacements)
        return write_variant(variant, test_mnist_conv_grading.TRAP, cell=test_mnist_conv_grading.call_cell,
                             solution=variant)
    return Case("mnist_conv_wrong", name, notebook)


def mnist_conv_pitfall(name):
    def notebook(folder):
        return write_variant(folder / f"{name}.ipynb", test_mnist_conv_grading.PITFALLS[name][0])
    return Case("mnist_conv_pitfalls", name, notebook)


def wrong_conv_basics(name):
    def notebook(folder):
        cell, replacement, _, _ = test_conv_basics.WRONG_SUBMISSIONS[name]
        return write_variant(folder / f"{name}.ipynb", replacement, cell=cell, solution=test_conv_basics.SOLUTION)
    return Case("conv_basics", name, notebook)


def slow_conv_basics(folder):
    """convolve and max_pool in pure Python loops."""
    basics = test_conv_basics
    path = write_variant(folder / "slow.ipynb", (basics.CONVOLVE_SOURCE, basics.SLOW_CONVOLVE), cell=basics.CONVOLVE,
                         solution=basics.SOLUTION)
    return write_variant(path, (basics.MAX_POOL_SOURCE, basics.SLOW_MAX_POOL), cell=basics.MAX_POOL, solution=path)


def unscaled_activations(folder):
    """layer_activations feeds the model raw 0-255 pixels."""
    prepared = test_fashion_cnn.PREPARED
    return write_variant(folder / "unscaled.ipynb", (prepared, prepared.replace(" / 255.0", "")),
                         cell=function_cell("layer_activations"), solution=test_fashion_cnn.SOLUTION)


CASES = (
    [adversarial(name) for name, expected in sorted(test_adversarial.EXPECTED.items()) if expected.get("golden")]
    + [honest(name) for name in test_honest.CASES if name not in test_honest.END_TO_END]
    + [wrong_mnist_conv(name) for name in sorted(test_mnist_conv_grading.WRONG_SUBMISSIONS)]
    + [mnist_conv_pitfall(name) for name in sorted(test_mnist_conv_grading.PITFALLS)]
    + [wrong_conv_basics(name) for name in sorted(test_conv_basics.WRONG_SUBMISSIONS)]
    + [Case("conv_basics", "slow_pure_python_loops", slow_conv_basics)]
    # Its model's weights are kept (1 MB): the check of the activations computes with them. The other wrong
    # fashion_cnn submission (one convolution: a 5 MB model, measured against the dense baseline) stays end to end.
    + [Case("fashion_cnn", "unscaled_activations", unscaled_activations, models="weights")]
)
BY_ID = {case.id: case for case in CASES}
