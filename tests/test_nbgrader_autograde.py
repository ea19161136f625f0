"""`nbgrader autograde` on a course folder: grades land in the gradebook, one per check;
`generate_feedback` makes the pages a student reads, checked in Chromium, whose
screenshots stay in test-artifacts/feedback/."""

import os
import re
import shutil
import subprocess

import nbformat
import pytest
from conftest import (
    ARTIFACTS,
    CHECK_NAMES,
    CHROMIUM,
    CHROMIUM_ARGS,
    CORPUS,
    SOLUTION,
    gradebook_rows,
    submit,
    write_variant,
)


def nbgrader(course, *args):
    done = subprocess.run(["nbgrader", *args], cwd=course, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done


FULL = {"single_conv2d": 1, "single_maxpooling2d": 1, "reaches_target": 2, "within_epoch_limit": 1,
        "stops_at_target": 2, "prints_stop_message": 1}
BOB_LOST = {"reaches_target": 0, "within_epoch_limit": 0, "stops_at_target": 0, "prints_stop_message": 0}
HINT = "must sit inside the"  # the stop_outside_if pitfall's hint
FEEDBACK_ARTIFACTS = os.path.join(ARTIFACTS, "feedback")

pytestmark = pytest.mark.nbgrader_cli  # each test starts a course with `nbgrader generate_assignment`


@pytest.mark.trains
@pytest.mark.browser
@pytest.mark.usefixtures("mnist_path")
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
    for student in ("alice", "dave", "erin"):  # dave's deleted grade cell is put back, erin's edited one restored
        assert {name: score for name, (score, _) in scores[student].items()} == FULL, student
    for student in ("carol", "frank", "grace"):
        assert all(score == 0 for score, _ in scores[student].values()), student
    assert {name: score for name, (score, _) in scores["bob"].items()} == {**FULL, **BOB_LOST}

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


# --- recording in the grader's own process, as `nbgrader autograde` would ---------------------------------------

LATE = "2026-11-30 10:00:00.000000 UTC"  # after the due date set below: nbgrader's late penalty applies


def hand_built_results():
    """{student: GradeResult}: full marks, a crash, one check lost (no training: recording is what is tested)."""
    from autograder.assignments import load_spec
    from autograder.grading.score import CheckResult, GradeResult, expectations, failed_result

    spec = load_spec("mnist_conv")
    details = {"assignment": "mnist_conv", "expects": expectations(spec), "figures": []}
    full = GradeResult("graded", spec.max_score, spec.max_score, 3, 0.99,
                       [CheckResult(check.name, True, float(check.points), float(check.points), "fine")
                        for check in spec.checks], details)
    lost = GradeResult("graded", spec.max_score - 2, spec.max_score, 3, 0.99,
                       [CheckResult(check.name, check.name != "stops_at_target",
                                    0.0 if check.name == "stops_at_target" else float(check.points),
                                    float(check.points), "fine") for check in spec.checks], details)
    return {"alice": full, "bob": failed_result(spec, "error", "ValueError: no data for you"), "carol": lost,
            "dave": full, "erin": lost}


def hand_in_batch(course):
    """The class recorded below: readable, broken, a deleted grade cell, an edited one, a late one."""
    submit(course, "alice", SOLUTION)
    submit(course, "bob", os.path.join(CORPUS, "malformed_json.ipynb"))
    submit(course, "carol", os.path.join(CORPUS, "deleted_grade_cell.ipynb"))
    submit(course, "dave", os.path.join(CORPUS, "edited_grade_cell.ipynb"))
    submit(course, "erin", SOLUTION, stamp=LATE)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')


def due_date(db_url):
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        gradebook.update_or_create_assignment("mnist_conv", duedate="2026-11-28 00:00:00 UTC")


def gradebook_state(db_url, course):
    """Everything autograde leaves behind, as plain data: per student the submission's timestamp and
    penalty, each grade and comment, and the autograded notebook's cells."""
    from nbgrader.api import Gradebook

    state = {}
    with Gradebook(db_url) as gradebook:
        for submission in gradebook.find_assignment("mnist_conv").submissions:
            notebook = submission.notebooks[0]
            autograded = nbformat.read(course / "autograded" / submission.student.id / "mnist_conv" /
                                       "mnist_conv.ipynb", 4)
            state[submission.student.id] = {
                "timestamp": submission.timestamp, "penalty": notebook.late_submission_penalty,
                "score": submission.score,
                "grades": {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in notebook.grades},
                "comments": {c.name: c.auto_comment for c in notebook.comments},
                "cells": [(cell.cell_type, cell.source, cell.metadata, cell.get("outputs")) for cell in autograded.cells],
                "files": sorted(os.listdir(course / "autograded" / submission.student.id / "mnist_conv"))}
    return state


def course_config(course):
    from autograder.settings import load_config

    return load_config(str(course / "nbgrader_config.py"))


def record_in_process(course, config, results):
    from autograder.gradebook.recording import GradebookRecorder

    with GradebookRecorder(config=config) as recorder:
        for student, result in results.items():
            recorder.record("mnist_conv", student, result)


def test_recording_in_process_leaves_what_nbgrader_autograde_leaves(course, tmp_path, monkeypatch):
    """nbgrader's own Autograde converter (grading stubbed with the same results) on one copy of the
    course, the in-process recorder on another: the gradebooks and autograded folders are the same."""
    import shutil

    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from autograder.grading.pipeline import Grader

    nbgrader(course, "generate_assignment", "mnist_conv", "--force")
    hand_in_batch(course)
    due_date(f"sqlite:///{course}/gradebook.db")
    other = shutil.copytree(course, tmp_path / "other")
    results = hand_built_results()

    monkeypatch.setattr(Grader, "grade", lambda self, nb, assignment=None, name=None: results[name.split("/")[0]])
    config = course_config(course)
    for student in results:
        coursedir = CourseDirectory(config=config, assignment_id="mnist_conv", student_id=student)
        Autograde(coursedir=coursedir, config=config, force=True).start()
    record_in_process(other, course_config(other), results)

    expected, got = gradebook_state(f"sqlite:///{course}/gradebook.db", course), \
        gradebook_state(f"sqlite:///{other}/gradebook.db", other)
    assert sorted(got) == sorted(results)
    for student in results:
        assert got[student] == expected[student], student
    assert got["erin"]["penalty"] == 6 and got["alice"]["penalty"] is None  # late: nbgrader's "zero" method
    assert got["carol"]["grades"]["single_conv2d"][0] == 1  # the deleted grade cell is graded


def test_autograde_by_hand_with_a_grader_failure_shows_not_graded(course, tmp_path):
    """`nbgrader autograde` with no MNIST copy: nbgrader fails the student, and `scores` says
    "not graded" with the reason instead of 0/8 as if graded."""
    nbgrader(course, "generate_assignment", "mnist_conv", "--force")
    submit(course, "alice", SOLUTION)
    env = {**os.environ, "AUTOGRADER_MNIST": str(tmp_path / "no-mnist.npz")}
    done = subprocess.run(["nbgrader", "autograde", "mnist_conv"], cwd=course, capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode != 0 and "no-mnist.npz" in done.stdout + done.stderr
    scores = subprocess.run(["python", "-m", "autograder", "scores", "mnist_conv"], cwd=course,
                            capture_output=True, text=True, timeout=300)
    line = next(line for line in scores.stdout.splitlines() if line.startswith("alice"))
    assert "not graded" in line and "no-mnist.npz" in line and "0/8" not in line


def test_a_full_disk_while_recording_records_nothing_and_a_folder_not_moved_in_says_so(course, monkeypatch):
    """The autograded folder is built inside the student's transaction: failing to write it rolls the
    grades back. Once they are committed, failing to move it in is reported as just that."""
    import errno

    from nbgrader.api import Gradebook, MissingEntry

    from autograder.gradebook import recording

    nbgrader(course, "generate_assignment", "mnist_conv", "--force")
    submit(course, "alice", SOLUTION)
    autograded, result = course / "autograded" / "alice", hand_built_results()["alice"]

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(recording.nbformat, "write", full_disk)
    with pytest.raises(OSError, match="No space left"):
        record_in_process(course, course_config(course), {"alice": result})
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gradebook, pytest.raises(MissingEntry):
        gradebook.find_submission("mnist_conv", "alice")
    assert not autograded.exists() or os.listdir(autograded) == []

    monkeypatch.undo()
    monkeypatch.setattr(recording.os, "rename", full_disk)
    with pytest.raises(recording.FolderNotReplaced) as raised:
        record_in_process(course, course_config(course), {"alice": result})
    assert recording.not_recorded(raised.value).startswith("and recorded in the gradebook, but not its autograded")
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gradebook:
        assert gradebook.find_submission("mnist_conv", "alice").score == result.score
    monkeypatch.undo()
    record_in_process(course, course_config(course), {"alice": result})  # the next run moves it in
    assert sorted(os.listdir(autograded)) == ["mnist_conv"]
    assert (autograded / "mnist_conv" / "mnist_conv.ipynb").exists()
