"""`python -m autograder report ASSIGNMENT`: a CSV and an HTML page for the instructor.

A row per student: a link to the feedback page, pass or fail per check, the
score, submission time, lateness and nbgrader's late penalty, and why a
submission crashed, timed out or could not be graded; plots of the score
distribution, pass rate per check, epochs to reach the target and grading
time. Results graded on the `quick` profile are flagged. Written under
`.autograder/reports/ASSIGNMENT/` (c.ReportWriter.reports_folder).

Exit status: 0 when the report is written; 2 when it cannot be (a
configuration file that is not there).
"""


def add_arguments(parser):
    parser.add_argument("assignment", help="assignment name, e.g. mnist_conv")


def run(args, config):
    from autograder.classroom.report import ReportWriter  # with matplotlib: imported for this command only

    paths = ReportWriter(config=config).write(args.assignment)
    print(f"Wrote {paths['csv']}\nWrote {paths['html']}")
    return 0
