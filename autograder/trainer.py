"""The grader's trainer: trains what a student's run hands to `fit`, in a
process where no student code runs.

`run_in_isolation` starts it beside the sandboxed run, joined to it by two
pipes (see `protocol`). For each `fit` the runner sends a model's Keras
configuration, its compile settings, the `fit` arguments and the arrays. The
trainer loads the configuration in safe mode (refusing any class that is not
Keras' own), initialises the weights itself (seeded), trains, computes every
metric itself (its own accuracy always among them, whatever the student
compiled) and after each epoch asks the student's callbacks, through the
runner, whether to stop. Its record (`training.jsonl`) and the trained models
(`model-N.keras`) are the evidence the training checks read.

It runs on any Keras 3 backend (TensorFlow by default; JAX where no
TensorFlow is, as on `bench/gpu_grading.sh`'s machines). It alone may use a
GPU, within the job's `gpu_memory_limit`.

Usage (run_in_isolation starts it, with the pipes as stdin and stdout):

    python -m autograder.trainer FOLDER   # FOLDER holds trainer.json and trusted.npz
    python -m autograder.trainer --probe BYTES   # doctor: one operation on the trainer's device, as JSON
"""

import json
import math
import os
import subprocess
import sys
import time

import keras
import numpy as np

from . import protocol
from .inspect_model import foreign_classes
from .protocol import Message, Record
from .training_data import graders_images

GRADER_ACCURACY = "grader_accuracy"  # the trainer's own metric, never shown to student code
MAX_PRINTED = protocol.MAX_PRINTED
MAX_FITS = 10  # fit calls one run may make: each saves a model the grader inspects
MAX_PARAMETERS = 20_000_000  # the lesson's networks have 1.4 million at most
# A configuration holds shapes and settings; a long list of numbers in it is weights handed over
# (a Constant initializer, a Normalization's arrays): the trainer initialises the weights itself.
MAX_CONFIG_NUMBERS = 64
MAX_CONFIG_BYTES = 1_000_000
FIT_ARGUMENTS = {"batch_size": int, "epochs": int, "initial_epoch": int, "steps_per_epoch": int,
                 "validation_split": float, "shuffle": bool}


class Refused(Exception):
    """This fit cannot be trained from data alone; the message says what to write instead."""


class RecordLog:
    """The trainer's record: one JSON object a line, flushed at once, each with
    the seconds since the trainer started (where a grading spends its time)."""

    def __init__(self, path):
        self._file, self._started = open(path, "a", encoding="utf-8"), time.monotonic()

    def write(self, kind, **fields):
        fields["seconds"] = round(time.monotonic() - self._started, 3)
        self._file.write(json.dumps({"record": kind, **fields}, default=str) + "\n")
        self._file.flush()


