"""Stage 3: turn what the sandboxed run left behind into `Evidence`.

The run's event log is parsed defensively (a crash leaves it cut short; hostile
code may have scribbled in it), and the saved model is inspected and measured
again on the grader's own copy of the data, in this process, where the
student's code never ran.

Example:

    >>> from autograder.collect_evidence import collect_evidence
    >>> evidence = collect_evidence(run, submission, {"x": x_train, "y": y_train})  # doctest: +SKIP
    >>> len(evidence.epochs), evidence.stopped_by_callback  # doctest: +SKIP
    (7, True)
"""

import json
import math
import os
from dataclasses import dataclass, field

import numpy as np

from .inspect_model import inspect_model

ACCURACY_KEYS = ("accuracy", "acc")
# How far below the last logged accuracy the re-measured model may fall. The
# logged figure is a running mean over an epoch in which the weights keep
# changing: on the quick profile a model that logged 0.9977 measured 0.9923.
# A forged metric, or a model never trained, measures far lower.
LOG_TOLERANCE = 0.01
MAX_EVENTS_BYTES = 50_000_000  # the runner caps output far below this; more is tampering


@dataclass
class EpochRecord:
    fit: int
    epoch: int
    logs: dict

    @property
    def accuracy(self):
        return next((self.logs[key] for key in ACCURACY_KEYS if key in self.logs), None)


@dataclass
class FitRecord:
    index: int
    input: dict
    batch_size: int = None
    steps_per_epoch: int = None
    validation_split: float = 0.0
    stop_training: bool = False

    def steps_for_one_epoch(self):
        """Batches in one epoch over an array input, or None where that is unknown."""
        if self.steps_per_epoch or not self.input.get("shape"):
            return self.steps_per_epoch
        examples = math.ceil(self.input["shape"][0] * (1.0 - (self.validation_split or 0.0)))
        return math.ceil(examples / (self.batch_size or 32))


@dataclass
class CallRecord:
    """One call of a student's function on the grader's inputs (see `spec.Call`)."""

    id: str
    error: str = None
    seconds: float = None
    input_modified: bool = False
    sequence: bool = False  # the function returned a list or tuple
    value: object = None  # an array, or a list of arrays for a sequence


@dataclass
class Evidence:
    """Everything the checks may look at for one submission."""

    submission_source: str
    run: object  # the RunOutcome of the isolation stage
    fits: list = field(default_factory=list)
    epochs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    exception: dict = None
    missing_entry_point: str = None
    started: bool = False
    finished: bool = False
    model_save_error: str = None
    model: object = None  # ModelReport, or None when no model was saved
    calls: dict = field(default_factory=dict)  # CallRecord by id
    callback_trials: dict = field(default_factory=dict)  # self-check runs: the callbacks on scripted logs, by key
    trusted: dict = field(default_factory=dict)  # the grader's own data (and the calls' inputs)

    @property
    def stopped_by_callback(self):
        return bool(self.fits) and self.fits[-1].stop_training

    def first_epoch_reaching(self, target):
        return next((i for i, epoch in enumerate(self.epochs)
                     if epoch.accuracy is not None and epoch.accuracy >= target), None)

    def epochs_printing(self, text):
        """Indexes (into `epochs`) of the epochs during which `text` was printed."""
        index = {(epoch.fit, epoch.epoch): i for i, epoch in enumerate(self.epochs)}
        printed = sorted({index[key] for key, out in self._text_by_epoch().items() if text in out and key in index})
        return printed

    def printed_outside_training(self, text):
        return text in self._text_by_epoch().get((None, None), "")

    def _text_by_epoch(self):
        texts = {}
        for out in self.outputs:
            key = (out.get("fit"), out.get("epoch"))
            texts[key] = texts.get(key, "") + str(out.get("text", ""))
        return texts

    def records_contradicted(self):
        """Why the training records cannot be the model's, or None.

        The records come from the student's process; the saved model is
        checked here: its measured accuracy, and its optimizer's step count,
        which must not exceed what the recorded epochs account for.
        """
        model, last = self.model, (self.epochs[-1].accuracy if self.epochs else None)
        measured = model.remeasured_accuracy if model else None
        if measured is not None and last is not None and measured < last - LOG_TOLERANCE:
            return (f"the training logs say the accuracy was {last:.4f}, but the grader measured the trained "
                    f"model at {measured:.4f}: the logged metric is not the model's")
        accounted = self._recorded_steps()
        if model and model.optimizer_steps is not None and accounted is not None and model.optimizer_steps > accounted:
            return (f"the optimizer took {model.optimizer_steps} training steps, more than the {accounted} that the "
                    "recorded epochs account for")
        return None

    def _recorded_steps(self):
        total = 0
        for fit in self.fits:
            steps = fit.steps_for_one_epoch()
            if steps is None:
                return None
            total += steps * sum(1 for epoch in self.epochs if epoch.fit == fit.index)
        return total

    def reason_suffix(self):
        """Why the run produced less than it should, as ': ...' (or '')."""
        if self.run.killed_reason:
            return f": your code was stopped because it {self.run.killed_reason}"
        if self.run.timed_out:
            return f": grading stopped your code after {self.run.limit_s:.0f} s, its time limit"
        if self.exception:
            return f": your code raised {self.exception['type']} in {self.exception['where']}: {self.exception['message']}"
        if self.missing_entry_point:
            return f": the notebook defines no function {self.missing_entry_point}()"
        if not self.finished:
            return f": your code ended the grading process early (exit status {self.run.exit_code})"
        return ""

    def model_problem(self):
        if self.model is None:
            return f"no model was saved ({self.model_save_error or 'fit() was never called'})"
        return self.model.load_error or "unknown error"


