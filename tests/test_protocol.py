"""What crosses the sandbox boundary: messages framed and read back within
limits, only numbers as arrays, files read only when they are regular files;
and the trainer's judgement of what it was given (the grader's images and
labels, however scaled; numbers where numbers belong)."""

import io
import os

import keras
import numpy as np
import pytest

from autograder.errors import Refused
from autograder.evidence.collect import Evidence, apply_record
from autograder.sandboxed import protocol, remote_fit
from autograder.sandboxed.limits import FrameLimits as Limits
from autograder.sandboxed.protocol import Message, ProtocolError
from autograder.trainer.requests import FitData
from autograder.trainer.session import Reply
from autograder.trainer.training_data import graders_images, training_images

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (300, 28, 28), dtype=np.uint8)
IMAGES[:, 0, 0], IMAGES[:, 0, 1] = 0, 255  # every image spans 0..255, as MNIST's do
LABELS = RNG.integers(0, 10, 300).astype(np.uint8)


def roundtrip(kind, header, arrays=(), limits=Limits()):
    pipe = io.BytesIO()
    protocol.send(pipe, kind, header, arrays)
    pipe.seek(0)
    return protocol.receive(pipe, limits)


def test_a_message_with_arrays_comes_back_whole():
    x = RNG.random((5, 28, 28, 1), dtype=np.float32)
    kind, header, arrays = roundtrip(Message.FIT, {"args": {"epochs": 3}}, [x, LABELS[:5]])
    assert kind == Message.FIT and header == {"args": {"epochs": 3}}
    assert np.array_equal(arrays[0], x) and arrays[1].dtype == np.uint8


@pytest.mark.parametrize("limits", [Limits(header_bytes=10), Limits(array_bytes=100)])
def test_messages_over_the_limits_are_refused(limits):
    with pytest.raises(ProtocolError):
        roundtrip(Message.FIT, {"pad": "x" * 100}, [np.zeros(1000)], limits)


@pytest.mark.parametrize("body", [b'{"kind": 1}', b"[" * 100_000, b"\xff\xfe", b'{"kind": "fit", "header": {}, '
                                  b'"arrays": [{"dtype": "|O", "shape": [1]}]}'])
def test_malformed_headers_and_object_arrays_are_protocol_errors(body):
    pipe = io.BytesIO(len(body).to_bytes(8, "little") + body)
    with pytest.raises(ProtocolError):
        protocol.receive(pipe, Limits())


def test_a_message_cut_short_is_a_protocol_error_and_a_closed_pipe_an_eof():
    pipe = io.BytesIO()
    protocol.send(pipe, Message.FIT, {}, [np.zeros(100)])
    with pytest.raises(ProtocolError):
        protocol.receive(io.BytesIO(pipe.getvalue()[:-8]), Limits())
    with pytest.raises(EOFError):
        protocol.receive(io.BytesIO(b""), Limits())


def test_only_regular_files_are_read(tmp_path):
    fifo, link = str(tmp_path / "fifo"), str(tmp_path / "link")
    os.mkfifo(fifo)
    os.symlink("/etc/hostname", link)
    (tmp_path / "big").write_bytes(b"x" * 100)
    for path, words in ((fifo, "not a regular file"), (link, "is a link"), (str(tmp_path / "big"), "limit 10")):
        with pytest.raises(ProtocolError, match=words):
            protocol.read_regular_file(path, 10)


@pytest.mark.parametrize("transform", [
    lambda x: x, lambda x: x / 255.0, lambda x: (x.astype(np.float32) - 33.3) / 78.6,
    lambda x: x.reshape(-1, 28, 28, 1) / 127.5 - 1.0, lambda x: x.reshape(-1, 784).astype(np.float16) / 255,
])
def test_the_graders_images_are_recognised_however_scaled_and_shaped(transform):
    found = training_images(transform(IMAGES), LABELS, IMAGES, LABELS)
    assert found == {"images": 300, "found": 300, "distinct": 300, "wrong_labels": 0, "expected": 300}


