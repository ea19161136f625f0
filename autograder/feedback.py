"""The autograder's report in a student's feedback: every check with its points,
what it checks and what to change, then the assignment's figures.

`GradeWithAutograder` puts it at the top of the autograded notebook, so
`nbgrader generate_feedback` turns it into the feedback page. Nothing in it
comes from hidden test cells: only check names, the spec's plain-language
expectations and the verdicts.

Example:

    >>> from autograder.feedback import report_cell
    >>> from autograder.score import failed_result
    >>> from autograder.spec import load_spec
    >>> cell = report_cell(failed_result(load_spec("mnist_conv"), "error", "not a notebook"))
    >>> cell.outputs[0].output_type
    'display_data'
"""

import html

from nbformat.v4 import new_code_cell, new_output

REPORT_MARK = "autograder_report"  # cell metadata key: a re-grade replaces the report, never stacks them
STYLE = ("<style>table.autograder td, table.autograder th {padding: 3px 10px; text-align: left; "
         "vertical-align: top; border-bottom: 1px solid #ddd}</style>")


def report_cell(result):
    """A code cell whose outputs are the report (it has no code to run)."""
    outputs = [new_output("display_data", data={"text/html": checks_table(result),
                                                 "text/plain": plain_summary(result)})]
    for figure in result.details.get("figures", []):
        outputs.append(new_output("display_data", data={"text/html": f"<h4>{html.escape(figure['title'])}</h4>"}))
        outputs.extend(new_output("display_data", data={item["mime"]: item["data"]}) for item in figure["outputs"])
    return new_code_cell("# The autograder's report on this submission", metadata={REPORT_MARK: True},
                         outputs=outputs)


def checks_table(result):
    expects = result.details.get("expects", {})
    rows = "".join(
        f"<tr><td>{'✔' if check.passed else '✘'} <code>{html.escape(check.name)}</code></td>"
        f"<td>{check.points:g} / {check.max_points:g}</td><td>{html.escape(expects.get(check.name, ''))}</td>"
        f"<td>{html.escape(check.message)}</td></tr>"
        for check in result.checks)
    return (f"<h3>Autograder: {result.score:g} / {result.max_score:g} ({html.escape(result.status)})</h3>"
            f"<p>{html.escape(timing_line(result))}</p>"
            f"{STYLE}<table class='autograder'><thead><tr><th>check</th><th>points</th><th>what is checked</th>"
            f"<th>result, and what to change</th></tr></thead><tbody>{rows}</tbody></table>")


def timing_line(result):
    details = result.details
    if "grading_seconds" not in details:
        return "Graded with the autograder."
    return f"Graded on the {details.get('profile')} profile in {details['grading_seconds']:.0f} s."


def plain_summary(result):
    lines = [f"Autograder: {result.score:g}/{result.max_score:g} ({result.status})"]
    lines += [f"{'PASS' if c.passed else 'FAIL'} {c.name} {c.points:g}/{c.max_points:g}: {c.message}"
              for c in result.checks]
    return "\n".join(lines)
