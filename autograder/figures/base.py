"""What a figure is: a titled picture or table made from the evidence of one run.

Example:

    >>> from autograder.figures.base import Figure, html_output
    >>> class Note(Figure):
    ...     def outputs(self, evidence):
    ...         return [html_output("<p>Trained.</p>")]
    >>> Note("note").title
    'note'
"""

import base64
import io
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """Base class: subclasses implement `outputs(evidence) -> list of outputs`,
    each {"mime": ..., "data": ...} (and "alt" for a picture); an empty list when there is nothing to show."""

    title: str

    def outputs(self, evidence):
        raise NotImplementedError(f"{type(self).__name__} must implement outputs(evidence)")

    def render(self, evidence):
        """{"title", "outputs"} for the result's details, or None when there is nothing to show."""
        outputs = self.outputs(evidence)
        return {"title": self.title, "outputs": outputs} if outputs else None


def html_output(html):
    return {"mime": "text/html", "data": html}


def png_output(figure, alt=""):
    """A matplotlib figure as a PNG output (the figure is closed), with `alt`, the
    same in words for whoever cannot see it: the page's alt text. Every figure
    of a feedback page gives one."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return {"mime": "image/png", "data": base64.b64encode(buffer.getvalue()).decode("ascii"), "alt": alt}


def new_figure(width, height, **options):
    """A matplotlib figure drawn off-screen (grading machines have no display);
    `options` go to matplotlib's `figure()`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.figure(figsize=(width, height), **options)
