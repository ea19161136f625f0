"""`nbgrader autograde` on a course folder: grades land in the gradebook, one per check."""

import os
import subprocess

import nbformat

from conftest import CHECK_NAMES, CORPUS, SOLUTION, gradebook_rows, submit, write_variant


def nbgrader(course, *args):
    done = subprocess.run(["nbgrader", *args], cwd=course, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done


FULL = {"single_conv2d": 1, "single_maxpooling2d": 1, "reaches_target": 2, "within_epoch_limit": 1,
        "stops_at_target": 2, "prints_stop_message": 1}


def test_autograde_records_a_grade_for_every_check_of_every_submission(course, tmp_path):
    nbgrader(course, "generate_assignment", "mnist_conv", "--force")
    crash = ("x_train, y_train = load_training_data()", 'raise ValueError("no data for you")')
    submissions = {
        "alice": SOLUTION,
        "bob": write_variant(tmp_path / "crash.ipynb", crash),
        "carol": os.path.join(CORPUS, "malformed_json.ipynb"),
        "dave": os.path.join(CORPUS, "deleted_grade_cell.ipynb"),
        "erin": os.path.join(CORPUS, "edited_grade_cell.ipynb"),
        "frank": os.path.join(CORPUS, "os_exit.ipynb"),
        "grace": os.path.join(CORPUS, "non_utf8_bytes.ipynb"),
    }
    for student, notebook in submissions.items():
        submit(course, student, notebook)
    done = nbgrader(course, "autograde", "mnist_conv", "--create")
    assert "CellTimeoutError" not in done.stdout + done.stderr

    scores = gradebook_rows(course)
    assert sorted(scores) == sorted(submissions)
    for student, grades in scores.items():
        assert sorted(grades) == sorted(CHECK_NAMES), student
        assert not any(manual or score is None for score, manual in grades.values()), (student, grades)
    for student in ("alice", "erin"):  # erin's edited grade cell is restored from the gradebook
        assert {name: score for name, (score, _) in scores[student].items()} == FULL, student
    for student in ("bob", "carol", "frank", "grace"):
        assert all(score == 0 for score, _ in scores[student].values()), student
    assert scores["dave"]["single_conv2d"][0] == 1  # graded, though a grade cell was deleted

    assert len(reasons(course, "bob")) == 6
    assert all("ValueError" in reason and "no data for you" in reason for reason in reasons(course, "bob"))
    assert all("not a valid notebook" in reason for reason in reasons(course, "carol"))
    assert all("not UTF-8" in reason for reason in reasons(course, "grace"))
    handed_in = course / "submitted" / "carol" / "mnist_conv" / "mnist_conv.ipynb"
    assert handed_in.read_bytes() == open(submissions["carol"], "rb").read()  # left as handed in
    assert_no_hidden_tests(open(os.path.join(course, "autograded", "alice", "mnist_conv", "mnist_conv.ipynb")).read())
    check_feedback(course)


def assert_no_hidden_tests(text):
    assert "BEGIN HIDDEN TESTS" not in text and "Graded outside this notebook" not in text


def check_feedback(course):
    """The feedback page: every check explained, the training curve, the layer table, no hidden tests."""
    nbgrader(course, "generate_feedback", "mnist_conv")
    page = (course / "feedback" / "alice" / "mnist_conv" / "mnist_conv.html").read_text()
    assert_no_hidden_tests(page)
    assert "Autograder: 8 / 8" in page and "what is checked" in page
    for name in CHECK_NAMES:
        assert f"<code>{name}</code>" in page
    assert "training reaches the target within 20 epochs" in page  # the plain-language expectation
    assert page.count("data:image/png;base64,") == 1  # the training curve
    assert "Conv2D" in page and "(None, 26, 26, 64)" in page  # the layer table with output shapes
    crashed = (course / "feedback" / "bob" / "mnist_conv" / "mnist_conv.html").read_text()
    assert "Autograder: 0 / 8" in crashed and "no data for you" in crashed


def reasons(course, student):
    """The error messages autograde wrote into a submission's grade cells."""
    autograded = nbformat.read(os.path.join(course, "autograded", student, "mnist_conv", "mnist_conv.ipynb"), 4)
    return [out.evalue for cell in autograded.cells for out in cell.get("outputs", []) if out.output_type == "error"]


def test_scores_command_prints_the_gradebook(course):
    nbgrader(course, "generate_assignment", "mnist_conv", "--force")
    done = subprocess.run(["python", "-m", "autograder", "scores", "mnist_conv"], cwd=course,
                          capture_output=True, text=True)
    assert done.returncode == 0 and "no submissions graded yet" in done.stdout
