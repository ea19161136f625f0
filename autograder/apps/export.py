"""`python -m autograder export ASSIGNMENT --format canvas|moodle|csv [--output PATH]`: grades for the LMS.

Writes the assignment's grades from nbgrader's gradebook (manual grades and
late penalties included) in the CSV layout Canvas's or Moodle's grade import
reads, or as a plain CSV with a column per check; every student in the
gradebook has a row, one with no submission a 0 (c.GradeExporter.missing_grade),
one whose latest submission the grader could not grade a blank (and a warning).
Default output: ASSIGNMENT-FORMAT.csv in the course folder. Exit status 2 when
there is no gradebook, the assignment is not in it (the known ones are listed),
or the layout cannot be written (e.g. a Moodle export by email with emails missing).
"""

import sys

from autograder.errors import ExportError


def add_arguments(parser):
    parser.add_argument("assignment", help="assignment name, e.g. mnist_conv")
    parser.add_argument("--format", required=True, dest="layout",
                        help="canvas or moodle: that platform's grade-import CSV; csv: plain, a column per check")
    parser.add_argument("--output", help="file to write (default: ASSIGNMENT-FORMAT.csv in the course folder)")


def run(args, config):
    from autograder.classroom.export import GradeExporter  # nbgrader's modules: imported for this command only

    try:
        path = GradeExporter(config=config).write(args.assignment, args.layout, args.output)
    except ExportError as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {path}")
    return 0