DIGITS = IMAGES.copy()
DIGITS[:, :4], DIGITS[:, -4:], DIGITS[:, :, :4], DIGITS[:, :, -4:] = 0, 0, 0, 0  # a background, as MNIST's


def per_image_standardised(x):
    x = x.astype(np.float32)
    return (x - x.mean(axis=(1, 2), keepdims=True)) / x.std(axis=(1, 2), keepdims=True)


@pytest.mark.parametrize("transform", [
    per_image_standardised,
    lambda x: (x - x.min(axis=(1, 2), keepdims=True)) / np.ptp(x, axis=(1, 2), keepdims=True),
    lambda x: keras.utils.normalize(x, axis=1).reshape(-1, 28, 28, 1),  # each column, as the tutorial writes it
    lambda x: keras.utils.normalize(x / 255.0, axis=2),  # each row
    lambda x: keras.utils.normalize(x.reshape(-1, 784).astype(np.float32)),  # each image
])
def test_images_scaled_each_on_its_own_are_recognised(transform):
    found = training_images(transform(DIGITS), LABELS, DIGITS, LABELS)
    assert found == {"images": 300, "found": 300, "distinct": 300, "wrong_labels": 0, "expected": 300}


@pytest.mark.parametrize("change", [
    lambda x: x / 255.0 + np.eye(28)[LABELS % 28][:, :, None].transpose(0, 2, 1) * 0.02,  # the label, faintly
    lambda x: x * RNG.uniform(0.5, 2.0, (300, 1, 28)),  # each column scaled at will, not L2-normalised
    # the label carried by each image's brightness or offset, which a map per image would absorb
    lambda x: x / 255.0 * (1 + 0.05 * LABELS[:, None, None]),
    lambda x: keras.utils.normalize(x.reshape(300, -1)) + 0.01 * LABELS[:, None],
    lambda x: per_image_standardised(x) + 0.01 * LABELS[:, None, None],
    lambda x: keras.utils.normalize(x, axis=1) * (1 + 0.05 * LABELS[:, None, None]),
])
def test_the_graders_images_changed_otherwise_are_not_recognised(change):
    # a label in the brightness passes only for the images of the commonest brightness: one label's, ~10 %
    assert training_images(change(DIGITS.astype(np.float64)), LABELS, DIGITS, LABELS)["found"] < 50


def test_what_is_trained_on_is_the_graders_images_so_no_label_hides_in_a_tolerance():
    """A red team's cheat: each image min-max scaled with its background a label-dependent
    2e-4 off zero (recognised: within the tolerance), read by a model that crops to a corner
    pixel and multiplies it by 10,000. Trained on, the corner is the same in every image."""
    scaled = DIGITS.reshape(300, -1) / 255.0
    low, high = scaled.min(1, keepdims=True), scaled.max(1, keepdims=True)
    label = ((LABELS - 4.5) * 2e-4)[:, None]
    cheat = (label + (scaled - low) / (high - low) * (1 - label)).reshape(-1, 28, 28, 1)
    counts, images = graders_images(cheat, LABELS, DIGITS, LABELS)
    unmatched = 300 - counts["found"]  # left as given, too few to pass the data check (DATA_FOUND)
    assert unmatched < 15 and images.shape == cheat.shape and np.unique(images[:, 0, 0, 0]).size <= 1 + unmatched
    honest = DIGITS.reshape(-1, 28, 28, 1) / 255.0
    assert np.abs(graders_images(honest, LABELS, DIGITS, LABELS)[1] - honest).max() < 1e-6  # as given


def test_one_hot_labels_are_read_as_classes_and_wrong_ones_counted():
    one_hot = np.eye(10)[LABELS]
    assert training_images(IMAGES, one_hot, IMAGES, LABELS)["wrong_labels"] == 0
    assert training_images(IMAGES, (LABELS + 1) % 10, IMAGES, LABELS)["wrong_labels"] == 300


