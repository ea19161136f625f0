"""The student's feedback: the autograder's report cell on top of the autograded
notebook and nbgrader's feedback page around it (`page`), from its template.
"""

from autograder.feedback.page import FeedbackExporter

__all__ = ["FeedbackExporter"]
