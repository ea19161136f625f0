"""What a student reads on the feedback page, on results and evidence built by
hand, in about a second: the report's named sections, the notice of a
shortened grading, the training curve (its zoom, ticks, legend and alt text),
the grade cells' verdicts (and what nbgrader scores them) and the page's table
of contents naming each check. The real page, in Chromium, is checked by
test_nbgrader_autograde.py."""

import base64
import re

import nbformat
import pytest
from conftest import ROOT
from nbgrader.converters import GenerateFeedback
from nbgrader.utils import determine_grade
from test_checks import SPEC, evidence
from traitlets.config import PyFileConfigLoader

from autograder.checks.training import count_epochs
from autograder.feedback.page import VERDICT_WIDTH, report_cell
from autograder.figures.training_curve import TrainingCurve
from autograder.gradebook.nbgrader_plugin import restored_grade_cell, verdict_outputs
from autograder.grading.score import CheckResult, score

CURVE_FIGURE = next(figure for figure in SPEC.figures if isinstance(figure, TrainingCurve))
LONG = "Training stopped after 1 epoch at accuracy 0.9321, before reaching 0.998. " * 3


def graded(found, profile):
    result = score(SPEC, found)
    result.details.update(profile=profile, grading_seconds=12.3)
    return result


def html_of(cell):
    return "".join(output.data.get("text/html", "") for output in cell.outputs if "data" in output)


def test_the_report_has_named_sections_and_says_when_it_is_a_shortened_grading():
    quick = report_cell(graded(evidence(), "quick"))
    page = html_of(quick)
    for title in ("Your score", "The checks", "What the grader saw", "Training accuracy per epoch"):
        assert f">{title}</h" in page, title
    assert "Autograder: 8 / 8" in page and "first 3,000 training images" in page and "all 60,000" in page
    assert "first 3,000" in quick.outputs[0].data["text/plain"]
    assert "first 3,000" not in html_of(report_cell(graded(evidence(), "full")))


def test_every_picture_of_the_report_has_alt_text():
    cell = report_cell(graded(evidence(), "quick"))
    pictures = [output for output in cell.outputs if "image/png" in output.get("data", {})]
    assert len(pictures) == 1
    alt = pictures[0].metadata["image/png"]["alt"]
    assert "epoch 7: 0.9990" in alt and "first reached in epoch 7" in alt and "printed in epochs [7]" in alt


def labelled_artists(axes):
    """(label, artist) of what is drawn in `axes` with a label, and has something to draw."""
    drawn = [(artist.get_label(), artist) for artist in axes.lines + axes.collections
             if not artist.get_label().startswith("_")]
    return [(label, artist) for label, artist in drawn
            if len(artist.get_xdata() if hasattr(artist, "get_xdata") else artist.get_offsets())]


def test_the_training_curve_zooms_on_the_target_with_whole_epochs_and_a_true_legend():
    found = evidence(curve=[0.9, 0.97, 0.99, 0.9955, 0.9968, 0.9979, 0.9986])
    figure = CURVE_FIGURE.draw(found)
    every, zoom = figure.axes
    low, high = zoom.get_ylim()
    assert low <= 0.995 and high >= 0.999 and high - low <= 0.01  # 0.995 to 0.999 fill the zoomed panel
    assert every.get_ylim()[0] <= 0.9
    assert all(abs(tick - round(tick)) < 1e-9 for axes in (every, zoom) for tick in axes.get_xticks())
    assert [f"{tick:.3f}" for tick in zoom.get_yticks() if low <= tick <= high] == \
        ["0.994", "0.995", "0.996", "0.997", "0.998", "0.999", "1.000"]
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend == [label for label, _ in labelled_artists(every)]
    assert "stop message printed" in legend and "target 0.998" in legend and "limit: 20 epochs" in legend
    width, height = figure.get_size_inches() * 90  # the PNG's dpi
    assert width >= 800 and height >= 600


def test_a_mark_that_is_not_drawn_has_no_legend_entry():
    figure = CURVE_FIGURE.draw(evidence(printed=[]))
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert "stop message printed" not in legend
    assert legend == [label for label, _ in labelled_artists(figure.axes[0])]


def test_a_curve_without_a_target_has_one_panel_and_no_accuracy_no_picture():
    assert len(TrainingCurve("curve").draw(evidence()).axes) == 1
    assert TrainingCurve("curve").outputs(evidence(curve=[])) == []


def test_a_passing_grade_cell_scores_its_points_without_an_out_prompt():
    cell = grade_cell(verdict_outputs(CheckResult("reaches_target", True, 2.0, 2.0, LONG), "reaches_target"))
    assert determine_grade(cell) == (2.0, 2.0)
    assert [output.output_type for output in cell.outputs] == ["stream"]
    assert_short_lines(cell.outputs[0].text, "✔ Passed, 2 / 2 points")


def test_a_failing_grade_cell_scores_zero_with_a_short_wrapped_verdict():
    cell = grade_cell(verdict_outputs(CheckResult("reaches_target", False, 0.0, 2.0, LONG), "reaches_target"))
    assert determine_grade(cell) == (0, 2.0)
    error, = cell.outputs
    assert error.evalue == LONG  # the reason, whole, for tools that read it
    assert_short_lines("\n".join(error.traceback), "✘ Not passed, 0 / 2 points")


def test_a_restored_grade_cell_is_scored_like_the_others():
    cell = restored_grade_cell(CheckResult("stops_at_target", True, 2.0, 2.0, "Stopped in epoch 7."))
    assert determine_grade(cell) == (2.0, 2.0)


def grade_cell(outputs):
    return nbformat.v4.new_code_cell("# graded outside this notebook", outputs=outputs, metadata={
        "nbgrader": {"grade": True, "solution": False, "points": 2, "grade_id": "reaches_target"}})


def assert_short_lines(text, verdict):
    lines = text.rstrip("\n").split("\n")
    assert lines[0].startswith(verdict) and len(lines) > 1
    assert all(len(line) <= VERDICT_WIDTH for line in lines)
    assert " ".join(lines).endswith(LONG.strip())


def test_the_feedback_page_names_each_check_in_its_contents_and_gives_alt_text(tmp_path):
    config = PyFileConfigLoader("nbgrader_config.py", path=ROOT).load_config()
    app = GenerateFeedback(config=config)
    exporter = app.exporter_class(parent=app, config=app.config)
    result = graded(evidence(), "quick")
    cells = [report_cell(result)] + [grade_cell(verdict_outputs(check, check.name)) for check in result.checks]
    for cell, check in zip(cells[1:], result.checks):
        cell.metadata.nbgrader.update(grade_id=check.name, score=check.points, points=check.max_points)
    page, _ = exporter.from_notebook_node(nbformat.v4.new_notebook(cells=cells), resources={"nbgrader": {
        "notebook": "mnist_conv", "score": 8, "max_score": 8, "late_penalty": 0}})
    contents = page[page.index('<div id="toc">'):page.index("</ol>")]
    assert "Test cell" not in contents
    assert re.findall(r'href="#(\w+)">Check <code>(\w+)</code>', contents) == [(c.name, c.name) for c in result.checks]
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) == 1 and 'alt="Line chart of the training accuracy' in images[0]


@pytest.mark.parametrize("count, words", [(1, "1 epoch"), (7, "7 epochs")])
def test_epochs_are_counted_in_words(count, words):
    assert count_epochs(count) == words


def test_the_curve_png_is_as_large_as_drawn():
    output, = CURVE_FIGURE.outputs(evidence())
    png = base64.b64decode(output["data"])
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width >= 800 and height >= 600, (width, height)
