"""The only grader code that runs inside the sandbox, next to the student's code.

It executes a submission's cells, calls the graded function and records what
happened as evidence for the trusted side: every `fit` call (its input and the
metrics Keras computed each epoch, read by the grader's own callback before any
student callback runs), every line printed with the epoch it was printed in,
exceptions, and the trained model saved in the `.keras` format. Then it calls
the student's functions the spec names on the grader's inputs, keeping each
result (and whether the inputs were modified, and how long it took).

This file is copied into the sandbox alone, so it imports nothing from the
`autograder` package. Nothing it writes is trusted blindly: the trusted side
re-measures the saved model and cross-checks the records.

Usage (the isolation stage runs it; there is no reason to run it by hand):

    python runner.py JOB.json OUT_DIR
"""

import inspect
import json
import os
import sys
import time
import traceback

EVENTS_FILE = "events.jsonl"
MODEL_FILE = "model.keras"
INPUTS_FILE = "inputs.npz"
CALLS_FOLDER = "calls"


class EventLog:
    """Appends one JSON object a line, flushed at once so that a crash or a
    kill keeps everything recorded so far. Printed text is capped for each
    epoch (and for the time outside training), so a flood in one place cannot
    crowd out what was printed in another."""

    def __init__(self, path, output_limit):
        self._file = open(path, "a", encoding="utf-8")
        self._output_limit = output_limit
        self._output_used = {}

    def write(self, event, **fields):
        self._file.write(json.dumps({"event": event, **fields}, default=repr) + "\n")
        self._file.flush()

    def output(self, text, fit, epoch, stream):
        used = self._output_used.get((fit, epoch), 0)
        if used >= self._output_limit:
            return
        text = text[: self._output_limit - used]
        self._output_used[(fit, epoch)] = used + len(text)
        self.write("output", text=text, fit=fit, epoch=epoch, stream=stream)


class TrainingState:
    """Where training is: which `fit` call and which epoch, for tagging output."""

    def __init__(self):
        self.fit_index = None
        self.epoch = None
        self.fit_count = 0
        self.model = None  # the model trained last: "$model" in a call's arguments

    def begin_fit(self, model):
        self.fit_index, self.epoch, self.model = self.fit_count, None, model
        self.fit_count += 1


def student_callbacks(arguments):
    """The callbacks a `fit` call was given, as a list."""
    given = arguments.get("callbacks") or []
    return list(given) if isinstance(given, (list, tuple)) else [given]


class TaggedStream:
    """Stands in for sys.stdout/sys.stderr: passes text through and records it
    with the fit call and epoch it was written in."""

    def __init__(self, stream, name, log, state):
        self._stream, self._name, self._log, self._state = stream, name, log, state

    def write(self, text):
        self._log.output(text, stream=self._name, fit=self._state.fit_index, epoch=self._state.epoch)
        return self._stream.write(text)

    def flush(self):
        self._stream.flush()

    def isatty(self):
        return False

    def __getattr__(self, name):
        return getattr(self._stream, name)


def numeric_logs(logs):
    """The float values of a Keras logs dict (tensors and numpy scalars included)."""
    values = {}
    for key, value in (logs or {}).items():
        try:
            values[str(key)] = float(value)
        except (TypeError, ValueError):
            continue
    return values


def array_summary(x):
    """Shape, dtype and value range of a fit input, to diagnose preprocessing."""
    try:
        import numpy as np

        array = np.asarray(x)
        return {"shape": list(array.shape), "dtype": str(array.dtype),
                "min": float(array.min()), "max": float(array.max())}
    except Exception as error:  # a dataset or generator: describe what we can
        return {"type": type(x).__name__, "error": str(error)[:200]}


