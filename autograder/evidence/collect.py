"""Stage 3: turn what a grading run left behind into `Evidence`.

Two sources, trusted differently. The trainer's record (its own folder, where
no student code runs) says what was trained: each fit's input, whether its
images and labels were the grader's, each epoch's accuracy as the trainer
computed it, what the student's callbacks printed and answered in that epoch,
and the trained models, inspected here. The runner's event log (the student's
output folder) says what happened around training: exceptions, output outside
training, the results of the grader's calls and the callbacks' scripted trial.
Both are read the same careful way: regular files only, within a size limit,
malformed lines skipped, every field's type checked.

Example:

    >>> from autograder.evidence.collect import collect_evidence
    >>> evidence = collect_evidence(run, submission, {"x": x_train, "y": y_train})  # doctest: +SKIP
    >>> len(evidence.epochs), evidence.stopped_by_callback  # doctest: +SKIP
    (7, True)
"""

import math
import os
from dataclasses import dataclass, field

import numpy as np

from autograder.evidence.inspect_model import inspect_model
from autograder.sandboxed import protocol
from autograder.sandboxed.protocol import Event, ProtocolError, Record

MAX_EVENTS_BYTES = 50_000_000  # the runner caps output far below this; more is tampering
MAX_RECORD_BYTES = 200_000_000
MAX_CALL_BYTES = 256 * 2**20


@dataclass
class EpochRecord:
    """One epoch trained by the grader's trainer."""

    fit: int
    epoch: int
    accuracy: float  # the trainer's own accuracy over the epoch's batches
    logs: dict = field(default_factory=dict)  # what the student's callbacks were given
    printed: str = ""  # what the student's callbacks printed in this epoch
    stop: bool = False  # whether they stopped training at its end


@dataclass
class FitRecord:
    """One `fit` call, as the trainer saw it (or, in a dry run, as the runner did)."""

    index: int
    input: dict  # shape, dtype, min, max of the images
    data: dict = field(default_factory=dict)  # see trainer.training_images
    batch_size: int = None
    validation_split: float = 0.0
    trained_per_epoch: int = None  # images one epoch trains on (validation_split and steps_per_epoch applied)
    refused: str = None  # why the trainer could not train it
    student_error: dict = None  # {"epoch", "message"}: a student callback raised
    finished: bool = False


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
    outputs: list = field(default_factory=list)  # untrusted: the runner's record of printed text
    exception: dict = None
    missing_entry_point: str = None
    started: bool = False
    finished: bool = False
    model_save_error: str = None
    model: object = None  # ModelReport of the model trained last (a dry run: as built), or None
    models: list = field(default_factory=list)  # ModelReport of every model trained
    calls: dict = field(default_factory=dict)  # CallRecord by id
    callback_trials: dict = field(default_factory=dict)  # the callbacks on scripted logs, by metric name
    trusted: dict = field(default_factory=dict)  # the grader's own data (and the calls' inputs)

    @property
    def stopped_by_callback(self):
        return bool(self.epochs) and self.epochs[-1].stop

    def first_epoch_reaching(self, target):
        return next((i for i, epoch in enumerate(self.epochs)
                     if epoch.accuracy is not None and epoch.accuracy >= target), None)

    def epochs_printing(self, text):
        """Indexes (into `epochs`) of the epochs during which `text` was printed by the callbacks."""
        return [i for i, epoch in enumerate(self.epochs) if text in epoch.printed]

    def printed_outside_training(self, text):
        return any(text in str(out.get("text", "")) for out in self.outputs if out.get("fit") is None)

    def training_crash(self):
        """Why training broke off, in words ('your callback raised ...'), or None."""
        for fit in self.fits:
            if fit.refused:
                return f"the grader could not train your model: {fit.refused}. {protocol.HOW_TO.rstrip('.')}"
            if fit.student_error:
                kind, _, message = fit.student_error["message"].partition(": ")
                return f"your callback raised {kind} in epoch {fit.student_error['epoch'] + 1}: {message}"
            if not fit.finished:
                return "fit did not return: your code ended training before its end" + (
                    f" ({self.exception['type']}: {self.exception['message']})" if self.exception else "")
        return None

    def reason_suffix(self):
        """Why the run produced less than it should, as ': ...' (or '')."""
        if self.run.killed_reason:  # the trainer shares the run's limits: its end then follows from them
            return f": your code was stopped because it {self.run.killed_reason}"
        if self.run.timed_out:
            return f": grading stopped your code {self.run.stop_reason}"
        if self.run.grader_failure:
            return f": {self.run.grader_failure}"
        if crash := self.training_crash():
            return f": {crash}"
        if self.exception:
            return f": your code raised {self.exception['type']} in {self.exception['where']}: {self.exception['message']}"
        if self.missing_entry_point:
            return f": the notebook defines no function {self.missing_entry_point}()"
        if not self.finished:
            return f": your code ended the grading process early (exit status {self.run.exit_code})"
        return ""

    def model_problem(self):
        if self.model is None:
            return f"no model was trained ({self.model_save_error or 'fit() was never called'})"
        return self.model.load_error or "unknown error"


