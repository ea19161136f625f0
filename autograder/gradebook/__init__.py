"""nbgrader's side, as the instructor: the autograde preprocessor that grades
through the autograder (`nbgrader_plugin`) and the in-process recording of a
result into nbgrader's gradebook (`recording`), through nbgrader's public API.
"""
