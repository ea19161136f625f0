"""`python -m autograder scores ASSIGNMENT`: the gradebook's scores, one row per student.

Reads nbgrader's gradebook (`c.CourseDirectory.db_url`, SQLite by default) and
prints each submission's points per check and its total. A student whose latest
submission the grader itself could not grade (no data, no sandbox: see
`results.ResultStore`) is "not graded", with the reason, whatever the gradebook holds.

Exit status: 0 when the table is printed (with no submissions yet, too); 2
when the gradebook has no such assignment.
"""

from autograder.states import Status


def add_arguments(parser):
    parser.add_argument("assignment", help="assignment name, e.g. mnist_conv")


def run(args, config):
    from nbgrader.api import Gradebook, MissingEntry  # nbgrader's modules: imported for this command only
    from nbgrader.coursedir import CourseDirectory

    from autograder.gradebook.results import ResultStore

    with Gradebook(CourseDirectory(config=config).db_url) as gradebook:
        try:
            assignment = gradebook.find_assignment(args.assignment)
        except MissingEntry:
            print(f"No assignment {args.assignment!r} in the gradebook: run nbgrader generate_assignment first.")
            return 2
        failures = {student: record["details"]["error"]
                    for student, record in ResultStore(config=config).records(args.assignment).items()
                    if record["status"] == Status.NOT_GRADED}
        print(table(gradebook, assignment, failures))
    return 0


def table(gradebook, assignment, failures):
    """`failures`: {student: why the grader could not grade their latest submission}."""
    cells = [cell.name for notebook in assignment.notebooks for cell in notebook.grade_cells]
    lines = ["student".ljust(14) + "".join(name[:20].rjust(21) for name in cells) + "total".rjust(12)]
    rows = {student: f"{Status.NOT_GRADED}: {reason}" for student, reason in failures.items()}
    for submission in assignment.submissions:
        if submission.student.id in rows:
            continue
        grades = {grade.name: grade for notebook in submission.notebooks for grade in notebook.grades}
        total = f"{submission.score:g}/{submission.max_score:g}"
        rows[submission.student.id] = "".join(points(grades.get(name)).rjust(21) for name in cells) + total.rjust(12)
    lines += [student.ljust(14) + rows[student] for student in sorted(rows)]
    if not rows:
        lines.append("(no submissions graded yet)")
    return "\n".join(lines)


def points(grade):
    if grade is None or grade.score is None:
        return "needs grading"
    return f"{grade.score:g}/{grade.max_score:g}"
