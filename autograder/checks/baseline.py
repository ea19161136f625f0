"""A check that the student's network beats a plain dense network trained the
same way: same images, same epochs, same preprocessing, measured by the grader
on test images the student's code never saw.

The baseline is the lesson's: Flatten -> Dense(128, relu) -> Dense(10,
softmax), Adam, batch size 32, a fixed seed. It is trained here, on the trusted
side, once per (images, epochs, preprocessing) in this process.

Example:

    >>> from autograder.checks.baseline import BeatsDenseBaseline
    >>> BeatsDenseBaseline("beats_dense_baseline", points=2, margin=0.02).margin
    0.02
"""

from dataclasses import dataclass, field

from autograder.checks.base import Check, Outcome
from autograder.checks.training import incomplete_training
from autograder.evidence.inspect_model import accuracy_on, describe_error

_BASELINES = {}  # (images, epochs, scaled) -> held-out accuracy


def dense_baseline_accuracy(trusted, epochs, scaled):
    key = (len(trusted["x"]), epochs, scaled)
    if key not in _BASELINES:
        import keras

        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                  keras.layers.Dense(128, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        scale = 255.0 if scaled else 1.0
        model.fit(trusted["x"] / scale, trusted["y"], epochs=epochs, batch_size=32, verbose=0)
        _, accuracy = model.evaluate(trusted["x_holdout"] / scale, trusted["y_holdout"], verbose=0)
        _BASELINES[key] = float(accuracy)
    return _BASELINES[key]


@dataclass(frozen=True)
class BeatsDenseBaseline(Check):
    margin: float = 0.02
    expects: str = field(default="")

    def default_expects(self):
        return f"test accuracy at least {self.margin * 100:g} points above a dense network trained the same way"

    def evaluate(self, evidence):
        if missing := incomplete_training(evidence):
            return missing
        if evidence.model.keras_model is None:
            return Outcome(False, "", f"The trained model could not be loaded: {evidence.model_problem()}.")
        try:
            yours = accuracy_on(evidence.model, evidence.trusted["x_holdout"], evidence.trusted["y_holdout"])
        except Exception as error:  # a model that cannot take 28x28 images
            return Outcome(False, "", f"The grader could not measure your model: {describe_error(error)}.")
        epochs = len(evidence.epochs)
        baseline = dense_baseline_accuracy(evidence.trusted, epochs, evidence.model.inputs_scaled)
        compared = (f"your network scored {yours:.4f} on {len(evidence.trusted['y_holdout']):,} test images it never "
                    f"saw; a dense network trained the same way ({epochs} epochs) scored {baseline:.4f}")
        return Outcome(yours >= baseline + self.margin, f"Convolutions pay off: {compared}.",
                       f"Not enough above the dense baseline: {compared}; the target is {self.margin * 100:g} "
                       "points above it.")