class Session:
    """One grading run's trainings: the models by the runner's id, the pipes, the record."""

    def __init__(self, folder, job, incoming, outgoing):
        self.folder, self.job = folder, job
        self.incoming, self.outgoing = incoming, outgoing
        self.record = RecordLog(os.path.join(folder, protocol.TRAINING_FILE))
        self.limits = protocol.Limits(array_bytes=job.transfer_limit)
        self.models, self.fits, self.epochs = {}, 0, 0
        with np.load(os.path.join(folder, protocol.TRUSTED_DATA_FILE), allow_pickle=False) as data:
            self.trusted = {key: data[key] for key in data.files}

    def serve(self):
        while True:
            try:
                kind, header, arrays = protocol.receive(self.incoming, self.limits)
            except EOFError:
                return
            if kind != Message.FIT:
                raise protocol.ProtocolError(f"expected a fit request, got {kind!r}")
            self.fit(header, arrays)

    def send(self, kind, header, arrays=()):
        protocol.send(self.outgoing, kind, header, arrays)

    def reply(self):
        # JSON may write a character as 12 bytes (a surrogate pair, escaped)
        kind, header, _ = protocol.receive(self.incoming, protocol.Limits(header_bytes=16 * MAX_PRINTED, array_bytes=0))
        if kind != Message.REPLY:
            raise protocol.ProtocolError(f"expected a reply, got {kind!r}")
        return Reply.from_header(header)

    def fit(self, header, arrays):
        index, self.fits = self.fits, self.fits + 1
        try:
            model, data, compared = self.prepare(header, arrays, index)
        except Refused as error:
            self.record.write(Record.REFUSED, fit=index, reason=str(error))
            self.send(Message.REFUSED, {"reason": str(error)})
            return
        self.record.write(Record.FIT, fit=index, input=data.summary(), data=compared, **data.arguments())
        relay = Relay(self, index)
        try:
            data.train(model, relay)
        except (protocol.ProtocolError, EOFError, OSError):
            raise  # the runner is gone or broke the protocol: nothing to answer
        except Exception as error:  # Keras refused the data or the model: the student's to fix
            reason = f"{type(error).__name__}: {first_line(error)}"
            self.record.write(Record.FIT_END, fit=index, error=reason, epochs=relay.epochs)
            self.record.write(Record.TRAIN_END, fit=index)  # the runner raises at once: no callback runs
            self.send(Message.REFUSED, {"reason": reason})
            return
        self.epochs += relay.epochs
        self.save(model, index)
        self.record.write(Record.FIT_END, fit=index, epochs=relay.epochs, stopped=relay.stopped,
                          error=relay.student_error)
        self.send(Message.FIT_DONE, {}, model.get_weights())
        self.await_train_end(index)

    def await_train_end(self, index):
        """The student's on_train_end callbacks run once the weights are back: the fit stays open
        in the record (for the grader's watchdog) until the runner says they returned."""
        kind, _, _ = protocol.receive(self.incoming, protocol.Limits(header_bytes=1024, array_bytes=0))
        if kind != Message.TRAIN_END:
            raise protocol.ProtocolError(f"expected the end of training, got {kind!r}")
        self.record.write(Record.TRAIN_END, fit=index)

    def prepare(self, header, arrays, index):
        """(model, FitData, comparison with the grader's data) for a fit request, or Refused saying why not."""
        if index >= MAX_FITS:
            raise Refused(f"more than {MAX_FITS} fit calls in one run")
        try:
            data = FitData.from_message(header.get("args"), arrays)
            if self.epochs + data.epochs - data.initial_epoch > self.job.max_epochs:
                raise Refused(f"more than {self.job.max_epochs} epochs in all")
            return self.model_for(header, arrays, index), data, data.compare_with(self.trusted)
        except Refused:
            raise
        except Exception as error:  # whatever the request holds, it is refused, never a crash of the trainer
            raise Refused(f"the request cannot be used ({type(error).__name__}: {first_line(error)})") from error

    def model_for(self, header, arrays, index):
        """The Keras model to train: the one trained before under this id if its
        architecture is unchanged (recompiled if its settings changed), else a new one."""
        architecture, settings = header.get("model"), header.get("compile")
        if not isinstance(architecture, str) or not isinstance(settings, str):
            raise Refused("the model's configuration did not reach the grader")
        if len(architecture) > MAX_CONFIG_BYTES:
            raise Refused(f"the model's configuration is over {MAX_CONFIG_BYTES:,} characters")
        own = {name for name in header.get("keras_functions") or [] if isinstance(name, str)}
        known = self.models.get(str(header.get("model_id")))
        if not known or known["architecture"] != architecture:
            known = {"architecture": architecture, "model": build_model(architecture, arrays, self.job.seed, own),
                     "settings": None}
            self.models[str(header.get("model_id"))] = known
        if known["settings"] != settings:  # compiled anew: a fresh optimizer, as in Keras
            try:
                compile_model(known["model"], settings, arrays[1], own)
            except Refused:  # the layers can still be judged: keep the model as built
                self.save(known["model"], index)
                raise
            known["settings"] = settings
        return known["model"]

    def save(self, model, index):
        model.save(os.path.join(self.folder, protocol.trained_model_file(index)))


class Reply:
    """The runner's answer after an epoch's begin or end, with every field's type checked."""

    def __init__(self, stop, printed, learning_rate, error):
        self.stop, self.printed, self.learning_rate, self.error = stop, printed, learning_rate, error

    @classmethod
    def from_header(cls, header):
        rate = header.get("learning_rate")
        rate = float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else None
        error = header.get("error")
        return cls(header.get("stop") is True, text(header.get("printed"))[:MAX_PRINTED],
                   rate if rate is not None and math.isfinite(rate) and 0 < rate <= 10 else None,
                   text(error)[:2000] if error is not None else None)


def text(value):
    return value if isinstance(value, str) else ""