def make_recorder(keras, log, state):
    """The grader's callback: first in the list, so it reads each epoch's logs
    before a student callback could change them."""

    class EvidenceRecorder(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            state.epoch = epoch

        def on_epoch_end(self, epoch, logs=None):
            log.write("epoch_end", fit=state.fit_index, epoch=epoch, logs=numeric_logs(logs))

    return EvidenceRecorder()


def install_fit_hook(keras, log, state, out_dir):
    """Wraps `keras.Model.fit` so every training run is recorded and its model
    saved as soon as `fit` returns, before student code runs again."""
    original_fit = keras.Model.fit
    signature = inspect.signature(original_fit)

    def recorded_fit(model, *args, **kwargs):
        bound = signature.bind(model, *args, **kwargs)
        arguments = bound.arguments
        callbacks = student_callbacks(arguments)
        arguments["callbacks"] = [make_recorder(keras, log, state)] + callbacks
        state.begin_fit(model)
        log.write("fit_begin", fit=state.fit_index, input=array_summary(arguments.get("x")),
                  epochs=arguments.get("epochs", 1), batch_size=arguments.get("batch_size"),
                  steps_per_epoch=arguments.get("steps_per_epoch"),
                  validation_split=arguments.get("validation_split", 0.0),
                  callbacks=[type(c).__name__ for c in callbacks])
        try:
            return original_fit(*bound.args, **bound.kwargs)
        finally:
            log.write("fit_end", fit=state.fit_index, stop_training=bool(getattr(model, "stop_training", False)))
            state.fit_index, state.epoch = None, None
            save_model(model, log, out_dir)

    keras.Model.fit = recorded_fit


def install_dry_fit(keras, log, state, out_dir, trial):
    """Replaces `keras.Model.fit` for a fast self-check: nothing is trained; the
    model is saved as built, and the student's callbacks are driven through a
    scripted series of epoch logs (`trial["script"]`), once with each metric
    name in `trial["keys"]`, recording where each stopped training and what it printed."""
    signature = inspect.signature(keras.Model.fit)

    def dry_fit(model, *args, **kwargs):
        arguments = signature.bind(model, *args, **kwargs).arguments
        callbacks = student_callbacks(arguments)
        state.begin_fit(model)
        log.write("fit_begin", fit=state.fit_index, input=array_summary(arguments.get("x")),
                  epochs=arguments.get("epochs", 1), callbacks=[type(c).__name__ for c in callbacks])
        save_model(model, log, out_dir)
        for key in trial["keys"]:
            log.write("callback_trial", key=key, **drive_callbacks(model, callbacks, key, trial["script"]))
        return scripted_history(keras, model, trial["script"])

    keras.Model.fit = dry_fit


def drive_callbacks(model, callbacks, key, script):
    """Epoch by epoch through `script` (accuracies under `key`) until a callback
    sets `model.stop_training`: {"stopped_at", "printed": [text per epoch], "error"}."""
    import io

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
        model.save(os.path.join(out_dir, MODEL_FILE))
        log.write("model_saved")
    except Exception as error:
        log.write("model_save_failed", error=f"{type(error).__name__}: {error}"[:500])


class NoShell:
    """Enough of IPython's shell for cells with magics (`%matplotlib inline`,
    `!pip ...`) to run: magics and shell escapes do nothing here."""

    def run_line_magic(self, *args, **kwargs):
        return None

    run_cell_magic = system = getoutput = run_line_magic


def python_source(cell_source):
    """Turns IPython syntax (magics, `!` commands) into plain Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return cell_source
    return TransformerManager().transform_cell(cell_source)


def record_exception(log, where, error):
    log.write("exception", where=where, type=type(error).__name__, message=str(error)[:2000],
              traceback="".join(traceback.format_exception(error))[-4000:])


def run_submission(job, log):
    """Executes the cells and calls the graded function once; returns the
    namespace, or None when the run cannot go on."""
    namespace = {"__name__": "__main__", "get_ipython": NoShell}
    for index, source in enumerate(job["cells"]):
        try:
            exec(compile(python_source(source), f"<cell {index + 1}>", "exec"), namespace)
        except BaseException as error:  # SystemExit too: it is the student's, not ours
            record_exception(log, f"cell {index + 1}", error)
            return None
    if not job["entry_point"]:
        return namespace
    entry_point = namespace.get(job["entry_point"])
    if not callable(entry_point):
        log.write("missing_entry_point", name=job["entry_point"])
        return None
    try:
        returned = entry_point()
    except BaseException as error:
        record_exception(log, job["entry_point"], error)
        return None
    log.write("returned", value=repr(returned)[:500])
    return namespace


def run_calls(job, namespace, state, log, job_dir, out_dir):
    """Calls each function of the job's `calls` on the grader's inputs."""
    import numpy as np

    with np.load(os.path.join(job_dir, INPUTS_FILE), allow_pickle=False) as data:
        inputs = {key: data[key] for key in data.files}
    folder = os.path.join(out_dir, CALLS_FOLDER)
    os.makedirs(folder, exist_ok=True)
    for call in job["calls"]:
        function = namespace.get(call["function"])
        if not callable(function):
            log.write("call", id=call["id"], error=f"the notebook defines no function {call['function']}()")
            continue
        args = [state.model if name == "$model" else argument(inputs[name]) for name in call["args"]]
        log.write("call", id=call["id"], **timed_call(function, args, os.path.join(folder, call["id"] + ".npz")))


def argument(array):
    """A copy of an input; a 0-d array becomes a plain Python number (an index, a size)."""
    return array.item() if array.ndim == 0 else array.copy()


def timed_call(function, args, path):
    """Runs `function(*args)`; saves its result at `path`; says how it went."""
    import numpy as np

    arrays = [(arg, arg.copy()) for arg in args if isinstance(arg, np.ndarray)]
    started = time.perf_counter()
    try:
        result = function(*args)
    except BaseException as error:
        return {"error": f"{type(error).__name__}: {error}"[:1000]}
    seconds = time.perf_counter() - started
    modified = any(not np.array_equal(arg, original) for arg, original in arrays)
    try:
        values = [np.asarray(item) for item in result] if isinstance(result, (list, tuple)) else [np.asarray(result)]
        if any(value.dtype == object for value in values):
            raise TypeError("it holds arrays of different shapes or non-numbers")
        np.savez(path, *values)
    except Exception as error:
        return {"seconds": seconds, "input_modified": modified,
                "error": f"returned {type(result).__name__}, which is not an array ({error})"[:1000]}
    return {"seconds": seconds, "input_modified": modified, "error": None, "sequence": isinstance(result, (list, tuple))}


def describe_device(keras):
    if keras is None:
        return {"backend": None}
    try:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return {"backend": keras.backend.backend(), "gpus": [gpu.name for gpu in gpus]}
    except Exception as error:
        return {"backend": keras.backend.backend(), "error": str(error)[:200]}


def main(job_path, out_dir):
    with open(job_path, encoding="utf-8") as handle:
        job = json.load(handle)
    log = EventLog(os.path.join(out_dir, EVENTS_FILE), job["output_limit"])
    state = TrainingState()
    sys.stdout = TaggedStream(sys.stdout, "stdout", log, state)
    sys.stderr = TaggedStream(sys.stderr, "stderr", log, state)
    keras = None
    if job["uses_keras"]:
        import keras

        keras.utils.set_random_seed(job["seed"])
        if job.get("dry_run"):
            install_dry_fit(keras, log, state, out_dir, job["dry_run"])
        else:
            install_fit_hook(keras, log, state, out_dir)
    log.write("start", device=describe_device(keras))
    namespace = run_submission(job, log)
    if namespace is not None and job["calls"]:
        run_calls(job, namespace, state, log, os.path.dirname(job_path), out_dir)
    log.write("done")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
