"""The autograder's report in a student's feedback, in named sections: the score
(and, on a shortened profile, a notice saying so), every check with its points,
what it checks and what to change, then the assignment's figures.

`GradeWithAutograder` puts it at the top of the autograded notebook, so
`nbgrader generate_feedback` turns it into the feedback page. Nothing in it
comes from hidden test cells: only check names, the spec's plain-language
expectations and the verdicts. The page around it is nbgrader's feedback page
with each check named in its table of contents (`FeedbackExporter`, set in
nbgrader_config.py).

Example:

    >>> from autograder.feedback.page import report_cell
    >>> from autograder.grading.score import failed_result
    >>> from autograder.assignments import load_spec
    >>> cell = report_cell(failed_result(load_spec("mnist_conv"), "error", "not a notebook"))
    >>> cell.outputs[0].output_type
    'display_data'
"""

import html
import os
import re
import textwrap

from jinja2 import FileSystemLoader
from nbconvert.exporters import HTMLExporter
from nbformat.v4 import new_code_cell, new_output
from traitlets import default

from autograder.assignments import load_spec
from autograder.errors import UnknownAssignment

REPORT_MARK = "autograder_report"  # cell metadata key: a re-grade replaces the report, never stacks them
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
FEEDBACK_TEMPLATE = "autograder_feedback.html.j2"  # in TEMPLATES
VERDICT_WIDTH = 88  # characters in a line of a grade cell's verdict: fits the feedback page and a notebook
SECTIONS = {"score": "Your score", "checks": "The checks", "figures": "What the grader saw"}
STYLE = ("<style>table.autograder td, table.autograder th {padding: 3px 10px; text-align: left; "
         "vertical-align: top; border-bottom: 1px solid #ddd; overflow-wrap: break-word}"
         "table.autograder td:nth-child(-n+2) {white-space: nowrap}"
         ".autograder-notice {border-left: 4px solid #e0a800; background: #fff8e1; padding: 6px 10px; "
         "margin: 6px 0}</style>")


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback page (`generate_feedback`, from the formgrader too), its
    table of contents naming each check where nbgrader writes "Test cell".

    The template extends nbgrader's `feedback` template, which nbgrader still
    chooses (`template_name`), so it is the page nbgrader makes but for the names.
    """

    @default("extra_loaders")
    def _templates_here(self):
        return [FileSystemLoader(TEMPLATES)]

    @default("template_file")
    def _feedback_template(self):
        return FEEDBACK_TEMPLATE


def report_cell(result):
    """A code cell whose outputs are the report (it has no code to run)."""
    outputs = [new_output("display_data", data={"text/html": STYLE + score_section(result) + checks_section(result),
                                                 "text/plain": plain_summary(result)})]
    figures = result.details.get("figures", [])
    if figures:
        outputs.append(new_output("display_data", data={"text/html": section_title("figures", 3)}))
    for figure in figures:
        outputs.append(new_output("display_data", data={"text/html": f"<h4>{html.escape(figure['title'])}</h4>"}))
        outputs.extend(figure_output(item) for item in figure["outputs"])
    return new_code_cell("# The autograder's report on this submission", metadata={REPORT_MARK: True},
                         outputs=outputs)


def section_title(section, level):
    return f"<h{level} id='autograder-{section}'>{SECTIONS[section]}</h{level}>"


def figure_output(item):
    """A figure's output; a picture with its alt text, which nbconvert writes into the page."""
    metadata = {item["mime"]: {"alt": item["alt"]}} if item.get("alt") else {}
    return new_output("display_data", data={item["mime"]: item["data"]}, metadata=metadata)


def score_section(result):
    notice = profile_notice(result.details)
    return (f"{section_title('score', 3)}<p><strong>Autograder: {result.score:g} / {result.max_score:g}</strong> "
            f"({html.escape(result.status)}). {html.escape(timing_line(result))}</p>"
            + (f"<p class='autograder-notice' role='note'>{html.escape(notice)}</p>" if notice else ""))


def checks_section(result):
    expects = result.details.get("expects", {})
    rows = "".join(
        f"<tr><td>{'✔' if check.passed else '✘'} <code>{html.escape(check.name)}</code></td>"
        f"<td>{check.points:g} / {check.max_points:g}</td><td>{html.escape(expects.get(check.name, ''))}</td>"
        f"<td>{with_code(check.message)}</td></tr>"
        for check in result.checks)
    return (f"{section_title('checks', 3)}<table class='autograder'><thead><tr><th>check</th><th>points</th>"
            f"<th>what is checked</th><th>result, and what to change</th></tr></thead><tbody>{rows}</tbody></table>")


def with_code(message):
    """`message` as HTML, its `names` in backquotes set as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(message))


def points(earned, most):
    return f"{earned:g} / {most:g} point" + ("" if most == 1 else "s")


def timing_line(result):
    details = result.details
    if "grading_seconds" not in details:
        return "Graded with the autograder."
    return f"Graded on the {details.get('profile')} profile in {details['grading_seconds']:.0f} s."


def profile_notice(details):
    """A warning when the profile that graded this trains on a part of the data only, else ''."""
    try:
        profiles = load_spec(details.get("assignment")).profiles
    except UnknownAssignment:
        return ""
    used = profiles.get(details.get("profile"))
    if used is None or used.as_written:
        return ""
    whole = next((profile for profile in profiles.values() if profile.as_written), None)
    return (f"A shortened grading, for tests and demos: the '{used.name}' profile trains on the {used.description}, "
            "not on the data of the exercise as written"
            + (f" (the '{whole.name}' profile: {whole.description})" if whole else "")
            + ". A grading on the exercise as written may give another score.")


def wrapped(text):
    """`text` in lines that fit the page: a cell's outputs are preformatted, so a long line scrolls sideways."""
    return "\n".join(textwrap.wrap(text, VERDICT_WIDTH, break_on_hyphens=False))


def plain_summary(result):
    lines = [f"Autograder: {result.score:g}/{result.max_score:g} ({result.status})"]
    if notice := profile_notice(result.details):
        lines.append(notice)
    lines += [f"{'PASS' if c.passed else 'FAIL'} {c.name} {c.points:g}/{c.max_points:g}: {c.message}"
              for c in result.checks]
    return "\n".join(lines)
