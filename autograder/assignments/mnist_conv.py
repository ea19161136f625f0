"""Grading spec of `mnist_conv`: MNIST to 99.8% with one Conv2D and one MaxPooling2D.

Profiles: `full` is the exercise as written (all 60,000 training images);
`quick` uses the first 3,000, which a correct solution still has to learn
(7 to 9 epochs, about 10 s of training on 2 CPU cores) for CI and demos.
"""

import re

from autograder.checks.architecture import LayerCount
from autograder.checks.callback_trial import RESCALING, UNSCALED_ABOVE, CallbackPrints, CallbackStops, FitInput
from autograder.checks.pitfalls import LOGS_KEY, Pitfall
from autograder.checks.training import PrintsStopMessage, ReachesTarget, StopsAtTarget, WithinEpochLimit
from autograder.datasets.mnist import MnistData
from autograder.figures.layer_table import LayerTable
from autograder.figures.training_curve import TrainingCurve
from autograder.sandboxed.protocol import ACCURACY_KEYS
from autograder.spec import GradingSpec, Profile

TARGET = 0.998
MAX_EPOCHS = 20
STOP_MESSAGE = "Reached 99.8% accuracy so cancelling training!"
# The self-check's scripted epochs: 0.9979 is just below the target, 0.9986 the first above it.
SCRIPT = (0.93, 0.985, 0.9968, 0.9979, 0.9986, 0.9991, 0.9995)
IMAGE_SHAPE = (28, 28, 1)
ONE_CONV = LayerCount("single_conv2d", points=1, layer="Conv2D", expected=1)
ONE_POOLING = LayerCount("single_maxpooling2d", points=1, layer="MaxPooling2D", expected=1)

# The classic mistakes of this exercise, each recognised from the evidence (see checks.pitfalls).
def _raised_in_callback_on_none(evidence):
    crash = evidence.training_crash() or ""
    return "TypeError" in crash and "NoneType" in crash


def _reads_legacy_acc_key(evidence):
    """Reads logs['acc'] with no 'accuracy' fallback, and that went wrong."""
    source = evidence.submission_source
    reads_acc = re.search(LOGS_KEY.format(key="acc"), source)
    reads_accuracy = re.search(LOGS_KEY.format(key="accuracy"), source)
    went_wrong = _raised_in_callback_on_none(evidence) or (evidence.epochs and not evidence.stopped_by_callback)
    return bool(reads_acc and not reads_accuracy and went_wrong)


def _input_not_reshaped(evidence):
    shapes = [fit.input.get("shape") for fit in evidence.fits]
    error = evidence.exception["message"] if evidence.exception else ""
    return any(shape and len(shape) == 3 for shape in shapes) or "found ndim=3" in error


def _pixels_not_scaled(evidence):
    rescaled = any(model.count(kind) for model in evidence.models for kind in RESCALING)
    return not rescaled and any((fit.input.get("max") or 0) > UNSCALED_ABOVE for fit in evidence.fits)


LEGACY_ACC_KEY = Pitfall(
    "legacy_acc_key",
    "In TensorFlow 2 the metric is logged as 'accuracy': logs.get('acc') returns None. "
    "Read logs.get('accuracy') (falling back to 'acc' if you like).",
    "stops_at_target", ("reaches_target", "within_epoch_limit", "prints_stop_message"),
    _reads_legacy_acc_key,
)


def stop_outside_if(target):
    """The callback stops training after epoch 1 although `target` was not reached."""
    return Pitfall(
        "stop_outside_if",
        "Your callback stops training whatever the accuracy: `self.model.stop_training = True` must sit inside "
        "the `if` that tests the accuracy.",
        "stops_at_target", ("reaches_target", "within_epoch_limit", "prints_stop_message"),
        lambda evidence: len(evidence.epochs) == 1 and evidence.stopped_by_callback
        and evidence.first_epoch_reaching(target) is None,
    )


INPUT_NOT_RESHAPED = Pitfall(
    "input_not_reshaped",
    f"Conv2D needs images of shape {IMAGE_SHAPE}: reshape with x_train.reshape(-1, {', '.join(map(str, IMAGE_SHAPE))}).",
    "reaches_target", ("within_epoch_limit", "stops_at_target", "prints_stop_message"),
    _input_not_reshaped,
)
PIXELS_NOT_SCALED = Pitfall(
    "pixels_not_scaled",
    "The images reached fit() with pixel values up to 255: scale them to [0, 1] by dividing by 255.0.",
    "reaches_target", ("within_epoch_limit", "stops_at_target"),
    _pixels_not_scaled,
)


SPEC = GradingSpec(
    assignment="mnist_conv",
    entry_point="train_mnist_conv",
    dataset=MnistData,
    checks=(
        ONE_CONV,
        ONE_POOLING,
        ReachesTarget("reaches_target", points=2, target=TARGET),
        WithinEpochLimit("within_epoch_limit", points=1, max_epochs=MAX_EPOCHS, target=TARGET),
        StopsAtTarget("stops_at_target", points=2, target=TARGET, script=SCRIPT),
        PrintsStopMessage("prints_stop_message", points=1, message=STOP_MESSAGE, target=TARGET, script=SCRIPT),
    ),
    profiles={
        "quick": Profile("quick", train_images=3000, description="first 3,000 training images",
                         uncalibrated_seconds=600, uncalibrated_stall_seconds=90),
        "full": Profile("full", train_images=None, description="all 60,000 training images", as_written=True),
    },
    pitfalls=(LEGACY_ACC_KEY, stop_outside_if(TARGET), INPUT_NOT_RESHAPED, PIXELS_NOT_SCALED),
    figures=(
        TrainingCurve("Training accuracy per epoch", target=TARGET, max_epochs=MAX_EPOCHS, message=STOP_MESSAGE),
        LayerTable("Your model, as the grader loaded it"),
    ),
    self_checks=(
        ONE_CONV,
        ONE_POOLING,
        FitInput("input_shape", points=0, shape=IMAGE_SHAPE),
        CallbackStops("callback_stops", points=0, target=TARGET, script=SCRIPT),
        CallbackPrints("callback_prints", points=0, message=STOP_MESSAGE, target=TARGET, script=SCRIPT),
    ),
    trial={"script": SCRIPT, "keys": list(ACCURACY_KEYS)},
)
