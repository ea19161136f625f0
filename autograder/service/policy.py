"""What the grading service may do for each assignment, set in `nbgrader_config.py`.

Two choices per assignment: whether feedback (score and comments) goes back to
the student as soon as a submission is graded, and how many submissions per
student are graded per UTC day, so the grader cannot be used as an oracle.
Whatever the limit, the latest submission counts: one handed in while an
earlier one waits replaces it.

Example (nbgrader_config.py):

    c.GradingPolicy.auto_feedback = {"mnist_conv": True, "final_exam": False}
    c.GradingPolicy.daily_limit = {"mnist_conv": 3}
"""

from traitlets import Bool, Dict, Integer
from traitlets.config import LoggingConfigurable


class GradingPolicy(LoggingConfigurable):
    """Per-assignment feedback and daily limit, with defaults for assignments not named."""

    auto_feedback = Dict(
        value_trait=Bool(), help="Per assignment: release feedback (score and comments) as soon as a submission "
        "is graded. Without it the grade is recorded and the instructor releases feedback.",
    ).tag(config=True)

    auto_feedback_default = Bool(
        False, help="Automatic feedback for assignments not in `auto_feedback`."
    ).tag(config=True)

    daily_limit = Dict(
        value_trait=Integer(min=0), help="Per assignment: submissions graded per student per UTC day (0: no "
        "limit). A submission over the limit waits, kept, and is graded on the next UTC day.",
    ).tag(config=True)

    daily_limit_default = Integer(
        0, min=0, help="Daily limit for assignments not in `daily_limit` (0: no limit)."
    ).tag(config=True)

    def releases_feedback(self, assignment):
        return self.auto_feedback.get(assignment, self.auto_feedback_default)

    def limit(self, assignment):
        return self.daily_limit.get(assignment, self.daily_limit_default)
