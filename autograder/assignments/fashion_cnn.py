"""Grading spec of `fashion_cnn`: the lesson's Fashion-MNIST CNN and the journey of an image.

The student builds Conv2D(64, 3x3) -> MaxPooling2D(2) -> Conv2D(64, 3x3) ->
MaxPooling2D(2) -> Flatten -> Dense(128, relu) -> Dense(10, softmax), trains it
(`train_fashion_cnn()` returns the model) and writes `layer_activations(model,
images, filter_index)`. The grader checks the layers' output shapes, measures
test accuracy on 5,000 test images the notebook never gets and compares it
with a dense network trained the same way, and checks the activations against
its own computation on the same model.

Margin: the lesson's CNN beats the dense network by about 4 points on the full
data set (about 0.91 against 0.87) and by 3.5 on the quick profile (0.846
against 0.811 after 5 epochs on 6,000 images, measured on 2 CPU cores with
TensorFlow 2.21); the check asks for 2 points.
"""

import numpy as np

from autograder.checks.activations import ActivationsMatch
from autograder.checks.architecture import LayersMatch
from autograder.checks.baseline import BeatsDenseBaseline
from autograder.checks.callback_trial import FitInput
from autograder.datasets.fashion_mnist import FashionMnistData
from autograder.figures.activation_grid import ActivationGrid
from autograder.figures.layer_table import LayerTable
from autograder.figures.training_curve import TrainingCurve
from autograder.spec import Call, GradingSpec, Profile

JOURNEY_IMAGES = [0, 23, 28]  # the lesson's three shoes
JOURNEY_FILTER = 1
JOURNEY = Call("journey", "layer_activations", ("$model", "journey_images", "filter_index"))


CONV_SHAPES = LayersMatch("conv_output_shapes", points=2, layers=(
    ("Conv2D", (26, 26, 64), "relu"), ("MaxPooling2D", (13, 13, 64), None),
    ("Conv2D", (11, 11, 64), "relu"), ("MaxPooling2D", (5, 5, 64), None)),
    expects="convolutions and poolings give 26x26x64, 13x13x64, 11x11x64 and 5x5x64")
FLATTEN = LayersMatch("flatten_width", points=1, layers=(("Flatten", (1600,), None),),
                      expects="Flatten turns the 5x5x64 maps into 1,600 values")
CLASSIFIER = LayersMatch("dense_classifier", points=1, layers=(("Dense", (128,), "relu"), ("Dense", (10,), "softmax")),
                         expects="Dense(128, relu) then Dense(10, softmax) classify")
ACTIVATIONS = ActivationsMatch("activations_match", points=2, call=JOURNEY,
                               expects="layer_activations returns the chosen filter's maps after each conv and "
                               "pooling layer, as the grader computes them on your model")


def call_inputs(trusted):
    return {"journey_images": trusted["x_test"][JOURNEY_IMAGES], "filter_index": np.array(JOURNEY_FILTER)}


SPEC = GradingSpec(
    assignment="fashion_cnn",
    entry_point="train_fashion_cnn",
    dataset=FashionMnistData,
    calls=(JOURNEY,),
    call_inputs=call_inputs,
    checks=(CONV_SHAPES, FLATTEN, CLASSIFIER, BeatsDenseBaseline("beats_dense_baseline", points=2, margin=0.02),
            ACTIVATIONS),
    profiles={
        "quick": Profile("quick", train_images=6000, description="first 6,000 training images",
                         uncalibrated_seconds=600, uncalibrated_stall_seconds=90),
        "full": Profile("full", train_images=None, description="all 60,000 training images", as_written=True),
    },
    figures=(
        TrainingCurve("Training accuracy per epoch"),
        LayerTable("Your model, as the grader loaded it"),
        ActivationGrid(f"The journey of test images {JOURNEY_IMAGES} through filter {JOURNEY_FILTER}", call=JOURNEY),
    ),
    # The self-check trains nothing: shapes, preprocessing and the journey on the untrained model.
    self_checks=(CONV_SHAPES, FLATTEN, CLASSIFIER, FitInput("input_shape", points=0, shape=(28, 28, 1)), ACTIVATIONS),
    trial={"script": (0.75, 0.85, 0.88, 0.89, 0.9), "keys": ["accuracy"]},
)
