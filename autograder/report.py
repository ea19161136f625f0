"""The instructor's report on an assignment: a CSV and an HTML page with plots.

It reads the results the grader kept (`.autograder/results/ASSIGNMENT/`, from
`grade-all`, the grading service and `nbgrader autograde`) and the submissions
in `submitted/`, so a submission that was never graded, or failed to grade,
is listed with the reason instead of missing.

Example:

    >>> from autograder.report import ReportWriter
    >>> paths = ReportWriter(config=config).write("mnist_conv")  # doctest: +SKIP
    >>> sorted(paths)  # doctest: +SKIP
    ['csv', 'html']
"""

import csv
import glob
import html
import os

from nbgrader.coursedir import CourseDirectory
from traitlets import Unicode
from traitlets.config import LoggingConfigurable

from .figures.base import new_figure, png_output
from .grade_all import ClassGrader
from .progress import Progress
from .score import failure_reason
from .spec import load_spec


class ReportWriter(LoggingConfigurable):
    """Writes REPORTS/ASSIGNMENT/report.csv and report.html."""

    reports_folder = Unicode(
        ".autograder/reports", help="Where reports are written (relative to the course root)."
    ).tag(config=True)

    def write(self, assignment):
        """Returns {"csv": path, "html": path}."""
        spec = load_spec(assignment)
        rows = self.rows(assignment, spec)
        folder = os.path.join(CourseDirectory(parent=self).root, self.reports_folder, assignment)
        os.makedirs(folder, exist_ok=True)
        paths = {"csv": os.path.join(folder, "report.csv"), "html": os.path.join(folder, "report.html")}
        write_csv(paths["csv"], rows, spec)
        with open(paths["html"], "w", encoding="utf-8") as handle:
            handle.write(page(assignment, spec, rows))
        return paths

    def rows(self, assignment, spec):
        """One dict per student who submitted or was graded."""
        results = ClassGrader(parent=self)
        saved = results.store.records(assignment)
        students = sorted(set(submitted_students(results.coursedir, assignment)) | set(saved))
        progress = Progress(len(students), "reading results")
        rows = []
        for student in students:
            rows.append(row(student, saved.get(student), spec))
            progress.advance(failed=rows[-1]["status"] != "graded", running=0)
        progress.close()
        return rows


def submitted_students(coursedir, assignment):
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    return [os.path.basename(os.path.dirname(folder)) for folder in glob.glob(pattern)]


def target_of(spec):
    """The accuracy target of the spec's checks, if it has one."""
    return next((check.target for check in spec.checks if getattr(check, "target", None)), None)


def row(student, result, spec):
    if result is None:
        return {"student": student, "status": "not graded", "score": None, "max_score": spec.max_score,
                "epochs_run": None, "epochs_to_target": None, "grading_seconds": None, "profile": None,
                "reason": "no result kept: run grade-all (or nbgrader autograde) for this submission",
                "checks": {}}
    details = result.get("details", {})
    accuracy = details.get("training", {}).get("accuracy", [])
    target = target_of(spec)
    reached = next((i + 1 for i, value in enumerate(accuracy) if value is not None and target and value >= target),
                   None)
    return {"student": student, "status": result["status"], "score": result["score"],
            "max_score": result["max_score"], "epochs_run": result.get("epochs_run"), "epochs_to_target": reached,
            "grading_seconds": details.get("grading_seconds"), "profile": details.get("profile"),
            "reason": failure_reason(result),
            "checks": {check["name"]: check["points"] for check in result["checks"]}}


COLUMNS = ["student", "status", "score", "max_score", "epochs_run", "epochs_to_target", "grading_seconds",
           "profile", "reason"]


def write_csv(path, rows, spec):
    names = [check.name for check in spec.checks]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS + names)
        for entry in rows:
            writer.writerow([blank(entry[column]) for column in COLUMNS] +
                            [blank(entry["checks"].get(name)) for name in names])


def blank(value):
    return "" if value is None else value


def page(assignment, spec, rows):
    graded = [entry for entry in rows if entry["status"] == "graded"]
    failed = [entry for entry in rows if entry["status"] != "graded"]
    sections = [f"<h1>{html.escape(assignment)}: {len(rows)} submissions, {len(graded)} graded, "
                f"{len(failed)} not</h1>",
                plot_section("Score distribution", score_histogram(graded, spec)),
                plot_section("Pass rate per check", pass_rates(graded, spec)),
                plot_section("Epochs to reach the target", epochs_histogram(graded)),
                plot_section("Grading time per submission", grading_times(rows)),
                "<h2>Submissions that failed to grade</h2>" + table(failed, ["student", "status", "reason"]),
                "<h2>All submissions</h2>" + table(rows, COLUMNS)]
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(assignment)} report</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head><body>"
            + "".join(sections) + "</body></html>")


def plot_section(title, figure):
    if figure is None:
        return f"<h2>{html.escape(title)}</h2><p>Nothing to plot yet.</p>"
    return f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' src='data:image/png;base64," \
           f"{png_output(figure)['data']}'>"


def score_histogram(rows, spec):
    if not rows:
        return None
    figure = new_figure(6, 3)
    axes = figure.add_subplot()
    axes.hist([entry["score"] for entry in rows], bins=int(spec.max_score) + 1, range=(-0.5, spec.max_score + 0.5))
    axes.set_xlabel(f"score (of {spec.max_score:g})")
    axes.set_ylabel("submissions")
    return figure


def pass_rates(rows, spec):
    if not rows:
        return None
    names = [check.name for check in spec.checks]
    rates = [sum(1 for entry in rows if entry["checks"].get(name, 0) > 0) / len(rows) for name in names]
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
    axes.set_xlabel("first epoch at the target")
    axes.set_ylabel("submissions")
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


def table(rows, columns):
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{column}</th>" for column in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(blank(entry[column])))}</td>" for column in columns)
                   + "</tr>" for entry in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
