"""The student's `fit`, in the sandbox: it trains nothing. It sends the model's
Keras configuration, its compile settings, the `fit` arguments and the
training arrays (a dataset or generator is read out first) to the grader's
trainer, then drives the student's callbacks with the logs the trainer sends
after each epoch: they answer whether to stop, what they printed and any
learning rate they set. The trained weights come back into the student's
model, and `fit` returns a `History` of the trainer's logs."""

import inspect
import json
import os
import uuid

from . import protocol
from .events import array_summary
from .limits import MAX_PRINTED, FrameLimits
from .protocol import Event, Message
from .trial import copies, run_trial, student_callbacks


class GraderTrainsModel(Exception):
    """Raised in the student's `fit` when the model cannot be trained from data alone."""


class TrainerLink:
    """The runner's end of the two pipes to the grader's trainer."""

    def __init__(self, write_fd, read_fd, transfer_limit):
        self.outgoing, self.incoming = os.fdopen(write_fd, "wb"), os.fdopen(read_fd, "rb")
        self.limits = FrameLimits(array_bytes=transfer_limit)

    def send(self, kind, header, arrays=()):
        protocol.send(self.outgoing, kind, header, arrays)

    def receive(self):
        return protocol.receive(self.incoming, self.limits)


def training_arrays(arguments, limit):
    """(x, y, validation arrays, batch size, steps per epoch) of a `fit` call as
    numpy arrays: a dataset or generator is read out here (one epoch of it)."""
    import numpy as np

    for unsupported in ("sample_weight", "class_weight"):
        if arguments.get(unsupported) is not None:
            raise GraderTrainsModel(f"fit's {unsupported} is not supported here. " + protocol.HOW_TO)
    x, y = arguments.get("x"), arguments.get("y")
    batch_size, steps = arguments.get("batch_size"), arguments.get("steps_per_epoch")
    if y is None and x is not None and not isinstance(x, np.ndarray):
        x, y, batch_size = read_batches(x, steps, limit)
        steps = None  # one pass over what was read is one epoch
    x, y = as_array(x, "the images"), as_array(y, "the labels")
    validation = arguments.get("validation_data")
    if validation is not None:
        parts = tuple(validation) if isinstance(validation, (list, tuple)) else read_batches(validation, None, limit)[:2]
        validation = [as_array(part, "the validation data") for part in parts[:2]]
    return x, y, validation or [], batch_size, steps


def as_array(value, what):
    import numpy as np

    if value is None or isinstance(value, dict):
        raise GraderTrainsModel(f"fit got no array for {what}. " + protocol.HOW_TO)
    array = np.asarray(value)
    if array.dtype.kind not in protocol.NUMERIC_KINDS:
        raise GraderTrainsModel(f"{what} given to fit are not numbers ({array.dtype}). " + protocol.HOW_TO)
    return array.astype(np.float32) if array.dtype == np.float64 else array


def read_batches(source, steps, limit):
    """(x, y, batch size) read out of a dataset, a PyDataset or a generator of
    (x, y) batches: `steps` batches, or all of it; at most `limit` bytes."""
    import numpy as np

    xs, ys, size = [], [], 0
    batches = (source[i] for i in range(len(source))) if hasattr(source, "__getitem__") and hasattr(source, "__len__") \
        else iter(source)
    for count, batch in enumerate(batches):
        if steps is not None and count >= steps:
            break
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise GraderTrainsModel("the dataset or generator given to fit must yield (images, labels). " + protocol.HOW_TO)
        xs.append(np.asarray(batch[0]))
        ys.append(np.asarray(batch[1]))
        size += xs[-1].nbytes + ys[-1].nbytes
        if size > limit:
            raise GraderTrainsModel(f"the training data is larger than {limit / 2**30:.1f} GiB (or endless: give "
                                    "steps_per_epoch with a generator that repeats).")
    if not xs:
        raise GraderTrainsModel("the dataset or generator given to fit yielded nothing.")
    return np.concatenate(xs), np.concatenate(ys), len(xs[0])


def crossable_model(keras, model):
    """Raises GraderTrainsModel unless `model` can be rebuilt from its configuration."""
    if not type(model).__module__.startswith("keras."):
        raise GraderTrainsModel(f"your model is a subclass of keras.Model ({type(model).__name__}), whose code (a "
                                "custom call or train_step) the grader does not run. " + protocol.HOW_TO)
    if not model.compiled:
        raise RuntimeError("You must call `compile()` before using the model.")


def fit_request(model, arguments, batch_size, steps):
    """The header of a fit request: configuration, compile settings and arguments, as JSON data."""
    if not getattr(model, "_autograder_id", None):  # id() may be reused by a later model
        model._autograder_id = uuid.uuid4().hex
    return {"model": model.to_json(), "compile": json.dumps(model.get_compile_config(), default=str),
            "model_id": model._autograder_id, "keras_functions": keras_function_names(model),
            "args": {"batch_size": number(batch_size), "epochs": number(arguments.get("epochs", 1)),
                     "initial_epoch": number(arguments.get("initial_epoch", 0)),
                     "steps_per_epoch": number(steps), "shuffle": bool(arguments.get("shuffle", True)),
                     "validation_split": number(arguments.get("validation_split", 0.0))}}


