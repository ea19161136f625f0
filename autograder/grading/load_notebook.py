"""Stage 1: read a submitted notebook and pick out the code the grader runs.

The grader runs the notebook's provided (locked) cells and its answer cells, in
order, then calls the graded function itself. Cells a student added, and the
cell where the student trains for their own look, are not run: grading trains
exactly once.

Example:

    >>> from autograder.grading.load_notebook import load_submission
    >>> submission = load_submission("solutions/mnist_conv.ipynb")
    >>> submission.assignment, len(submission.cells)
    ('mnist_conv', 2)
"""

import os
from dataclasses import dataclass

import nbformat

from autograder.errors import NotANotebook, SubmissionError


def require_notebook_file(path):
    """NotANotebook unless `path` is an existing .ipynb file (its content is read later)."""
    if not os.path.exists(path):
        raise NotANotebook(f"no such file: {path}")
    if os.path.isdir(path) or os.path.splitext(path)[1].lower() != ".ipynb":
        raise NotANotebook(f"{path} is not a notebook: give the .ipynb file of your assignment")


@dataclass
class Submission:
    name: str
    notebook: object
    cells: list  # sources of the code cells to run, in order
    answer_source: str  # the student's answer cells, for recognising known mistakes

    @property
    def declared_assignment(self):
        """The assignment the released notebook's metadata names, if it is still there."""
        return self.notebook.metadata.get("autograder", {}).get("assignment")

    @property
    def assignment(self):
        return self.declared_assignment or os.path.splitext(os.path.basename(self.name))[0]

    def mismatch(self, assignment):
        """Why this is not a notebook of `assignment` (its metadata names another), or None."""
        declared = self.declared_assignment
        if declared and declared != assignment:
            return (f"this is the notebook of the assignment {declared!r}, not of {assignment!r}: "
                    f"hand in your {assignment} notebook")
        return None


def read_notebook(path):
    """The notebook at `path`, or a SubmissionError that says what is wrong with it."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise SubmissionError(f"cannot read {path}: {error.strerror}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SubmissionError(f"the notebook is not UTF-8 text (bad byte at offset {error.start}); "
                              "save it again from JupyterLab")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises several types for broken JSON
        raise SubmissionError(f"the file is not a valid notebook ({str(error).splitlines()[0][:200]}); "
                              "save it again from JupyterLab or start from the released notebook")


def graded_cells(notebook):
    """Code cells nbgrader marks as provided (locked) or as answers, not grade cells."""
    cells = []
    for cell in notebook.cells:
        marks = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and not marks.get("grade") and (marks.get("locked") or marks.get("solution")):
            cells.append(cell)
    return cells


def load_submission(source, name=None):
    """A Submission from a notebook path or an nbformat NotebookNode."""
    is_path = isinstance(source, (str, os.PathLike))
    notebook = read_notebook(source) if is_path else source
    unreadable = notebook.metadata.get("autograder", {}).get("unreadable")
    if unreadable:  # nbgrader_plugin.SubmissionExporter's stand-in for a broken file
        raise SubmissionError(unreadable)
    cells = graded_cells(notebook)
    if not any(cell.metadata.nbgrader.get("solution") for cell in cells):
        raise SubmissionError("the notebook has no answer cells (their nbgrader metadata is gone); "
                              "copy your code into a fresh copy of the released notebook")
    answers = [cell.source for cell in cells if cell.metadata.nbgrader.get("solution")]
    name = name or (str(source) if is_path else "notebook.ipynb")
    return Submission(name, notebook, [cell.source for cell in cells], "\n".join(answers))
