"""The instructor's report on a hand-built class (see class_gradebook): no grading runs.

Per-check verdicts, links to feedback pages, lateness and nbgrader's late
penalty, who crashed or timed out and why, who handed nothing in, whole-number
axes, and the notice that a `quick` run is not the exercise as written.
"""

import csv
import os
import re

import pytest
from class_gradebook import ASSIGNMENT, CRASH, TIMEOUT, build_class, course_config
from conftest import CHECK_NAMES

from autograder.assignments import load_spec
from autograder.classroom.report import ReportWriter, epochs_histogram, score_histogram


def write_report(root):
    paths = ReportWriter(config=course_config(root)).write(ASSIGNMENT)
    with open(paths["csv"], newline="") as handle:
        rows = {entry["student"]: entry for entry in csv.DictReader(handle)}
    with open(paths["html"], encoding="utf-8") as handle:
        return rows, handle.read(), os.path.dirname(paths["html"])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """(CSV rows by student, the page, the report's folder); read only, so built once for the module."""
    root = tmp_path_factory.mktemp("class")
    build_class(root)
    return write_report(root)


def table_row(page, student, section="All submissions"):
    """The cells (text, tags stripped) of `student`'s row in `section`'s table."""
    part = page.split(f"<h2>{section}")[1].split("<h2>")[0]
    row = next(row for row in part.split("<tr>") if row.startswith(f"<td class='student'>{student}</td>"))
    return [re.sub("<[^>]+>", "", cell) for cell in re.findall("<td[^>]*>(.*?)</td>", row)]


def header(page):
    part = page.split("<h2>All submissions")[1]
    return [heading.replace("\N{ZERO WIDTH SPACE}", "") for heading in
            re.findall("<th>(.*?)</th>", part.split("</thead>")[0])]


def test_a_plain_title_and_the_counts_in_words(report):
    _, page, _ = report
    assert "<h1>mnist_conv: class report</h1>" in page
    assert ("<p>5 students: 3 graded, 1 could not be graded or timed out, 1 handed nothing in; "
            "1 handed in late.</p>") in page


def test_every_check_has_a_pass_or_fail_column(report):
    _, page, _ = report
    columns = header(page)
    assert columns[columns.index("lateness") + 1:][:len(CHECK_NAMES)] == CHECK_NAMES
    cells = dict(zip(columns, table_row(page, "carol")))
    assert cells["single_conv2d"] == "pass" and cells["reaches_target"] == "fail"
    assert "<td class='fail' title='0 points'>fail</td>" in page and "<td class='pass' title='2 points'>pass" in page
    assert all(dict(zip(columns, table_row(page, "alice")))[name] == "pass" for name in CHECK_NAMES)


def test_each_row_links_to_the_feedback_page_or_says_there_is_none(report):
    _, page, folder = report
    links = re.findall("<a href='([^']+)'>feedback</a>", page)
    assert links == ["../../../feedback/alice/mnist_conv/mnist_conv.html"]
    assert os.path.exists(os.path.join(folder, links[0]))
    assert dict(zip(header(page), table_row(page, "bob")))["feedback"] == "not generated yet"
    assert "<span title='run nbgrader generate_feedback'>not generated yet</span>" in page
    assert dict(zip(header(page), table_row(page, "erin")))["feedback"] == ""


def test_submission_time_lateness_and_the_late_penalty_from_the_gradebook(report):
    rows, page, _ = report
    bob = dict(zip(header(page), table_row(page, "bob")))
    assert bob["submitted"] == "2026-11-27 14:30:00 UTC" and bob["lateness"] == "late by 2 h 30 min"
    assert (bob["autograder score"], bob["late penalty"], bob["grade in gradebook"]) == ("8", "1", "7")
    alice = dict(zip(header(page), table_row(page, "alice")))
    assert alice["lateness"] == "on time" and alice["late penalty"] == "0"
    carol = dict(zip(header(page), table_row(page, "carol")))
    assert (carol["autograder score"], carol["grade in gradebook"]) == ("2", "3")  # 1 point given by hand
    assert rows["bob"]["seconds_late"] == "9000.0" and rows["bob"]["late_penalty"] == "1.0"
    assert rows["bob"]["grade"] == "7.0"


def test_crashes_and_timeouts_are_listed_with_their_reason_and_the_missing_student_too(report):
    rows, page, _ = report
    assert table_row(page, "carol", "Submissions that failed") == ["carol", "graded", CRASH]
    assert table_row(page, "dave", "Submissions that failed") == ["dave", "timeout", TIMEOUT]
    failed = page.split("<h2>Submissions that failed")[1].split("<h2>")[0]
    assert "alice" not in failed and "bob" not in failed and "erin" not in failed
    assert rows["erin"]["status"] == "no submission" and rows["erin"]["reason"] == "handed nothing in"
    assert rows["carol"]["reason"] == CRASH and rows["carol"]["feedback"] == ""


def test_a_quick_run_says_so_and_a_full_one_does_not(report, tmp_path_factory):
    _, page, _ = report
    assert "Not the exercise as written" in page and "first 3,000 training images" in page
    full = tmp_path_factory.mktemp("full")
    build_class(full, profile="full")
    _, page, _ = write_report(full)
    assert "Not the exercise as written" not in page


def test_a_course_with_no_gradebook_yet_is_reported_without_creating_one(tmp_path):
    folder = tmp_path / "submitted" / "grace" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / f"{ASSIGNMENT}.ipynb").write_text("{}")
    rows, page, _ = write_report(tmp_path)
    assert rows["grace"]["status"] == "not graded" and not (tmp_path / "gradebook.db").exists()
    assert "<p>1 student: 1 not graded yet; none handed in late.</p>" in page
    assert "grace" not in page.split("<h2>Submissions that failed")[1].split("<h2>")[0]  # not a failure


def tick_values(axis):
    axis.figure.canvas.draw()
    low, high = axis.get_view_interval()
    return [tick for tick in axis.get_ticklocs() if low <= tick <= high]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_counts_of_submissions_have_whole_number_ticks(count):
    spec = load_spec(ASSIGNMENT)
    rows = [{"score": 8.0, "epochs_to_target": 3}] * count
    for figure in (score_histogram(rows, spec), epochs_histogram(rows)):
        axes = figure.axes[0]
        ticks = tick_values(axes.yaxis)
        assert ticks and all(tick == int(tick) for tick in ticks), ticks
    epochs = tick_values(epochs_histogram(rows).axes[0].xaxis)
    assert all(tick == int(tick) for tick in epochs), epochs