def keras_function_names(model):
    """Names of the functions given by reference (activations, the loss, metrics) that are
    Keras' or TensorFlow's own, by their module: the trainer may take those by name. A
    function the notebook defines is not among them, whatever its name."""
    given = list(getattr(model, "_autograder_compiled", []))
    given += [getattr(layer, "activation", None) for layer in model._flatten_layers(include_self=False)]
    return sorted({function.__name__ for function in given if inspect.isfunction(function)
                   and str(getattr(function, "__module__", "")).startswith(("keras", "tensorflow"))})


def install_compile_hook(keras):
    """Wraps `keras.Model.compile` to keep the loss and metrics it was given (see keras_function_names)."""
    original_compile = keras.Model.compile
    signature = inspect.signature(original_compile)

    def recorded_compile(model, *args, **kwargs):
        arguments = signature.bind(model, *args, **kwargs).arguments
        metrics = arguments.get("metrics") or []
        model._autograder_compiled = [arguments.get("loss")] + (list(metrics) if isinstance(metrics, (list, tuple))
                                                                 else [metrics])
        return original_compile(model, *args, **kwargs)

    keras.Model.compile = recorded_compile


def number(value):
    """A plain int or float for JSON (numpy scalars included), or the value as it is."""
    if value is None or isinstance(value, bool):
        return value
    try:
        return int(value) if float(value).is_integer() and not isinstance(value, float) else float(value)
    except (TypeError, ValueError):
        return repr(value)[:100]


def install_remote_fit(keras, log, state, link, trial):
    """Replaces `keras.Model.fit`: the grader's trainer trains; the student's
    callbacks are driven epoch by epoch with its logs; then they are tried on
    `trial`'s scripted series."""
    signature = inspect.signature(keras.Model.fit)

    def remote_fit(model, *args, **kwargs):
        arguments = signature.bind(model, *args, **kwargs).arguments
        callbacks = student_callbacks(arguments)
        pristine = copies(callbacks)
        state.begin_fit(model)
        try:
            crossable_model(keras, model)
            x, y, validation, batch_size, steps = training_arrays(arguments, link.limits.array_bytes)
            if not model.built:
                model.build((None,) + x.shape[1:])
            log.write(Event.FIT_BEGIN, fit=state.fit_index, input=array_summary(x))
            link.send(Message.FIT, fit_request(model, arguments, batch_size, steps), [x, y] + validation)
            history = relay_epochs(keras, model, callbacks, link, log, state, arguments)
        finally:
            state.end_fit()
        if trial:  # also under the accuracy names the student's own metrics were logged as
            keys = trial["keys"] + [key for key in history.history if "acc" in key and not key.startswith("val_")]
            run_trial(model, pristine or callbacks, log, {**trial, "keys": list(dict.fromkeys(keys))})
        return history

    keras.Model.fit = remote_fit


def relay_epochs(keras, model, callbacks, link, log, state, arguments):
    """Drives the callbacks with the trainer's epochs until it is done; returns the History."""
    hooks = keras.callbacks.CallbackList(callbacks, add_history=True, model=model,
                                         epochs=arguments.get("epochs", 1), verbose=0)
    model.stop_training, raised = False, None
    hooks.on_train_begin()
    while True:
        kind, header, arrays = link.receive()
        if kind == Message.REFUSED:
            raise GraderTrainsModel(f"The grader could not train this model: {header.get('reason')}. {protocol.HOW_TO}")
        if kind == Message.FIT_DONE:
            model.set_weights(arrays)
            break
        state.epoch = header.get("epoch")
        if kind == Message.EPOCH_END:
            model.set_weights(arrays)
            log.write(Event.EPOCH_END, fit=state.fit_index, epoch=state.epoch, logs=header.get("logs"))
            hook = (lambda: hooks.on_epoch_end(state.epoch, dict(header.get("logs") or {})))
        else:
            hook = (lambda: hooks.on_epoch_begin(state.epoch))
        reply, raised = run_hook(hook, model, state, raised)
        link.send(Message.REPLY, reply)
    try:
        if not raised:
            hooks.on_train_end()
    finally:  # the trainer waits for it: until then the grader's watchdog counts the fit as running
        link.send(Message.TRAIN_END, {})
    if raised:
        raise raised
    return model.history


def run_hook(hook, model, state, raised):
    """Runs the callbacks' hook once (unless one raised before); returns the
    reply to the trainer and the exception raised, if any."""
    if raised:
        return {"stop": True, "printed": "", "learning_rate": None, "error": None}, raised
    rate, state.captured, error = learning_rate(model), [], None
    try:
        hook()
    except Exception as exception:  # the student's callback failed: Keras would stop fit with it
        raised, error = exception, f"{type(exception).__name__}: {exception}"[:2000]
    printed, state.captured = "".join(state.captured)[:MAX_PRINTED], None
    changed = learning_rate(model)
    return {"stop": bool(getattr(model, "stop_training", False)), "printed": printed, "error": error,
            "learning_rate": changed if changed != rate else None}, raised


def learning_rate(model):
    try:
        return float(model.optimizer.learning_rate)
    except Exception:  # no optimizer, or a schedule: nothing to pass on
        return None
