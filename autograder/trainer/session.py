"""The trainer's session: one grading run's trainings, over the two pipes to the
student's run (see `autograder.sandboxed.protocol`). For each `fit` request it
rebuilds and compiles the model (`rebuild`), checks the arrays and arguments
(`requests`), trains, and after each epoch asks the student's callbacks,
through the runner, whether to stop. Its record (`training.jsonl`) and the
trained models (`model-N.keras`) are the evidence the training checks read.
"""

import json
import math
import os
import sys
import time

import keras
import numpy as np

from autograder.errors import Refused
from autograder.sandboxed import protocol
from autograder.sandboxed.limits import (
    MAX_CONFIG_BYTES,
    MAX_FITS,
    MAX_PRINTED,
    REPLY_HEADER_BYTES,
    SIGNAL_HEADER_BYTES,
    FrameLimits,
)
from autograder.sandboxed.protocol import Message, Record
from autograder.trainer.device import limit_gpu_memory
from autograder.trainer.rebuild import GRADER_ACCURACY, build_model, compile_model
from autograder.trainer.requests import FitData, first_line


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
        self.limits = FrameLimits(array_bytes=job.transfer_limit)
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
        kind, header, _ = protocol.receive(self.incoming, FrameLimits(header_bytes=REPLY_HEADER_BYTES, array_bytes=0))
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
        kind, _, _ = protocol.receive(self.incoming, FrameLimits(header_bytes=SIGNAL_HEADER_BYTES, array_bytes=0))
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
