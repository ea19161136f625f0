"""The journey of an image: one filter's activations after each convolution and
pooling layer, a row per image, as the grader computed them on the trained model.

Example:

    >>> from autograder.figures.activation_grid import ActivationGrid
    >>> ActivationGrid("Journey", call=None).layers
    4
"""

from dataclasses import dataclass

from autograder.checks.activations import grader_activations
from autograder.figures.base import Figure, new_figure, png_output


@dataclass(frozen=True)
class ActivationGrid(Figure):
    call: object = None  # the spec.Call whose arguments (model, images, filter) are drawn
    layers: int = 4

    def outputs(self, evidence):
        if evidence.model is None or evidence.model.keras_model is None:
            return []
        try:
            maps = grader_activations(evidence, self.call, self.layers)
        except Exception:  # the check says why; a picture there is none
            return []
        rows, columns = maps[0].shape[0], len(maps)
        figure = new_figure(2.0 * columns, 2.0 * rows)
        for row in range(rows):
            for column, layer in enumerate(maps):
                axes = figure.add_subplot(rows, columns, row * columns + column + 1)
                axes.imshow(layer[row], cmap="inferno")
                axes.set_xticks([])
                axes.set_yticks([])
                if row == 0:
                    axes.set_title(f"layer {column + 1}: {layer.shape[1]}x{layer.shape[2]}", fontsize=9)
        sizes = ", ".join(f"{layer.shape[1]}x{layer.shape[2]}" for layer in maps)
        return [png_output(figure, alt=f"A grid of {rows} test images (rows) by {columns} layers (columns): the "
                                       f"activations of one filter after each layer, of sizes {sizes}.")]
