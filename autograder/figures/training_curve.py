"""The training curve: accuracy per epoch, against the target and the epoch limit.

It marks the epoch where training stopped and the epochs where the stop message
was printed, from the grader's own records of the run.

Example:

    >>> from autograder.figures.training_curve import TrainingCurve
    >>> TrainingCurve("Training curve", target=0.998, max_epochs=20, message="Reached").max_epochs
    20
"""

from dataclasses import dataclass

from .base import Figure, new_figure, png_output


@dataclass(frozen=True)
class TrainingCurve(Figure):
    target: float = None  # a horizontal line, when the exercise has a target
    max_epochs: int = None  # a vertical line at the epoch limit
    message: str = None  # epochs that printed it are marked

    def outputs(self, evidence):
        accuracy = [epoch.accuracy for epoch in evidence.epochs]
        if not any(value is not None for value in accuracy):
            return []
        epochs = list(range(1, len(accuracy) + 1))
        figure = new_figure(6.5, 3.4)
        axes = figure.add_subplot()
        axes.plot(epochs, accuracy, marker="o", label="training accuracy (recorded by the grader)")
        self._limits(axes)
        self._marks(axes, evidence, accuracy)
        axes.set_xlabel("epoch")
        axes.set_ylabel("accuracy")
        axes.set_xlim(0.5, max(len(epochs), self.max_epochs or 0) + 0.5)
        axes.legend(loc="lower right", fontsize="small")
        axes.grid(alpha=0.3)
        return [png_output(figure)]

    def _limits(self, axes):
        if self.target is not None:
            axes.axhline(self.target, color="green", linestyle="--", label=f"target {self.target:g}")
        if self.max_epochs is not None:
            axes.axvline(self.max_epochs, color="red", linestyle=":", label=f"limit: {self.max_epochs} epochs")

    def _marks(self, axes, evidence, accuracy):
        last = len(accuracy)
        how = ("stopped by your callback" if evidence.stopped_by_callback
               else "broken off: your code raised an error" if evidence.training_crash() else "training ended")
        axes.axvline(last, color="grey", alpha=0.6, label=f"{how} (epoch {last})")
        if self.message:
            printed = evidence.epochs_printing(self.message)
            axes.scatter([i + 1 for i in printed], [accuracy[i] for i in printed], marker="*", s=180,
                         color="orange", zorder=3, label="stop message printed")
