"""The honest corpus: the reference solution written the other ways students
write it (tests/honest/, one notebook each; see each file's name), each
graded full marks on the quick profile. A grader that rests on its own
training must not punish a validation split, a tf.data pipeline with a
Rescaling layer, numpy integers, a generator, other metric names, batch
normalisation, the functional API, padding, another way of printing, or the
data loaded with Keras' own `mnist.load_data()` (offline in the sandbox) and
normalised with `tf.keras.utils.normalize(x, axis=1)`, as a popular tutorial does.

One variant is graded here end to end; the others are replayed from their saved
gradings in tests/test_goldens.py (see tests/goldens/README.md)."""

import os

import pytest
from conftest import ROOT, grade_json

HONEST = os.path.join(ROOT, "tests", "honest")
CASES = sorted(name[:-6] for name in os.listdir(HONEST) if name.endswith(".ipynb"))
END_TO_END = ["tutorial_load_data_normalize"]  # Keras' own loader, offline in the sandbox: the rest are goldens


@pytest.mark.parametrize("case", END_TO_END)
@pytest.mark.trains
@pytest.mark.usefixtures("mnist_path")
def test_honest_variant_gets_full_marks(case):
    assert_full_marks(grade_json(os.path.join(HONEST, f"{case}.ipynb"), "--assignment", "mnist_conv"))


def assert_full_marks(result):
    assert result["status"] == "graded" and result["score"] == result["max_score"], result["checks"]


def test_the_corpus_has_every_variant_the_issue_names():
    assert len(CASES) >= 10 and set(END_TO_END) <= set(CASES)
