"""Golden tests: gradings saved once by tests/goldens/record.py (`make goldens`), replayed here
through the real evidence stage, checks and score, with no sandbox and no training, and held to
the assertions of the end-to-end tests they replace (see tests/goldens/README.md).
"""

import pytest
import test_adversarial
import test_conv_basics
import test_fashion_cnn
import test_honest
import test_mnist_conv_grading
from goldens import golden
from goldens.cases import CASES

from autograder.grading.load_notebook import load_submission

REGENERATE = "regenerate the goldens: make goldens (tests/goldens/README.md)"


def expect_adversarial(name, result):
    test_adversarial.assert_expected_outcome(test_adversarial.EXPECTED[name], result)


def expect_honest(name, result):
    test_honest.assert_full_marks(result)


def expect_mnist_conv_wrong(name, result):
    test_mnist_conv_grading.assert_loses_exactly(result, test_mnist_conv_grading.WRONG_SUBMISSIONS[name][1])


def expect_mnist_conv_pitfall(name, result):
    _, check, hint, lost = test_mnist_conv_grading.PITFALLS[name]
    test_mnist_conv_grading.assert_targeted_feedback(result, check, hint, lost)


def expect_conv_basics(name, result):
    if name == "slow_pure_python_loops":
        test_conv_basics.assert_slow_loops_get_full_marks(result)
    else:
        _, _, expected_failures, hint = test_conv_basics.WRONG_SUBMISSIONS[name]
        test_conv_basics.assert_loses_exactly(result, expected_failures, hint)


def expect_fashion_cnn(name, result):
    assert name == "unscaled_activations"
    test_fashion_cnn.assert_activations_of_unscaled_images_lose_only_their_check(result)


EXPECT = {"adversarial": expect_adversarial, "honest": expect_honest, "mnist_conv_wrong": expect_mnist_conv_wrong,
          "mnist_conv_pitfalls": expect_mnist_conv_pitfall, "conv_basics": expect_conv_basics,
          "fashion_cnn": expect_fashion_cnn}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_golden_grading_replays_to_the_expected_verdict(case, mnist_path, ascent_path):
    assert (case.folder / golden.GOLDEN_FILE).exists(), f"no golden for {case.id}: {REGENERATE}"
    EXPECT[case.group](case.name, golden.as_json(golden.replay(case.folder)))


def test_each_golden_was_recorded_from_the_submission_its_case_makes_today(tmp_path):
    """A golden whose notebook changed since (the reference solution, the corpus) is stale."""
    stale = []
    for number, case in enumerate(CASES):
        folder = tmp_path / str(number)
        folder.mkdir()
        saved = golden.load(case.folder)["submission"]
        if load_submission(str(case.notebook(folder))).cells != saved["cells"]:
            stale.append(case.id)
    assert not stale, f"recorded from another notebook than the case makes now: {stale}; {REGENERATE}"


def test_the_goldens_are_exactly_the_cases():
    recorded = {f"{path.parent.parent.name}/{path.parent.name}"
                for path in golden.GOLDENS.glob(f"*/*/{golden.GOLDEN_FILE}")}
    assert recorded == {case.id for case in CASES}, REGENERATE
    # A golden replays the verdict; how long the grading took is not in it.
    assert not [name for name, expected in test_adversarial.EXPECTED.items()
                if expected.get("golden") and "max_seconds" in expected]
    assert not set(test_honest.END_TO_END) & {case.name for case in CASES if case.group == "honest"}
