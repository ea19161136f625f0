"""What crosses the sandbox boundary, defined once: file names, event and
message names, the job descriptions, and how messages and files are framed
and read back.

Two processes talk across it. The student's run (`autograder.sandboxed`, in the sandbox)
executes the notebook; the grader's trainer (`autograder.trainer`, outside, running no
student code) trains every model the notebook hands to `fit`. The runner sends
data only (a model's Keras configuration, compile settings, `fit` arguments,
arrays); the trainer sends back each epoch's logs and the trained weights, and
keeps its own record of the training, which is what the grade rests on.

This module is copied into the sandbox beside `runner.py`, so it imports only
the standard library (and numpy, where arrays travel).

Example:

    >>> import io
    >>> from autograder.sandboxed import protocol
    >>> pipe = io.BytesIO()
    >>> protocol.send(pipe, protocol.Message.REPLY, {"stop": True})
    >>> _ = pipe.seek(0)
    >>> protocol.receive(pipe, protocol.FrameLimits())[:2]
    ('reply', {'stop': True})
"""

import errno
import json
import os
import stat
import struct
from dataclasses import asdict, dataclass, field, fields

from .limits import MAX_EPOCHS, OUTPUT_CHARACTERS, TRANSFER_BYTES, FrameLimits  # noqa: F401 (FrameLimits: both sides frame with it)

# Files in the job folder (read-only in the sandbox), the output folder (the
# student's, untrusted) and the trainer's folder (the grader's alone).
JOB_FILE = "job.json"
INPUTS_FILE = "inputs.npz"
EVENTS_FILE = "events.jsonl"
CALLS_FOLDER = "calls"
TRAINER_JOB_FILE = "trainer.json"
TRUSTED_DATA_FILE = "trusted.npz"
TRAINING_FILE = "training.jsonl"
MODEL_FILE = "model.keras"  # a self-check's model, as built


def trained_model_file(fit):
    """The trainer's file of the model trained by fit call number `fit`."""
    return f"model-{fit}.keras"

# The environment variable that gives the runner its two pipes to the trainer:
# "WRITE_FD,READ_FD" (file descriptors it inherits).
TRAINER_FDS_ENV = "AUTOGRADER_TRAINER_FDS"
# AUTOGRADER_KERAS_DATASET_<NAME> (e.g. ..._MNIST): a folder holding the files that
# `keras.datasets.<name>.load_data()` downloads, by their names; the runner makes that loader
# read them there, offline.
KERAS_DATASET_ENV_PREFIX = "AUTOGRADER_KERAS_DATASET_"
# The names Keras logs a model's accuracy under: Keras 3 the name given to compile(), the lesson's old code 'acc'.
ACCURACY_KEYS = ("accuracy", "acc")



# Said wherever the trainer cannot take a model, so the student knows what to write instead.
HOW_TO = ("The grader trains your model itself, from its configuration: build it from Keras' own layers "
          "(Sequential or the functional API), compile it with Keras' own optimizers, losses and metrics "
          "(e.g. 'adam', 'sparse_categorical_crossentropy', 'accuracy'), and give fit arrays, a tf.data.Dataset "
          "or a generator.")


class Event:
    """Lines of the runner's event log (untrusted: written beside student code)."""

    START, DONE, OUTPUT, EXCEPTION = "start", "done", "output", "exception"
    MISSING_ENTRY_POINT, RETURNED, CALL = "missing_entry_point", "returned", "call"
    FIT_BEGIN, EPOCH_END, CALLBACK_TRIAL, MODEL_SAVE_FAILED = "fit_begin", "epoch_end", "callback_trial", \
        "model_save_failed"


class Record:
    """Lines of the trainer's record (trusted: written where no student code runs)."""

    FIT, EPOCH, FIT_END, REFUSED = "fit", "epoch", "fit_end", "refused"
    TRAIN_END = "train_end"  # the fit's on_train_end callbacks returned: nothing of that fit runs any more


class Message:
    """Messages between the runner (R) and the trainer (T)."""

    FIT = "fit"  # R->T: {"model", "compile", "args", "model_id"} + arrays [x, y(, x_val, y_val)]
    EPOCH_BEGIN = "epoch_begin"  # T->R: {"epoch"}
    EPOCH_END = "epoch_end"  # T->R: {"epoch", "logs"} + the weights after the epoch
    REPLY = "reply"  # R->T: {"stop", "printed", "learning_rate", "error"}
    FIT_DONE = "fit_done"  # T->R: {} + the trained weights
    REFUSED = "refused"  # T->R: {"reason"}: the model cannot be trained from data alone
    TRAIN_END = "train_end"  # R->T: {} after FIT_DONE: the callbacks' on_train_end returned (or raised)


