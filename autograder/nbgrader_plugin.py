"""Where course configurations written before the packages named the nbgrader
plugin (`autograder.nbgrader_plugin.GradeWithAutograder`,
`autograder.nbgrader_plugin.SubmissionExporter`): they keep working.
New configurations name `autograder.gradebook.nbgrader_plugin`.
"""

from autograder.gradebook.nbgrader_plugin import GradeWithAutograder, SubmissionExporter

__all__ = ["GradeWithAutograder", "SubmissionExporter"]