def read_events(path):
    """The runner's events, skipping lines that are not its JSON objects."""
    if not os.path.exists(path):
        return []
    events = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle.read(MAX_EVENTS_BYTES).splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                events.append(event)
    return events


def apply_event(evidence, event):
    kind = event.get("event")
    if kind == "fit_begin":
        evidence.fits.append(FitRecord(event.get("fit"), event.get("input") or {}, event.get("batch_size"),
                                       event.get("steps_per_epoch"), event.get("validation_split")))
    elif kind == "fit_end" and evidence.fits:
        evidence.fits[-1].stop_training = bool(event.get("stop_training"))
    elif kind == "epoch_end":
        evidence.epochs.append(EpochRecord(event.get("fit"), event.get("epoch"), event.get("logs") or {}))
    elif kind == "output":
        evidence.outputs.append(event)
    elif kind == "exception" and evidence.exception is None:
        evidence.exception = event
    elif kind == "missing_entry_point":
        evidence.missing_entry_point = event.get("name")
    elif kind == "model_save_failed":
        evidence.model_save_error = event.get("error")
    elif kind == "call" and isinstance(event.get("id"), str):
        evidence.calls[event["id"]] = CallRecord(event["id"], event.get("error"), event.get("seconds"),
                                                 bool(event.get("input_modified")), bool(event.get("sequence")))
    elif kind == "callback_trial" and isinstance(event.get("key"), str):
        evidence.callback_trials[event["key"]] = {"stopped_at": event.get("stopped_at"),
                                                  "printed": [str(text) for text in event.get("printed") or []],
                                                  "error": event.get("error")}
    elif kind == "start":
        evidence.started = True
    elif kind == "done":
        evidence.finished = True


def load_call_value(record, out_dir):
    """The saved result of a call, read without unpickling anything."""
    if record.error:
        return
    path = os.path.join(out_dir, "calls", f"{record.id}.npz")
    try:
        with np.load(path, allow_pickle=False) as saved:
            values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    except (OSError, ValueError, KeyError) as error:
        record.error = f"its result could not be read back ({error})"
        return
    record.value = values if record.sequence else (values[0] if values else None)


def collect_evidence(run, submission, trusted, remeasure=True):
    """Evidence from a finished `RunOutcome`; `trusted` is the grader's own data
    for the profile: (x, y) measure the saved model again (unless `remeasure`
    is off: a self-check's model is untrained)."""
    evidence = Evidence(submission_source=submission.answer_source, run=run, trusted=trusted)
    for event in read_events(os.path.join(run.out_dir, "events.jsonl")):
        apply_event(evidence, event)
    for record in evidence.calls.values():
        load_call_value(record, run.out_dir)
    model_path = os.path.join(run.out_dir, "model.keras")
    if os.path.exists(model_path):
        scaled = bool(evidence.fits) and evidence.fits[-1].input.get("max", 0) <= 1.0
        x, y = (trusted.get("x"), trusted.get("y")) if remeasure else (None, None)
        evidence.model = inspect_model(model_path, x, y, inputs_scaled=scaled)
    return evidence
