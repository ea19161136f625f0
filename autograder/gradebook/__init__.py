"""nbgrader's side, as the instructor: the autograde preprocessor that grades
through the autograder (`nbgrader_plugin`) the in-process recording of a result
into nbgrader's gradebook (`recording`), through nbgrader's public API, and
the autograder's own store of every result and grader failure (`results`).
"""
