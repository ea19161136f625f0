"""The student's functions the spec names, called on the grader's inputs; and
Keras' dataset loaders answered with the grader's copy (the sandbox is offline)."""

import importlib
import os
import time

from . import protocol
from .protocol import Event


def run_calls(job, namespace, state, log, job_dir, out_dir):
    """Calls each function of the job's `calls` on the grader's inputs."""
    import numpy as np

    with np.load(os.path.join(job_dir, protocol.INPUTS_FILE), allow_pickle=False) as data:
        inputs = {key: data[key] for key in data.files}
    folder = os.path.join(out_dir, protocol.CALLS_FOLDER)
    os.makedirs(folder, exist_ok=True)
    for call in job.calls:
        function = namespace.get(call["function"])
        if not callable(function):
            log.write(Event.CALL, id=call["id"], error=f"the notebook defines no function {call['function']}()")
            continue
        args = [state.model if name == "$model" else argument(inputs[name]) for name in call["args"]]
        log.write(Event.CALL, id=call["id"], **timed_call(function, args, os.path.join(folder, call["id"] + ".npz")))


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


def serve_keras_datasets(environ):
    """`keras.datasets.NAME.load_data()`, as lessons write it, reads the grader's copy of
    NAME (the profile's images) instead of downloading: the sandbox is offline. Keras'
    loader is kept and only its `get_file` answered, with the file of that name in the
    folder given, so `tf.keras` and `keras` alike, and any `path=` argument, get the
    same arrays."""
    prefix = protocol.KERAS_DATASET_ENV_PREFIX
    for key, path in environ.items():
        if not key.startswith(prefix):
            continue
        try:
            module = importlib.import_module(f"keras.src.datasets.{key[len(prefix):].lower()}")
        except ImportError:
            continue  # a Keras laid out otherwise: its loader stays as it is
        module.get_file = lambda *args, origin, _folder=path, **kwargs: os.path.join(
            _folder, os.path.basename(origin))