@dataclass
class Job:
    """What the sandboxed run is asked to do (the job folder's `job.json`)."""

    cells: list = field(metadata={"help": "source of the notebook's code cells the grader runs, in order"})
    entry_point: str = field(default=None, metadata={"help": "function called once after the cells, or None"})
    uses_keras: bool = field(default=True, metadata={"help": "whether `fit` is handed to the trainer"})
    calls: list = field(default_factory=list, metadata={
        "help": "[{id, function, args}] of student functions called on the grader's inputs"})
    seed: int = field(default=0, metadata={"help": "random seed set before student code runs"})
    output_limit: int = field(default=OUTPUT_CHARACTERS, metadata={"help": "characters of output kept per epoch"})
    trial: dict = field(default=None, metadata={
        "help": "{script: [accuracy per epoch], keys: [log names]}: the student's callbacks driven through a "
        "scripted series, after each fit when grading, instead of training in a dry run"})
    dry_run: bool = field(default=False, metadata={"help": "self-check: fit trains nothing"})
    transfer_limit: int = field(default=TRANSFER_BYTES, metadata={"help": "bytes of arrays one `fit` may send"})

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class TrainerJob:
    """What the trainer is asked to do (its folder's `trainer.json`)."""

    seed: int = field(default=0, metadata={"help": "seed of the weights' initialisation and the shuffling"})
    transfer_limit: int = field(default=TRANSFER_BYTES, metadata={"help": "bytes of arrays one `fit` may send"})
    max_epochs: int = field(default=MAX_EPOCHS, metadata={"help": "epochs trained in all, past which fit is refused"})
    gpu_memory_limit: int = field(default=0, metadata={
        "help": "bytes of GPU memory the trainer may take (0: no limit), so that gradings share a card"})

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})



class ProtocolError(Exception):
    """A message or file that breaks the protocol (cut short, too large, malformed)."""


NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float: never objects
_LENGTH = struct.Struct("<Q")


def send(stream, kind, header, arrays=()):
    """Writes one message: its header as JSON, then each array's raw bytes."""
    import numpy as np

    arrays = [np.ascontiguousarray(array) for array in arrays]
    described = [{"dtype": array.dtype.str, "shape": list(array.shape)} for array in arrays]
    body = json.dumps({"kind": kind, "header": header, "arrays": described}, allow_nan=True).encode("utf-8")
    stream.write(_LENGTH.pack(len(body)) + body)
    for array in arrays:
        stream.write(memoryview(array.reshape(-1).view(np.uint8)))
    stream.flush()


def receive(stream, limits):
    """(kind, header, [arrays]) of the next message; raises ProtocolError on
    anything malformed, EOFError when the other side has closed."""
    (size,) = _LENGTH.unpack(read_exactly(stream, _LENGTH.size, eof_ok=True))
    if size > limits.header_bytes:
        raise ProtocolError(f"a message header of {size} bytes (limit {limits.header_bytes})")
    message = loads(read_exactly(stream, size))
    if not (isinstance(message, dict) and isinstance(message.get("kind"), str)
            and isinstance(message.get("header"), dict) and isinstance(message.get("arrays"), list)):
        raise ProtocolError("a message without kind, header and arrays")
    budget, arrays = limits.array_bytes, []
    for described in message["arrays"]:
        array = empty_array(described, budget)
        budget -= array.nbytes
        fill(stream, memoryview(array.reshape(-1).view("u1")))
        arrays.append(array)
    return message["kind"], message["header"], arrays


def empty_array(described, budget):
    """An uninitialised array as `described` ({dtype, shape}), if numeric and within `budget` bytes."""
    import numpy as np

    try:
        dtype, shape = np.dtype(described["dtype"]), tuple(int(side) for side in described["shape"])
    except (TypeError, ValueError, KeyError) as error:
        raise ProtocolError(f"an array described as {str(described)[:100]}") from error
    if dtype.kind not in NUMERIC_KINDS or any(side < 0 for side in shape) or len(shape) > 8:
        raise ProtocolError(f"an array of {dtype} {shape}: only numbers cross")
    count = 1
    for side in shape:
        count *= side
    if count * dtype.itemsize > budget:
        raise ProtocolError(f"arrays of more than {budget} bytes in one message")
    return np.empty(shape, dtype)


def fill(stream, buffer):
    """Reads into `buffer` until it is full (a pipe may give less at a time)."""
    done = 0
    while done < len(buffer):
        count = stream.readinto(buffer[done:])
        if not count:
            raise ProtocolError(f"a message cut short ({done} of {len(buffer)} array bytes)")
        done += count


def read_exactly(stream, size, eof_ok=False):
    data = stream.read(size)
    if eof_ok and not data:
        raise EOFError("the other side closed")
    if len(data) != size:
        raise ProtocolError(f"a message cut short ({len(data)} of {size} bytes)")
    return data


def loads(text):
    """json.loads that turns every malformed input (deep nesting included) into ProtocolError."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError, UnicodeDecodeError) as error:
        raise ProtocolError(f"malformed JSON ({type(error).__name__})") from error


def open_regular_file(path):
    """`path` opened for reading in binary if it is a regular file (not a link,
    FIFO or device: opening never blocks); raises ProtocolError otherwise."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        problem = "is a link, not a regular file" if error.errno == errno.ELOOP else f"cannot be opened ({error.strerror})"
        raise ProtocolError(f"{os.path.basename(path)} {problem}") from error
    handle = os.fdopen(descriptor, "rb")
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        handle.close()
        raise ProtocolError(f"{os.path.basename(path)} is not a regular file")
    return handle


def read_regular_file(path, limit):
    """The bytes of `path` if it is a regular file of at most `limit` bytes; raises ProtocolError otherwise."""
    with open_regular_file(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise ProtocolError(f"{os.path.basename(path)} is {size} bytes (limit {limit})")
        return handle.read(limit)


def json_lines(data):
    """The JSON objects of a JSON-lines text, skipping lines that are not objects."""
    found = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            value = loads(line)
        except ProtocolError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found
