"""The callbacks' scripted trial: the student's callbacks driven through a
scripted series of epochs, recording where each stopped training and what it
printed. A self-check (`dry_run`) trains nothing and runs only this."""

import copy
import inspect
import io
import os
import sys

from . import protocol
from .events import array_summary
from .protocol import Event


def student_callbacks(arguments):
    """The callbacks a `fit` call was given, as a list."""
    given = arguments.get("callbacks") or []
    return list(given) if isinstance(given, (list, tuple)) else [given]


def copies(callbacks):
    """Fresh copies of the callbacks for the trial, or [] if they cannot be copied."""
    try:
        return copy.deepcopy(callbacks)
    except Exception:
        return []


def run_trial(model, callbacks, log, trial):
    """The callbacks on the scripted series, once per metric name in `trial["keys"]`."""
    for key in trial["keys"]:
        log.write(Event.CALLBACK_TRIAL, key=key, **drive_callbacks(model, copies(callbacks) or callbacks, key,
                                                                  trial["script"]))


def install_dry_fit(keras, log, state, out_dir, trial):
    """Replaces `keras.Model.fit` for a fast self-check: nothing is trained; the
    model is saved as built, and the student's callbacks are driven through a
    scripted series of epoch logs (`trial["script"]`), once with each metric
    name in `trial["keys"]`, recording where each stopped training and what it printed."""
    signature = inspect.signature(keras.Model.fit)

    def dry_fit(model, *args, **kwargs):
        arguments = signature.bind(model, *args, **kwargs).arguments
        state.begin_fit(model)
        log.write(Event.FIT_BEGIN, fit=state.fit_index, input=array_summary(arguments.get("x")))
        save_model(model, log, out_dir)
        run_trial(model, student_callbacks(arguments), log, trial)
        state.end_fit()
        return scripted_history(keras, model, trial["script"])

    keras.Model.fit = dry_fit


def drive_callbacks(model, callbacks, key, script):
    """Epoch by epoch through `script` (accuracies under `key`) until a callback
    sets `model.stop_training`: {"stopped_at", "printed": [text per epoch], "error"}."""
    model.stop_training = False
    printed, stopped_at = [], None
    for callback in callbacks:
        callback.set_model(model)
    for epoch, accuracy in enumerate(script):
        captured, real = io.StringIO(), sys.stdout
        sys.stdout = captured
        try:
            for callback in callbacks:
                callback.on_epoch_begin(epoch, {})
                callback.on_epoch_end(epoch, {key: accuracy, "loss": 1.0 - accuracy})
        except Exception as error:
            return {"stopped_at": None, "printed": printed + [captured.getvalue()[:2000]],
                    "error": f"{type(error).__name__}: {error}"[:500]}
        finally:
            sys.stdout = real
        printed.append(captured.getvalue()[:2000])
        if getattr(model, "stop_training", False):
            stopped_at = epoch
            break
    model.stop_training = False
    return {"stopped_at": stopped_at, "printed": printed, "error": None}


def scripted_history(keras, model, script):
    """What `fit` returns, as if the script had been trained through."""
    history = keras.callbacks.History()
    history.set_model(model)
    history.epoch = list(range(len(script)))
    history.history = {"accuracy": list(script), "loss": [1.0 - value for value in script]}
    return history


def save_model(model, log, out_dir):
    try:
        model.save(os.path.join(out_dir, protocol.MODEL_FILE))
    except Exception as error:
        log.write(Event.MODEL_SAVE_FAILED, error=f"{type(error).__name__}: {error}"[:500])