def read_lines(path, limit):
    """The JSON objects of a JSON-lines file; [] when it is missing, not a regular file or too large."""
    try:
        return protocol.json_lines(protocol.read_regular_file(path, limit))
    except ProtocolError:
        return []


def typed(value, kinds, default=None):
    """`value` if it is one of `kinds` (a bool is not a number), else `default`."""
    if isinstance(value, bool) and bool not in kinds:
        return default
    return value if isinstance(value, kinds) else default


def number(value):
    """A finite number as float, else None (NaN and infinities are no measurements)."""
    value = typed(value, (int, float))
    return float(value) if value is not None and math.isfinite(value) else None


def text(value, limit=5000):
    return typed(value, (str,), "")[:limit]


def input_summary(value):
    summary = typed(value, (dict,), {})
    shape = typed(summary.get("shape"), (list,), [])
    return {"shape": [side for side in shape if typed(side, (int,)) is not None], "dtype": text(summary.get("dtype")),
            "min": number(summary.get("min")), "max": number(summary.get("max"))}


def apply_record(evidence, record):
    """One line of the trainer's record."""
    kind, fit = record.get("record"), typed(record.get("fit"), (int,))
    if fit is None:
        return
    if kind in (Record.FIT, Record.REFUSED):
        data = {key: value for key, value in typed(record.get("data"), (dict,), {}).items()
                if typed(value, (int,)) is not None}
        evidence.fits.append(FitRecord(fit, input_summary(record.get("input")), data,
                                       typed(record.get("batch_size"), (int,)),
                                       number(record.get("validation_split")) or 0.0,
                                       typed(record.get("trained_per_epoch"), (int,)),
                                       text(record.get("reason")) if kind == Record.REFUSED else None))
    elif kind == Record.EPOCH:
        logs = {str(key): number(value) for key, value in typed(record.get("logs"), (dict,), {}).items()}
        evidence.epochs.append(EpochRecord(fit, typed(record.get("epoch"), (int,), 0), number(record.get("accuracy")),
                                           logs, text(record.get("printed"), 100_000), record.get("stop") is True))
    elif kind == Record.FIT_END and evidence.fits and evidence.fits[-1].index == fit:
        error = record.get("error")
        if isinstance(error, str):
            evidence.fits[-1].refused = error[:2000]
        elif isinstance(error, dict):
            evidence.fits[-1].student_error = {"epoch": typed(error.get("epoch"), (int,), 0),
                                               "message": text(error.get("message"), 2000)}
        evidence.fits[-1].finished = True


