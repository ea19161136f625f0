"""What the student's functions made of an image, shown as pictures.

Example:

    >>> from autograder.figures.call_images import CallImages
    >>> CallImages("Your functions", calls=()).calls
    ()
"""

from dataclasses import dataclass

from autograder.figures.base import Figure, new_figure, png_output


@dataclass(frozen=True)
class CallImages(Figure):
    calls: tuple = ()  # spec.Call whose 2-D results are drawn, one panel each

    def outputs(self, evidence):
        shown = [(call, evidence.calls[call.id].value) for call in self.calls
                 if call.id in evidence.calls and getattr(evidence.calls[call.id].value, "ndim", 0) == 2]
        if not shown:
            return []
        figure = new_figure(3.2 * len(shown), 3.6)
        titles = [f"{call.function}({', '.join(call.args[1:]) or call.args[0]})" for call, _ in shown]
        for index, ((call, image), title) in enumerate(zip(shown, titles), start=1):
            axes = figure.add_subplot(1, len(shown), index)
            axes.imshow(image, cmap="gray")
            axes.set_title(f"{title}\n{image.shape}", fontsize=9)
            axes.axis("off")
        described = "; ".join(f"{title}, {image.shape[0]}x{image.shape[1]}" for (_, image), title in zip(shown, titles))
        return [png_output(figure, alt=f"{len(shown)} grey-scale images, what your functions returned: {described}.")]
