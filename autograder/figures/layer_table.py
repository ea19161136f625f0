"""The model's layers with their output shapes and parameter counts, as the
grader read them from the trained model (not from the student's summary).

Example:

    >>> from autograder.figures.layer_table import LayerTable
    >>> LayerTable("Your model").title
    'Your model'
"""

import html
from dataclasses import dataclass

from autograder.figures.base import Figure, html_output


@dataclass(frozen=True)
class LayerTable(Figure):
    def outputs(self, evidence):
        layers = evidence.model.layers if evidence.model else []
        if not layers:
            return []
        rows = "".join(
            f"<tr><td>{html.escape(layer['name'])}</td><td>{html.escape(layer['class'])}</td>"
            f"<td>{html.escape(str(tuple(layer['output_shape'])))}</td><td>{layer['params']:,}</td></tr>"
            for layer in layers)
        return [html_output("<table class='autograder'><thead><tr><th>layer</th><th>type</th><th>output shape</th>"
                            f"<th>parameters</th></tr></thead><tbody>{rows}</tbody></table>")]