def apply_event(evidence, event, trained):
    """One line of the runner's event log (untrusted); `trained`: whether fits come from the trainer instead."""
    kind = event.get("event")
    if kind == Event.OUTPUT:
        evidence.outputs.append({"text": text(event.get("text"), 10**6), "fit": typed(event.get("fit"), (int,))})
    elif kind == Event.EXCEPTION and evidence.exception is None:
        evidence.exception = {key: text(event.get(key)) for key in ("where", "type", "message", "traceback")}
    elif kind == Event.MISSING_ENTRY_POINT:
        evidence.missing_entry_point = text(event.get("name"), 200)
    elif kind == Event.MODEL_SAVE_FAILED:
        evidence.model_save_error = text(event.get("error"))
    elif kind == Event.FIT_BEGIN and not trained:  # a dry run: nothing to finish
        evidence.fits.append(FitRecord(len(evidence.fits), input_summary(event.get("input")), finished=True))
    elif kind == Event.CALL and typed(event.get("id"), (str,)):
        evidence.calls[event["id"]] = CallRecord(event["id"], typed(event.get("error"), (str,)),
                                                 number(event.get("seconds")), event.get("input_modified") is True,
                                                 event.get("sequence") is True)
    elif kind == Event.CALLBACK_TRIAL and typed(event.get("key"), (str,)) and event["key"] not in evidence.callback_trials:
        # the first trial of a metric name counts: lines appended later are not the runner's
        printed = typed(event.get("printed"), (list,), [])
        evidence.callback_trials[event["key"]] = {"stopped_at": typed(event.get("stopped_at"), (int,)),
                                                  "printed": [text(item) for item in printed],
                                                  "error": typed(event.get("error"), (str,))}
    elif kind == Event.START:
        evidence.started = True
    elif kind == Event.DONE:
        evidence.finished = True


def load_call_value(record, out_dir):
    """The saved result of a call, read without unpickling anything."""
    if record.error:
        return
    path = os.path.join(out_dir, protocol.CALLS_FOLDER, f"{record.id}.npz")
    try:
        import io

        with np.load(io.BytesIO(protocol.read_regular_file(path, MAX_CALL_BYTES)), allow_pickle=False) as saved:
            values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    except (OSError, ValueError, KeyError, ProtocolError) as error:
        record.error = f"its result could not be read back ({error})"
        return
    record.value = values if record.sequence else (values[0] if values else None)


def trained_models(evidence, trainer_dir):
    """The models the trainer saved (one per fit it could build the model of), inspected."""
    for fit in evidence.fits:
        path = os.path.join(trainer_dir, protocol.trained_model_file(fit.index))
        if os.path.exists(path):
            evidence.models.append(inspect_model(path, inputs_scaled=scaled(fit)))
    evidence.model = evidence.models[-1] if evidence.models else None


def scaled(fit):
    return fit.input.get("max") is not None and fit.input["max"] <= 1.0


def collect_evidence(run, submission, trusted):
    """Evidence from a finished `RunOutcome`; `trusted` is the grader's own data for the profile."""
    evidence = Evidence(submission_source=submission.answer_source, run=run, trusted=trusted)
    if run.trainer_dir:
        for record in read_lines(os.path.join(run.trainer_dir, protocol.TRAINING_FILE), MAX_RECORD_BYTES):
            apply_record(evidence, record)
    for event in read_lines(os.path.join(run.out_dir, protocol.EVENTS_FILE), MAX_EVENTS_BYTES):
        apply_event(evidence, event, trained=bool(run.trainer_dir))
    for record in evidence.calls.values():
        load_call_value(record, run.out_dir)
    if run.trainer_dir:
        trained_models(evidence, run.trainer_dir)
    elif os.path.lexists(os.path.join(run.out_dir, protocol.MODEL_FILE)):  # a dry run: the model as built
        evidence.model = inspect_model(os.path.join(run.out_dir, protocol.MODEL_FILE),
                                       inputs_scaled=bool(evidence.fits) and scaled(evidence.fits[-1]))
        evidence.models = [evidence.model]
    return evidence
