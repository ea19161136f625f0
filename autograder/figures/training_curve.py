"""The training curve: accuracy per epoch, against the target and the epoch limit.

It marks the epoch where training stopped and the epochs where the stop message
was printed, from the grader's own records of the run. With a target, a second
panel zooms on the accuracies just below it, where the last epochs differ by a
thousandth. The picture carries alt text saying the same in words.

Example:

    >>> from autograder.figures.training_curve import TrainingCurve
    >>> TrainingCurve("Training curve", target=0.998, max_epochs=20, message="Reached").zoom_range()
    (0.994, 1.0005)
"""

import math
from dataclasses import dataclass

from autograder.figures.base import Figure, new_figure, png_output

ZOOM_BELOW = 0.004  # the zoomed panel shows accuracies from this much below the target up to 1
ZOOM_TICK = 0.001  # its accuracy ticks: one per thousandth
TOP_MARGIN = 0.0005  # above 1, so that points at 1.0 are drawn whole
EPOCH_TICKS = 25  # at most this many epoch ticks: every epoch of a 20-epoch exercise is labelled
ALT_EPOCHS = 10  # the alt text lists the accuracies of this many last epochs


@dataclass(frozen=True)
class TrainingCurve(Figure):
    target: float = None  # a horizontal line and a zoomed panel, when the exercise has a target
    max_epochs: int = None  # a vertical line at the epoch limit
    message: str = None  # epochs that printed it are marked

    def outputs(self, evidence):
        figure = self.draw(evidence)
        return [png_output(figure, alt=self.alt_text(evidence))] if figure else []

    def zoom_range(self):
        return (round(self.target - ZOOM_BELOW, 6), 1 + TOP_MARGIN)

    def draw(self, evidence):
        """The matplotlib figure (its first axes: every epoch; its second, with a target: the zoom), or None."""
        from matplotlib.ticker import FormatStrFormatter, MaxNLocator, MultipleLocator

        accuracy = [math.nan if epoch.accuracy is None else epoch.accuracy for epoch in evidence.epochs]
        if all(math.isnan(value) for value in accuracy):
            return None
        panels = 1 if self.target is None else 2
        figure = new_figure(10, 4.2 * panels + 0.8, layout="constrained")
        every = figure.add_subplot(panels, 1, 1)
        self._draw(every, evidence, accuracy)
        every.set_title("Every epoch")
        if panels == 2:
            zoom = figure.add_subplot(2, 1, 2)
            self._draw(zoom, evidence, accuracy)
            zoom.set_ylim(*self.zoom_range())
            zoom.yaxis.set_major_locator(MultipleLocator(ZOOM_TICK))
            zoom.yaxis.set_major_formatter(FormatStrFormatter("%.3f"))
            zoom.set_title(f"Zoomed on the target: accuracy {self.zoom_range()[0]:.3f} to 1")
        for axes in figure.axes:
            axes.set_xlim(0.5, max(len(accuracy), self.max_epochs or 0) + 0.5)
            axes.xaxis.set_major_locator(MaxNLocator(nbins=EPOCH_TICKS, integer=True, steps=[1, 2, 5, 10]))
            axes.set_xlabel("epoch")
            axes.set_ylabel("training accuracy")
            axes.grid(alpha=0.3)
        figure.legend(*every.get_legend_handles_labels(), loc="outside lower center", ncols=2)
        return figure

    def _draw(self, axes, evidence, accuracy):
        """The same artists on every panel, so that one legend describes them all."""
        epochs = range(1, len(accuracy) + 1)
        axes.plot(epochs, accuracy, marker="o", label="training accuracy, as the grader computed it")
        if self.target is not None:
            axes.axhline(self.target, color="green", linestyle="--", label=f"target {self.target:g}")
        if self.max_epochs is not None:
            axes.axvline(self.max_epochs, color="red", linestyle=":", label=f"limit: {self.max_epochs} epochs")
        axes.axvline(len(accuracy), color="grey", alpha=0.6,
                     label=f"training {self._how_it_ended(evidence)} (epoch {len(accuracy)})")
        printed = evidence.epochs_printing(self.message) if self.message else []
        if printed:  # no legend entry for a mark that is not drawn
            axes.scatter([i + 1 for i in printed], [accuracy[i] for i in printed], marker="*", s=180,
                         color="orange", zorder=3, label="stop message printed")

    @staticmethod
    def _how_it_ended(evidence):
        if evidence.stopped_by_callback:
            return "was stopped by your callback"
        return "was broken off by an error in your code" if evidence.training_crash() else "ended"

    def alt_text(self, evidence):
        """The figure in words, for a screen reader or a page whose images are off."""
        accuracy = [epoch.accuracy for epoch in evidence.epochs]
        shown = list(enumerate(accuracy, start=1))[-ALT_EPOCHS:]
        listed = "; ".join(f"epoch {epoch}: {'unknown' if value is None else f'{value:.4f}'}" for epoch, value in shown)
        words = [f"Line chart of the training accuracy over {len(accuracy)} epochs"
                 + (f" (the last {len(shown)}: {listed})." if len(shown) < len(accuracy) else f": {listed}.")]
        if self.target is not None:
            first = evidence.first_epoch_reaching(self.target)
            words.append(f"Target {self.target:g}: "
                         + ("never reached." if first is None else f"first reached in epoch {first + 1}."))
        if self.max_epochs is not None:
            words.append(f"Epoch limit {self.max_epochs}.")
        words.append(f"Training {self._how_it_ended(evidence)} in epoch {len(accuracy)}.")
        if self.message:
            printed = [i + 1 for i in evidence.epochs_printing(self.message)]
            words.append(f"Stop message printed in epochs {printed}." if printed else "Stop message never printed.")
        return " ".join(words)