def test_other_images_and_a_subset_are_told_apart():
    noise = RNG.integers(0, 256, (300, 28, 28)).astype(np.uint8)
    assert training_images(noise, LABELS, IMAGES, LABELS)["found"] < 5
    assert training_images(IMAGES[:30], LABELS[:30], IMAGES, LABELS)["distinct"] == 30


def test_numpy_numbers_in_fit_arguments_are_numbers_and_strings_are_refused():
    arrays = [IMAGES, LABELS]
    data = FitData.from_message({"epochs": 20, "batch_size": 32, "validation_split": 0.2}, arrays)
    assert (data.epochs, data.batch_size, data.validation_split) == (20, 32, 0.2)
    for wrong in ({"epochs": "20"}, {"batch_size": 0}, {"validation_split": 1.5}, {"shuffle": 1}):
        with pytest.raises(Refused):
            FitData.from_message(wrong, arrays)


def test_a_reply_is_read_field_by_field():
    reply = Reply.from_header({"stop": "yes", "printed": 5, "learning_rate": float("nan"), "error": None})
    assert (reply.stop, reply.printed, reply.learning_rate, reply.error) == (False, "", None, None)
    assert Reply.from_header({"stop": True, "learning_rate": 0.01}).learning_rate == 0.01


def test_records_with_wrong_types_are_read_as_nothing_rather_than_trusted():
    evidence = Evidence("", None)
    apply_record(evidence, {"record": "fit", "fit": 0, "input": {"shape": ["3000"], "max": "1.0"}})
    apply_record(evidence, {"record": "epoch", "fit": 0, "epoch": 0, "accuracy": "0.999", "stop": "true"})
    apply_record(evidence, {"record": "epoch", "fit": "0", "epoch": 1, "accuracy": 0.999})
    assert evidence.fits[0].input == {"shape": [], "dtype": "", "min": None, "max": None}
    assert len(evidence.epochs) == 1 and evidence.epochs[0].accuracy is None and not evidence.epochs[0].stop


def test_weights_cannot_be_handed_over_in_a_configuration():
    import keras

    from autograder.trainer.rebuild import build_model

    weights = np.zeros((3, 3, 1, 64)).tolist()
    model = keras.Sequential([keras.Input((28, 28, 1)),
                              keras.layers.Conv2D(64, 3, kernel_initializer=keras.initializers.Constant(weights))])
    with pytest.raises(Refused, match="list of 576 numbers"):
        build_model(model.to_json(), [IMAGES[..., None], LABELS], seed=0)


def test_keras_functions_given_by_reference_become_their_names_and_the_students_stay_foreign():
    from autograder.trainer.config_tree import foreign_classes
    from autograder.trainer.rebuild import keras_functions

    def node(name):
        return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}

    config = {"activation": node("softmax_v2"), "loss": node("sparse_categorical_crossentropy"),
              "forged": node("accuracy"), "evil": {"module": "os", "class_name": "function", "config": "system"}}
    keras_functions(config, own={"softmax_v2", "sparse_categorical_crossentropy", "system"})
    assert config["activation"] == "softmax" and config["loss"] == "sparse_categorical_crossentropy"
    assert set(foreign_classes(config)) == {"system()", "accuracy()"}


def test_the_runner_names_only_keras_and_tensorflow_functions():
    import keras
    import tensorflow as tf

    def accuracy(y_true, y_pred):
        return y_true

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation=tf.nn.softmax)])
    model._autograder_compiled = [tf.keras.losses.sparse_categorical_crossentropy, accuracy, "accuracy",
                                  keras.metrics.SparseCategoricalAccuracy()]
    names = remote_fit.keras_function_names(model)
    assert "softmax_v2" in names and "sparse_categorical_crossentropy" in names and "accuracy" not in names


def test_an_epoch_trains_on_what_validation_split_and_steps_per_epoch_leave():
    arrays = [IMAGES, LABELS]
    assert FitData.from_message({"validation_split": 0.2}, arrays).trained_per_epoch() == 240
    assert FitData.from_message({"steps_per_epoch": 1, "batch_size": 1}, arrays).trained_per_epoch() == 1