class FitData:
    """The arrays and arguments of one fit, checked: numbers where numbers belong."""

    def __init__(self, arrays, arguments):
        self.x, self.y = arrays[0], arrays[1]
        self.validation = tuple(arrays[2:4]) if len(arrays) >= 4 else None
        self.batch_size = arguments.get("batch_size")
        self.epochs, self.initial_epoch = arguments.get("epochs", 1), arguments.get("initial_epoch", 0)
        self.steps_per_epoch = arguments.get("steps_per_epoch")
        self.validation_split = arguments.get("validation_split", 0.0)
        self.shuffle = arguments.get("shuffle", True)

    @classmethod
    def from_message(cls, arguments, arrays):
        if not isinstance(arguments, dict) or len(arrays) not in (2, 4) or min(np.ndim(a) for a in arrays) < 1:
            raise Refused("fit needs training images and labels as arrays")
        if arrays[1].dtype.kind == "f" and not np.all(np.isfinite(arrays[1])):
            raise Refused("the labels given to fit are not all finite numbers")
        checked = {}
        for name, kind in FIT_ARGUMENTS.items():
            value = arguments.get(name)
            if value is None:
                continue
            if isinstance(value, bool) != (kind is bool) or not isinstance(value, (int, float)):
                raise Refused(f"fit's {name} must be a number, not {value!r}"[:200])
            checked[name] = kind(value)
        if not 0 <= checked.get("validation_split", 0.0) < 1 or checked.get("batch_size", 1) < 1 \
                or checked.get("epochs", 1) < 0 or checked.get("steps_per_epoch", 1) < 1:
            raise Refused(f"fit's arguments are out of range: {checked}")
        if len(arrays[0]) != len(arrays[1]) or len(arrays[0]) == 0:
            raise Refused(f"fit got {len(arrays[0])} images and {len(arrays[1])} labels")
        return cls(arrays, checked)

    def arguments(self):
        return {"batch_size": self.batch_size, "epochs": self.epochs, "steps_per_epoch": self.steps_per_epoch,
                "validation_split": self.validation_split, "trained_per_epoch": self.trained_per_epoch()}

    def trained_per_epoch(self):
        """Images one epoch trains on: what `validation_split` and `steps_per_epoch` leave (as Keras counts)."""
        trained = int(len(self.x) * (1.0 - self.validation_split))
        if self.steps_per_epoch is not None:
            trained = min(trained, self.steps_per_epoch * (self.batch_size or 32))
        return trained

    def summary(self):
        """Shape, dtype and range of the images, to diagnose preprocessing."""
        return {"shape": list(self.x.shape), "dtype": str(self.x.dtype),
                "min": float(np.min(self.x)), "max": float(np.max(self.x))}

    def compare_with(self, trusted):
        """How the images and labels given to fit relate to the grader's training
        set (see `training_images`); {} when the assignment has none. The images
        found are trained on as the grader's own (see `graders_images`)."""
        if "x" not in trusted or "y" not in trusted:
            return {}
        found, self.x = graders_images(self.x, self.y, trusted["x"], trusted["y"])
        return found

    def train(self, model, relay):
        model.fit(self.x, self.y, batch_size=self.batch_size, epochs=self.epochs, initial_epoch=self.initial_epoch,
                  steps_per_epoch=self.steps_per_epoch, validation_split=self.validation_split,
                  validation_data=self.validation, shuffle=self.shuffle, callbacks=[relay], verbose=0)


def parsed(text, what):
    try:
        return protocol.loads(text)
    except protocol.ProtocolError as error:
        raise Refused(f"{what} cannot be read ({error})") from error


def build_model(architecture, arrays, seed, own=()):
    """A new model from its Keras JSON configuration, in safe mode, weights seeded here;
    `own`: the functions given by reference that are Keras' (see keras_functions)."""
    config = parsed(architecture, "the model's configuration")
    if not isinstance(config, dict):
        raise Refused("the model's configuration is not a Keras model")
    config.pop("compile_config", None)  # compiled from the settings, checked, in compile_model
    keras_functions(config, own)
    if foreign := foreign_classes(config):
        raise Refused(f"it uses {', '.join(foreign)}, which are not Keras' own classes")
    if (numbers := longest_number_list(config)) > MAX_CONFIG_NUMBERS:
        raise Refused(f"its configuration carries a list of {numbers} numbers: weights cannot be handed to the "
                      "grader, which initialises them itself")
    keras.utils.set_random_seed(seed)
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
        if not model.built:
            model.build((None,) + arrays[0].shape[1:])
    except Exception as error:  # whatever the configuration holds, it is refused, not run
        raise Refused(f"the model cannot be rebuilt from its configuration ({type(error).__name__}: "
                      f"{first_line(error)})") from error
    if not isinstance(model, keras.Model):
        raise Refused("the configuration is not a Keras model")
    if model.count_params() > MAX_PARAMETERS:
        raise Refused(f"it has {model.count_params():,} parameters, more than the {MAX_PARAMETERS:,} allowed")
    return model


