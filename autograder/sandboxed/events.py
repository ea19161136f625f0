"""What the student's run records, as untrusted evidence: the event log, the
output streams tagged with the fit and epoch they were written in, and
exceptions. Nothing the grade rests on is decided here; the grader reads the
log as hostile input."""

import json
import traceback

from .protocol import Event


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
    """Where training is (which `fit` call, which epoch), for tagging output,
    and the output captured while the student's callbacks run."""

    def __init__(self):
        self.fit_index = None
        self.epoch = None
        self.fit_count = 0
        self.model = None  # the model trained last: "$model" in a call's arguments
        self.captured = None  # a list while callbacks run: what they print

    def begin_fit(self, model):
        self.fit_index, self.epoch, self.model = self.fit_count, None, model
        self.fit_count += 1

    def end_fit(self):
        self.fit_index, self.epoch = None, None


class TaggedStream:
    """Stands in for sys.stdout/sys.stderr: passes text through and records it
    with the fit call and epoch it was written in."""

    def __init__(self, stream, name, log, state):
        self._stream, self._name, self._log, self._state = stream, name, log, state

    def write(self, text):
        text = str(text)
        self._log.output(text, stream=self._name, fit=self._state.fit_index, epoch=self._state.epoch)
        if self._state.captured is not None:
            self._state.captured.append(text)
        return self._stream.write(text)

    def flush(self):
        self._stream.flush()

    def isatty(self):
        return False

    def __getattr__(self, name):
        return getattr(self._stream, name)


def array_summary(x):
    """Shape, dtype and value range of a fit input, to diagnose preprocessing."""
    try:
        import numpy as np

        array = np.asarray(x)
        return {"shape": list(array.shape), "dtype": str(array.dtype),
                "min": float(array.min()), "max": float(array.max())}
    except Exception as error:  # a dataset or generator: describe what we can
        return {"type": type(x).__name__, "error": str(error)[:200]}


def record_exception(log, where, error):
    log.write(Event.EXCEPTION, where=where, type=type(error).__name__, message=str(error)[:2000],
              traceback="".join(traceback.format_exception(error))[-4000:])
