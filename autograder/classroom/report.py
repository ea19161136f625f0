"""The instructor's report on an assignment: a CSV and an HTML page with plots.

It reads the results the grader kept (through `kept_results`, the one place
that does), the submissions in `submitted/`, and nbgrader's gradebook (when
and how late each student handed in, the late penalty nbgrader applied, who
handed nothing in). Every student has a row: a submission that was never
graded, failed to grade, crashed in training or timed out is listed with the
reason; each row has the per-check verdicts and a link to the student's
feedback page. A result graded on the `quick` profile is flagged at the top.

Example:

    >>> import tempfile
    >>> from traitlets.config import Config
    >>> from autograder.classroom.report import ReportWriter
    >>> config = Config()
    >>> config.CourseDirectory.root = tempfile.mkdtemp()  # a course nobody has handed anything in to yet
    >>> paths = ReportWriter(config=config).write("mnist_conv")
    >>> sorted(paths)
    ['csv', 'html']
"""

import csv
import glob
import html
import os

from nbgrader.coursedir import CourseDirectory
from traitlets import Unicode
from traitlets.config import LoggingConfigurable

from autograder.assignments import load_spec
from autograder.classroom.export import class_grades, gradebook_exists, safe_cell, utc_text
from autograder.classroom.progress import Progress
from autograder.errors import UnknownAssignment
from autograder.figures.base import new_figure, png_output
from autograder.gradebook.results import ResultStore
from autograder.grading.score import failure_reason
from autograder.states import Status


def kept_results(parent, assignment):
    """{student: result record (`GradeResult.to_record()`)} of every result kept for `assignment`."""
    return ResultStore(parent=parent).records(assignment)


class ReportWriter(LoggingConfigurable):
    """Writes REPORTS/ASSIGNMENT/report.csv and report.html."""

    reports_folder = Unicode(
        ".autograder/reports", help="Where reports are written (relative to the course root)."
    ).tag(config=True)

    def write(self, assignment):
        """Returns {"csv": path, "html": path}."""
        spec = load_spec(assignment)
        coursedir = CourseDirectory(parent=self)
        folder = os.path.join(coursedir.root, self.reports_folder, assignment)
        rows = self.rows(assignment, spec, coursedir, folder)
        os.makedirs(folder, exist_ok=True)
        paths = {"csv": os.path.join(folder, "report.csv"), "html": os.path.join(folder, "report.html")}
        write_csv(paths["csv"], rows, spec)
        with open(paths["html"], "w", encoding="utf-8") as handle:
            handle.write(page(assignment, spec, rows))
        return paths

    def rows(self, assignment, spec, coursedir, folder):
        """One dict per student who submitted, was graded, or is in the gradebook."""
        saved = kept_results(self, assignment)
        handed_in = submitted_students(coursedir, assignment)
        enrolled, lateness = gradebook_entries(coursedir.db_url, assignment)
        students = sorted(set(handed_in) | set(saved) | set(enrolled))
        progress = Progress(len(students), "reading results")
        rows = []
        for student in students:
            submitted = student in handed_in or student in saved or student in lateness
            entry = {**row(student, saved.get(student), spec, submitted), **lateness.get(student, {})}
            entry["feedback"] = feedback_links(coursedir, student, assignment, handed_in.get(student, []), folder)
            rows.append(entry)
            progress.advance(failed=is_failure(entry), running=0)
        progress.close()
        return rows


def submitted_students(coursedir, assignment):
    """{student: [notebook names]} of the submissions in submitted/."""
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    return {os.path.basename(os.path.dirname(folder)):
            sorted(os.path.splitext(os.path.basename(path))[0] for path in glob.glob(os.path.join(folder, "*.ipynb")))
            for folder in glob.glob(pattern)}


def gradebook_entries(db_url, assignment):
    """(every student in nbgrader's gradebook, {student: {"submitted_at", "late_by", "seconds_late",
    "late_penalty", "grade"}} for each submission it holds, "grade" with manual grades and less the
    penalty, as exported); nothing before the assignment is in a gradebook."""
    if not gradebook_exists(db_url):
        return [], {}
    try:
        _, grades = class_grades(db_url, assignment, failures={})  # this report reads the failures itself
    except UnknownAssignment:
        return [], {}
    return [grade.student for grade in grades], {
        grade.student: {"submitted_at": utc_text(grade.timestamp), "seconds_late": grade.seconds_late,
                        "late_by": late_text(grade.seconds_late, grade.duedate), "late_penalty": grade.penalty,
                        "grade": grade.score}
        for grade in grades if grade.submitted}


