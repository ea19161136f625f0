"""Grading spec of `mnist_conv`: MNIST to 99.8% with one Conv2D and one MaxPooling2D.

Profiles: `full` is the exercise as written (all 60,000 training images);
`quick` uses the first 3,000, which a correct solution still has to learn
(7 to 9 epochs, about 10 s of training on 2 CPU cores) for CI and demos.
"""

from autograder.checks.architecture import LayerCount
from autograder.checks.callback_trial import CallbackPrints, CallbackStops, FitInput
from autograder.checks.pitfalls import INPUT_NOT_RESHAPED, LEGACY_ACC_KEY, PIXELS_NOT_SCALED, stop_outside_if
from autograder.checks.training import PrintsStopMessage, ReachesTarget, StopsAtTarget, WithinEpochLimit
from autograder.datasets.mnist import MnistData
from autograder.figures.layer_table import LayerTable
from autograder.figures.training_curve import TrainingCurve
from autograder.spec import GradingSpec, Profile

TARGET = 0.998
MAX_EPOCHS = 20
STOP_MESSAGE = "Reached 99.8% accuracy so cancelling training!"
# The self-check's scripted epochs: 0.9979 is just below the target, 0.9986 the first above it.
SCRIPT = (0.93, 0.985, 0.9968, 0.9979, 0.9986, 0.9991, 0.9995)
ONE_CONV = LayerCount("single_conv2d", points=1, layer="Conv2D", expected=1)
ONE_POOLING = LayerCount("single_maxpooling2d", points=1, layer="MaxPooling2D", expected=1)

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
        "quick": Profile("quick", train_images=3000, description="first 3,000 training images"),
        "full": Profile("full", train_images=None, description="all 60,000 training images"),
    },
    pitfalls=(LEGACY_ACC_KEY, stop_outside_if(TARGET), INPUT_NOT_RESHAPED, PIXELS_NOT_SCALED),
    figures=(
        TrainingCurve("Training accuracy per epoch", target=TARGET, max_epochs=MAX_EPOCHS, message=STOP_MESSAGE),
        LayerTable("Your model, as the grader loaded it"),
    ),
    self_checks=(
        ONE_CONV,
        ONE_POOLING,
        FitInput("input_shape", points=0, shape=(28, 28, 1)),
        CallbackStops("callback_stops", points=0, target=TARGET, script=SCRIPT),
        CallbackPrints("callback_prints", points=0, message=STOP_MESSAGE, target=TARGET, script=SCRIPT),
    ),
    trial={"script": SCRIPT, "keys": ["accuracy", "acc"]},
)
