"""`nbgrader autograde` on a course folder: grades land in the gradebook, one per check;
`generate_feedback` makes the pages a student reads, checked in Chromium, whose
screenshots stay in test-artifacts/feedback/."""

import os
import re
import shutil
import subprocess

import nbformat
import pytest

from conftest import (ARTIFACTS, CHECK_NAMES, CHROMIUM, CHROMIUM_ARGS, CORPUS, SOLUTION, gradebook_rows, submit,
                      write_variant)


def nbgrader(course, *args):
    done = subprocess.run(["nbgrader", *args], cwd=course, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done


FULL = {"single_conv2d": 1, "single_maxpooling2d": 1, "reaches_target": 2, "within_epoch_limit": 1,
        "stops_at_target": 2, "prints_stop_message": 1}
BOB_LOST = {"reaches_target": 0, "within_epoch_limit": 0, "stops_at_target": 0, "prints_stop_message": 0}
HINT = "must sit inside the"  # the stop_outside_if pitfall's hint
FEEDBACK_ARTIFACTS = os.path.join(ARTIFACTS, "feedback")


def test_autograde_records_a_grade_for_every_check_of_every_submission(course, tmp_path):
    nbgrader(course, "generate_assignment", "mnist_conv", "--force")
    # The lesson's classic slip: training stops after epoch 1, whatever the accuracy.
    stop_outside_if = ("            self.model.stop_training = True", "        self.model.stop_training = True")
    submissions = {
        "alice": SOLUTION,
        "bob": write_variant(tmp_path / "stop_outside_if.ipynb", stop_outside_if),
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
    for student in ("carol", "frank", "grace"):
        assert all(score == 0 for score, _ in scores[student].values()), student
    assert {name: score for name, (score, _) in scores["bob"].items()} == {**FULL, **BOB_LOST}
    assert scores["dave"]["single_conv2d"][0] == 1  # graded, though a grade cell was deleted

    assert len(reasons(course, "bob")) == len(BOB_LOST)
    assert sum(HINT in reason for reason in reasons(course, "bob")) == 1  # on stops_at_target; the others point to it
    assert all("not a valid notebook" in reason for reason in reasons(course, "carol"))
    assert all("not UTF-8" in reason for reason in reasons(course, "grace"))
    handed_in = course / "submitted" / "carol" / "mnist_conv" / "mnist_conv.ipynb"
    assert handed_in.read_bytes() == open(submissions["carol"], "rb").read()  # left as handed in
    assert_no_hidden_tests(open(os.path.join(course, "autograded", "alice", "mnist_conv", "mnist_conv.ipynb")).read())
    check_feedback(course)


def assert_no_hidden_tests(text):
    assert "BEGIN HIDDEN TESTS" not in text and "Graded outside this notebook" not in text


def check_feedback(course):
    """The feedback page: every check explained, the training curve, the layer table, no hidden tests;
    then both pages as a student sees them, in Chromium."""
    nbgrader(course, "generate_feedback", "mnist_conv")
    passing, failing = (course / "feedback" / name / "mnist_conv" / "mnist_conv.html" for name in ("alice", "bob"))
    page = passing.read_text()
    assert_no_hidden_tests(page)
    assert "Autograder: 8 / 8" in page and "what is checked" in page
    for name in CHECK_NAMES:
        assert f"<code>{name}</code>" in page
    assert "training reaches the target within 20 epochs" in page  # the plain-language expectation
    assert page.count("data:image/png;base64,") == 1  # the training curve
    assert "Conv2D" in page and "(None, 26, 26, 64)" in page  # the layer table with output shapes
    assert "Autograder: 2 / 8" in failing.read_text()
    check_in_chromium({"passing": passing, "failing": failing})


def check_in_chromium(pages):
    """Each page as a student reads it, in a browser window as wide as a laptop's: a full-page screenshot
    in test-artifacts/feedback/NAME-feedback.png, and what must be seen there."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"feedback pages not checked in a browser: no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api", reason="feedback pages not checked in a browser")
    shutil.rmtree(FEEDBACK_ARTIFACTS, ignore_errors=True)
    os.makedirs(FEEDBACK_ARTIFACTS)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(viewport={"width": 1280, "height": 900})
            for name, path in pages.items():
                page.goto(path.as_uri())
                page.screenshot(path=os.path.join(FEEDBACK_ARTIFACTS, f"{name}-feedback.png"), full_page=True)
                seen_by_the_student(page, failing=name == "failing")
        finally:
            chromium.close()


def seen_by_the_student(page, failing):
    text = page.inner_text("body")
    assert "A shortened grading" in text  # graded on quick, and the page says so
    assert "Test cell" not in text and "Out[" not in text
    assert re.findall(r"Check (\w+) \(Score", text) == CHECK_NAMES  # nbgrader's contents, each check named
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    too_wide = page.evaluate("""[...document.querySelectorAll('pre, .output_subarea, table')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText.slice(0, 80))""")
    assert not too_wide, f"scrolls sideways: {too_wide}"
    images = page.locator("img")
    assert images.count() == 1 and images.first.get_attribute("alt").startswith("Line chart of the training accuracy")
    rows = page.locator("table.autograder tr", has_text=HINT)
    cells = page.locator(".output_error", has_text=HINT)
    if failing:  # the hint once in the report and once among the grade cells: both on the check it explains
        assert rows.count() == 1 and rows.first.locator("td").first.inner_text().endswith("stops_at_target")
        assert cells.count() == 1 and page.locator("div.cell", has=cells).locator(".nbgrader-label").inner_text() \
            == "Grade cell: stops_at_target"
        assert page.locator("table.autograder tr", has_text="See the hint under stops_at_target").count() == 3
    else:
        assert rows.count() == cells.count() == 0
        assert "✔ Passed, 2 / 2 points" in text and "✘" not in text


def reasons(course, student):
    """The error messages autograde wrote into a submission's grade cells."""
    autograded = nbformat.read(os.path.join(course, "autograded", student, "mnist_conv", "mnist_conv.ipynb"), 4)
    return [out.evalue for cell in autograded.cells for out in cell.get("outputs", []) if out.output_type == "error"]


def test_scores_command_prints_the_gradebook(course):
    nbgrader(course, "generate_assignment", "mnist_conv", "--force")
    done = subprocess.run(["python", "-m", "autograder", "scores", "mnist_conv"], cwd=course,
                          capture_output=True, text=True)
    assert done.returncode == 0 and "no submissions graded yet" in done.stdout
