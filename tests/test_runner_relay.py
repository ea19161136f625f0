"""The runner's side of training, in-process with a stand-in for the trainer:
Keras' own callbacks keep working (a learning rate they set is passed on,
EarlyStopping stops), what callbacks print is captured per epoch, an exception
in a callback is reported and raised, and a model that cannot cross as data
gets a message saying what to write instead."""

import sys

import keras
import numpy as np
import pytest

from autograder.sandboxed import calls, events, remote_fit
from autograder.sandboxed.protocol import Message


class FakeTrainer:
    """Plays the trainer: epoch begin and end for each loss in `losses`, then done; keeps the replies."""

    def __init__(self, model, losses):
        weights = model.get_weights()
        self.script = []
        for epoch, loss in enumerate(losses):
            self.script += [(Message.EPOCH_BEGIN, {"epoch": epoch}, []),
                            (Message.EPOCH_END, {"epoch": epoch, "logs": {"loss": loss, "accuracy": 1 - loss}}, weights)]
        self.script.append((Message.FIT_DONE, {}, weights))
        self.replies = []

    def receive(self):
        return self.script.pop(0)

    def send(self, kind, header, arrays=()):
        if kind == Message.TRAIN_END:
            self.train_ended = True
            return
        assert kind == Message.REPLY
        self.replies.append(header)


class Log:
    def __init__(self):
        self.events = []

    def write(self, event, **fields):
        self.events.append((event, fields))

    def output(self, text, **where):
        self.events.append(("output", {"text": text, **where}))


def model():
    built = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    built.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return built


def relay(built, callbacks, losses):
    trainer = FakeTrainer(built, losses)
    history = remote_fit.relay_epochs(keras, built, callbacks, trainer, Log(), events.TrainingState(), {"epochs": 10})
    return trainer.replies, history


def test_a_learning_rate_set_by_keras_callbacks_is_passed_on():
    halve = keras.callbacks.LearningRateScheduler(lambda epoch, rate: 0.01 / 2 ** epoch)
    replies, history = relay(model(), [halve], [0.5, 0.4, 0.3])
    rates = [reply["learning_rate"] for reply in replies[::2]]  # the epochs' beginnings
    assert rates[0] is None and rates[1:] == pytest.approx([0.005, 0.0025]) and history.epoch == [0, 1, 2]


def test_early_stopping_stops_and_history_has_the_trainers_logs():
    stopper = keras.callbacks.EarlyStopping(monitor="loss", patience=0)
    replies, history = relay(model(), [stopper], [0.5, 0.6, 0.7])
    assert [reply["stop"] for reply in replies[1::2]] == [False, True, True]
    assert history.history["loss"][:2] == [0.5, 0.6]


def test_what_a_callback_prints_is_captured_in_its_epoch_and_an_error_is_reported_then_raised(monkeypatch):
    class Loud(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print(f"epoch {epoch}")
            if epoch == 1:
                raise TypeError("'>' not supported")

    built, state, log = model(), events.TrainingState(), Log()
    monkeypatch.setattr(sys, "stdout", events.TaggedStream(sys.stdout, "stdout", log, state))  # as in the sandbox
    trainer = FakeTrainer(built, [0.5, 0.4, 0.3])
    with pytest.raises(TypeError):
        remote_fit.relay_epochs(keras, built, [Loud()], trainer, log, state, {"epochs": 3})
    ends = trainer.replies[1::2]
    assert ends[0]["printed"] == "epoch 0\n" and ends[0]["error"] is None
    assert ends[1]["error"].startswith("TypeError") and ends[1]["stop"] is False
    assert ends[2] == {"stop": True, "printed": "", "learning_rate": None, "error": None}


def test_a_subclassed_model_gets_a_message_saying_what_to_write():
    class Mine(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(remote_fit.GraderTrainsModel, match="trains your model itself"):
        remote_fit.crossable_model(keras, Mine())


def test_datasets_and_generators_are_read_out_to_arrays_within_the_limit():
    import tensorflow as tf

    x, y = np.arange(40, dtype=np.float32).reshape(10, 4), np.arange(10) % 2
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    got = remote_fit.training_arrays({"x": dataset}, 10**6)
    assert np.array_equal(got[0], x) and got[3] == 4 and got[4] is None

    def endless():
        while True:
            yield x[:5], y[:5]

    got = remote_fit.training_arrays({"x": endless(), "steps_per_epoch": np.int64(2)}, 10**6)
    assert got[0].shape == (10, 4)
    with pytest.raises(remote_fit.GraderTrainsModel, match="endless"):
        remote_fit.training_arrays({"x": endless()}, 10**4)


def test_numpy_numbers_become_plain_json_numbers():
    assert [remote_fit.number(value) for value in (np.int32(32), np.float64(0.2), 20, None, True)] == \
        [32, 0.2, 20, None, True]


@pytest.mark.parametrize("dataset, name, test_images", [("mnist.MnistData", "mnist", 10000),
                                                        ("fashion_mnist.FashionMnistData", "fashion_mnist", 5000)])
@pytest.mark.usefixtures("mnist_path")
def test_keras_own_loaders_read_the_graders_copy_offline(dataset, name, test_images, tmp_path, monkeypatch):
    """The lessons' `tf.keras.datasets.NAME.load_data()` (any `path=`) gets the job's arrays, never
    the network; a data set named that Keras does not have is left alone."""
    import importlib

    import tensorflow as tf
    from traitlets.utils.importstring import import_item

    from autograder.sandboxed.protocol import KERAS_DATASET_ENV_PREFIX
    from autograder.spec import Profile

    source = importlib.import_module(f"keras.src.datasets.{name}")
    monkeypatch.setattr(source, "get_file", source.get_file)  # put back after the test
    data = import_item(f"autograder.datasets.{dataset}")()
    files = data.sandbox_files(str(tmp_path), Profile("tiny", train_images=50, description="50"))
    environ = {key: str(tmp_path / file) for key, file in files.items()}
    calls.serve_keras_datasets({**environ, f"{KERAS_DATASET_ENV_PREFIX}NO_SUCH_SET": "/x", "HOME": "/"})
    (x_train, y_train), (x_test, y_test) = getattr(tf.keras.datasets, name).load_data()
    assert x_train.shape == (50, 28, 28) and y_train.shape == (50,) and x_test.shape == (test_images, 28, 28)
    with np.load(environ[data.ENV]) as kept:  # what the notebook's own loader reads: the same arrays
        assert (kept["x_train"] == x_train).all() and (kept["y_test"] == y_test).all()
    if name == "mnist":
        assert keras.datasets.mnist.load_data(path="/elsewhere/mnist.npz")[0][0].shape == (50, 28, 28)