def late_text(seconds, duedate):
    if duedate is None:
        return "no due date"
    if not seconds:
        return "on time"
    days, rest = divmod(round(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{max(rest // 60, 1)} min"] * (not days)
    return "late by " + " ".join(parts)


def feedback_links(coursedir, student, assignment, notebooks, folder):
    """[(notebook, its feedback page's path relative to the report's `folder`, or None if not generated)]
    for each notebook submitted or with a feedback page."""
    feedback = coursedir.format_path(coursedir.feedback_directory, student, assignment)
    generated = {os.path.splitext(os.path.basename(path))[0] for path in glob.glob(os.path.join(feedback, "*.html"))}
    return [(name, os.path.relpath(os.path.join(feedback, f"{name}.html"), folder) if name in generated else None)
            for name in sorted(set(notebooks) | generated)]


def target_of(spec):
    """The accuracy target of the spec's checks, if it has one."""
    return next((check.target for check in spec.checks if getattr(check, "target", None)), None)


def row(student, result, spec, submitted):
    empty = {"student": student, "score": None, "max_score": spec.max_score, "epochs_run": None,
             "epochs_to_target": None, "grading_seconds": None, "profile": None, "submitted_at": None,
             "late_by": None, "seconds_late": None, "late_penalty": None, "grade": None, "checks": {}, "passed": {}}
    if result is None and not submitted:
        return {**empty, "status": Status.MISSING, "reason": "handed nothing in"}
    if result is None:
        return {**empty, "status": Status.NOT_GRADED,
                "reason": "no result kept: run grade-all (or nbgrader autograde) for this submission"}
    details = result.get("details", {})
    accuracy = details.get("training", {}).get("accuracy", [])
    target = target_of(spec)
    reached = next((i + 1 for i, value in enumerate(accuracy) if value is not None and target and value >= target),
                   None)
    return {**empty, "status": result["status"], "score": result["score"], "max_score": result["max_score"],
            "epochs_run": result.get("epochs_run"), "epochs_to_target": reached,
            "grading_seconds": details.get("grading_seconds"), "profile": details.get("profile"),
            "reason": failure_reason(result),
            "checks": {check["name"]: check["points"] for check in result["checks"]},
            "passed": {check["name"]: check["passed"] for check in result["checks"]}}


COLUMNS = ["student", "status", "score", "max_score", "submitted_at", "late_by", "seconds_late", "late_penalty",
           "grade", "epochs_run", "epochs_to_target", "grading_seconds", "profile", "reason"]
# The page's columns (before and after one per check), with their headings.
SHOWN = {"student": "student", "feedback": "feedback", "status": "status", "score": "autograder score",
         "late_penalty": "late penalty", "grade": "grade in gradebook", "submitted_at": "submitted",
         "late_by": "lateness"}
SHOWN_AFTER = {"epochs_to_target": "epochs to target", "grading_seconds": "grading time (s)", "profile": "profile",
               "reason": "reason"}
FAILED = {"student": "student", "status": "status", "reason": "reason"}


def write_csv(path, rows, spec):
    names = [check.name for check in spec.checks]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS + names + ["feedback"])
        for entry in rows:
            cells = ([blank(entry[column]) for column in COLUMNS] + [blank(entry["checks"].get(name)) for name in names]
                     + [" ".join(link or "" for _, link in entry["feedback"])])
            writer.writerow([safe_cell(str(cell)) for cell in cells])


def blank(value):
    return "" if value is None else value


def is_failure(entry):
    """Could not be graded, timed out, or crashed in training (graded, with the crash as reason)."""
    return entry["status"] not in (Status.GRADED, Status.NOT_GRADED, Status.MISSING) or (entry["status"] == Status.GRADED and bool(entry["reason"]))


def page(assignment, spec, rows):
    failed = [entry for entry in rows if is_failure(entry)]
    sections = [f"<h1>{html.escape(assignment)}: class report</h1>", summary(rows), profile_notice(spec, rows),
                plot_section("Score distribution", score_histogram(graded(rows), spec)),
                plot_section("Pass rate per check", pass_rates(graded(rows), spec)),
                plot_section("Epochs to reach the target", epochs_histogram(graded(rows))),
                plot_section("Grading time per submission", grading_times(rows)),
                "<h2>Submissions that failed to grade, crashed or timed out</h2>"
                + table(failed, FAILED),
                "<h2>All submissions</h2>" + table(rows, SHOWN, spec, SHOWN_AFTER)]
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(assignment)} report"
            "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}td.pass{color:#176d2c}"
            "td.reason{min-width:16em;max-width:32em}td.submitted_at,td.late_by{white-space:nowrap}"
            "td.fail{color:#b00020;font-weight:bold}.notice{background:#fff4ce;border:1px solid #e0b000;"
            "padding:8px 12px}</style></head><body>" + "".join(sections) + "</body></html>")


def graded(rows):
    return [entry for entry in rows if entry["status"] == Status.GRADED]


def summary(rows):
    """The counts in words, e.g. "6 students: 4 graded, 1 could not be graded or timed out, 1 handed nothing
    in; 1 handed in late."; a count of 0 is left out."""
    count = {status: sum(1 for entry in rows if entry["status"] == status) for status in (Status.GRADED, Status.NOT_GRADED, Status.MISSING)}
    parts = [f"{count[Status.GRADED]} graded",
             f"{len(rows) - sum(count.values())} could not be graded or timed out",
             f"{count[Status.NOT_GRADED]} not graded yet", f"{count[Status.MISSING]} handed nothing in"]
    late = sum(1 for entry in rows if entry["seconds_late"])
    counted = ", ".join(part for part in parts if not part.startswith("0 "))
    return f"<p>{len(rows)} student{'s' * (len(rows) != 1)}: {counted}; {late or 'none'} handed in late.</p>"


def profile_notice(spec, rows):
    """Says so when results were graded on a profile other than the exercise as written."""
    other = sorted({entry["profile"] for entry in rows if entry["profile"] not in (None, spec.default_profile.name)})
    if not other:
        return ""
    names = "; ".join(f"'{name}' ({spec.profiles[name].description})" if name in spec.profiles else repr(name)
                      for name in other)
    students = ", ".join(entry["student"] for entry in rows if entry["profile"] in other)
    return (f"<p class='notice' role='note'><strong>Not the exercise as written:</strong> graded on the {names} "
            f"profile, meant for tests and demos, not for grades ({html.escape(students)}). Regrade on the "
            f"'{spec.default_profile.name}' profile for real grades.</p>")


def plot_section(title, figure):
    if figure is None:
        return f"<h2>{html.escape(title)}</h2><p>Nothing to plot yet.</p>"
    return f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' src='data:image/png;base64," \
           f"{png_output(figure)['data']}'>"


def whole_numbers(axis):
    """Ticks at whole numbers only, for an axis that counts (submissions, epochs)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def count_axis(axes):
    whole_numbers(axes.yaxis)
    axes.set_ylabel("submissions")


def score_histogram(rows, spec):
    if not rows:
        return None
    figure = new_figure(6, 3)
    axes = figure.add_subplot()
    axes.hist([entry["score"] for entry in rows], bins=int(spec.max_score) + 1, range=(-0.5, spec.max_score + 0.5))
    axes.set_xlabel(f"score (of {spec.max_score:g})")
    count_axis(axes)
    return figure


def pass_rates(rows, spec):
    if not rows:
        return None
    names = [check.name for check in spec.checks]
    rates = [sum(1 for entry in rows if entry["passed"].get(name)) / len(rows) for name in names]
    figure = new_figure(6, 0.4 * len(names) + 1)
    axes = figure.add_subplot()
    axes.barh(names, [100 * rate for rate in rates])
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of graded submissions passing")
    axes.invert_yaxis()
    return figure


def epochs_histogram(rows):
    epochs = [entry["epochs_to_target"] for entry in rows if entry["epochs_to_target"]]
    if not epochs:
        return None
    figure = new_figure(6, 3)
    axes = figure.add_subplot()
    axes.hist(epochs, bins=range(1, max(epochs) + 2), align="left")
    whole_numbers(axes.xaxis)
    axes.set_xlabel("first epoch at the target")
    count_axis(axes)
    return figure


def grading_times(rows):
    timed = [entry for entry in rows if entry["grading_seconds"] is not None]
    if not timed:
        return None
    figure = new_figure(6, 0.3 * len(timed) + 1)
    axes = figure.add_subplot()
    axes.barh([entry["student"] for entry in timed], [entry["grading_seconds"] for entry in timed])
    axes.set_xlabel("seconds")
    axes.invert_yaxis()
    return figure


def table(rows, columns, spec=None, after=None):
    """An HTML table of `rows`: `columns` ({key: heading}), then (with a `spec`) a pass/fail column per
    check, then `after`."""
    if not rows:
        return "<p>None.</p>"
    checks = [check.name for check in spec.checks] if spec else []
    # Check names break at their underscores, so a column per check still fits the page.
    headings = [*columns.values(), *(name.replace("_", "_\N{ZERO WIDTH SPACE}") for name in checks),
                *(after or {}).values()]
    head = "".join(f"<th>{html.escape(heading)}</th>" for heading in headings)
    body = "".join("<tr>" + "".join(cell(entry, key) for key in columns)
                   + "".join(verdict_cell(entry, name) for name in checks)
                   + "".join(cell(entry, key) for key in after or {}) + "</tr>" for entry in rows)
    return f"<div style='overflow-x:auto'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def cell(entry, key):
    if key == "feedback":
        return feedback_cell(entry["feedback"])
    value = entry[key]
    return f"<td class='{key}'>{html.escape(f'{value:g}' if isinstance(value, float) else str(blank(value)))}</td>"


def verdict_cell(entry, name):
    if name not in entry["passed"]:
        return "<td></td>"
    verdict = "pass" if entry["passed"][name] else "fail"
    return f"<td class='{verdict}' title='{entry['checks'][name]:g} points'>{verdict}</td>"


def feedback_cell(pages):
    """A link to each feedback page (named by its notebook where there are several), or what is missing."""
    labels = [f"{name}: " if len(pages) > 1 else "" for name, _ in pages]
    links = [f"<a href='{html.escape(link)}'>{html.escape(label or 'feedback')}</a>" if link else
             f"<span title='run nbgrader generate_feedback'>{html.escape(label)}not generated yet</span>"
             for label, (_, link) in zip(labels, pages)]
    return f"<td class='feedback'>{'<br>'.join(links)}</td>"