def keras_functions(tree, own):
    """Replaces functions given by reference that the runner found to be Keras' or TensorFlow's
    (`own`: their names; `activation=tf.nn.softmax`, `loss=tf.keras.losses.sparse_categorical_crossentropy`,
    as the lesson's code writes them) by the Keras names they have. A function the student wrote
    stays, whatever its name, and is refused as foreign. Iterative: any depth."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for key, value in list(node.items() if isinstance(node, dict) else enumerate(node)):
            if isinstance(value, dict) and value.get("class_name") == "function" and value.get("config") in own \
                    and keras_name(value["config"]):
                node[key] = keras_name(value["config"])
            elif isinstance(value, (dict, list)):
                stack.append(value)


def keras_name(name):
    """The name Keras has for the activation, loss or metric `name` (a TensorFlow op's `_v2` aside), or None."""
    name = name.removesuffix("_v2") if isinstance(name, str) else ""
    for get in (keras.activations.get, keras.losses.get, keras.metrics.get):
        try:
            if name and get(name) is not None:
                return name
        except (ValueError, TypeError):
            continue
    return None


def longest_number_list(config):
    """The most numbers held in one list of a config tree, its nested lists included."""
    stack, longest = [config], 0
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            numbers, inner = 0, [node]
            while inner:
                for item in inner.pop():
                    if isinstance(item, list):
                        inner.append(item)
                    elif isinstance(item, (int, float)):
                        numbers += 1
                    else:
                        stack.append(item)
            longest = max(longest, numbers)
    return longest


def compile_model(model, settings, labels, own=()):
    """Compiles with the student's optimizer, loss and metrics (Keras' own only),
    plus the grader's accuracy."""
    config = parsed(settings, "the compile settings")
    if not isinstance(config, dict):
        raise Refused("the compile settings cannot be read")
    keras_functions(config, own)
    if foreign := foreign_classes(config):
        raise Refused(f"the compile settings use {', '.join(foreign)}, which are not Keras' own")
    try:
        metrics = [resolved(metric, keras.metrics.get) for metric in as_list(config.get("metrics") or [])]
        model.compile(optimizer=keras.optimizers.get(config.get("optimizer") or "rmsprop"),
                      loss=resolved(config.get("loss"), keras.losses.get), metrics=metrics + [grader_metric(labels)])
    except Exception as error:
        raise Refused(f"the compile settings cannot be used ({type(error).__name__}: {first_line(error)})") from error


def grader_metric(labels):
    """Accuracy for labels given as class numbers or as one-hot rows."""
    if np.ndim(labels) == 2 and np.shape(labels)[1] > 1:
        return keras.metrics.CategoricalAccuracy(name=GRADER_ACCURACY)
    return keras.metrics.SparseCategoricalAccuracy(name=GRADER_ACCURACY)


def resolved(identifier, get):
    """A name is left to compile() (which picks the right accuracy for the labels); a config is deserialised."""
    return identifier if isinstance(identifier, str) or identifier is None else get(identifier)


def as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def first_line(error):
    return (str(error).splitlines() or [""])[0][:500]


class Relay(keras.callbacks.Callback):
    """The trainer's callback, the only one in its fit: after each epoch, sends
    the logs and the weights to the runner, whose student callbacks answer."""

    def __init__(self, session, fit):
        super().__init__()
        self.session, self.fit, self.epochs = session, fit, 0
        self.stopped, self.student_error, self.printed = None, None, ""

    def on_epoch_begin(self, epoch, logs=None):
        self.session.send(Message.EPOCH_BEGIN, {"epoch": epoch})
        self.printed = self.answer(self.session.reply(), epoch)

    def on_epoch_end(self, epoch, logs=None):
        logs = {key: float(value) for key, value in (logs or {}).items()}
        accuracy = logs.pop(GRADER_ACCURACY, None)
        self.epochs += 1
        if self.student_error:
            self.write(epoch, accuracy, logs, self.printed, False)
            return
        self.session.send(Message.EPOCH_END, {"epoch": epoch, "logs": logs}, self.model.get_weights())
        reply = self.session.reply()
        self.write(epoch, accuracy, logs, self.printed + self.answer(reply, epoch), reply.stop)
        if reply.stop:
            self.stopped = epoch
            self.model.stop_training = True

    def answer(self, reply, epoch):
        """Applies a reply (a learning rate the callbacks set; an exception they raised); returns what they printed."""
        if reply.learning_rate is not None:
            self.model.optimizer.learning_rate = reply.learning_rate
        if reply.error and not self.student_error:
            self.student_error = {"epoch": epoch, "message": reply.error}
            self.model.stop_training = True
        return reply.printed

    def write(self, epoch, accuracy, logs, printed, stop):
        self.session.record.write(Record.EPOCH, fit=self.fit, epoch=epoch, accuracy=accuracy, logs=logs,
                                  printed=printed[:MAX_PRINTED], stop=stop,
                                  learning_rate=float(self.model.optimizer.learning_rate))


def limit_gpu_memory(limit, backend=None, environ=os.environ):
    """Caps the GPU memory this process takes at `limit` bytes (0: no cap); call it before anything is
    computed. TensorFlow: every GPU becomes one logical device of that size. JAX: XLA's allocator grows
    as needed up to that fraction of the card (it reads its environment when the backend starts)."""
    if not limit:
        return
    backend = backend or keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        limit_tensorflow_gpus(tf.config, limit)
    elif backend == "jax":
        environ.pop("XLA_PYTHON_CLIENT_MEM_FRACTION", None)  # the older name: XLA refuses both at once
        environ.update(jax_memory_environment(limit, gpu_memory_total()))


def limit_tensorflow_gpus(config, limit):
    """`config`: tf.config. Whole MiB, as TensorFlow counts them."""
    for gpu in config.list_physical_devices("GPU"):
        config.set_logical_device_configuration(
            gpu, [config.LogicalDeviceConfiguration(memory_limit=max(1, limit // 2**20))])


def jax_memory_environment(limit, total):
    """XLA's allocator settings for `limit` bytes of a card of `total` bytes ({} without a card)."""
    if not total:
        return {}
    return {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", "XLA_CLIENT_MEM_FRACTION": f"{min(1.0, limit / total):.4f}"}


def gpu_memory_total():
    """Bytes of memory of the smallest NVIDIA card here, or None where nvidia-smi finds none."""
    try:
        found = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                               capture_output=True, text=True, timeout=30, check=True).stdout.split()
        return min(int(mib) for mib in found) * 2**20 if found else None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def accelerator():
    """The name of the GPU Keras computes on in this process, or None (the CPU)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name) if gpus else None
    if backend == "jax":
        import jax

        gpus = [device for device in jax.devices() if device.platform == "gpu"]
        return gpus[0].device_kind if gpus else None
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return None


def probe(limit):
    """{"backend", "device", "result"}: one operation computed as the trainer computes, under `limit`."""
    limit_gpu_memory(limit)
    ones = keras.ops.ones((256, 256))
    result = float(keras.ops.convert_to_numpy(keras.ops.sum(keras.ops.matmul(ones, ones))))
    return {"backend": keras.backend.backend(), "device": accelerator(), "result": result}


def main(folder):
    incoming, outgoing = os.fdopen(os.dup(0), "rb"), os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # nothing Keras prints may reach the pipe
    with open(os.path.join(folder, protocol.TRAINER_JOB_FILE), encoding="utf-8") as handle:
        job = protocol.TrainerJob.from_json(json.load(handle))
    limit_gpu_memory(job.gpu_memory_limit)
    try:
        Session(folder, job, incoming, outgoing).serve()
    except (protocol.ProtocolError, EOFError, BrokenPipeError) as error:
        sys.stderr.write(f"trainer: the run ended the conversation ({error})\n")


if __name__ == "__main__":
    if sys.argv[1] == "--probe":
        print(json.dumps(probe(int(sys.argv[2]))))
    else:
        main(sys.argv[1])
